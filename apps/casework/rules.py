"""Who may take which transition: the guards django-fsm checks through `has_transition_perm`.

Each guard answers for a user who can already see the request (visibility is
`selectors.visible_requests`); it says whether that user may act on it now. The guards take
`Any` because django-fsm types them for any model and any user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.organizations.models import OrgKind, Role, Tier

if TYPE_CHECKING:
    from apps.organizations.models import User

    from .models import ServiceRequest


def _is_system(user: Any) -> bool:
    # Jobs (auto-close) act without a user.
    return user is None


def belongs_to_current_tier(service_request: ServiceRequest, user: User) -> bool:
    """The user works for the tier that holds the request: its park, or the current
    authority tier itself or the department the request was routed to there."""
    org = user.organization
    if org is None:
        return False
    if service_request.tier == Tier.PARK:
        return org.pk == service_request.park_id
    if org.pk == service_request.tier_authority_id:
        return True
    return org.kind == OrgKind.DEPARTMENT and org.pk == service_request.department_id


def may_file(service_request: Any, user: Any) -> bool:
    """Submit, provide information, reopen, withdraw: the enterprise's own staff or its park's
    liaison."""
    if user is None:
        return False
    if user.is_superuser:
        return True
    if user.role == Role.ENTERPRISE:
        return user.organization_id == service_request.enterprise_id
    if user.role == Role.LIAISON:
        return user.organization_id == service_request.park_id
    return False


def may_close(service_request: Any, user: Any) -> bool:
    if _is_system(user):
        return True
    assert user is not None
    if user.is_superuser:
        return True
    return user.role == Role.ENTERPRISE and user.organization_id == service_request.enterprise_id


def may_act_for_tier(service_request: Any, user: Any) -> bool:
    """Respond, request information, escalate, return, resolve: staff of the current tier."""
    if user is None:
        return False
    if user.is_superuser:
        return True
    if user.role not in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR):
        return False
    return belongs_to_current_tier(service_request, user)


def may_assign(service_request: Any, user: Any) -> bool:
    if user is None:
        return False
    if user.is_superuser:
        return True
    return user.role == Role.SUPERVISOR and belongs_to_current_tier(service_request, user)


def may_claim(service_request: Any, user: Any) -> bool:
    if user is None:
        return False
    return user.role in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR) and belongs_to_current_tier(
        service_request, user
    )


def may_be_assigned(service_request: ServiceRequest, user: User) -> bool:
    """Only staff of the tier that holds the request can be given it."""
    return (
        user.is_active
        and user.role in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR)
        and belongs_to_current_tier(service_request, user)
    )


def may_write_internal(user: User) -> bool:
    return user.is_superuser or user.role != Role.ENTERPRISE
