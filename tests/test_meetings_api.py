"""Consultation meetings over HTTP, as the contract gives them: `/api/v1/slots/`,
`/api/v1/requests/{id}/meetings/`, `/api/v1/meetings/{id}/…`. Bad input is a 400 with a message
per field and saves nothing; a full slot a 409 with the next free times; what the caller may
not see a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.casework import actions as casework
from apps.meetings.models import Meeting, MeetingState, Slot

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def new_slot(api, start="2026-12-09T14:00:00+08:00", who="officer_ps_msb", **more):
    return api(who).post(
        "/api/v1/slots/", {"start": start, "minutes": 30, "place": "Room 301", **more}, format="json"
    )


def test_an_officer_publishes_slots_and_lists_a_week_of_them(api):
    assert new_slot(api).status_code == 201
    assert new_slot(api, start="2026-12-14T09:30:00+08:00", capacity=4).status_code == 201
    week = api("officer_ps_msb").get("/api/v1/slots/", {"start": "2026-12-07", "end": "2026-12-11"}).json()
    assert [(s["start"], s["minutes"], s["capacity"], s["booked"]) for s in week["results"]] == [
        ("2026-12-09T14:00:00+08:00", 30, 1, 0)
    ]
    assert api("officer_ps_msb").get("/api/v1/slots/").json()["count"] == 2


@pytest.mark.parametrize(
    ("start", "field", "words"),
    [
        ("2026-12-04T14:00:00+08:00", "start", "future"),
        ("2026-12-18T10:00:00+08:00", "start", "District closure"),  # an admin's day off
        ("2026-12-12T10:00:00+08:00", "start", "not a working day"),  # a Saturday
        ("Wednesday afternoon", "start", "ISO 8601"),
    ],
)
def test_a_slot_off_the_calendar_is_a_field_error_and_nothing_is_saved(api, start, field, words):
    from apps.deadlines.models import CalendarOverride

    CalendarOverride.objects.create(date="2026-12-18", workday=False, name="District closure")
    answer = new_slot(api, start=start)
    assert answer.status_code == 400, answer.content
    assert words in answer.json()[field][0]
    assert not Slot.objects.exists()


def test_an_overlapping_slot_of_the_same_officer_is_refused(api):
    new_slot(api)
    answer = new_slot(api, start="2026-12-09T14:15:00+08:00")
    assert answer.status_code == 400 and "already have a slot" in answer.json()["start"][0]
    assert new_slot(api, start="2026-12-09T14:15:00+08:00", who="officer_ps_msb2").status_code == 201


@pytest.mark.parametrize("bad", [{"minutes": 5}, {"minutes": "half an hour"}, {"capacity": 0}, {"place": ""}])
def test_bad_slot_values_are_field_errors(api, bad):
    answer = new_slot(api, **bad)
    assert answer.status_code == 400 and set(bad) <= set(answer.json())
    assert not Slot.objects.exists()


def test_enterprise_staff_publish_no_slots(api):
    assert new_slot(api, who="ent_pregene").status_code == 403


def offer(api, request_id, slots, who="officer_ps_msb"):
    return api(who).post(f"/api/v1/requests/{request_id}/meetings/", {"slots": slots}, format="json")


def test_the_whole_way_over_http(api, at_district, clock):
    slot = new_slot(api).json()
    offered = offer(api, at_district.pk, [slot["id"]])
    assert offered.status_code == 201 and offered.json()["state"] == "proposed"
    meeting = offered.json()["id"]
    # The enterprise sees the time offered, and whether it is free, not how many booked it.
    seen = api("ent_pregene").get(f"/api/v1/meetings/{meeting}/").json()
    assert seen["slots"][0]["free"] == 1 and "booked" not in seen["slots"][0]
    assert api("ent_pregene").get(f"/api/v1/meetings/{meeting}/ics").status_code == 409, "not booked yet"
    booked = api("ent_pregene").post(f"/api/v1/meetings/{meeting}/book/", {"slot": slot["id"]}, format="json")
    assert booked.status_code == 200 and booked.json()["state"] == "booked"
    assert api("ent_pregene").get(f"/api/v1/requests/{at_district.pk}/").json()["feedback_due_at"] is None
    assert api("ent_pregene").get(booked.json()["ics_url"]).status_code == 200
    clock.move_to(NOW + timedelta(days=2, hours=5))
    minutes = {"body": "Agreed: file the amendment", "outcome": "follow_up"}
    assert (
        api("officer_ps_msb").post(f"/api/v1/meetings/{meeting}/minutes/", minutes, format="json").status_code
        == 200
    )
    listed = api("ent_pregene").get(f"/api/v1/requests/{at_district.pk}/meetings/").json()
    assert [(m["state"], m["outcome"], m["minutes"]) for m in listed] == [
        ("held", "follow_up", "Agreed: file the amendment")
    ]


def test_a_full_slot_is_a_409_with_the_next_free_times(api, at_district, make_request, users):
    last = new_slot(api).json()
    later = new_slot(api, start="2026-12-10T10:00:00+08:00").json()
    rival = casework.escalate(make_request("ent_ascentawits"), actor=users["liaison_sbip"], reason="Up")
    first = offer(api, at_district.pk, [last["id"]]).json()["id"]
    second = offer(api, rival.pk, [last["id"]]).json()["id"]
    assert (
        api("ent_pregene")
        .post(f"/api/v1/meetings/{first}/book/", {"slot": last["id"]}, format="json")
        .status_code
        == 200
    )
    lost = api("ent_ascentawits").post(
        f"/api/v1/meetings/{second}/book/", {"slot": last["id"]}, format="json"
    )
    assert lost.status_code == 409
    body = lost.json()
    assert body["code"] == "slot_full" and [s["id"] for s in body["next_free"]] == [later["id"]]
    assert "booked" not in body["next_free"][0], "the enterprise never learns who else booked"
    assert Meeting.objects.get(pk=second).state == MeetingState.PROPOSED


def test_refusals_are_the_contracts(api, at_district):
    slot = new_slot(api).json()
    foreign = new_slot(api, who="officer_sz_amr").json()
    assert offer(api, at_district.pk, [foreign["id"]]).status_code == 400
    assert offer(api, at_district.pk, [slot["id"]], who="ent_pregene").status_code == 403
    assert offer(api, at_district.pk, [slot["id"]], who="officer_gd_mpa").status_code == 404
    assert offer(api, at_district.pk, []).status_code == 400
    meeting = offer(api, at_district.pk, [slot["id"]]).json()["id"]
    assert offer(api, at_district.pk, [slot["id"]]).status_code == 409, "one open meeting"
    book = f"/api/v1/meetings/{meeting}/book/"
    assert api("ent_pregene").post(book, {"slot": foreign["id"]}, format="json").status_code == 400
    assert api("ent_pregene").post(book, {"slot": "soon"}, format="json").status_code == 400
    assert api("ent_ascentawits").post(book, {"slot": slot["id"]}, format="json").status_code == 404
    assert api("ent_ascentawits").get(f"/api/v1/meetings/{meeting}/").status_code == 404
    assert api("officer_ps_msb").post(book, {"slot": slot["id"]}, format="json").status_code == 403
    minutes = f"/api/v1/meetings/{meeting}/minutes/"
    assert (
        api("ent_pregene").post(minutes, {"body": "x", "outcome": "resolved"}, format="json").status_code
        == 403
    )
    assert (
        api("officer_ps_msb").post(minutes, {"body": "x", "outcome": "resolved"}, format="json").status_code
        == 409
    )
    assert Meeting.objects.get(pk=meeting).state == MeetingState.PROPOSED


def test_enterprise_staff_see_only_free_times_of_the_units_serving_them(api, at_district):
    free = new_slot(api).json()
    new_slot(api, who="officer_sz_amr")  # the city's: not serving Pregene's request yet
    listed = api("ent_pregene").get("/api/v1/slots/").json()["results"]
    assert [s["id"] for s in listed] == [free["id"]]
    assert "capacity" not in listed[0] and "booked" not in listed[0]
    assert api("ent_accel1").get("/api/v1/slots/").json()["count"] == 0


def test_a_slot_that_has_begun_is_not_withdrawn(api, clock):
    slot = new_slot(api).json()
    clock.move_to(datetime(2026, 12, 9, 6, 10, tzinfo=UTC))  # ten minutes into it
    answer = api("officer_ps_msb").post(f"/api/v1/slots/{slot['id']}/cancel/")
    assert answer.status_code == 409 and "begun or is past" in answer.json()["detail"]
    assert Slot.objects.get(pk=slot["id"]).cancelled_at is None


def test_a_slot_with_a_booking_is_not_withdrawn(api, at_district):
    slot = new_slot(api).json()
    meeting = offer(api, at_district.pk, [slot["id"]]).json()["id"]
    api("ent_pregene").post(f"/api/v1/meetings/{meeting}/book/", {"slot": slot["id"]}, format="json")
    answer = api("officer_ps_msb").post(f"/api/v1/slots/{slot['id']}/cancel/")
    assert answer.status_code == 409 and answer.json()["code"] == "slot_booked"
    assert (
        api("officer_ps_msb2")
        .post(f"/api/v1/meetings/{meeting}/cancel/", {"reason": "Ill"}, format="json")
        .status_code
        == 200
    )
    assert api("officer_ps_msb").post(f"/api/v1/slots/{slot['id']}/cancel/").json()["cancelled"] is True
