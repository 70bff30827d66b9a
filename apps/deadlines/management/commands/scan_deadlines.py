"""`manage.py scan_deadlines [--at ISO-8601]`: run the periodic deadline job once, now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.deadlines.scan import scan


def _moment(value: str) -> datetime:
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            f"--at: “{value}” is not an ISO-8601 date and time, e.g. 2026-10-09T18:30:00+08:00"
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # Asia/Shanghai, the portal's time zone
    return moment


class Command(BaseCommand):
    help = "Send due reminders, record missed deadlines, close resolved requests and flush the email outbox, once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="Act as if it were this moment (ISO-8601; default now).")

    def handle(self, *args: Any, at: str | None, **options: Any) -> None:
        moment = _moment(at) if at else timezone.now()
        report = scan(moment)
        self.stdout.write(f"Deadline scan at {timezone.localtime(moment).isoformat()}: {report}")
