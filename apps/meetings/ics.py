"""A meeting as an iCalendar invitation (RFC 5545), written by hand: one VEVENT, times in UTC,
text escaped and lines folded at 75 octets, so that Outlook, Apple Calendar, Google Calendar and
Thunderbird open it; the same UID and a rising SEQUENCE each time it changes, so that they
update the entry they have instead of adding a second one, and METHOD:CANCEL when it is off."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Meeting, MeetingState

CONTENT_TYPE = "text/calendar; charset=utf-8"
_FOLD_AT = 75  # octets, the line ending excluded (RFC 5545 §3.1)


def _escape(text: str) -> str:
    """TEXT values (§3.3.11): backslash, semicolon and comma escaped, line breaks as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, each continued with CRLF and a
    space, never inside a UTF-8 character (a Chinese title is three octets a character)."""
    pieces: list[str] = []
    current, size = "", 0
    limit = _FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
            limit = _FOLD_AT - 1  # the continuation's leading space counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _link(meeting: Meeting) -> str:
    return (
        settings.PORTAL_BASE_URL + reverse("request-detail", kwargs={"pk": meeting.request_id}) + "#meetings"
    )


def invitation(meeting: Meeting, language: str | None = None, *, now: datetime | None = None) -> str:
    """The meeting's .ics, its words in `language` (the reader's)."""
    if meeting.starts_at is None or meeting.ends_at is None or meeting.slot is None:
        raise ValueError("Only a booked meeting has a time to put in a calendar.")
    service_request = meeting.request
    cancelled = meeting.state == MeetingState.CANCELLED
    host = meeting.slot.host
    domain = urlsplit(settings.PORTAL_BASE_URL).hostname or "liaison-portal"
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        summary = _("Consultation meeting: %(reference)s “%(title)s”") % {
            "reference": service_request.reference,
            "title": service_request.title,
        }
        description = "\n".join(
            [
                _("Consultation meeting on %(reference)s with %(unit)s.")
                % {"reference": service_request.reference, "unit": meeting.organization.display_name},
                _("Open the request: %(link)s") % {"link": _link(meeting)},
            ]
        )
        organizer = host.display_name
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Liaison portal//Consultation meetings//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{domain}",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTAMP:{_utc(now or timezone.now())}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(meeting.ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(meeting.slot.place)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{_link(meeting)}",
        f'ORGANIZER;CN="{organizer.replace(chr(34), "")}":mailto:{host.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}',
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)


def filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.request.reference}.ics"
