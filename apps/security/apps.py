from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """等保 2.0 level 3 for the application: two-factor sign-in, session limits, password rules."""

    name = "apps.security"
    label = "security"
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, post_save

        from apps.organizations.models import User

        from . import duties, sessions

        sessions.connect()
        post_migrate.connect(duties.sync_duty_groups, sender=self, dispatch_uid="security_duty_groups")

        def keep_duty_in_step(sender, instance, update_fields=None, **kwargs):  # type: ignore[no-untyped-def]
            # A save of other fields (the last_login of every sign-in) leaves the duty as it is.
            if update_fields is None or "role" in update_fields:
                duties.sync_duty_group(instance)

        post_save.connect(keep_duty_in_step, sender=User, weak=False, dispatch_uid="security_duty_sync")
