from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "apps.assist"
    label = "assist"
    verbose_name = _("AI help (offline)")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from apps.guidance.models import Guidance

        from .index import index_guidance

        def index_saved(sender: type, instance: Guidance, **kwargs: object) -> None:
            # Whoever saves a document (the admin, the demo seed), its terms follow at once.
            index_guidance(instance)

        post_save.connect(index_saved, sender=Guidance, dispatch_uid="assist_index_guidance", weak=False)
