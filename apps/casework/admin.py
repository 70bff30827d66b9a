"""The admin reads requests; it changes them only through the same actions as the API."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import actions
from .errors import DomainError
from .models import RequestEvent, ServiceRequest


class EventInline(admin.TabularInline):
    """The timeline is append-only: shown, never added to, changed or deleted here."""

    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "from_state", "to_state", "tier", "text", "internal"]
    readonly_fields = fields  # type: ignore[assignment,misc]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


def _run(modeladmin, request, queryset, name, **kwargs):  # type: ignore[no-untyped-def]
    done = 0
    for service_request in queryset:
        try:
            actions.TRANSITIONS[name](service_request, actor=request.user, **kwargs)
            done += 1
        except DomainError as error:
            modeladmin.message_user(
                request, f"{service_request.reference}: {error.message}", messages.WARNING
            )
    modeladmin.message_user(request, _("%(count)s request(s) changed.") % {"count": done})


@admin.action(description=_("Close the selected resolved requests"))
def close_requests(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[no-untyped-def]
    _run(modeladmin, request, queryset, "close")


@admin.action(description=_("Withdraw the selected requests"))
def withdraw_requests(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[no-untyped-def]
    _run(modeladmin, request, queryset, "withdraw", reason=str(_("Withdrawn by an administrator.")))


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "enterprise",
        "state",
        "tier",
        "green_channel",
        "feedback_due_at",
        "created_at",
    ]
    list_filter = ["state", "tier", "category", "product_type", "green_channel"]
    search_fields = ["=reference", "title"]
    list_select_related = ["enterprise"]
    show_full_result_count = False
    raw_id_fields = [
        "enterprise",
        "park",
        "district",
        "municipal",
        "provincial",
        "department",
        "district_department",
        "municipal_department",
        "provincial_department",
        "assignee",
        "created_by",
        "key_project",
    ]
    readonly_fields = [f.name for f in ServiceRequest._meta.fields]
    inlines = [EventInline]
    actions = [close_requests, withdraw_requests]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
