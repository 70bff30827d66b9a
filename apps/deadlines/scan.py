"""The periodic job: reminders before deadlines, one breach per missed deadline, auto-close of
resolved requests, default ratings of resolutions left unrated, one breach per rectification
past its deadline, and the emails the outbox still owes.

Each piece claims its rows with a conditional update (`… WHERE reminded_at IS NULL`), so the
job does nothing twice, whether it runs again for the same moment or in two workers at once.
Every query reads a partial index that holds only the work still to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from apps.casework import actions
from apps.casework.errors import DomainError
from apps.casework.models import ServiceRequest, State
from apps.meetings import actions as meetings
from apps.meetings.models import Meeting, MeetingState
from apps.notifications import services as notifications
from apps.satisfaction import actions as satisfaction
from apps.satisfaction.models import Rating, Rectification, RectificationState

from . import calendar
from .models import TierVisit

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass
class ScanReport:
    reminders: int = 0
    breaches: int = 0
    closed: int = 0
    emails: int = 0
    ratings_defaulted: int = 0
    rectifications_breached: int = 0
    meeting_reminders: int = 0

    def __str__(self) -> str:
        return (
            f"reminders sent: {self.reminders}, breaches recorded: {self.breaches}, "
            f"requests closed: {self.closed}, queued emails sent: {self.emails}, "
            f"ratings defaulted: {self.ratings_defaulted}, "
            f"rectifications breached: {self.rectifications_breached}, "
            f"meeting reminders: {self.meeting_reminders}"
        )

    def __bool__(self) -> bool:
        return any(vars(self).values())


def _awaiting() -> dict[str, object]:
    return {"feedback_at__isnull": True, "ended_at__isnull": True}


def send_reminders(now: datetime) -> int:
    due_soon = TierVisit.objects.filter(
        **_awaiting(), reminded_at__isnull=True, remind_at__lte=now, due_at__gt=now
    ).select_related("request", "request__created_by")
    sent = 0
    for visit in due_soon[:BATCH]:
        with transaction.atomic():
            claimed = TierVisit.objects.filter(pk=visit.pk, reminded_at__isnull=True).update(reminded_at=now)
            if claimed:
                notifications.notify_reminder(visit, now)
                sent += 1
    return sent


def record_breaches(now: datetime) -> int:
    missed = TierVisit.objects.filter(
        **_awaiting(), breached_at__isnull=True, due_at__lte=now
    ).select_related("request", "request__created_by")
    recorded = 0
    for visit in missed[:BATCH]:
        if actions.record_breach(visit, now=now):
            recorded += 1
    return recorded


def close_resolved(now: datetime) -> int:
    cutoff = now - timedelta(days=calendar.policy().auto_close_after_days)
    closed = 0
    for service_request in ServiceRequest.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff)[
        :BATCH
    ]:
        try:
            actions.close(service_request, actor=None, now=now)
            closed += 1
        except DomainError:
            # Someone closed or reopened it meanwhile: nothing left to do.
            continue
    return closed


def default_ratings(now: datetime) -> int:
    """Resolutions left unrated past the policy's days count as 5 (`source: default`)."""
    waiting = Rating.objects.filter(score__isnull=True, reopened_at__isnull=True, default_at__lte=now)
    return sum(
        satisfaction.default_rating(rating, now=now) for rating in waiting.select_related("request")[:BATCH]
    )


def record_rectification_breaches(now: datetime) -> int:
    late = Rectification.objects.filter(
        state=RectificationState.OPEN, breached_at__isnull=True, due_at__lte=now
    ).select_related("request", "rating")
    return sum(satisfaction.record_rectification_breach(item, now=now) for item in late[:BATCH])


def due_reminders(which: str, now: datetime) -> QuerySet[Meeting]:
    """Booked meetings whose `which` reminder (`day`: the working day before, `hour`: an hour
    before) is due and not sent: the range of a partial index (meeting_remind_day/hour), however
    many meetings there are, in its order (the longest due first, with no sort)."""
    return (
        Meeting.objects.filter(
            **{"state": MeetingState.BOOKED, f"reminded_{which}_at": None, f"remind_{which}_at__lte": now}
        )
        .select_related("request", "slot")
        .order_by(f"remind_{which}_at", "pk")
    )


def remind_of_meetings(now: datetime) -> int:
    """Each due reminder sent once; none for a meeting already begun."""
    sent = 0
    for which in ("day", "hour"):
        due = due_reminders(which, now)
        sent += sum(meetings.send_reminder(meeting, now=now, which=which) for meeting in due[:BATCH])
    return sent


def scan(now: datetime) -> ScanReport:
    report = ScanReport(
        reminders=send_reminders(now),
        breaches=record_breaches(now),
        # Defaults before closing: a request closed in this same scan is still rated.
        ratings_defaulted=default_ratings(now),
        closed=close_resolved(now),
        rectifications_breached=record_rectification_breaches(now),
        meeting_reminders=remind_of_meetings(now),
        emails=notifications.retry_outbox(now),
    )
    if report:
        logger.info("Deadline scan at %s: %s", now.isoformat(), report)
    return report
