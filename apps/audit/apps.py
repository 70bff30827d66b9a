from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from . import sign_ins, tracking

        tracking.register_models()
        tracking.connect()
        sign_ins.connect()
