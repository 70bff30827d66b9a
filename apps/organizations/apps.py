from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "apps.organizations"
    label = "organizations"
    verbose_name = _("Organisations and users")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import User, sync_organization_group

        def keep_group_in_step(sender, instance, update_fields=None, **kwargs):  # type: ignore[no-untyped-def]
            # A save of other fields (the last_login of every sign-in) leaves the group as it is.
            if update_fields is None or "organization" in update_fields:
                sync_organization_group(instance)

        post_save.connect(keep_group_in_step, sender=User, weak=False, dispatch_uid="org_group_sync")
