"""Ratings and rectifications, read in the admin: the actions (apps/satisfaction/actions.py)
are their only writers, so that every change is on the request's timeline."""

from __future__ import annotations

from django.contrib import admin

from .models import Rating, Rectification


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and opened, never added, changed or deleted here."""

    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnlyAdmin):
    list_display = [
        "request",
        "tier",
        "department",
        "score",
        "source",
        "resolved_at",
        "rated_at",
        "set_aside",
    ]
    list_filter = ["source", "tier", "score", "set_aside"]
    search_fields = ["=request__reference"]
    list_select_related = ["request", "department"]


@admin.register(Rectification)
class RectificationAdmin(_ReadOnlyAdmin):
    list_display = [
        "request",
        "tier",
        "department",
        "state",
        "opened_at",
        "due_at",
        "rectified_at",
        "decision",
    ]
    list_filter = ["state", "tier", "decision"]
    search_fields = ["=request__reference"]
    list_select_related = ["request", "department"]
