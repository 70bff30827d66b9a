"""`manage.py train_assist`: train the category classifier on the resolved requests, now (beat
does it nightly), and say how it did beside always guessing the most common category."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.assist.classifier import MINIMUM, TRAIN_LIMIT, train


class Command(BaseCommand):
    help = "Train the suggested category's classifier on the newest resolved requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=TRAIN_LIMIT,
            help=f"Newest resolved requests to learn from (default {TRAIN_LIMIT}).",
        )

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        model = train(limit=max(limit, MINIMUM))
        if model is None:
            self.stdout.write(
                f"Not trained: fewer than {MINIMUM} resolved requests in two categories or more."
            )
            return
        self.stdout.write(
            f"Trained on {model.samples} resolved requests: {model.accuracy:.1%} right on the fifth held out, "
            f"against {model.baseline:.1%} for always the most common category."
        )
