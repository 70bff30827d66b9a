"""Check the audit trail's hash chain: exit 0 when every record is as written, 1 with each break
found (a changed record, a missing one, one slipped in between, a cut-off end)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit import trail


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits with 1 if any record was changed, removed or inserted."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, breaks = trail.verify()
        if not breaks:
            self.stdout.write(self.style.SUCCESS(f"The audit trail is intact: {checked} records checked."))
            return
        for found in breaks:
            where = f"record {found.seq}" if found.seq is not None else "chain"
            self.stdout.write(self.style.ERROR(f"{where}: {found.problem}"))
        raise CommandError(
            f"The audit trail was tampered with: {len(breaks)} problem(s) in {checked} records."
        )
