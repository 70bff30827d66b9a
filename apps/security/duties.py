"""Separated duties (三员分立, 等保 8.1.4.2): three administrators, none able to do another's work.

- the **system administrator** keeps the portal's settings: organisations, routing, key
  projects, the working calendar and deadline policy, guidance, reply templates, targets and
  the periodic jobs;
- the **security administrator** keeps people: accounts and roles of the portal's users, their
  grants, second factors, API tokens and sign-in lock-outs; never an administrator's account;
- the **auditor** reads and exports the audit trail and the sign-in logs, and nothing else.

Each duty is a group of Django model permissions (`duty:<role>`), kept in step with this table
after every migration and with each person's role on every save, so the admin enforces it
the way it enforces any permission. The superuser stays for emergencies: every use is recorded
(apps/audit) and each sign-in is told to the security administrators."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.utils import timezone

from apps.organizations.models import DUTY_ROLES, Role, User

FULL = ("add", "change", "delete", "view")

# What each administrator may do, model by model: {"app_label.model": actions}.
DUTIES: dict[str, dict[str, tuple[str, ...]]] = {
    Role.SYSTEM_ADMIN: {
        "organizations.organization": FULL,
        "organizations.routingrule": FULL,
        "organizations.keyproject": FULL,
        "deadlines.calendaroverride": FULL,
        "deadlines.deadlinepolicy": FULL,
        "guidance.guidance": FULL,
        "guidance.guidanceattachment": FULL,
        "desk.replytemplate": FULL,
        "stats.servicetarget": FULL,
        "django_celery_beat.periodictask": FULL,
        "django_celery_beat.crontabschedule": FULL,
        "django_celery_beat.intervalschedule": FULL,
        "django_celery_beat.clockedschedule": FULL,
        "django_celery_beat.solarschedule": FULL,
    },
    Role.SECURITY_ADMIN: {
        "organizations.user": ("add", "change", "view"),
        "organizations.organization": ("view",),
        "auth.group": ("view",),
        "authtoken.tokenproxy": ("view", "delete"),
        "axes.accessattempt": ("view", "delete"),
        "axes.accessfailurelog": ("view",),
        "guardian.groupobjectpermission": FULL,
        "guardian.userobjectpermission": FULL,
        "casework.requestgroupobjectpermission": FULL,
    },
    Role.AUDITOR: {
        "audit.auditrecord": ("view", "export"),
        "auditlog.logentry": ("view",),
        "axes.accesslog": ("view",),
        "axes.accessfailurelog": ("view",),
    },
}


def group_name(role: str) -> str:
    return f"duty:{role}"


def _permissions(duty: dict[str, tuple[str, ...]]) -> list[Permission]:
    wanted: list[Permission] = []
    for label, actions in duty.items():
        app_label, model = label.split(".")
        codenames = [f"{action}_{model}" for action in actions]
        wanted += Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    return wanted


def sync_duty_groups(**kwargs: Any) -> None:
    """The three duty groups hold exactly the permissions of DUTIES (after every migrate)."""
    for role, duty in DUTIES.items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set(_permissions(duty))


def sync_duty_group(user: User) -> None:
    """A person is in the group of their duty and no other duty's."""
    names = {group_name(role) for role in DUTY_ROLES}
    keep = group_name(user.role) if user.role in DUTY_ROLES else None
    stale = user.groups.filter(name__in=names - {keep} if keep else names)
    user.groups.remove(*stale)
    if keep:
        group, _created = Group.objects.get_or_create(name=keep)
        if not group.permissions.exists():
            sync_duty_groups()
        user.groups.add(group)


def may_use_admin(user: Any) -> bool:
    """The admin site is for the superuser and the three administrators only; a portal user
    marked staff by mistake gets no further."""
    return bool(
        user.is_active and user.is_staff and (user.is_superuser or getattr(user, "role", "") in DUTY_ROLES)
    )


def may_manage_person(actor: User, person: User | None) -> bool:
    """The security administrator manages the portal's users, never an administrator (the three
    duties are given and taken by the superuser alone), nor themself."""
    if actor.is_superuser:
        return True
    if actor.role != Role.SECURITY_ADMIN:
        return False
    if person is None:
        return True
    return person.pk != actor.pk and not person.is_administrator


def security_administrators() -> list[int]:
    return list(User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True).values_list("pk", flat=True))


def tell_security_administrators(superuser: User, *, event: str, request: HttpRequest | None) -> None:
    """The emergency account was used: each security administrator hears of it at once (in the
    notification centre and by email)."""
    from apps.notifications.services import notify_superuser_used
    from portal.client_ip import client_ip

    notify_superuser_used(
        security_administrators(),
        username=superuser.get_username(),
        address=(client_ip(request) if request is not None else None) or "—",
        at=timezone.now(),
        via="api" if event == "token_issued" else "page",
    )
