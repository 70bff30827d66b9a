"""Who sees which meetings and slots.

A meeting is seen by exactly whoever sees its request (`casework.selectors.visible_requests`).
Slots: the staff of an organisation see their organisation's (an authority's, its departments'
too), with how many places are taken; enterprise staff see the free times ahead of the units
that hold or have offered a meeting on their requests, never who took a place.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.casework import selectors as casework_selectors
from apps.casework.errors import NotVisible
from apps.casework.models import OPEN_STATES as OPEN_REQUEST_STATES
from apps.casework.models import ServiceRequest
from apps.organizations.models import Organization, OrgKind, Role, User

from .models import OPEN_STATES, Meeting, Slot
from .slots import HOSTS, free

_AUTHORITIES = (OrgKind.DISTRICT, OrgKind.MUNICIPAL, OrgKind.PROVINCIAL)


def request_meetings(service_request: ServiceRequest) -> QuerySet[Meeting]:
    """A request's meetings, newest first, with what their cards show."""
    return (
        Meeting.objects.filter(request=service_request)
        .select_related("organization", "slot", "slot__host", "proposed_by", "booked_by", "minutes_by")
        .prefetch_related("slots")
        .order_by("-proposed_at", "-pk")
    )


def open_meeting(service_request: ServiceRequest) -> Meeting | None:
    return request_meetings(service_request).filter(state__in=OPEN_STATES).first()


def get_visible_meeting(user: User, pk: Any) -> Meeting:
    """A meeting whose request the user may see, or NotVisible (404), never saying whether it
    exists."""
    try:
        meeting = (
            Meeting.objects.select_related("request", "organization", "slot", "slot__host", "proposed_by")
            .prefetch_related("slots")
            .get(pk=int(pk))
        )
    except (Meeting.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such meeting.")) from None
    if not casework_selectors.visible_requests(user).filter(pk=meeting.request_id).exists():
        raise NotVisible(_("No such meeting."))
    return meeting


def _units_of_staff(user: User) -> list[int]:
    org = user.organization
    if org is None:
        return []
    units = [org.pk]
    if org.kind in _AUTHORITIES:
        units += Organization.objects.filter(parent=org, kind=OrgKind.DEPARTMENT).values_list("pk", flat=True)
    return units


def _units_for_enterprise(user: User) -> list[int]:
    """Its park, the units holding its open requests, and those that offered it a meeting."""
    org_id = user.organization_id
    requests = ServiceRequest.objects.filter(enterprise_id=org_id, state__in=OPEN_REQUEST_STATES)
    units = {pk for pk in requests.values_list("department_id", flat=True) if pk}
    units |= set(
        Meeting.objects.filter(request__enterprise_id=org_id).values_list("organization_id", flat=True)
    )
    park = Organization.objects.filter(pk=org_id or 0).values_list("parent_id", flat=True).first()
    if park:
        units.add(park)
    return sorted(units)


def sees_places_taken(user: User) -> bool:
    """Staff see how many places of their slots are taken; enterprises only whether one is free."""
    return user.is_superuser or user.role in HOSTS


def visible_slots(user: User) -> QuerySet[Slot]:
    slots = Slot.objects.select_related("organization", "host")
    if user.is_superuser:
        return slots
    if user.role in HOSTS:
        return slots.filter(organization_id__in=_units_of_staff(user))
    if user.role == Role.ENTERPRISE and user.organization_id:
        return slots.filter(free(), organization_id__in=_units_for_enterprise(user))
    return slots.none()


def slots_between(slots: QuerySet[Slot], first: date | None, last: date | None) -> QuerySet[Slot]:
    """The slots starting on the days from `first` to `last` (both included), local time."""
    zone = timezone.get_current_timezone()
    if first is not None:
        slots = slots.filter(start__gte=datetime.combine(first, time.min, tzinfo=zone))
    if last is not None:
        slots = slots.filter(start__lt=datetime.combine(last + timedelta(1), time.min, tzinfo=zone))
    return slots
