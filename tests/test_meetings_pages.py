"""Consultation meetings on the pages: the request page's Meetings card for the officer (offer
times) and the enterprise (book one, ask for another time), the lost race shown with the next
free times, and the slots page (a slot, a weekly pattern over a holiday, withdrawing), each
refusal a form error or a message, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from apps.casework import actions as casework
from apps.meetings import actions, slots
from apps.meetings.models import Meeting, MeetingState, Slot

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)  # Monday 10:00, the week before National Day


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def client_for(users, who: str) -> Client:
    client = Client()
    client.force_login(users[who])
    return client


def publish(users, start="2026-09-23T14:00:00+08:00", who="officer_ps_msb", **more):
    return slots.publish_slot(actor=users[who], start=start, minutes=30, place="Room 301", **more)


def test_the_officer_offers_times_from_the_request_page(users, at_district):
    slot = publish(users)
    officer = client_for(users, "officer_ps_msb")
    page = officer.get(f"/requests/{at_district.pk}/").content.decode()
    assert "Offer a meeting" in page and "2026-09-23 14:00–14:30" in page
    sent = officer.post(f"/requests/{at_district.pk}/meetings/offer/", {"offer-slots": [slot.pk]})
    assert sent.status_code == 302 and sent["Location"].endswith("#meetings")
    meeting = Meeting.objects.get()
    assert list(meeting.slots.all()) == [slot]
    page = officer.get(sent["Location"]).content.decode()
    assert "Meeting offered" in page and "Offer a meeting" not in page, "one open meeting at a time"


def test_an_offer_without_a_time_is_a_form_error(users, at_district):
    officer = client_for(users, "officer_ps_msb")
    answer = officer.post(f"/requests/{at_district.pk}/meetings/offer/", {"offer-note": "Let us talk"})
    assert answer.status_code == 400
    assert "Choose at least one time to offer." in answer.content.decode()
    assert not Meeting.objects.exists()


def test_the_enterprise_books_a_time_and_the_card_says_when(users, at_district):
    slot = publish(users)
    meeting = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[slot.pk])
    enterprise = client_for(users, "ent_pregene")
    page = enterprise.get(f"/requests/{at_district.pk}/").content.decode()
    assert "Book this time" in page and "Ask for another time" in page
    sent = enterprise.post(f"/requests/{at_district.pk}/meetings/{meeting.pk}/book/", {"book-slot": slot.pk})
    assert sent.status_code == 302
    page = enterprise.get(sent["Location"]).content.decode()
    assert "Meeting booked for 2026-09-23 14:00–14:30" in page
    assert f"/api/v1/meetings/{meeting.pk}/ics" in page
    assert "Meeting 2026-09-23 14:00" in page, "on the tracker"


def test_the_lost_last_place_shows_the_next_free_times(users, at_district, make_request):
    last = publish(users)
    publish(users, start="2026-09-24T10:00:00+08:00")
    rival = casework.escalate(make_request("ent_ascentawits"), actor=users["liaison_sbip"], reason="Up")
    mine = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[last.pk])
    theirs = actions.offer(rival, actor=users["officer_ps_msb"], slots=[last.pk])
    actions.book(theirs, actor=users["ent_ascentawits"], slot=last.pk)
    answer = client_for(users, "ent_pregene").post(
        f"/requests/{at_district.pk}/meetings/{mine.pk}/book/", {"book-slot": last.pk}
    )
    assert answer.status_code == 409
    page = answer.content.decode()
    assert "Someone else has just taken the last place" in page
    assert "2026-09-24 10:00" in page
    assert Meeting.objects.get(pk=mine.pk).state == MeetingState.PROPOSED


def test_asking_for_another_time_needs_a_reason(users, at_district):
    slot = publish(users)
    meeting = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[slot.pk])
    enterprise = client_for(users, "ent_pregene")
    url = f"/requests/{at_district.pk}/meetings/{meeting.pk}/another_time/"
    assert enterprise.post(url, {"another_time-reason": ""}).status_code == 400
    assert enterprise.post(url, {"another_time-reason": "Away that week"}).status_code == 302
    assert Meeting.objects.get().state == MeetingState.ANOTHER_TIME


def test_outsiders_get_no_meeting_forms(users, at_district):
    meeting = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[publish(users).pk])
    answer = client_for(users, "ent_ascentawits").post(
        f"/requests/{at_district.pk}/meetings/{meeting.pk}/book/", {"book-slot": meeting.slots.get().pk}
    )
    assert answer.status_code == 404
    assert (
        client_for(users, "officer_ps_msb")
        .post(f"/requests/{at_district.pk}/meetings/{meeting.pk}/nonsense/")
        .status_code
        == 404
    )


# --- the slots page ----------------------------------------------------------------------------
def test_an_officer_publishes_a_slot_and_sees_it_in_the_week(users):
    officer = client_for(users, "officer_ps_msb")
    sent = officer.post(
        "/slots/",
        {
            "kind": "slot",
            "slot-day": "2026-09-23",
            "slot-start": "14:00",
            "slot-minutes": 30,
            "slot-capacity": 2,
            "slot-place": "Room 301",
        },
    )
    assert sent.status_code == 302
    week = officer.get("/slots/?week=2026-09-21").content.decode()
    assert "14:00–14:30" in week and "0 of 2 taken" in week


def test_a_slot_on_a_holiday_is_a_form_error(users):
    answer = client_for(users, "officer_ps_msb").post(
        "/slots/",
        {
            "kind": "slot",
            "slot-day": "2026-10-01",
            "slot-start": "10:00",
            "slot-minutes": 30,
            "slot-capacity": 1,
            "slot-place": "Room 301",
        },
    )
    assert answer.status_code == 400 and "2026-10-01 is not a working day" in answer.content.decode()
    assert not Slot.objects.exists()


def test_a_weekly_pattern_leaves_out_the_holiday_and_the_days_asked(users):
    answer = client_for(users, "officer_ps_msb").post(
        "/slots/",
        {
            "kind": "pattern",
            "pattern-weekdays": ["1", "3"],  # Tuesdays and Thursdays
            "pattern-first_day": "2026-09-22",
            "pattern-last_day": "2026-10-09",
            "pattern-day_start": "14:00",
            "pattern-day_end": "17:00",
            "pattern-minutes": 30,
            "pattern-capacity": 1,
            "pattern-place": "Room 301",
            "pattern-skip": "2026-09-24",
        },
        follow=True,
    )
    page = answer.content.decode()
    days = sorted({s.start.astimezone(UTC).date().isoformat() for s in Slot.objects.all()})
    # Tue 22 Sep, Tue 29 Sep, Thu 8 Oct; Thu 24 Sep asked off; 1 and 6 Oct are National Day.
    assert days == ["2026-09-22", "2026-09-29", "2026-10-08"]
    assert Slot.objects.count() == 18, "six 30-minute slots a day"
    assert "18 slots published" in page and "2026-10-01" in page and "2026-09-24 (as asked)" in page


def test_a_pattern_over_taken_times_publishes_the_rest(users):
    publish(users, start="2026-09-22T14:00:00+08:00")
    result = slots.publish_pattern(
        actor=users["officer_ps_msb"],
        weekdays=["1"],
        first_day=datetime(2026, 9, 22).date(),
        last_day=datetime(2026, 9, 22).date(),
        day_start=datetime(2026, 1, 1, 14, 0).time(),
        day_end=datetime(2026, 1, 1, 15, 0).time(),
        minutes=30,
        place="Room 301",
    )
    assert len(result.published) == 1 and "1 times already taken" in result.skipped[0]


def test_withdrawing_a_free_slot(users):
    slot = publish(users)
    officer = client_for(users, "officer_ps_msb")
    assert officer.post("/slots/", {"kind": "withdraw", "slot": slot.pk}).status_code == 302
    assert Slot.objects.get().cancelled_at is not None


def test_enterprise_staff_have_no_slots_page(users):
    assert client_for(users, "ent_pregene").get("/slots/").status_code == 404


def test_the_week_starts_on_monday_whatever_day_is_asked(users, clock):
    clock.move_to(NOW + timedelta(days=2))
    page = client_for(users, "officer_ps_msb").get("/slots/?week=2026-09-24").content.decode()
    assert "Week of 2026-09-21" in page


def test_a_past_free_slot_offers_no_withdrawal_and_the_days_read_alike_in_chinese(users, clock):
    past, coming = publish(users), publish(users, start="2026-09-24T10:00:00+08:00")
    clock.move_to(datetime(2026, 9, 23, 7, 0, tzinfo=UTC))  # Wednesday 15:00: its 14:00 slot is past
    officer = client_for(users, "officer_ps_msb")
    page = officer.get("/slots/?week=2026-09-21").content.decode()
    withdrawals = page.count('name="kind" value="withdraw"')
    assert withdrawals == 1 and f'name="slot" value="{coming.pk}"' in page
    assert f'name="slot" value="{past.pk}"' not in page
    chinese = officer.get("/slots/?week=2026-09-21", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "周三 2026-09-23" in chinese and "周六 2026-09-26" in chinese and "星期" not in chinese
