from django.contrib import admin

from .models import CalendarOverride, TierVisit


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "workday", "name"]
    list_filter = ["workday"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(TierVisit)
class TierVisitAdmin(admin.ModelAdmin):
    list_display = [
        "request",
        "tier",
        "authority",
        "department",
        "started_at",
        "due_at",
        "feedback_at",
        "breached_at",
    ]
    list_filter = ["tier"]
    raw_id_fields = ["request", "authority", "department", "assignee"]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
