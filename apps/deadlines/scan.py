"""The periodic job: reminders before deadlines, one breach per missed deadline, auto-close of
resolved requests, and the emails the outbox still owes.

Each piece claims its rows with a conditional update (`… WHERE reminded_at IS NULL`), so the
job does nothing twice, whether it runs again for the same moment or in two workers at once.
Every query reads a partial index that holds only the work still to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from apps.casework import actions
from apps.casework.errors import DomainError
from apps.casework.models import ServiceRequest, State
from apps.notifications import services as notifications

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

    def __str__(self) -> str:
        return (
            f"reminders sent: {self.reminders}, breaches recorded: {self.breaches}, "
            f"requests closed: {self.closed}, queued emails sent: {self.emails}"
        )


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


def scan(now: datetime) -> ScanReport:
    report = ScanReport(
        reminders=send_reminders(now),
        breaches=record_breaches(now),
        closed=close_resolved(now),
        emails=notifications.retry_outbox(now),
    )
    if report.reminders or report.breaches or report.closed or report.emails:
        logger.info("Deadline scan at %s: %s", now.isoformat(), report)
    return report
