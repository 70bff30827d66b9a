"""django-axes under a name the admin can translate (axes gives its app none: "Axes")."""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _


class LockoutConfig(AxesConfig):
    verbose_name = _("Sign-in lock-out")
