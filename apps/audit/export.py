"""The audit trail of a period, for the auditor: filtered records, and the same rows as CSV
(streamed) or XLSX (written row by row, never the whole trail in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from portal.csv_download import formula_safe

from .models import AuditRecord

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    ("seq", _("No.")),
    ("at", _("Time")),
    ("person", _("Person")),
    ("address", _("Address")),
    ("event", _("Event")),
    ("object_type", _("Object type")),
    ("object_id", _("Object id")),
    ("object", _("Object")),
    ("result", _("Result")),
    ("detail", _("Detail")),
    ("hash", _("Hash")),
]


def period_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """[since 00:00, the day after until 00:00) in the portal's time zone: `until` counts whole."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def records(
    since: date, until: date, *, event: str = "", person: str = "", result: str = ""
) -> QuerySet[AuditRecord]:
    start, end = period_bounds(since, until)
    queryset = AuditRecord.objects.filter(at__gte=start, at__lt=end)
    if event:
        queryset = queryset.filter(event=event)
    if person:
        queryset = queryset.filter(actor_name=person)
    if result:
        queryset = queryset.filter(result=result)
    return queryset.order_by("seq")


def rows(queryset: QuerySet[AuditRecord]) -> Iterator[list[Any]]:
    for entry in queryset.iterator(chunk_size=2000):
        yield [
            entry.seq,
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_name,
            entry.address or "",
            entry.event,
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            entry.result,
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else "",
            entry.hash,
        ]


def xlsx_bytes(queryset: QuerySet[AuditRecord]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Audit trail")))
    sheet.append([str(label) for _code, label in HEADER])
    for row in rows(queryset):
        sheet.append([formula_safe(value) for value in row])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
