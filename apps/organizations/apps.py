from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "apps.organizations"
    label = "organizations"
    verbose_name = _("Organisations and users")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import User, sync_organization_group

        def keep_group_in_step(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
            sync_organization_group(instance)

        post_save.connect(keep_group_in_step, sender=User, weak=False, dispatch_uid="org_group_sync")
