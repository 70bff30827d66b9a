"""The words of the meeting events on a timeline and in a reminder, written from their details
in the reader's language (the same event reads in English and in Chinese)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Outcome

if TYPE_CHECKING:
    from apps.casework.models import RequestEvent


def when(start: datetime | str, end: datetime | str | None = None) -> str:
    """“2026-12-08 14:00–14:30”, in the portal's time zone."""
    begins = timezone.localtime(datetime.fromisoformat(start) if isinstance(start, str) else start)
    text = begins.strftime("%Y-%m-%d %H:%M")
    if end:
        ends = timezone.localtime(datetime.fromisoformat(end) if isinstance(end, str) else end)
        text += ends.strftime("–%H:%M")
    return text


def _time_and_place(details: dict[str, Any]) -> str:
    return _("%(when)s, %(place)s") % {
        "when": when(details["start"], details.get("end")),
        "place": details["place"],
    }


def _with(text: str, words: str) -> str:
    return f"{text}: {words}" if words else text


def event_text(event: RequestEvent) -> str:
    from apps.casework.models import EventKind

    details: dict[str, Any] = event.details or {}
    kind = event.kind
    if kind == EventKind.MEETING_OFFERED:
        times = "; ".join(_time_and_place(time) for time in details.get("times", []))
        return _with(_("Times offered: %(times)s") % {"times": times}, details.get("note", ""))
    if kind == EventKind.MEETING_BOOKED:
        return _("Booked for %(time)s") % {"time": _time_and_place(details)}
    if kind == EventKind.MEETING_RESCHEDULED:
        text = _("Moved to %(time)s") % {"time": _time_and_place(details)}
        return _with(text, details.get("reason", ""))
    if kind == EventKind.MEETING_HELD:
        outcome = details.get("outcome")
        label = str(Outcome(outcome).label) if outcome in Outcome.values else ""
        return _with(_("Outcome: %(outcome)s") % {"outcome": label}, details.get("minutes", ""))
    if kind == EventKind.MEETING_NO_SHOW and "start" in details:
        return _with(
            _("Nobody came to the meeting of %(when)s") % {"when": when(details["start"])},
            details.get("note", ""),
        )
    if kind == EventKind.MEETING_CANCELLED and "start" in details:
        return _with(_("The meeting of %(when)s is off") % {"when": when(details["start"])}, event.text)
    return event.text
