"""Reads: the one place that decides who sees which request."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.organizations.models import Organization, OrgKind, Role, User, tier_index

from . import queues
from .errors import NotVisible
from .models import Attachment, Message, RequestEvent, RequestGroupObjectPermission, ServiceRequest, State

_AUTHORITY_COLUMN: dict[str, str] = {
    OrgKind.DISTRICT: "district",
    OrgKind.MUNICIPAL: "municipal",
    OrgKind.PROVINCIAL: "provincial",
}


def visibility_filter(user: User) -> Q | None:
    """The condition on requests a user may see; None means everything (admins).

    - enterprise staff: their enterprise's requests;
    - a park (liaison, park supervisor): every request of its enterprises;
    - an authority (district, municipal, provincial), officers and supervisors alike: what has
      reached its tier, from then on. A question the park answers itself stays between the
      enterprise and the park: an authority's supervisors see the lower tiers' work only as
      figures (`overseen_requests`, apps/stats/figures.py), never the requests themselves;
    - a department: what was routed to it, which stays visible after the request moves on;
    - plus requests explicitly shared with the user's organisation.
    """
    if user.is_superuser:
        return None
    org = user.organization
    if org is None or not user.role:
        return Q(pk__in=[])
    if user.role == Role.ENTERPRISE:
        scope = Q(enterprise_id=org.pk)
    elif org.kind == OrgKind.PARK:
        scope = Q(park_id=org.pk)
    elif org.kind in _AUTHORITY_COLUMN:
        column = _AUTHORITY_COLUMN[org.kind]
        # One range of the authority's column index, which carries `reached_level`.
        scope = Q(**{f"{column}_id": org.pk, "reached_level__gte": tier_index(org.kind)})
    elif org.kind == OrgKind.DEPARTMENT and org.parent is not None:
        scope = Q(**{f"{_AUTHORITY_COLUMN[org.parent.kind]}_department_id": org.pk})
    else:
        return Q(pk__in=[])
    shared = shared_with(org.pk)
    return scope | Q(pk__in=shared) if shared else scope


def shared_with(org_id: int) -> list[int]:
    """The requests explicitly shared with an organisation. Shares are few: read them first, so
    that the common case stays one indexed column (an OR with a subquery would make the
    database sort the whole scope for every page); kept, as the lists' counts are, until the
    next write to a request (a share is one)."""
    key = f"shared-with:{org_id}:{queues.lists_version()}"
    found = queues.kept.get(key)
    if found is None:
        found = list(
            RequestGroupObjectPermission.objects.filter(
                group__name=f"org:{org_id}", permission__codename="view_servicerequest"
            ).values_list("content_object_id", flat=True)
        )
        queues.kept.set(key, found, queues.KEPT_FOR.total_seconds())
    return found


def visible_requests(user: User) -> QuerySet[ServiceRequest]:
    condition = visibility_filter(user)
    queryset = ServiceRequest.objects.all()
    return queryset if condition is None else queryset.filter(condition)


def overseen_requests(user: User) -> QuerySet[ServiceRequest]:
    """What a supervisor's figures count: every sent request in the organisation's jurisdiction,
    lower tiers included. For counts only (how many, how late, where): never list or open these,
    that is `visible_requests`."""
    org = user.organization
    if user.role != Role.SUPERVISOR or org is None or org.kind not in _AUTHORITY_COLUMN:
        return visible_requests(user)
    # An unsent draft is still the enterprise's (and its park's) own business.
    return ServiceRequest.objects.filter(**{f"{_AUTHORITY_COLUMN[org.kind]}_id": org.pk}).exclude(
        state=State.DRAFT
    )


def request_list(user: User) -> QuerySet[ServiceRequest]:
    """Visible requests with what a list shows, fetched without a query per row."""
    return visible_requests(user).select_related(
        "enterprise", "park", "department", "assignee", "created_by", "key_project"
    )


def get_visible_request(user: User, pk: Any) -> ServiceRequest:
    """Fetch a request the user may see, or raise NotVisible (404) — never telling whether it
    exists."""
    try:
        return request_list(user).get(pk=int(pk))
    except (ServiceRequest.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such request.")) from None


def timeline(user: User, service_request: ServiceRequest) -> QuerySet[RequestEvent]:
    events = service_request.events.select_related("actor").order_by("created_at", "id")
    if user.is_enterprise:
        events = events.filter(internal=False)
    return events


def messages(user: User, service_request: ServiceRequest) -> QuerySet[Message]:
    found = service_request.messages.select_related("author").order_by("created_at", "id")
    if user.is_enterprise:
        found = found.filter(internal=False)
    return found


def attachments(user: User, service_request: ServiceRequest) -> QuerySet[Attachment]:
    found = service_request.attachments.select_related("uploaded_by").order_by("created_at", "id")
    if user.is_enterprise:
        found = found.filter(internal=False)
    return found


def get_visible_attachment(user: User, service_request: ServiceRequest, pk: Any) -> Attachment:
    try:
        return attachments(user, service_request).get(pk=int(pk))
    except (Attachment.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such attachment.")) from None


def assign_candidates(service_request: ServiceRequest) -> QuerySet[User]:
    """Who the request may be given to: the staff of the park, authority or department that
    holds it (`rules.may_be_assigned`), and nobody else is offered."""
    holders = [o for o in (service_request.department_id, service_request.tier_authority_id) if o]
    return User.objects.filter(
        is_active=True, role__in=[Role.OFFICER, Role.LIAISON, Role.SUPERVISOR], organization_id__in=holders
    ).order_by("username")


def share_departments(service_request: ServiceRequest) -> QuerySet[Organization]:
    """The departments a request may be shared with: those of its own chain (the departments of
    its district, its municipal and its provincial authority), active, other than the department
    holding it. The one list the share is checked against and offered from: a department of
    another jurisdiction is no choice, whoever asks."""
    authorities = [
        pk
        for pk in (service_request.district_id, service_request.municipal_id, service_request.provincial_id)
        if pk
    ]
    departments = Organization.objects.filter(
        kind=OrgKind.DEPARTMENT, is_active=True, parent_id__in=authorities
    ).order_by("name")
    if service_request.department_id:
        departments = departments.exclude(pk=service_request.department_id)
    return departments


# The API's name for each model transition a user can take.
_TRANSITION_NAMES = {"return_to_lower_tier": "return", "set_green_channel": "green_channel"}


def available_transitions(service_request: ServiceRequest, user: User) -> list[str]:
    """What this user may do to this request now (for buttons and the API)."""
    return [
        _TRANSITION_NAMES.get(t.name, t.name)
        for t in service_request.get_available_user_state_transitions(user)  # type: ignore[attr-defined]
    ]
