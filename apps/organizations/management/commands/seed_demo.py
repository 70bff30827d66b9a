"""`manage.py seed_demo [--requests N] [--bare]`: the demo jurisdictions and users, a small
lived-in world of requests with a few weeks of history (once), and optionally N synthetic
requests."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from apps.assist import classifier
from apps.casework import lived_in, synthetic
from apps.organizations import demo


class Command(BaseCommand):
    help = (
        "Create the demo jurisdictions, users (password demo12345), routing rules, key projects and, "
        "once, a lived-in world of about 40 requests with their history; with --requests N only N "
        "synthetic requests are added."
    )

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
        parser.add_argument(
            "--bare",
            action="store_true",
            help="Only the organisations, users and guidance: no lived-in requests.",
        )

    def handle(
        self,
        *args: Any,
        requests: int,
        enterprises_per_park: int | None,
        seed: int,
        bare: bool,
        **options: Any,
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
            if not bare:
                self._lived_in()
                self._train_assistant()
            return
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
        self._train_assistant()

    def _train_assistant(self) -> None:
        """The suggested category learns from the requests just made (beat retrains nightly)."""
        model = classifier.train()
        if model is not None:
            self.stdout.write(
                f"Category suggestions trained on {model.samples:,} resolved requests "
                f"({model.accuracy:.0%} right on those held out; the most common category alone {model.baseline:.0%})."
            )

    def _lived_in(self) -> None:
        if lived_in.existing():
            self.stdout.write("Lived-in requests already there: left as they are.")
            return
        started = time.monotonic()
        # The history's emails are not sent: they belong to weeks nobody lived through (the
        # notifications themselves are in every user's notification centre).
        scan_log = logging.getLogger("apps.deadlines.scan")
        level = scan_log.level
        scan_log.setLevel(logging.WARNING)  # not a line per scan of the history
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                world = lived_in.build()
        finally:
            scan_log.setLevel(level)
        self.stdout.write(
            f"Lived-in world ready: {len(world)} requests with their history "
            f"({time.monotonic() - started:.1f} s)."
        )
