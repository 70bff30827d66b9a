"""Publishing a consultation slot and taking one of its places: the rules of the working
calendar (apps.deadlines.calendar), the host's other slots, and one winner for the last place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.casework.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from apps.casework.models import Category
from apps.deadlines import calendar
from apps.organizations.models import Role, User

from .models import Slot

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
MAX_CAPACITY = 50
PLACE_MAX_LENGTH = 300
# Roles that hold meetings: officers and supervisors of an authority, liaisons of a park.
HOSTS = (Role.OFFICER, Role.SUPERVISOR, Role.LIAISON)


def _refused(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={field: [message]})


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refused(field, _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return value


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        value = parsed
    if not isinstance(value, datetime):
        raise _refused("start", _("A date and time (ISO 8601), e.g. 2026-12-08T14:00:00+08:00."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # the portal's time zone, Asia/Shanghai
    return value


def check_may_host(actor: User) -> int:
    """The organisation whose slots the actor publishes (their own), or NotPermitted."""
    if actor.role not in HOSTS or actor.organization_id is None:
        raise NotPermitted(_("Officers, supervisors and park liaisons publish consultation slots."))
    return int(actor.organization_id)


def publish_slot(
    *, actor: User, start: Any, minutes: Any, capacity: Any = 1, place: Any, categories: Any = ()
) -> Slot:
    """A slot of the actor's organisation, hosted by the actor: in the future, on a working
    day of the official calendar (a make-up Saturday counts, a holiday does not), within that
    day, and clear of the actor's other slots."""
    organization_id = check_may_host(actor)
    begins = _moment(start)
    length = _whole(minutes, "minutes", MIN_MINUTES, MAX_MINUTES)
    places = _whole(capacity, "capacity", 1, MAX_CAPACITY)
    where = place.strip() if isinstance(place, str) else ""
    if not where or len(where) > PLACE_MAX_LENGTH:
        raise _refused(
            "place", _("Say where (a room, an address or a video link), in at most 300 characters.")
        )
    topics = list(categories or [])
    if any(topic not in Category.values for topic in topics):
        raise _refused(
            "categories",
            _("Topics are request categories: %(choices)s.") % {"choices": ", ".join(Category.values)},
        )
    ends = begins + timedelta(minutes=length)
    if begins <= timezone.now():
        raise _refused("start", _("A slot starts in the future."))
    local_start, local_end = timezone.localtime(begins), timezone.localtime(ends)
    if local_start.date() != local_end.date():
        raise _refused("minutes", _("A slot ends on the day it starts."))
    day = calendar.day_of(local_start.date())
    if not day.workday:
        raise _refused(
            "start",
            _("%(date)s is not a working day (%(name)s): choose a working day.")
            % {"date": local_start.date().isoformat(), "name": day.name or _("weekend")},
        )
    with transaction.atomic():
        # The host's own slots, taken in turn: two overlapping publications cannot both pass.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        clash = Slot.objects.filter(host=actor, cancelled_at=None, start__lt=ends, end__gt=begins).first()
        if clash is not None:
            raise _refused(
                "start",
                _("You already have a slot from %(start)s to %(end)s.")
                % {
                    "start": timezone.localtime(clash.start).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(clash.end).strftime("%H:%M"),
                },
            )
        return Slot.objects.create(
            organization_id=organization_id,
            host=actor,
            start=begins,
            end=ends,
            capacity=places,
            place=where,
            categories=topics,
        )


def free(after: datetime | None = None) -> Q:
    """A slot that can still be booked: not withdrawn, not begun (by `after`, default now),
    with a place left."""
    return Q(cancelled_at=None, start__gt=after or timezone.now(), booked__lt=F("capacity"))


def take_place(slot: Slot) -> bool:
    """Take one place of the slot: True for the one who got it, False when it was full (or
    cancelled, or begun) by the time they asked. A conditional update: of two bookings of the
    last place, exactly one wins."""
    taken = Slot.objects.filter(free(), pk=slot.pk).update(booked=F("booked") + 1)
    return taken == 1


def give_back_place(slot: Slot) -> None:
    Slot.objects.filter(pk=slot.pk, booked__gt=0).update(booked=F("booked") - 1)


def free_slots(organization_id: int, *, after: datetime | None = None, limit: int = 5) -> list[Slot]:
    """The next slots of an organisation with a place left, soonest first."""
    return list(
        Slot.objects.filter(free(after), organization_id=organization_id).order_by("start", "pk")[:limit]
    )


def cancel_slot(slot: Slot, *, actor: User) -> Slot:
    """Withdraw a slot nobody has booked (a booked one is freed by cancelling its meetings,
    each with a reason the enterprise hears)."""
    if not (actor.is_superuser or (actor.role in HOSTS and actor.organization_id == slot.organization_id)):
        raise NotPermitted(_("Only the staff of the slot's organisation withdraw it."))
    if slot.cancelled_at is not None:
        raise TransitionNotAllowed(_("This slot is withdrawn already."))
    now = timezone.now()
    if slot.start <= now:
        raise TransitionNotAllowed(_("This slot has begun or is past: there is nothing to withdraw."))
    withdrawn = Slot.objects.filter(pk=slot.pk, cancelled_at=None, booked=0, start__gt=now).update(
        cancelled_at=now
    )
    if not withdrawn:
        raise TransitionNotAllowed(
            _("This slot has bookings: cancel those meetings first, each with a reason to the enterprise."),
            code="slot_booked",
        )
    slot.refresh_from_db()
    return slot


MAX_PATTERN_DAYS = 92
MAX_PATTERN_SLOTS = 400


@dataclass
class PatternResult:
    published: list[Slot] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "2026-10-01 (National Day)", in words


def publish_pattern(
    *,
    actor: User,
    weekdays: Any,
    first_day: date,
    last_day: date,
    day_start: time,
    day_end: time,
    minutes: Any,
    capacity: Any = 1,
    place: Any,
    categories: Any = (),
    skip: Any = "",
) -> PatternResult:
    """A recurring pattern ("Tuesdays and Thursdays 14:00–17:00 in 30-minute slots") over a span
    of days, all at once or nothing: each slot by `publish_slot`'s rules. Days off (holidays,
    the admins' closures), the days given as exceptions and times already taken by the actor's
    own slots are left out and said; a day in the past is left out too."""
    check_may_host(actor)
    days_wanted = {int(day) for day in weekdays or () if str(day).isdigit() and 0 <= int(day) <= 6}
    if not days_wanted:
        raise _refused("weekdays", _("Choose the days of the week."))
    if last_day < first_day or (last_day - first_day).days >= MAX_PATTERN_DAYS:
        raise _refused("last_day", _("The last day comes after the first, within 92 days."))
    length = _whole(minutes, "minutes", MIN_MINUTES, MAX_MINUTES)
    if day_end <= day_start:
        raise _refused("day_end", _("The day's last slot ends after its first begins."))
    excepted: set[date] = set()
    for word in str(skip or "").replace("，", ",").replace(";", ",").split(","):
        if word.strip():
            try:
                excepted.add(date.fromisoformat(word.strip()))
            except ValueError:
                raise _refused("skip", _("Dates as YYYY-MM-DD, separated by commas.")) from None
    result = PatternResult()
    now = timezone.now()
    with transaction.atomic():
        day = first_day
        while day <= last_day:
            if day.weekday() in days_wanted:
                named = calendar.day_of(day)
                if day in excepted:
                    result.skipped.append(_("%(date)s (as asked)") % {"date": day.isoformat()})
                elif not named.workday:
                    result.skipped.append(f"{day.isoformat()} ({named.name or _('day off')})")
                else:
                    _publish_day(
                        actor, day, day_start, day_end, length, capacity, place, categories, now, result
                    )
            day += timedelta(days=1)
        if len(result.published) > MAX_PATTERN_SLOTS:
            raise _refused("minutes", _("At most 400 slots at once: a shorter span or longer slots."))
        if not result.published:
            raise _refused("weekdays", _("No slot fits: every day chosen is off, past or taken."))
    return result


def _publish_day(
    actor: User,
    day: date,
    day_start: time,
    day_end: time,
    length: int,
    capacity: Any,
    place: Any,
    categories: Any,
    now: datetime,
    result: PatternResult,
) -> None:
    zone = timezone.get_current_timezone()
    begins = datetime.combine(day, day_start, tzinfo=zone)
    closes = datetime.combine(day, day_end, tzinfo=zone)
    taken = 0
    while begins + timedelta(minutes=length) <= closes:
        if begins > now:
            try:
                result.published.append(
                    publish_slot(
                        actor=actor,
                        start=begins,
                        minutes=length,
                        capacity=capacity,
                        place=place,
                        categories=categories,
                    )
                )
            except InvalidInput as refusal:
                if "start" not in refusal.fields:
                    raise  # the place, the capacity, the topics: the whole pattern is wrong
                taken += 1
        begins += timedelta(minutes=length)
    if taken:
        result.skipped.append(
            _("%(date)s: %(count)d times already taken") % {"date": day.isoformat(), "count": taken}
        )
