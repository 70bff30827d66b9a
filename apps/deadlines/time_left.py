"""How much time a tier has left to give feedback, in words: "due today 18:00 · 3 h 20 min left",
"due tomorrow 18:00", "overdue by 1 working day".

Counted in working time on the official calendar (`calendar.working_seconds_left`), so a holiday
weekend after a Friday deadline adds nothing to "overdue by". The API gives the same seconds and
label as the pages; the tone is for colour, which always goes with the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import calendar

OVERDUE = "overdue"
SOON = "soon"
ON_TRACK = "on-track"


@dataclass(frozen=True)
class TimeLeft:
    due_at: datetime
    seconds: int  # working seconds left; negative once overdue
    label: str
    tone: str

    @property
    def overdue(self) -> bool:
        return self.tone == OVERDUE


def time_left(due_at: datetime, *, now: datetime | None = None) -> TimeLeft:
    now = now or timezone.now()
    seconds = calendar.working_seconds_left(due_at, now)
    if due_at <= now:
        return TimeLeft(due_at, seconds, _overdue_label(due_at, -seconds), OVERDUE)
    soon = seconds <= float(calendar.policy().reminder_working_hours) * 3600
    when = _due_words(due_at, now)
    if seconds < calendar.working_day_seconds():
        # Translators: "due today 18:00 · 3 h 20 min left"
        label = _("%(when)s · %(duration)s left") % {"when": when, "duration": _duration(seconds)}
    else:
        label = when
    return TimeLeft(due_at, seconds, label, SOON if soon else ON_TRACK)


def _due_words(due_at: datetime, now: datetime) -> str:
    due, today = (
        timezone.localtime(due_at, calendar.SHANGHAI),
        timezone.localtime(now, calendar.SHANGHAI).date(),
    )
    clock = formats.time_format(due, "H:i")
    if due.date() == today:
        return _("due today %(time)s") % {"time": clock}
    if due.date() == today + timedelta(1):
        return _("due tomorrow %(time)s") % {"time": clock}
    day = formats.date_format(due, "MONTH_DAY_FORMAT")
    return _("due %(weekday)s %(day)s %(time)s") % {
        "weekday": formats.date_format(due, "D"),
        "day": day,
        "time": clock,
    }


def _overdue_label(due_at: datetime, working_seconds: int) -> str:
    working_day = calendar.working_day_seconds()
    if working_day > 0 and working_seconds >= working_day:
        days = working_seconds // working_day
        return ngettext("overdue by %(count)d working day", "overdue by %(count)d working days", days) % {
            "count": days
        }
    if working_seconds >= 60:
        return _("overdue by %(duration)s") % {"duration": _duration(working_seconds)}
    # Past the deadline with no working time since (the evening, a weekend).
    due = timezone.localtime(due_at, calendar.SHANGHAI)
    return _("overdue since %(day)s %(time)s") % {
        "day": formats.date_format(due, "MONTH_DAY_FORMAT"),
        "time": formats.time_format(due, "H:i"),
    }


def _duration(seconds: int) -> str:
    minutes = max(seconds, 0) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": max(minutes, 1)}
