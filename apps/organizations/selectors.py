"""Reads of the organisation tree that depend on who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import KeyProject, Organization, OrgKind, Role, User


def visible_organizations(user: User) -> QuerySet[Organization]:
    """Every public body and park, and the enterprises in the user's remit (competitors never
    see each other)."""
    orgs = Organization.objects.filter(is_active=True).order_by("id")
    if user.is_superuser:
        return orgs
    org = user.organization
    if org is None:
        return orgs.none()
    if user.role == Role.ENTERPRISE:
        mine = Q(pk=org.pk)
    else:
        authority = org.authority or org
        mine = (
            Q(parent=authority)
            | Q(parent__parent=authority)
            | Q(parent__parent__parent=authority)
            | Q(parent__parent__parent__parent=authority)
        )
    return orgs.filter(~Q(kind=OrgKind.ENTERPRISE) | (Q(kind=OrgKind.ENTERPRISE) & mine))


def visible_key_projects(user: User) -> QuerySet[KeyProject]:
    projects = KeyProject.objects.select_related("enterprise", "park", "district").order_by("name")
    if user.is_superuser:
        return projects
    org = user.organization
    if org is None:
        return projects.none()
    if org.kind == OrgKind.ENTERPRISE:
        return projects.filter(enterprise=org)
    if org.kind == OrgKind.PARK:
        return projects.filter(park=org)
    authority = org.authority or org
    return projects.filter(
        Q(district=authority) | Q(district__parent=authority) | Q(district__parent__parent=authority)
    )


def fileable_enterprises(user: User) -> QuerySet[Organization]:
    """The enterprises a user may file requests for: enterprise staff their own, a park's liaison
    the park's enterprises, an admin any; nobody else files."""
    enterprises = Organization.objects.filter(kind=OrgKind.ENTERPRISE).order_by("name")
    if user.is_superuser:
        return enterprises
    if user.organization_id is None:
        return enterprises.none()
    if user.role == Role.ENTERPRISE:
        return enterprises.filter(pk=user.organization_id)
    if user.role == Role.LIAISON:
        return enterprises.filter(parent_id=user.organization_id)
    return enterprises.none()
