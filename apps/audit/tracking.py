"""Which changes the audit log records, and how.

Configuration, people, rules and shares are recorded field by field (old → new) by
django-auditlog's model signals. Requests are not: they keep their own append-only timeline
(`RequestEvent`), written by the actions. Bulk inserts (the synthetic seed) bypass signals by
design, so a million demo requests add no log rows.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import post_log
from django.contrib.auth.models import Group
from guardian.models import GroupObjectPermission, UserObjectPermission

from apps.casework.models import RequestGroupObjectPermission
from apps.deadlines.models import CalendarOverride, DeadlinePolicy
from apps.guidance.models import Guidance, GuidanceAttachment
from apps.organizations.models import KeyProject, Organization, RoutingRule, User

MASKED = "********"


def hide(value: str) -> str:
    """A secret's value never reaches the log, not even in part: only that it changed."""
    return MASKED if value else ""


def register_models() -> None:
    for model in (Organization, RoutingRule, KeyProject, CalendarOverride, DeadlinePolicy, Guidance):
        auditlog.register(model)
    auditlog.register(GuidanceAttachment)
    auditlog.register(
        User,
        # The moment of each sign-in is its own log entry (see sign_ins); as a field change it
        # would only be noise.
        exclude_fields=["last_login", "password_changed_at"],
        mask_fields=["password"],
        mask_callable="apps.audit.tracking.hide",
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Group, m2m_fields={"permissions"})
    # Explicit per-object grants (a request shared with a department) are rows: record them.
    for grant in (RequestGroupObjectPermission, GroupObjectPermission, UserObjectPermission):
        auditlog.register(grant)


def registered_models() -> list[type]:
    return list(auditlog.get_models())


# Changes to these say who may do what: recorded as grants and role changes, apart from others.
GRANT_MODELS = (
    "casework.requestgroupobjectpermission",
    "guardian.groupobjectpermission",
    "guardian.userobjectpermission",
)
ROLE_FIELDS = {"role", "organization", "is_superuser", "is_staff", "is_active", "groups", "user_permissions"}


def _trail_event(label: str, action: int, changes: dict[str, Any]) -> str:
    if label in GRANT_MODELS:
        return {LogEntry.Action.CREATE: "grant", LogEntry.Action.DELETE: "grant_removed"}.get(
            action, "grant_changed"
        )
    if label == "organizations.user" and action == LogEntry.Action.UPDATE and ROLE_FIELDS & set(changes):
        return "role_change"
    if label == "auth.group" and action == LogEntry.Action.UPDATE and "permissions" in changes:
        return "role_change"
    return {LogEntry.Action.CREATE: "create", LogEntry.Action.DELETE: "delete"}.get(action, "change")


def _to_trail(sender: Any, instance: Any, action: int, log_entry: Any = None, **kwargs: Any) -> None:
    """Every field change django-auditlog writes goes into the hash-chained trail as well,
    where nobody can alter it unseen."""
    if log_entry is None or action == LogEntry.Action.ACCESS:
        return
    from .trail import record

    changes = log_entry.changes_dict or {}
    record(
        _trail_event(instance._meta.label_lower, action, changes),
        actor=log_entry.actor,
        address=log_entry.remote_addr,
        obj=(instance._meta.label_lower, log_entry.object_pk, log_entry.object_repr),
        detail={"changes": changes},
    )


def connect() -> None:
    post_log.connect(_to_trail, dispatch_uid="audit_to_trail")
