"""The service figures as a table: the CSV's columns (the API's field names, for programs) and
the XLSX sheet (headers, tiers and names in the reader's language, for people), the same rows
in the same order: the whole organisation, each tier, each department or park."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta
from io import BytesIO
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from apps.organizations.models import Tier

from .figures import BACKLOG_NAMES, Figures, Report

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# How a column's cells are shown in the sheet.
TEXT, COUNT, PERCENT, HOURS, DAYS, SCORE = "text", "count", "percent", "hours", "days", "score"
_NUMBER_FORMATS = {COUNT: "0", PERCENT: "0.0%", HOURS: "0.00", DAYS: "0.0", SCORE: "0.00"}


class Column(NamedTuple):
    code: str  # the CSV header: the field name of the API
    label: Promise  # the XLSX header
    kind: str
    in_sheet: bool = True


_BACKLOG_LABELS = {
    "under_1_day": gettext_lazy("Waiting under 1 day"),
    "1_to_3_days": gettext_lazy("Waiting 1–3 days"),
    "3_to_7_days": gettext_lazy("Waiting 3–7 days"),
    "over_7_days": gettext_lazy("Waiting over 7 days"),
}

COLUMNS: list[Column] = [
    Column("tier", gettext_lazy("Tier"), TEXT),
    Column("organization", gettext_lazy("Department or park"), TEXT),
    Column("received", gettext_lazy("Received"), COUNT),
    Column("fed_back", gettext_lazy("Fed back"), COUNT),
    Column("on_time", gettext_lazy("Fed back on time"), COUNT),
    Column("due", gettext_lazy("Due for feedback"), COUNT),
    # The same share as the response rate: the CSV keeps it for the programs that read it.
    Column("on_time_share", gettext_lazy("On-time share"), PERCENT, in_sheet=False),
    Column("response_rate", gettext_lazy("Response rate"), PERCENT),
    Column("median_working_hours", gettext_lazy("Median (working h)"), HOURS),
    Column("p90_working_hours", gettext_lazy("90th percentile (working h)"), HOURS),
    Column("breaches", gettext_lazy("Missed deadlines"), COUNT),
    *[Column(name, _BACKLOG_LABELS[name], COUNT) for name in BACKLOG_NAMES],
    Column("resolved", gettext_lazy("Resolutions"), COUNT),
    Column("resolved_kept", gettext_lazy("Not reopened"), COUNT),
    Column("resolution_rate", gettext_lazy("Resolution rate"), PERCENT),
    Column("ratings", gettext_lazy("Ratings"), COUNT),
    Column("ratings_default", gettext_lazy("Default ratings"), COUNT),
    Column("satisfied", gettext_lazy("Satisfied ratings (4–5)"), COUNT),
    Column("satisfied_default", gettext_lazy("Satisfied by default"), COUNT),
    Column("satisfaction_rate", gettext_lazy("Satisfaction rate"), PERCENT),
    Column("satisfaction_rate_given", gettext_lazy("Satisfaction rate (defaults left out)"), PERCENT),
    Column("average_score", gettext_lazy("Average score"), SCORE),
    Column("bad_reviews", gettext_lazy("Bad reviews"), COUNT),
    Column("rectifications", gettext_lazy("Rectifications"), COUNT),
    Column("rectifications_on_time", gettext_lazy("Rectified on time"), COUNT),
    Column("rectifications_late", gettext_lazy("Rectified late or overdue"), COUNT),
    Column("rectifications_open", gettext_lazy("Being rectified"), COUNT),
    Column("appeals", gettext_lazy("Appeals"), COUNT),
    Column("appeals_upheld", gettext_lazy("Appeals: review upheld"), COUNT),
    Column("appeals_set_aside", gettext_lazy("Appeals: review set aside"), COUNT),
    Column("appeals_pending", gettext_lazy("Appeals pending"), COUNT),
    Column("meetings", gettext_lazy("Meetings offered"), COUNT),
    Column("meetings_booked", gettext_lazy("Meetings booked, not yet held"), COUNT),
    Column("meetings_held", gettext_lazy("Meetings held"), COUNT),
    Column("meetings_no_show", gettext_lazy("No-shows"), COUNT),
    Column("meetings_cancelled", gettext_lazy("Meetings cancelled"), COUNT),
    Column("median_days_to_meeting", gettext_lazy("Median days to a meeting"), DAYS),
    Column("p90_days_to_meeting", gettext_lazy("90th percentile days to a meeting"), DAYS),
]
CSV_HEADER = [column.code for column in COLUMNS]


def _rows(report: Report) -> list[Figures]:
    return [report.total, *report.tiers, *report.units]


def _value(figures: Figures, code: str) -> Any:
    if code in BACKLOG_NAMES:
        return figures.backlog[code]
    return getattr(figures, code)


def csv_rows(report: Report) -> list[list[Any]]:
    """The rows under `CSV_HEADER`: codes as the API gives them; the whole organisation's row
    has the tier `all`, each tier's the organisation `(all)`."""
    rows = []
    for figures in _rows(report):
        line = [_value(figures, column.code) for column in COLUMNS]
        line[0] = figures.tier or "all"
        line[1] = figures.organization or "(all)"
        rows.append(line)
    return rows


def period_text(since: datetime, until: datetime) -> str:
    """The period as the reader would say it: whole days from the first to the last, or the
    minutes when it does not start and end at midnight (the end is exclusive)."""
    start, end = timezone.localtime(since), timezone.localtime(until)
    if start.time() == time.min and end.time() == time.min:
        first, last = start.date().isoformat(), (end - timedelta(days=1)).date().isoformat()
    else:
        first, last = start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M")
    return _("Period: %(since)s to %(until)s") % {"since": first, "until": last}


def _width(value: Any, kind: str) -> int:
    """Characters a cell needs; a Chinese character is two wide."""
    if value is None:
        return 0
    text = (
        f"{value:.1%}" if kind == PERCENT else f"{value:.2f}" if kind in (HOURS, DAYS, SCORE) else str(value)
    )
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def xlsx_bytes(report: Report) -> bytes:
    """One sheet: the organisation and the period, a frozen header row, then the rows."""
    columns = [column for column in COLUMNS if column.in_sheet]
    tiers = dict(Tier.choices)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Service figures")[:31]
    book.properties.title = _("%(org)s: service figures") % {"org": report.organization}
    sheet.append([book.properties.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([period_text(report.since, report.until)])
    header = [str(column.label) for column in columns]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    widths = [_width(label, TEXT) for label in header]
    for figures in _rows(report):
        if not figures.tier:
            names = [_("All tiers"), report.organization]
        else:
            names = [
                str(tiers.get(figures.tier, figures.tier)),
                figures.organization or _("All at this tier"),
            ]
        values = names + [_value(figures, column.code) for column in columns[2:]]
        sheet.append(values)
        for cell in sheet[sheet.max_row][:2]:
            cell.data_type = "s"  # a name that starts with "=" is text, never a formula
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            widths[index] = max(widths[index], _width(value, column.kind))
            if column.kind in _NUMBER_FORMATS:
                sheet.cell(row=sheet.max_row, column=index + 1).number_format = _NUMBER_FORMATS[column.kind]
        if not figures.tier or not figures.organization:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    # The header and the names stay in view while the reader scrolls.
    sheet.freeze_panes = "C4"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: Report, extension: str) -> str:
    first = timezone.localtime(report.since).strftime("%Y%m%d")
    last = timezone.localtime(report.until - timedelta(microseconds=1)).strftime("%Y%m%d")
    return f"service-figures-{first}-{last}.{extension}"
