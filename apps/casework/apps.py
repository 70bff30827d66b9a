from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "apps.casework"
    label = "casework"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import ServiceRequest
        from .queues import lists_changed

        # A request saved whole (filed, or by the admin and the tests' factories) changes lists
        # as the actions' writes do.
        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: lists_changed(),
                sender=ServiceRequest,
                weak=False,
                dispatch_uid=f"lists_changed_{signal is post_save}",
            )
