"""The rating rows a request's resolutions leave, written by the casework actions in their own
transaction: `resolve` asks for a rating, `reopen` marks the resolution as reopened."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apps.deadlines import calendar

from .models import Rating

if TYPE_CHECKING:
    from apps.casework.models import RequestEvent, ServiceRequest
    from apps.organizations.models import User


def ask_for_rating(
    service_request: ServiceRequest, resolution: RequestEvent, *, actor: User | None, now: datetime
) -> Rating:
    """The resolution is to be rated: by the tier and department that gave it, or by default
    once the policy's days have passed."""
    return Rating.objects.create(
        request=service_request,
        resolution=resolution,
        tier=service_request.tier,
        authority_id=service_request.tier_authority_id,  # type: ignore[misc]
        department_id=service_request.department_id,
        resolved_by=actor,
        resolved_at=now,
        default_at=now + timedelta(days=calendar.policy().rating_default_after_days),
    )


def mark_reopened(service_request: ServiceRequest, now: datetime) -> None:
    """The latest resolution did not hold: the resolution rate counts it, and if it was not
    rated yet it is no longer asked for (nor defaulted): the next resolution is rated instead."""
    Rating.objects.filter(request=service_request, reopened_at__isnull=True).update(reopened_at=now)


def current_rating(service_request: ServiceRequest) -> Rating | None:
    """The rating of the request's latest resolution, rated or not; None if it was never
    resolved, or was reopened since."""
    return (
        Rating.objects.filter(request=service_request, reopened_at__isnull=True)
        .order_by("-resolved_at", "-id")
        .first()
    )
