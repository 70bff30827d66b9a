"""The audit log (field changes, django-auditlog) and the audit trail (apps/audit/models.py)
in the admin: readable by the auditor, changeable by nobody.

django-auditlog's own admin already refuses adding and changing entries, but lets a deletion
elsewhere in the admin cascade into them; here no entry can be deleted from the admin at all,
superusers included.
"""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.http import HttpRequest

from .models import AuditRecord


class Unchangeable:
    """Shown, never added, changed or deleted from the admin, the superuser included."""

    show_full_result_count = False
    actions: Any = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyLogEntryAdmin(Unchangeable, LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, ReadOnlyLogEntryAdmin)


@admin.register(AuditRecord)
class AuditRecordAdmin(Unchangeable, admin.ModelAdmin):
    """The hash-chained trail: the auditor reads it here (and exports it from /audit/)."""

    list_display = ["seq", "at", "actor_name", "address", "event", "object_type", "object_id", "result"]
    list_filter = ["result", "event"]
    search_fields = ["actor_name", "event", "object_repr", "object_id"]
