"""Which changes the audit log records, and how.

Configuration, people, rules and shares are recorded field by field (old → new) by
django-auditlog's model signals. Requests are not: they keep their own append-only timeline
(`RequestEvent`), written by the actions. Bulk inserts (the synthetic seed) bypass signals by
design, so a million demo requests add no log rows.
"""

from __future__ import annotations

from auditlog.registry import auditlog
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
        exclude_fields=["last_login"],
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
