from django.contrib import admin

from .models import CalendarOverride, DeadlinePolicy, TierVisit


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


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    """One row: the deadline rules. Adding is possible only while there is none."""

    list_display = ["__str__", "end_of_business", "green_channel_cutoff", "reminder_working_hours"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not DeadlinePolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def get_changeform_initial_data(self, request):  # type: ignore[no-untyped-def]
        defaults = DeadlinePolicy.defaults()
        return {f.name: getattr(defaults, f.name) for f in DeadlinePolicy._meta.fields if f.name != "id"}

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.pk = 1
        super().save_model(request, obj, form, change)
