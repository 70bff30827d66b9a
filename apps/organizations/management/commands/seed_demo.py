"""`manage.py seed_demo [--requests N]`: the demo jurisdictions and users, and optionally N
synthetic requests."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.organizations import demo


class Command(BaseCommand):
    help = "Create the demo jurisdictions, users (password demo12345), routing rules and key projects; optionally N synthetic requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--requests", type=int, default=0, help="Also insert this many synthetic requests."
        )
        parser.add_argument(
            "--enterprises-per-park",
            type=int,
            default=None,
            help="Enterprises per park for synthetic requests (default: grows with --requests).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for synthetic requests.")

    def handle(
        self, *args: Any, requests: int, enterprises_per_park: int | None, seed: int, **options: Any
    ) -> None:
        if requests < 0:
            raise CommandError("--requests must be zero or more.")
        orgs = demo.seed_organizations()
        users = demo.seed_users(orgs)
        from apps.guidance.demo import seed_guidance

        seed_guidance()
        self.stdout.write(
            f"Demo data ready: {len(orgs)} organisations, {len(users)} users (password {demo.DEMO_PASSWORD})."
        )
        if not requests:
            return
        from apps.casework import synthetic

        per_park = (
            enterprises_per_park if enterprises_per_park is not None else min(100, max(0, requests // 2000))
        )
        if per_park:
            synthetic.ensure_enterprises(per_park)
        started = time.monotonic()
        interactive = sys.stdout.isatty()

        def progress(done: int) -> None:
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed else 0
            width = 30
            filled = int(width * done / requests)
            line = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{requests:,} requests, {rate:,.0f}/s"
            if interactive:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            elif done == requests or done % 100_000 < synthetic.BATCH:
                self.stdout.write(line)

        created = synthetic.generate(requests, seed=seed, progress=progress)
        if interactive:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Inserted {created:,} synthetic requests in {elapsed:.1f} s ({created / max(elapsed, 1e-9):,.0f}/s)."
            )
        )
