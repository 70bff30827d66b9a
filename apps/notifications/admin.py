from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Notification
from .services import KIND_LABELS  # what each kind reports, in the reader's words


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        kinds = Notification.objects.order_by().values_list("kind", flat=True).distinct()
        return [(kind, KIND_LABELS.get(kind, kind)) for kind in sorted(kinds)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind_label", "request", "created_at", "read_at", "email_state"]
    list_filter = [KindFilter, "email_state"]
    raw_id_fields = ["recipient", "request", "event", "visit"]
    search_fields = ["=recipient__username"]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: Notification) -> Any:
        return KIND_LABELS.get(obj.kind, obj.kind)
