"""The service targets are configuration: an administrator sets them per organisation."""

from __future__ import annotations

from django.contrib import admin

from .models import ServiceTarget


@admin.register(ServiceTarget)
class ServiceTargetAdmin(admin.ModelAdmin):
    list_display = ["organization", "on_time_percent", "satisfaction_percent"]
    fields = ["organization", "on_time_percent", "satisfaction_percent"]
    search_fields = ["organization__name", "organization__name_zh"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
