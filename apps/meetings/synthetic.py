"""Consultation meetings for the synthetic requests (`seed_demo --requests N`, through
apps/casework/synthetic.py): about one filed request in five has a meeting with a tier it
visited, as the actions would have left it (apps/meetings/actions.py).

- A tier that answered the request offered its meeting during the visit and the enterprise
  booked it at the moment of the tier's feedback (a booking is the feedback); the meeting starts
  one to seven working days later in a half-hour of the unit's calendar. Meetings that have
  started were mostly held (minutes and an outcome), a few missed or called off before the
  notice; the rest are booked and still to come.
- A tier still waiting to answer has a meeting offered (two free times of the coming days) that
  the enterprise has not booked yet.

Each unit's slots are its host's half-hours, one slot a half-hour and as many places as were
booked in it (now and then one more, free): `finish()` counts them once every meeting is in.
Reminders before now are recorded as sent, so that the deadline scan starts with only the
coming days' reminders to send.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max

from apps.casework import seed_rows
from apps.casework.models import EventKind, RequestEvent
from apps.deadlines import calendar
from apps.organizations.models import Organization, User

from .actions import hour_before, wait_hours
from .models import Meeting, MeetingState, Outcome, Slot
from .slots import HOSTS

# Of the requests filed, those with a meeting (200,000 of a million).
SHARE = 0.2
MINUTES = 30
# The half-hours a unit meets in: mornings 9:00–12:00 and afternoons 14:00–17:00.
HALF_HOURS = [time(hour, minute) for hour in (9, 10, 11, 14, 15, 16) for minute in (0, 30)]
# Working days from the booking to the meeting: most within the week.
_DAYS_AHEAD = [1, 2, 3, 4, 5, 7]
_DAYS_WEIGHTS = [22, 30, 20, 12, 10, 6]
_OUTCOMES = [Outcome.RESOLVED, Outcome.FOLLOW_UP, Outcome.ESCALATE]
_OUTCOME_WEIGHTS = [55, 35, 10]
_MINUTES = [
    "Walked through the filing route; the enterprise sends the revised protocol synopsis.",
    "Agreed the testing plan; the bureau confirms the sample numbers in writing.",
    "会上明确了申报路径，企业补充资料后提交。",
    "现场核查事项已逐条说明，企业按清单整改。",
]
_CANCEL_REASONS = [
    "The question was answered in writing meanwhile.",
    "Our project lead is travelling that day.",
    "已通过书面答复解决，无需开会。",
]
_SCAN_LAG = timedelta(minutes=4)

MEETING_COLUMNS = [
    "id",
    "request_id",
    "tier",
    "authority_id",
    "organization_id",
    "state",
    "slot_id",
    "starts_at",
    "ends_at",
    "wait_hours",
    "proposed_by_id",
    "proposed_at",
    "note",
    "booked_by_id",
    "booked_at",
    "reason",
    "closed_by_id",
    "closed_at",
    "minutes",
    "outcome",
    "minutes_internal",
    "minutes_by_id",
    "minutes_at",
    "remind_day_at",
    "reminded_day_at",
    "remind_hour_at",
    "reminded_hour_at",
    "sequence",
]
SLOT_COLUMNS = [
    "id",
    "organization_id",
    "host_id",
    "start",
    "end",
    "capacity",
    "booked",
    "place",
    "categories",
    "cancelled_at",
    "created_at",
]
OFFER_COLUMNS = ["id", "meeting_id", "slot_id"]
# Where a visit row of the request seed keeps what a meeting needs (its column order).
_VISIT_TIER, _VISIT_STARTED, _VISIT_FEEDBACK, _VISIT_AUTHORITY, _VISIT_DEPARTMENT = 1, 3, 6, 14, 15
# And an event row: its moment and the state it left the request in.
_EVENT_AT, _EVENT_TO_STATE = 2, 4


class SyntheticMeetings:
    """Gathers the meetings, slots, offers and meeting events of a batch of synthetic requests;
    `take()` hands them over to insert after the requests, `finish()` counts the slots' places."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed + 2)
        self.now = now
        # One host a unit: its first officer, supervisor or liaison (a unit without staff holds
        # no meetings).
        self.hosts: dict[int, int] = {}
        for user_id, org_id in (
            User.objects.filter(role__in=HOSTS, is_active=True, organization__isnull=False)
            .order_by("pk")
            .values_list("pk", "organization_id")
        ):
            self.hosts.setdefault(org_id, user_id)
        self.places = {
            pk: f"Consultation room, {name}"
            for pk, name in Organization.objects.filter(pk__in=self.hosts).values_list("pk", "name")
        }
        self.first_slot = (Slot.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_slot = self.first_slot
        self.next_meeting = (Meeting.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_offer = (Meeting.slots.through.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        # (unit, start) → the slot's id, across batches: a half-hour is one slot.
        self.slot_ids: dict[tuple[int, datetime], int] = {}
        self.days_ahead: dict[tuple[date, int], date] = {}
        self.day_before: dict[date, datetime] = {}
        self.meetings: list[list[Any]] = []
        self.slots: list[list[Any]] = []
        self.offers: list[list[Any]] = []
        self.events: list[list[Any]] = []

    # --- the calendar, memoised: a million requests ask it about a few hundred days ---------------
    def _working_day(self, moment: datetime, ahead: int) -> date:
        key = (moment.astimezone(calendar.SHANGHAI).date(), ahead)
        if key not in self.days_ahead:
            self.days_ahead[key] = calendar.working_days_later(moment, ahead).date()
        return self.days_ahead[key]

    def _reminder_day(self, start: datetime) -> datetime:
        day = start.astimezone(calendar.SHANGHAI).date()
        if day not in self.day_before:
            self.day_before[day] = calendar.start_of_working_day_before(start)
        return self.day_before[day]

    def _slot(self, unit: int, start: datetime, created: datetime) -> tuple[int, dict[str, Any]]:
        """The unit's slot of that half-hour (made on first use), and its time and place."""
        key = (unit, start)
        end = start + timedelta(minutes=MINUTES)
        if key not in self.slot_ids:
            self.slot_ids[key] = slot_id = self.next_slot
            self.next_slot += 1
            self.slots.append(
                [slot_id, unit, self.hosts[unit], start, end, 1, 0, self.places[unit], "[]", None, created]
            )
        where = {"start": start.isoformat(), "end": end.isoformat(), "place": self.places[unit]}
        return self.slot_ids[key], where

    def _time(self, after: datetime) -> datetime:
        day = self._working_day(after, self.rng.choices(_DAYS_AHEAD, _DAYS_WEIGHTS)[0])
        return datetime.combine(day, self.rng.choice(HALF_HOURS), tzinfo=calendar.SHANGHAI)

    # --- one request -------------------------------------------------------------------------------
    def for_request(
        self,
        request: dict[str, Any],
        events: list[list[Any]],
        visits: list[list[Any]],
        people: list[int],
        next_event: int,
    ) -> int:
        """Perhaps a meeting for the request (its own events and visits as the seed wrote them;
        `people`: the enterprise's staff, or its liaisons, who book). Returns the next free event
        id."""
        rng = self.rng
        held_by = [v for v in visits if (v[_VISIT_DEPARTMENT] or v[_VISIT_AUTHORITY]) in self.hosts]
        if not held_by or not people or rng.random() >= SHARE:
            return next_event
        visit = rng.choice(held_by)
        unit = visit[_VISIT_DEPARTMENT] or visit[_VISIT_AUTHORITY]
        host, guest = self.hosts[unit], rng.choice(people)
        started, answered = visit[_VISIT_STARTED], visit[_VISIT_FEEDBACK]
        meeting_id = self.next_meeting
        self.next_meeting += 1
        values: dict[str, Any] = dict.fromkeys(MEETING_COLUMNS)
        values.update(
            id=meeting_id,
            request_id=request["id"],
            tier=visit[_VISIT_TIER],
            authority_id=visit[_VISIT_AUTHORITY],
            organization_id=unit,
            proposed_by_id=host,
            note="",
            reason="",
            minutes="",
            outcome="",
            minutes_internal=False,
            sequence=1,
        )

        def event(
            kind: str, moment: datetime, actor: int | None, details: dict[str, Any], text: str = ""
        ) -> None:
            nonlocal next_event
            # The request's state as it was: a booking at the moment of the tier's answer comes
            # before the answer's own transition.
            state = next((e[_EVENT_TO_STATE] for e in reversed(events) if e[_EVENT_AT] < moment), "")
            self.events.append(
                seed_rows.detailed_event(
                    next_event,
                    kind,
                    moment,
                    state,
                    values["tier"],
                    actor,
                    request["id"],
                    {"meeting": meeting_id, **details},
                    text=text,
                )
            )
            next_event += 1

        if answered is None:
            # Still waiting on the tier: it has offered two of the coming days' times.
            offered_at = started + (self.now - started) * rng.uniform(0.1, 0.9)
            times = sorted({self._time(self.now) for _ in range(2)})
            offered = [self._slot(unit, start, offered_at) for start in times]
            values.update(state=MeetingState.PROPOSED, proposed_at=offered_at)
            event(EventKind.MEETING_OFFERED, offered_at, host, {"times": [where for _id, where in offered]})
        else:
            offered_at = started + (answered - started) * rng.uniform(0.2, 0.8)
            start = self._time(answered)
            slot_id, where = self._slot(unit, start, offered_at)
            offered = [(slot_id, where)]
            day_before = self._reminder_day(start)
            values.update(
                state=MeetingState.BOOKED,
                proposed_at=offered_at,
                slot_id=slot_id,
                starts_at=start,
                ends_at=start + timedelta(minutes=MINUTES),
                wait_hours=wait_hours(visits[0][_VISIT_STARTED], start),
                booked_by_id=guest,
                booked_at=answered,
                remind_day_at=day_before,
                reminded_day_at=answered if day_before <= answered else None,
                remind_hour_at=hour_before(start),
                sequence=2,
            )
            event(EventKind.MEETING_OFFERED, offered_at, host, {"times": [where]})
            event(EventKind.MEETING_BOOKED, answered, guest, where)
            self._after_booking(values, start, where, host, guest, event)
            for which in ("day", "hour"):
                # Every reminder due before now went out (a scan a few minutes late), so that
                # the scan run straight after the seed finds none to send.
                due, until = values[f"remind_{which}_at"], min(self.now, values["closed_at"] or self.now)
                if values[f"reminded_{which}_at"] is None and due <= until:
                    values[f"reminded_{which}_at"] = min(due + _SCAN_LAG, until)
        for slot_id, _where in offered:
            self.offers.append([self.next_offer, meeting_id, slot_id])
            self.next_offer += 1
        self.meetings.append([values[column] for column in MEETING_COLUMNS])
        return next_event

    def _after_booking(
        self,
        values: dict[str, Any],
        start: datetime,
        where: dict[str, Any],
        host: int,
        guest: int,
        event: Any,
    ) -> None:
        """Held, missed, called off, or still to come."""
        rng, now = self.rng, self.now
        roll = rng.random()
        notice = start - timedelta(hours=4)
        if roll < 0.07 and values["booked_at"] < notice:
            when = values["booked_at"] + (min(notice, now) - values["booked_at"]) * rng.uniform(0.1, 0.9)
            reason = rng.choice(_CANCEL_REASONS)
            by = rng.choice([host, guest])
            values.update(
                state=MeetingState.CANCELLED, reason=reason, closed_by_id=by, closed_at=when, sequence=3
            )
            event(EventKind.MEETING_CANCELLED, when, by, where, reason)
            return
        over = start + timedelta(minutes=MINUTES)
        if over > now or roll > 0.98:
            return  # to come, or its minutes not written yet
        if roll < 0.12:
            when = min(over + timedelta(minutes=30), now)
            values.update(state=MeetingState.NO_SHOW, closed_by_id=host, closed_at=when, sequence=3)
            event(EventKind.MEETING_NO_SHOW, when, host, {**where, "note": ""})
            return
        when = min(over + timedelta(hours=rng.uniform(0.2, 30)), now)
        minutes = rng.choice(_MINUTES)
        outcome = rng.choices(_OUTCOMES, _OUTCOME_WEIGHTS)[0]
        values.update(
            state=MeetingState.HELD,
            minutes=minutes,
            outcome=outcome,
            minutes_by_id=host,
            minutes_at=when,
            sequence=3,
        )
        event(EventKind.MEETING_HELD, when, host, {**where, "outcome": outcome, "minutes": minutes}, minutes)

    # --- writing -------------------------------------------------------------------------------------
    def take(self) -> list[seed_rows.Table]:
        """What was gathered, to insert after the requests it refers to: slots, meetings, the
        times each offered, their events."""
        tables: list[seed_rows.Table] = [
            (Slot._meta.label, SLOT_COLUMNS, self.slots),
            (Meeting._meta.label, MEETING_COLUMNS, self.meetings),
            (Meeting.slots.through._meta.label, OFFER_COLUMNS, self.offers),
            (RequestEvent._meta.label, seed_rows.DETAILED_EVENT_COLUMNS, self.events),
        ]
        self.meetings, self.slots, self.offers, self.events = [], [], [], []
        return tables

    def finish(self) -> None:
        """Each slot made here gets its places: as many as were booked in it (a place of a
        meeting called off is free again), plus one free in a slot offered to a meeting not yet
        booked and in one slot out of four."""
        slot, meeting = Slot._meta.db_table, Meeting._meta.db_table
        offer = Meeting.slots.through._meta.db_table
        booked = [MeetingState.BOOKED, MeetingState.HELD, MeetingState.NO_SHOW]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {slot} SET booked = taken.n, capacity = taken.n + 1 "
                f"FROM (SELECT slot_id, COUNT(*) AS n FROM {meeting} WHERE slot_id >= %s AND state IN "
                f"(%s, %s, %s) GROUP BY slot_id) AS taken WHERE {slot}.id = taken.slot_id",
                [self.first_slot, *booked],
            )
            # The free place was for those two kinds only: the others are as full as booked.
            cursor.execute(
                f"UPDATE {slot} SET capacity = booked WHERE id >= %s AND booked > 0 AND id %% 4 <> 0 "
                f"AND NOT EXISTS (SELECT 1 FROM {offer} o JOIN {meeting} m ON m.id = o.meeting_id "
                f"WHERE o.slot_id = {slot}.id AND m.state = %s)",
                [self.first_slot, MeetingState.PROPOSED],
            )
