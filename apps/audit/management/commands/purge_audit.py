"""Remove audit records older than a date, never younger than the retention period (180 days
at least, the Cybersecurity Law's six months)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.audit import trail


class Command(BaseCommand):
    help = (
        "Remove audit records older than --before (YYYY-MM-DD); refuses records younger than the retention."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="YYYY-MM-DD: records before this day go")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = datetime.strptime(options["before"], "%Y-%m-%d").date()
        except ValueError:
            raise CommandError("--before takes a date as YYYY-MM-DD") from None
        moment = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
        try:
            removed = trail.purge_before(moment)
        except trail.PurgeRefused as refused:
            raise CommandError(f"Refused: {refused}") from None
        self.stdout.write(
            f"Removed {removed} audit records from before {day}; the chain now starts after them."
        )
