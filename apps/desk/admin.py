from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """Every organisation's reply templates (their supervisors keep them at /desk/templates/).
    The model's clean() refuses unknown placeholders here as on the page."""

    list_display = ["name", "organization", "active", "updated_at"]
    # Only the organisations that have templates, and their kinds: never a list of every
    # enterprise in the tree.
    list_filter = ["active", ("organization", admin.RelatedOnlyFieldListFilter), "organization__kind"]
    search_fields = ["name", "body_en", "body_zh", "organization__name", "organization__name_zh"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_by", "updated_at"]
    list_select_related = ["organization"]
    fields = ["organization", "name", "body_en", "body_zh", "active", "created_by", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
