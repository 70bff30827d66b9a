"""Consultation meetings inside a request (issue 18): the tier holding it offers times, the
enterprise books one (the tier's feedback: the clock stops), either side cancels or moves it
until the notice, the hosts record the minutes or a no-show; reminders go once; the invitation
is an .ics calendar programs open. Over the actions and over HTTP, refusals as carefully as the
happy path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from apps.casework import actions as casework
from apps.casework.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from apps.casework.models import EventKind, RequestEvent
from apps.deadlines.models import TierVisit
from apps.deadlines.scan import due_reminders, scan
from apps.meetings import actions, ics, slots
from apps.meetings.models import Meeting, MeetingState, Slot
from apps.notifications.models import Notification
from tests.conftest import fresh

pytestmark = pytest.mark.django_db

# Monday 2026-12-07, 10:00 in Shanghai.
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
WEDNESDAY_2PM = "2026-12-09T14:00:00+08:00"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def publish(users, who="officer_ps_msb", start=WEDNESDAY_2PM, **given):
    fields = {"minutes": 30, "place": "Room 301, Pingshan MSB", **given}
    return slots.publish_slot(actor=users[who], start=start, **fields)


@pytest.fixture
def offered(at_district, users):
    first = publish(users)
    second = publish(users, start="2026-12-10T10:00:00+08:00")
    return actions.offer(at_district, actor=users["officer_ps_msb"], slots=[first.pk, second.pk])


def booked_meeting(offered, users, who="ent_pregene"):
    return actions.book(offered, actor=users[who], slot=offered.slots.order_by("start")[0].pk)


# --- offering and booking ----------------------------------------------------------------------
def test_a_booking_is_the_tiers_feedback_and_stops_its_clock(offered, users):
    service_request = offered.request
    assert fresh(service_request).feedback_due_at is not None, "offering alone is not the feedback"
    meeting = booked_meeting(offered, users)
    assert meeting.state == MeetingState.BOOKED
    assert meeting.starts_at == datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
    assert Slot.objects.get(pk=meeting.slot_id).booked == 1
    assert fresh(service_request).feedback_due_at is None
    visit = TierVisit.objects.get(request=service_request, tier="district")
    assert visit.feedback_at == NOW and visit.ended_at is None, "the tier keeps the request"
    kinds = list(RequestEvent.objects.filter(request=service_request).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.MEETING_OFFERED, EventKind.MEETING_BOOKED]


def test_the_offer_and_the_booking_read_on_the_timeline_in_both_languages(offered, users):
    from django.utils import translation

    booked_meeting(offered, users)
    event = RequestEvent.objects.get(kind=EventKind.MEETING_BOOKED)
    assert event.display_text == "Booked for 2026-12-09 14:00–14:30, Room 301, Pingshan MSB"
    with translation.override("zh-hans"):
        assert event.display_text.startswith("已预约")
        assert "2026-12-09 14:00–14:30" in event.display_text


def test_the_next_free_slot_of_the_department_can_be_offered(at_district, users):
    publish(users, start="2026-12-10T10:00:00+08:00")
    soonest = publish(users)
    meeting = actions.offer(at_district, actor=users["officer_ps_msb"], next_free=True)
    assert list(meeting.slots.all()) == [soonest]


def test_only_the_tier_holding_the_request_offers(at_district, make_request, users):
    slot = publish(users)
    for who in ("ent_pregene", "liaison_sbip", "officer_sz_amr"):
        with pytest.raises(NotPermitted):
            actions.offer(at_district, actor=users[who], slots=[slot.pk])
    at_park = make_request()
    with pytest.raises(NotPermitted):
        actions.offer(at_park, actor=users["officer_ps_msb"], slots=[slot.pk])
    assert not Meeting.objects.exists()


def test_another_organisations_slot_cannot_be_offered(at_district, users):
    foreign = publish(users, "officer_sz_amr")
    with pytest.raises(InvalidInput) as refused:
        actions.offer(at_district, actor=users["officer_ps_msb"], slots=[foreign.pk])
    assert "slots" in refused.value.fields
    assert not Meeting.objects.exists()


def test_one_open_meeting_at_a_time(offered, users):
    with pytest.raises(TransitionNotAllowed):
        actions.offer(offered.request, actor=users["officer_ps_msb"], next_free=True)


def test_a_slot_of_another_organisation_cannot_be_booked(offered, users):
    foreign = publish(users, "officer_sz_amr")
    with pytest.raises(InvalidInput) as refused:
        actions.book(offered, actor=users["ent_pregene"], slot=foreign.pk)
    assert "slot" in refused.value.fields
    assert Meeting.objects.get(pk=offered.pk).state == MeetingState.PROPOSED
    assert Slot.objects.get(pk=foreign.pk).booked == 0


def test_officers_do_not_book_for_the_enterprise_and_others_enterprises_cannot(offered, users):
    for who in ("officer_ps_msb", "ent_ascentawits", "liaison_accel"):
        with pytest.raises(NotPermitted):
            booked_meeting(offered, users, who)


def test_the_parks_liaison_books_for_the_enterprise(offered, users):
    assert booked_meeting(offered, users, "liaison_sbip").state == MeetingState.BOOKED


def test_a_full_slot_is_refused_with_the_next_free_times_and_nothing_changes(
    at_district, make_request, users
):
    last_place = publish(users)
    later = publish(users, start="2026-12-10T10:00:00+08:00")
    other = casework.escalate(
        make_request("ent_ascentawits"), actor=users["liaison_sbip"], reason="Needs the district"
    )
    first = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[last_place.pk])
    second = actions.offer(other, actor=users["officer_ps_msb"], slots=[last_place.pk])
    actions.book(first, actor=users["ent_pregene"], slot=last_place.pk)
    with pytest.raises(actions.SlotFull) as full:
        actions.book(second, actor=users["ent_ascentawits"], slot=last_place.pk)
    assert full.value.next_free == [later]
    assert Meeting.objects.get(pk=second.pk).state == MeetingState.PROPOSED
    assert fresh(other).feedback_due_at is not None, "a lost race stops no clock"
    # The next free time shown can be booked at once.
    assert actions.book(second, actor=users["ent_ascentawits"], slot=later.pk).slot == later


def test_asking_for_another_time_lets_the_tier_offer_again(offered, users):
    with pytest.raises(InvalidInput):
        actions.ask_another_time(offered, actor=users["ent_pregene"], reason="  ")
    actions.ask_another_time(offered, actor=users["ent_pregene"], reason="Our CMC lead is away that week")
    assert Meeting.objects.get(pk=offered.pk).state == MeetingState.ANOTHER_TIME
    again = actions.offer(offered.request, actor=users["officer_ps_msb"], next_free=True)
    assert again.state == MeetingState.PROPOSED


# --- changing it -------------------------------------------------------------------------------
def test_either_side_cancels_with_a_reason_and_the_place_is_free_again(offered, users):
    meeting = booked_meeting(offered, users)
    with pytest.raises(InvalidInput):
        actions.cancel(meeting, actor=users["ent_pregene"], reason="")
    actions.cancel(meeting, actor=users["officer_ps_msb"], reason="The reviewer is ill")
    assert Slot.objects.get(pk=meeting.slot_id).booked == 0
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        actions.cancel(meeting, actor=users["ent_pregene"], reason="again")


def test_no_change_within_the_notice_before_the_meeting(offered, users, clock, settings):
    meeting = booked_meeting(offered, users)
    clock.move_to(meeting.starts_at - timedelta(hours=settings.PORTAL["MEETING_CHANGE_NOTICE_HOURS"] - 1))
    with pytest.raises(TransitionNotAllowed) as refused:
        actions.cancel(meeting, actor=users["ent_pregene"], reason="Something came up")
    assert refused.value.code == "too_late"
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.BOOKED


def test_moving_a_meeting_takes_the_new_place_and_gives_back_the_old(offered, users):
    meeting = booked_meeting(offered, users)
    old = meeting.slot
    new = offered.slots.order_by("-start")[0]
    actions.reschedule(meeting, actor=users["ent_pregene"], slot=new.pk, reason="Clash with an audit")
    assert (Slot.objects.get(pk=old.pk).booked, Slot.objects.get(pk=new.pk).booked) == (0, 1)
    moved = Meeting.objects.get(pk=meeting.pk)
    assert (moved.slot_id, moved.starts_at, moved.sequence) == (new.pk, new.start, 2)


def test_outsiders_neither_cancel_nor_move(offered, users):
    meeting = booked_meeting(offered, users)
    for who in ("ent_ascentawits", "officer_sz_amr"):
        with pytest.raises(NotPermitted):
            actions.cancel(meeting, actor=users[who], reason="not mine")


# --- after it ----------------------------------------------------------------------------------
def test_minutes_only_once_it_has_begun_and_only_by_its_hosts(offered, users, clock):
    meeting = booked_meeting(offered, users)
    with pytest.raises(TransitionNotAllowed):
        actions.record_minutes(meeting, actor=users["officer_ps_msb"], body="Agreed", outcome="resolved")
    clock.move_to(meeting.starts_at + timedelta(minutes=40))
    with pytest.raises(NotPermitted):
        actions.record_minutes(meeting, actor=users["ent_pregene"], body="Agreed", outcome="resolved")
    with pytest.raises(InvalidInput) as refused:
        actions.record_minutes(meeting, actor=users["officer_ps_msb"], body="Agreed", outcome="maybe")
    assert "outcome" in refused.value.fields
    actions.record_minutes(
        meeting, actor=users["supervisor_ps"], body="Agreed on the filing route", outcome="resolved"
    )
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.HELD


def test_minutes_marked_internal_never_reach_the_enterprise(offered, users, clock, api):
    meeting = booked_meeting(offered, users)
    clock.move_to(meeting.starts_at + timedelta(hours=1))
    actions.record_minutes(
        meeting,
        actor=users["officer_ps_msb"],
        body="Their CMC data is thin",
        outcome="follow_up",
        internal=True,
    )
    pk = offered.request_id
    enterprise_timeline = api("ent_pregene").get(f"/api/v1/requests/{pk}/timeline/").json()
    assert EventKind.MEETING_HELD not in [event["kind"] for event in enterprise_timeline]
    shown = api("ent_pregene").get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert shown["state"] == "held" and shown["minutes"] == ""
    staff = api("officer_ps_msb").get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert staff["minutes"] == "Their CMC data is thin"
    assert not Notification.objects.filter(
        recipient=users["ent_pregene2"], kind=EventKind.MEETING_HELD
    ).exists()


def test_public_minutes_are_on_the_enterprises_timeline(offered, users, clock, api):
    meeting = booked_meeting(offered, users)
    clock.move_to(meeting.starts_at + timedelta(hours=1))
    actions.record_minutes(
        meeting, actor=users["officer_ps_msb"], body="File the amendment first", outcome="follow_up"
    )
    timeline = api("ent_pregene").get(f"/api/v1/requests/{offered.request_id}/timeline/").json()
    held = [event for event in timeline if event["kind"] == EventKind.MEETING_HELD]
    assert held and "File the amendment first" in held[0]["text"]


def test_a_no_show_is_recorded_by_the_hosts(offered, users, clock):
    meeting = booked_meeting(offered, users)
    clock.move_to(meeting.starts_at + timedelta(minutes=20))
    actions.record_no_show(meeting, actor=users["officer_ps_msb"], note="Waited 20 minutes")
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.NO_SHOW


# --- reminders and the invitation --------------------------------------------------------------
def test_reminders_go_the_working_day_before_and_the_hour_before_each_once(
    offered, users, clock, django_capture_on_commit_callbacks
):
    users["officer_ps_msb"].language = "en"
    users["officer_ps_msb"].save(update_fields=["language"])
    meeting = booked_meeting(offered, users)
    # Booked on Monday for Wednesday: reminded on Tuesday at the start of business.
    assert meeting.remind_day_at == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    assert scan(datetime(2026, 12, 8, 0, 59, tzinfo=UTC)).meeting_reminders == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert scan(datetime(2026, 12, 8, 1, 0, tzinfo=UTC)).meeting_reminders == 1
    assert scan(datetime(2026, 12, 8, 1, 5, tzinfo=UTC)).meeting_reminders == 0, "once"
    reminded = set(
        Notification.objects.filter(kind="meeting_reminder").values_list("recipient__username", flat=True)
    )
    assert reminded == {"ent_pregene", "officer_ps_msb"}
    # Each in their own language: the officer reads English, the enterprise Chinese (the default).
    reminders = [m for m in mail.outbox if "Meeting reminder" in m.subject or "会议提醒" in m.subject]
    assert {m.to[0]: "会议提醒" in m.subject for m in reminders} == {
        users["ent_pregene"].email: True,
        users["officer_ps_msb"].email: False,
    }
    invitation = [a for m in reminders for a in m.attachments if a[0].endswith(".ics")]
    assert len(invitation) == 2 and "BEGIN:VEVENT" in invitation[0][1]
    assert scan(datetime(2026, 12, 9, 5, 0, tzinfo=UTC)).meeting_reminders == 1, "the hour before"
    assert scan(datetime(2026, 12, 9, 5, 30, tzinfo=UTC)).meeting_reminders == 0


def test_a_reminder_comes_in_the_recipients_language(offered, users, django_capture_on_commit_callbacks):
    booked_meeting(offered, users)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scan(datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    reminders = [m for m in mail.outbox if m.to == [users["ent_pregene"].email] and "会议提醒" in m.subject]
    assert len(reminders) == 1 and "提醒：" in reminders[0].body
    _name, content, _type = next(a for a in reminders[0].attachments if a[0].endswith(".ics"))
    assert "SUMMARY:咨询会议" in ics_unfolded(content)


def test_after_a_holiday_the_reminder_is_the_last_working_day_before(at_district, users, clock):
    clock.move_to(datetime(2026, 9, 25, 2, 0, tzinfo=UTC))
    slot = publish(users, start="2026-10-08T10:00:00+08:00")  # the Thursday after National Day
    meeting = actions.offer(at_district, actor=users["officer_ps_msb"], slots=[slot.pk])
    meeting = actions.book(meeting, actor=users["ent_pregene"], slot=slot.pk)
    assert meeting.remind_day_at.astimezone(UTC) == datetime(2026, 9, 30, 1, 0, tzinfo=UTC)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the plan of SQLite; PostgreSQL's follows its statistics"
)
@pytest.mark.parametrize("which", ["day", "hour"])
def test_the_reminder_scan_reads_a_partial_index_not_the_meetings(which):
    """However many meetings there are, the scan reads only the range of its partial index:
    booked meetings whose reminder has not gone (apps/meetings/models.py, meeting_remind_*)."""
    sql, params = due_reminders(which, NOW).query.sql_with_params()
    with connection.cursor() as cursor:
        plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert f"meeting_remind_{which}" in plan and "SCAN meetings_meeting" not in plan, plan
    assert "TEMP B-TREE" not in plan, "the longest due first, in the index's order"


def ics_unfolded(text: str) -> str:
    return text.replace("\r\n ", "")


def test_the_invitation_is_rfc_5545(offered, users, api):
    meeting = booked_meeting(offered, users)
    answer = api("ent_pregene").get(f"/api/v1/meetings/{meeting.pk}/ics")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/calendar")
    text = answer.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    body = ics_unfolded(text)
    assert "DTSTART:20261209T060000Z" in body and "DTEND:20261209T063000Z" in body
    assert f"UID:meeting-{meeting.pk}@" in body and "METHOD:REQUEST" in body
    assert "LOCATION:Room 301\\, Pingshan MSB" in body


def test_a_cancelled_meetings_invitation_cancels_the_entry(offered, users):
    meeting = booked_meeting(offered, users)
    actions.cancel(meeting, actor=users["ent_pregene"], reason="Answered by phone")
    text = ics_unfolded(ics.invitation(Meeting.objects.get(pk=meeting.pk), "en"))
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:2" in text


def test_long_chinese_lines_fold_between_characters():
    line = "SUMMARY:" + "临床试验方案变更沟通交流会议" * 6
    folded = ics.fold(line)
    assert all(len(piece.encode()) <= 75 for piece in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
