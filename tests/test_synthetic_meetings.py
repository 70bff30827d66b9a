"""The synthetic seed's consultation meetings (apps/meetings/synthetic.py): about one filed
request in five has one, consistent with the rules of apps/meetings (slots on the working
calendar, the booking as the tier's feedback, one place a booking, reminders once), so that the
figures, the pages and the benchmark have meetings at any scale."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from apps.casework import synthetic
from apps.casework.models import EventKind, RequestEvent, ServiceRequest, State
from apps.deadlines import calendar
from apps.deadlines.models import TierVisit
from apps.deadlines.scan import scan
from apps.meetings import synthetic as meeting_seed
from apps.meetings.models import Meeting, MeetingState, Slot
from apps.organizations.models import User
from apps.stats import figures

pytestmark = pytest.mark.django_db

REQUESTS = 2500
TAKING_A_PLACE = [MeetingState.BOOKED, MeetingState.HELD, MeetingState.NO_SHOW]


# Three minutes after an hour reminder fell due (a 15:00 meeting's, on a working Friday): the
# seed has recorded it as sent, as a scan a little late would have.
JUST_AFTER_A_REMINDER = datetime(2026, 12, 4, 14, 3, tzinfo=calendar.SHANGHAI)


@pytest.fixture(
    params=[False, True], ids=["indexes kept, now", "indexes rebuilt after, just after a reminder"]
)
def seeded(request, monkeypatch):
    with contextlib.ExitStack() as stack:
        if request.param:
            monkeypatch.setattr(synthetic, "DEFER_INDEXES_FROM", 1)
            stack.enter_context(time_machine.travel(JUST_AFTER_A_REMINDER, tick=True))
        call_command("seed_demo", "--bare", stdout=open("/dev/null", "w"))  # noqa: SIM115
        call_command("seed_demo", "--requests", str(REQUESTS), stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield timezone.now()


def test_about_one_filed_request_in_five_has_a_meeting_with_a_tier_it_visited(seeded):
    filed = ServiceRequest.objects.exclude(state=State.DRAFT).count()
    meetings = Meeting.objects.count()
    assert 0.15 * filed < meetings < 0.25 * filed
    assert not ServiceRequest.objects.annotate(n=Count("meetings")).filter(n__gt=1).exists()
    visited = set(TierVisit.objects.values_list("request_id", "tier", "authority_id"))
    assert all(key in visited for key in Meeting.objects.values_list("request_id", "tier", "authority_id"))
    states = Counter(Meeting.objects.values_list("state", flat=True))
    assert states[MeetingState.HELD] > states[MeetingState.CANCELLED] > 0
    assert all(states[state] for state in (MeetingState.BOOKED, MeetingState.PROPOSED, MeetingState.NO_SHOW))


def test_every_slot_is_a_half_hour_of_a_working_day_with_one_place_a_booking(seeded):
    starts = set()
    for slot in Slot.objects.annotate(
        taken=Count("meetings", filter=Q(meetings__state__in=TAKING_A_PLACE))
    ).iterator():
        local = timezone.localtime(slot.start)
        starts.add(local.date())
        assert local.time() in meeting_seed.HALF_HOURS and slot.minutes == meeting_seed.MINUTES
        assert slot.booked == slot.taken <= slot.capacity
        assert slot.host.organization_id == slot.organization_id
    assert all(calendar.day_of(day).workday for day in starts)
    # Two slots of one host never overlap: one a half-hour.
    assert not Slot.objects.values("host", "start").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_a_booking_was_the_tiers_feedback_and_its_meeting_came_days_after_the_filing(seeded):
    for meeting in Meeting.objects.filter(state__in=TAKING_A_PLACE).select_related("slot")[:300]:
        visit = TierVisit.objects.get(request_id=meeting.request_id, tier=meeting.tier)
        assert meeting.booked_at == visit.feedback_at
        assert meeting.slot.start == meeting.starts_at > meeting.booked_at
        first = TierVisit.objects.filter(request_id=meeting.request_id).order_by("started_at")[0]
        assert meeting.wait_hours == int((meeting.starts_at - first.started_at).total_seconds() // 3600)
        assert meeting.slot.organization_id == meeting.organization_id


def test_a_meeting_not_yet_booked_waits_on_a_tier_whose_clock_still_runs(seeded):
    proposed = Meeting.objects.filter(state=MeetingState.PROPOSED).select_related("request")
    assert proposed.exists()
    for meeting in proposed:
        assert meeting.request.tier == meeting.tier and meeting.request.feedback_due_at is not None
        times = list(meeting.slots.all())
        assert times and all(slot.start > seeded and slot.free > 0 for slot in times)


def test_held_meetings_have_minutes_after_their_start_and_the_timeline_tells_each_step(seeded):
    held = Meeting.objects.filter(state=MeetingState.HELD)
    assert not held.filter(
        Q(minutes="") | Q(outcome="") | Q(minutes_at__lt=timezone.now() - timedelta(days=400))
    ).exists()
    assert all(m.minutes_at >= m.ends_at for m in held[:200])
    expected = {
        MeetingState.HELD: [EventKind.MEETING_OFFERED, EventKind.MEETING_BOOKED, EventKind.MEETING_HELD],
        MeetingState.NO_SHOW: [
            EventKind.MEETING_OFFERED,
            EventKind.MEETING_BOOKED,
            EventKind.MEETING_NO_SHOW,
        ],
        MeetingState.PROPOSED: [EventKind.MEETING_OFFERED],
    }
    for state, kinds in expected.items():
        meeting = Meeting.objects.filter(state=state).first()
        events = RequestEvent.objects.filter(request_id=meeting.request_id, kind__startswith="meeting_")
        assert list(events.order_by("created_at", "id").values_list("kind", flat=True)) == kinds
        assert all(event.display_text for event in events), "each reads from its details"


def test_the_scan_sends_only_the_coming_reminders_each_once(seeded):
    assert scan(seeded).meeting_reminders == 0, "reminders before now were sent already"
    upcoming = Meeting.objects.filter(state=MeetingState.BOOKED, starts_at__gt=seeded)
    assert upcoming.exists()
    later = max(upcoming.values_list("starts_at", flat=True)) - timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        assert scan(later).meeting_reminders > 0
        assert scan(later).meeting_reminders == 0
    assert not Meeting.objects.filter(pk__in=upcoming, reminded_hour_at=None).exists()


def test_the_days_to_a_meeting_figure_reads_the_seeded_meetings(seeded):
    report = figures._compute(
        User.objects.get(username="admin"), since=seeded - timedelta(days=400), until=seeded
    )
    met = Meeting.objects.filter(state__in=TAKING_A_PLACE, proposed_at__lt=seeded)
    hours = sorted(met.values_list("wait_hours", flat=True))
    assert report.total.meetings == Meeting.objects.filter(proposed_at__lt=seeded).count()
    assert report.total.median_days_to_meeting == round(hours[(len(hours) + 1) // 2 - 1] / 24, 1)
    assert report.slots_total.taken == sum(
        Slot.objects.filter(start__lt=seeded).values_list("booked", flat=True)
    )
