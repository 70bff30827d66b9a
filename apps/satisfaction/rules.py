"""Who may rate, rectify, appeal and decide. Each answers for a user who can already see the
request (`apps.casework.selectors.visible_requests` decides that)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.casework.models import State
from apps.organizations.models import Role

from .models import Source

if TYPE_CHECKING:
    from apps.casework.models import ServiceRequest
    from apps.organizations.models import User

    from .models import Rectification

_STAFF = (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR)
# A request's answer is rated while it stands: resolved, or closed after it.
RATED_STATES = (State.RESOLVED, State.CLOSED)


def rating_source(service_request: ServiceRequest, user: User) -> str | None:
    """How this person's rating of the request counts: the enterprise's own staff rate it, its
    park's liaison records what the enterprise said (by phone, in a visit); nobody else rates."""
    if user.is_superuser or not user.is_active:
        return None
    if user.role == Role.ENTERPRISE and user.organization_id == service_request.enterprise_id:
        return Source.ENTERPRISE
    if user.role == Role.LIAISON and user.organization_id == service_request.park_id:
        return Source.LIAISON
    return None


def sees_rater(service_request: ServiceRequest, user: User) -> bool:
    """Who gave or recorded a rating is known to the enterprise's side (its staff and its park)
    and to admins, never to the staff whose answer was rated."""
    return user.is_superuser or user.organization_id in (
        service_request.enterprise_id,
        service_request.park_id,
    )


def owns(rectification: Rectification, user: User) -> bool:
    """Staff of the organisation whose answer was rated badly: the park, or the authority and
    the department that resolved the request."""
    return (
        user.is_active
        and not user.is_superuser
        and user.role in _STAFF
        and user.organization_id in (rectification.authority_id, rectification.department_id)
    )


def may_decide_appeal(rectification: Rectification, user: User) -> bool:
    """A supervisor of the owning organisation who did not appeal themselves."""
    return (
        owns(rectification, user) and user.role == Role.SUPERVISOR and user.pk != rectification.appealed_by_id
    )
