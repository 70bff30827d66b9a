"""The working-day calendar: the one place that knows which days are working days, when a
tier's feedback is due and how many working hours lie between two moments.

Sources, in order: an admin's override of a single date, the official Chinese calendar
(`chinesecalendar`: statutory holidays off, make-up working days on weekends on), and for years
neither covers a logged fallback of weekdays on, weekends off.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from time import monotonic
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import chinese_calendar

if TYPE_CHECKING:
    from .models import DeadlinePolicy

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL = "official"
OVERRIDE = "override"
FALLBACK = "fallback"
# Longest stretch of days off the calendar can hold (Spring Festival plus weekends is 9).
_MAX_SCAN_DAYS = 60
_warned_years: set[int] = set()


@dataclass(frozen=True)
class Day:
    date: date
    workday: bool
    name: str
    source: str


_POLICY_TTL_SECONDS = 5.0
_policy_cache: tuple[float, Any] | None = None


def policy() -> DeadlinePolicy:
    """The deadline policy row (admin-editable), or the defaults from settings. Cached for a
    few seconds per process; saving it clears this process's copy at once."""
    global _policy_cache
    from .models import DeadlinePolicy

    now = monotonic()
    if _policy_cache is None or _policy_cache[0] < now:
        found = DeadlinePolicy.objects.filter(pk=1).first() or DeadlinePolicy.defaults()
        _policy_cache = (now + _POLICY_TTL_SECONDS, found)
    return _policy_cache[1]  # type: ignore[no-any-return]


@contextmanager
def pinned() -> Iterator[None]:
    """The policy and the overrides as they are now, for as long as the block runs, without
    asking the database again: for work that must not (the seed's generator, which may run in
    a process of its own). Read afresh afterwards."""
    global _policy_cache, _overrides_cache
    _policy_cache = (math.inf, policy())
    _overrides_cache = (math.inf, _overrides())
    try:
        yield
    finally:
        forget_policy()


def forget_policy() -> None:
    """Forget this process's copy of the policy and of the date overrides (saving either does)."""
    global _policy_cache, _overrides_cache
    _policy_cache = None
    _overrides_cache = None


_overrides_cache: tuple[float, dict[date, Any]] | None = None


def _overrides() -> dict[date, Any]:
    """Every admin override by date: a handful of rows, read once per few seconds rather than
    once per deadline worked out (a queue page works out one per row)."""
    global _overrides_cache
    from .models import CalendarOverride

    now = monotonic()
    if _overrides_cache is None or _overrides_cache[0] < now:
        _overrides_cache = (now + _POLICY_TTL_SECONDS, {o.date: o for o in CalendarOverride.objects.all()})
    return _overrides_cache[1]


def start_of_business() -> time:
    return policy().start_of_business


def end_of_business() -> time:
    return policy().end_of_business


class Calendar:
    """Day look-ups over a span, the admin overrides first."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.overrides = _overrides()

    def day(self, day: date) -> Day:
        override = self.overrides.get(day)
        if override is not None:
            return Day(day, override.workday, override.name, OVERRIDE)
        return _official_day(day)

    def workdays(self, first: date, stop: date) -> int:
        """How many working days lie in [first, stop): counted from the official calendar's
        running totals, then each override in the span, so a span of months costs no loop."""
        if stop <= first:
            return 0
        count = _official_workdays(first, stop)
        for day, override in self.overrides.items():
            if first <= day < stop:
                count += int(override.workday) - int(_official_day(day).workday)
        return count

    def days(self) -> list[Day]:
        return [self.day(self.start + timedelta(n)) for n in range((self.end - self.start).days + 1)]


@lru_cache(maxsize=8192)
def _official_day(day: date) -> Day:
    """The official calendar's word on a day (fixed for a given library version, so kept: a
    deadline months past walks every day since, for every row of a queue page)."""
    try:
        workday = chinese_calendar.is_workday(day)
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "The official calendar does not cover %s; counting weekdays as working days "
                "until an admin adds overrides for that year.",
                day.year,
            )
        return Day(day, day.weekday() < 5, "", FALLBACK)
    return Day(day, workday, name or "", OFFICIAL)


@lru_cache(maxsize=64)
def _official_running_total(year: int) -> tuple[int, ...]:
    """For each day of `year`, how many official working days come before it that year (plus
    the year's total at the end)."""
    totals = [0]
    day = date(year, 1, 1)
    while day.year == year:
        totals.append(totals[-1] + int(_official_day(day).workday))
        day += timedelta(1)
    return tuple(totals)


def _official_workdays(first: date, stop: date) -> int:
    """Official working days in [first, stop), from the running totals of the years touched."""

    def before(day: date) -> int:
        return _official_running_total(day.year)[day.timetuple().tm_yday - 1]

    if first.year == stop.year:
        return before(stop) - before(first)
    count = _official_running_total(first.year)[-1] - before(first) + before(stop)
    return count + sum(_official_running_total(year)[-1] for year in range(first.year + 1, stop.year))


def days_between(start: date, end: date) -> list[Day]:
    return Calendar(start, end).days()


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SHANGHAI)


def _next_workday(cal: Calendar, day: date, *, include: bool, step: int = 1) -> date:
    """The first working day from `day` on (`include`: `day` itself may be it); `step=-1`:
    the last one before it."""
    candidate = day if include else day + timedelta(step)
    for _ in range(_MAX_SCAN_DAYS):
        if cal.day(candidate).workday:
            return candidate
        candidate += timedelta(step)
    raise ValueError(f"No working day within {_MAX_SCAN_DAYS} days of {day}")


def feedback_deadline(received_at: datetime, *, green_channel: bool) -> datetime:
    """When feedback is due for a request entering a tier at `received_at`.

    Ordinary requests: end of business of the next working day. Green channel: end of business
    of the same working day when received before the cut-off (noon), else noon of the next
    working day. A request received on a day off counts as received at the start of the next
    working day.
    """
    local = _local(received_at)
    cal = Calendar(local.date(), local.date() + timedelta(_MAX_SCAN_DAYS * 2))
    received_day = local.date()
    received_clock = local.timetz().replace(tzinfo=None)
    if not cal.day(received_day).workday:
        received_day = _next_workday(cal, received_day, include=False)
        received_clock = start_of_business()

    if green_channel:
        rules = policy()
        if received_clock < rules.green_channel_cutoff:
            return _at(received_day, rules.end_of_business)
        return _at(_next_workday(cal, received_day, include=False), rules.green_channel_late_due)
    return _at(_next_workday(cal, received_day, include=False), end_of_business())


def working_days_later(start: datetime, days: int) -> datetime:
    """End of business of the `days`-th working day after the day of `start` (a rectification
    opened on Monday with 5 working days is due the next Monday at 18:00; holidays and make-up
    working days as the official calendar has them)."""
    local = _local(start)
    cal = Calendar(local.date(), local.date() + timedelta(_MAX_SCAN_DAYS * 2 + days * 3))
    day = local.date()
    for _ in range(days):
        day = _next_workday(cal, day, include=False)
    return _at(day, end_of_business())


def day_of(day: date) -> Day:
    """One day of the calendar: official, or the admins' override."""
    return Calendar(day, day).day(day)


def start_of_working_day_before(moment: datetime) -> datetime:
    """Start of business of the last working day before the day of `moment` (a meeting on the
    Monday after a holiday week is reminded of on the last working day before the holiday)."""
    day = _local(moment).date()
    cal = Calendar(day - timedelta(_MAX_SCAN_DAYS), day)
    return _at(_next_workday(cal, day, include=False, step=-1), start_of_business())


def working_seconds_between(start: datetime, end: datetime) -> int:
    """Seconds of business hours (working days, start to end of business) between two moments."""
    if end <= start:
        return 0
    start_local, end_local = _local(start), _local(end)
    first, last = start_local.date(), end_local.date()
    cal = Calendar(first, last)
    opening, closing = start_of_business(), end_of_business()

    def within(day: date, since: datetime, until: datetime) -> float:
        if not cal.day(day).workday:
            return 0.0
        window_start, window_end = max(_at(day, opening), since), min(_at(day, closing), until)
        return max((window_end - window_start).total_seconds(), 0.0)

    if first == last:
        return int(within(first, start_local, end_local))
    total = within(first, start_local, end_local) + within(last, start_local, end_local)
    # The days between are whole working days or none.
    return int(total) + cal.workdays(first + timedelta(1), last) * working_day_seconds()


def working_seconds_left(due: datetime, now: datetime) -> int:
    """Business-hours seconds from `now` until `due`; once it has passed, the business-hours
    seconds since, negative (a weekend off after a Friday deadline adds nothing)."""
    if due >= now:
        return working_seconds_between(now, due)
    return -working_seconds_between(due, now)


def working_day_seconds() -> int:
    """The length of one working day, start to end of business."""
    opening, closing = start_of_business(), end_of_business()
    return (closing.hour * 3600 + closing.minute * 60) - (opening.hour * 3600 + opening.minute * 60)


def subtract_working_seconds(end: datetime, seconds: int) -> datetime:
    """The moment `seconds` of business hours before `end` (the reminder before a deadline)."""
    local = _local(end)
    cal = Calendar(local.date() - timedelta(_MAX_SCAN_DAYS * 2), local.date())
    opening, closing = start_of_business(), end_of_business()
    remaining = float(seconds)
    day = local.date()
    cursor = local
    for _ in range(_MAX_SCAN_DAYS * 2):
        if cal.day(day).workday:
            window_end = min(_at(day, closing), cursor)
            window_start = _at(day, opening)
            available = (window_end - window_start).total_seconds()
            if available >= remaining and available > 0:
                return window_end - timedelta(seconds=remaining)
            remaining -= max(available, 0)
        day -= timedelta(1)
        cursor = _at(day, closing)
    raise ValueError("Working-time span too long")
