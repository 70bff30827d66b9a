"""The audit log in the admin: readable by admins, changeable by nobody.

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
from django.utils.translation import gettext_lazy as _

from .sign_ins import SIGN_IN_FAILED, SIGNED_IN, SIGNED_OUT, TOKEN_ISSUED

EVENT_LABELS = {
    SIGNED_IN: _("signed in"),
    SIGNED_OUT: _("signed out"),
    SIGN_IN_FAILED: _("sign-in failed"),
    TOKEN_ISSUED: _("API token issued"),
}


def _event(entry: LogEntry) -> str | None:
    data = entry.additional_data
    return data.get("event") if isinstance(data, dict) else None


class ReadOnlyLogEntryAdmin(LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    show_full_result_count = False
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("User"))
    def user_url(self, obj: LogEntry) -> Any:
        if _event(obj) == SIGN_IN_FAILED:
            return "—"
        # No actor: a management command, a periodic job or the seed ("system").
        return super().user_url(obj)

    @admin.display(description=_("Changes"))
    def msg_short(self, obj: LogEntry) -> Any:
        event = _event(obj)
        if event is not None:
            return EVENT_LABELS.get(event, event)
        return super().msg_short(obj)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, ReadOnlyLogEntryAdmin)
