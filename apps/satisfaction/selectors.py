"""Reads of ratings and rectifications. Who sees one is who sees its request
(`apps.casework.selectors.visible_requests`): nothing here decides visibility on its own."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from apps.casework.errors import NotVisible
from apps.casework.models import ServiceRequest
from apps.casework.selectors import visible_requests
from apps.organizations.models import Role, User

from . import ledger
from .models import Rating, Rectification

_OWNING_ROLES = (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR)
_RECTIFICATION_RELATED = ("request", "rating", "authority", "department", "appealed_by", "decided_by")


def rating_of(service_request: ServiceRequest) -> Rating:
    """The rating of the request's latest resolution, rated or still waiting; NotVisible (404)
    when there is none to show (never resolved, or reopened since)."""
    current = ledger.current_rating(service_request)
    if current is None:
        raise NotVisible(
            _("This request has no answer to rate: it was never resolved, or it was reopened since."),
            code="not_rated",
        )
    return Rating.objects.select_related(
        "request", "authority", "department", "rated_by", "rectification"
    ).get(pk=current.pk)


def visible_rectifications(user: User) -> QuerySet[Rectification]:
    """The rectifications of the requests the user may see, newest first."""
    found = Rectification.objects.select_related(*_RECTIFICATION_RELATED)
    if not user.is_superuser:
        found = found.filter(request__in=visible_requests(user).values("pk"))
    return found.order_by("-opened_at", "-id")


def work_list(user: User) -> QuerySet[Rectification]:
    """What the list shows: for the staff of a park, an authority or a department, the
    rectifications their organisation owns (among those they may see); for enterprise staff and
    admins, every one they may see."""
    if user.is_superuser or user.role not in _OWNING_ROLES:
        return visible_rectifications(user)
    org = user.organization_id
    # The organisation's own first (a handful, by index), each then checked against the one
    # visibility rule row by row: `request IN (everything the user sees)` would read a whole
    # scope's ids first (a district bureau's, 120 ms at a million).
    owned = Rectification.objects.select_related(*_RECTIFICATION_RELATED).filter(
        Q(authority_id=org) | Q(department_id=org)
    )
    return owned.filter(Exists(visible_requests(user).filter(pk=OuterRef("request_id")))).order_by(
        "-opened_at", "-id"
    )


def request_rectifications(service_request: ServiceRequest) -> QuerySet[Rectification]:
    """A request's rectifications (one per bad review), newest first; the caller already sees
    the request."""
    return (
        Rectification.objects.filter(request=service_request)
        .select_related(*_RECTIFICATION_RELATED)
        .order_by("-opened_at", "-id")
    )


def get_visible_rectification(user: User, pk: Any) -> Rectification:
    """A rectification whose request the user may see, or NotVisible (404), never telling
    whether it exists."""
    try:
        return visible_rectifications(user).get(pk=int(pk))
    except (Rectification.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such rectification.")) from None
