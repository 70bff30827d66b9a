"""What a request is about. Routing rules (here) and requests (casework) both name a category,
so the list lives below both; `apps.casework.models.Category` is this same class."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    RND = "rnd", _("Research and development")
    CLINICAL_TRIAL = "clinical_trial", _("Clinical trial")
    REGISTRATION = "registration", _("Registration")
    SITE_EQUIPMENT = "site_equipment", _("Site and equipment")
    POLICY = "policy", _("Policy")
    COMPLIANCE = "compliance", _("Compliance")
    OTHER = "other", _("Other")
