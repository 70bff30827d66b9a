"""Tier visits: the clock each tier's feedback deadline runs on."""

from __future__ import annotations

from datetime import datetime

from apps.casework.models import ServiceRequest

from . import calendar
from .models import TierVisit


def reminder_time(due_at: datetime) -> datetime:
    """When to remind the tier: some working hours before the deadline (2 by default)."""
    hours = calendar.policy().reminder_working_hours
    return calendar.subtract_working_seconds(due_at, int(hours * 3600))


def current_visit(service_request: ServiceRequest) -> TierVisit | None:
    return (
        TierVisit.objects.filter(request=service_request, ended_at__isnull=True)
        .order_by("-started_at", "-id")
        .first()
    )


def filed_at(service_request: ServiceRequest) -> datetime:
    """When the request was filed: it entered its first tier (a draft's time before does not
    count)."""
    first = service_request.visits.order_by("started_at").values_list("started_at", flat=True).first()
    return first or service_request.created_at


def start_visit(service_request: ServiceRequest, now: datetime) -> TierVisit:
    """The request enters its current tier: start the clock and set the request's due time."""
    due_at = calendar.feedback_deadline(now, green_channel=service_request.green_channel)
    service_request.feedback_due_at = due_at
    return TierVisit.objects.create(
        request=service_request,
        tier=service_request.tier,
        authority_id=service_request.tier_authority_id,  # type: ignore[misc]
        department_id=service_request.department_id,
        green_channel=service_request.green_channel,
        started_at=now,
        due_at=due_at,
        remind_at=reminder_time(due_at),
        assignee_id=service_request.assignee_id,
    )


def record_feedback(visit: TierVisit | None, now: datetime, *, leaving: bool) -> None:
    """The tier did something the enterprise can see: stop the clock (once per visit)."""
    if visit is None:
        return
    fields = []
    if visit.feedback_at is None and visit.ended_at is None:
        visit.feedback_at = now
        visit.feedback_seconds = max(int((now - visit.started_at).total_seconds()), 0)
        visit.feedback_working_seconds = calendar.working_seconds_between(visit.started_at, now)
        fields += ["feedback_at", "feedback_seconds", "feedback_working_seconds"]
    if leaving:
        visit.ended_at = now
        fields.append("ended_at")
    if fields:
        visit.save(update_fields=fields)


def end_visit(visit: TierVisit | None, now: datetime) -> None:
    """The request left the tier without feedback (withdrawn)."""
    if visit is not None and visit.ended_at is None:
        visit.ended_at = now
        visit.save(update_fields=["ended_at"])


def reschedule_visit(visit: TierVisit | None, service_request: ServiceRequest) -> None:
    """The green-channel flag changed: the open visit's deadline follows the new rule from the
    moment it entered the tier."""
    if visit is None or not visit.awaiting_feedback:
        return
    visit.green_channel = service_request.green_channel
    visit.due_at = calendar.feedback_deadline(visit.started_at, green_channel=visit.green_channel)
    visit.remind_at = reminder_time(visit.due_at)
    visit.save(update_fields=["green_channel", "due_at", "remind_at"])
    service_request.feedback_due_at = visit.due_at
