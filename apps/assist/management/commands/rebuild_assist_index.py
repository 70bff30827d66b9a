"""`manage.py rebuild_assist_index`: index every guidance document and resolved request again,
after a change to the glossary (apps/assist/glossary.tsv) or to how text is analysed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.assist.index import rebuild


class Command(BaseCommand):
    help = "Index every guidance document and resolved request for the assistant again."

    def handle(self, *args: Any, **options: Any) -> None:
        documents, requests = rebuild()
        self.stdout.write(f"Indexed {documents} guidance documents and {requests} resolved requests.")
