from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "apps.deadlines"
    label = "deadlines"
    verbose_name = _("Deadlines")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import calendar
        from .models import CalendarOverride, DeadlinePolicy

        def forget(sender, **kwargs):  # type: ignore[no-untyped-def]
            calendar.forget_policy()

        post_save.connect(forget, sender=DeadlinePolicy, dispatch_uid="deadline_policy_saved", weak=False)
        post_delete.connect(forget, sender=DeadlinePolicy, dispatch_uid="deadline_policy_deleted", weak=False)
        post_save.connect(forget, sender=CalendarOverride, dispatch_uid="calendar_override_saved", weak=False)
        post_delete.connect(
            forget, sender=CalendarOverride, dispatch_uid="calendar_override_deleted", weak=False
        )
