"""Deadlines kept: reminders and breaches exactly once, auto-close, and notifications that go to
the right people, never to competitors, and are never lost when the broker is down."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from kombu import pools as kombu_pools

from apps.casework import actions
from apps.deadlines.models import TierVisit
from apps.deadlines.scan import scan
from apps.notifications.models import EmailState, Notification
from apps.notifications.services import render
from portal.celery import app as celery_app
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def inbox(username: str, kind: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(recipient__username=username)
    return list(found.filter(kind=kind) if kind else found)


@pytest.fixture
def filed(make_request):
    """A request submitted on Tuesday 24 November 2026 at 10:00: due Wednesday 18:00,
    reminder Wednesday 16:00."""
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        return make_request()


def test_visit_records_deadline_and_reminder_time(filed):
    visit = TierVisit.objects.get(request=filed)
    assert visit.due_at == at("2026-11-25 18:00") and visit.remind_at == at("2026-11-25 16:00")
    assert fresh(filed).feedback_due_at == at("2026-11-25 18:00")


def test_reminder_goes_once_to_the_tier_however_often_the_scan_runs(filed):
    assert scan(at("2026-11-25 15:59")).reminders == 0
    assert scan(at("2026-11-25 16:30")).reminders == 1
    assert scan(at("2026-11-25 16:30")).reminders == 0
    assert scan(at("2026-11-25 17:00")).reminders == 0
    assert len(inbox("liaison_sbip", "reminder")) == 1
    assert len(inbox("liaison_sbip2", "reminder")) == 1
    assert inbox("ent_pregene", "reminder") == []


def test_breach_is_recorded_once_and_alerts_tier_supervisors_and_next_tier(filed):
    assert scan(at("2026-11-25 17:59")).breaches == 0
    assert scan(at("2026-11-25 18:01")).breaches == 1
    assert scan(at("2026-11-25 18:01")).breaches == 0
    assert scan(at("2026-11-26 09:00")).breaches == 0
    visit = TierVisit.objects.get(request=filed)
    assert visit.breached_at == at("2026-11-25 18:01")
    assert filed.events.filter(kind="deadline_breached").count() == 1
    for username in ("liaison_sbip", "supervisor_sbip"):
        assert len(inbox(username, "deadline_breached")) == 1, username
    # The district above hears of it as a figure: the tier and the park, not the request.
    assert inbox("supervisor_ps", "deadline_breached") == []
    (alert,) = inbox("supervisor_ps", "deadline_breached_below")
    text = render(alert, "en")
    assert alert.request_id is None
    assert filed.reference not in text and filed.title not in text
    assert "Shenzhen Biomedicine Innovation Industrial Park" in text and "park tier" in text.lower()
    for username in ("ent_pregene", "ent_ascentawits", "liaison_accel", "officer_ps_msb", "liaison_haidian"):
        assert inbox(username, "deadline_breached") == [], username


def test_scan_command_runs_for_a_given_moment_and_does_nothing_twice(filed, capsys):
    call_command("scan_deadlines", "--at", "2026-11-25T18:30:00+08:00")
    first = capsys.readouterr().out
    call_command("scan_deadlines", "--at", "2026-11-25T18:30:00+08:00")
    second = capsys.readouterr().out
    assert "breaches recorded: 1" in first and "reminders sent: 0" in first
    assert "breaches recorded: 0" in second


def test_scan_command_refuses_a_malformed_moment():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("scan_deadlines", "--at", "next tuesday")


def test_feedback_in_time_means_no_reminder_and_no_breach(filed, users):
    with time_machine.travel(at("2026-11-25 10:00"), tick=False):
        actions.respond(fresh(filed), actor=users["liaison_sbip"], body="We are on it.")
    visit = TierVisit.objects.get(request=filed)
    assert visit.feedback_at == at("2026-11-25 10:00")
    assert visit.feedback_working_seconds == 9 * 3600  # Tue 10:00–18:00 + Wed 09:00–10:00
    assert visit.feedback_seconds == 24 * 3600
    report = scan(at("2026-11-26 09:00"))
    assert (report.reminders, report.breaches) == (0, 0)
    assert fresh(filed).feedback_due_at is None


def test_each_tier_gets_its_own_deadline_after_escalation(filed, users):
    with time_machine.travel(at("2026-11-24 15:00"), tick=False):
        actions.escalate(fresh(filed), actor=users["liaison_sbip"], reason="District decision needed")
    park, district = TierVisit.objects.filter(request=filed).order_by("started_at")
    assert park.feedback_at == at("2026-11-24 15:00") and park.ended_at == at("2026-11-24 15:00")
    assert district.tier == "district" and district.due_at == at("2026-11-25 18:00")
    assert scan(at("2026-11-25 18:30")).breaches == 1
    assert len(inbox("officer_ps_msb", "deadline_breached")) == 1
    assert len(inbox("supervisor_ps_msb", "deadline_breached")) == 1
    # The next tier up, which the request has not reached: a figure, not the request.
    assert [n.request_id for n in inbox("supervisor_sz", "deadline_breached_below")] == [None]
    assert inbox("supervisor_sz", "deadline_breached") == []
    assert inbox("liaison_sbip", "deadline_breached") == []


def test_a_breach_names_the_request_to_the_tier_above_once_it_has_been_there(filed, users):
    """Up to the city and returned to the district: the city's supervisors have seen it, so a
    breach at the district names it to them."""
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        actions.escalate(fresh(filed), actor=users["liaison_sbip"], reason="District decision needed")
        actions.escalate(fresh(filed), actor=users["officer_ps_msb"], reason="City decision needed")
        actions.return_to_lower_tier(fresh(filed), actor=users["officer_sz_amr"], reason="District can")
    assert scan(at("2026-11-25 18:30")).breaches == 1
    assert [n.request_id for n in inbox("supervisor_sz", "deadline_breached")] == [filed.pk]
    assert inbox("supervisor_sz", "deadline_breached_below") == []


def test_resolved_requests_close_themselves_after_seven_days(filed, users):
    with time_machine.travel(at("2026-11-24 11:00"), tick=False):
        actions.resolve(fresh(filed), actor=users["liaison_sbip"], resolution="Answered in the meeting.")
    assert scan(at("2026-12-01 10:59")).closed == 0
    assert scan(at("2026-12-01 11:00")).closed == 1
    assert scan(at("2026-12-01 11:00")).closed == 0
    closed = fresh(filed)
    assert closed.state == "closed" and closed.closed_at == at("2026-12-01 11:00")
    event = closed.events.get(kind="closed")
    assert event.actor is None and event.created_at == at("2026-12-01 11:00")
    assert len(inbox("ent_pregene", "closed")) == 1


def test_enterprise_hears_public_changes_and_officers_hear_new_work(filed, users):
    assert len(inbox("liaison_sbip", "new_work")) == 1  # submitted into the park's queue
    actions.escalate(fresh(filed), actor=users["liaison_sbip"], reason="Needs the Market Supervision Bureau")
    assert len(inbox("officer_ps_msb", "new_work")) == 1
    assert inbox("officer_ps_sti") == []  # clinical trials are not routed there
    assert len(inbox("ent_pregene", "escalated")) == 1 and len(inbox("ent_pregene2", "escalated")) == 1
    actions.respond(fresh(filed), actor=users["officer_ps_msb"], body="Bring the protocol on Thursday.")
    assert len(inbox("ent_pregene", "responded")) == 1
    assert inbox("officer_ps_msb", "responded") == []  # nobody is told of their own action
    for competitor in ("ent_ascentawits", "ent_wytd", "ent_accel1", "ent_haidian"):
        assert inbox(competitor) == [], competitor


def test_internal_notes_never_reach_enterprise_staff(filed, users):
    actions.claim(fresh(filed), actor=users["liaison_sbip"])
    actions.add_message(
        fresh(filed), actor=users["liaison_sbip2"], body="Their CMC file is thin.", internal=True
    )
    assert len(inbox("liaison_sbip", "note")) == 1
    assert Notification.objects.filter(recipient__role="enterprise", kind="note").count() == 0
    assert Notification.objects.filter(recipient__role="enterprise", event__internal=True).count() == 0


def test_assignment_notifies_the_assignee(filed, users):
    actions.escalate(fresh(filed), actor=users["liaison_sbip"], reason="District")
    actions.assign(fresh(filed), actor=users["supervisor_ps_msb"], assignee=users["officer_ps_msb2"])
    assert len(inbox("officer_ps_msb2", "assigned")) == 1
    assert inbox("ent_pregene", "assigned") == []


def test_notification_text_is_rendered_in_the_readers_language(filed, api):
    english = api("liaison_sbip").get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["text"].startswith("New in your queue: PS-2026-")


def test_notification_centre_lists_newest_first_and_marks_read(filed, users, api):
    with time_machine.travel(at("2026-11-24 11:00"), tick=False):
        actions.respond(fresh(filed), actor=users["liaison_sbip"], body="Received, checking.")
    client = api("ent_pregene2")  # a colleague of the filer: told of the filing and the reply
    listing = client.get("/api/v1/notifications/").json()
    assert listing["unread"] == 2 and listing["count"] == 2
    newest = listing["results"][0]
    assert newest["kind"] == "responded" and newest["request"] == filed.pk
    assert newest["reference"] == filed.reference and newest["read"] is False
    assert set(newest) == {"id", "kind", "text", "request", "reference", "read", "created_at", "severity"}
    assert newest["severity"] == "info"
    r = client.post(f"/api/v1/notifications/{newest['id']}/read/")
    assert r.status_code == 200 and r.json()["read"] is True
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    assert client.post("/api/v1/notifications/read_all/").json() == {"marked": 1}


def test_nobody_can_read_or_mark_someone_elses_notification(filed, api):
    theirs = Notification.objects.filter(recipient__username="liaison_sbip").first()
    client = api("ent_pregene")
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/abc/read/").status_code == 404
    assert all(n["id"] != theirs.pk for n in client.get("/api/v1/notifications/").json()["results"])


def test_emails_leave_only_after_commit(make_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_request()
        assert mail.outbox == []
    assert callbacks, "the email hand-over waits for the commit"
    for callback in callbacks:
        callback()
    # The park's liaisons (new work) and the filer's colleague, not the filer.
    assert {m.to[0] for m in mail.outbox} == {
        "liaison_sbip@demo.liaison.example.cn",
        "liaison_sbip2@demo.liaison.example.cn",
        "ent_pregene2@demo.liaison.example.cn",
    }


@pytest.fixture
def broker_down():
    """Celery as in production (not eager) with a broker that refuses connections. The write
    URL, since Celery takes `broker_url` from CELERY_BROKER_URL when that is set (the suite's run
    on Redis) and would publish to the live broker."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.get("broker_write_url"))
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_write_url = "redis://127.0.0.1:9/0"
    _reset_connections()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_write_url = saved
    _reset_connections()


def _reset_connections():
    # kombu's pools live in global registries keyed by the broker's address: close and forget
    # them, or the next publish to that address finds a closed pool.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


def test_broker_down_notification_waits_in_outbox_and_goes_once_later(
    make_request, users, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        service_request = make_request()
    assert mail.outbox == []
    waiting = Notification.objects.filter(email_state=EmailState.PENDING)
    assert waiting.count() == 3  # both liaisons and the filer's colleague: in-app already, emails owed
    assert len(inbox("liaison_sbip", "new_work")) == 1

    # The scan sends what the hand-over lost, once the grace period has passed.
    assert scan(service_request.created_at + timedelta(seconds=5)).emails == 0
    assert scan(service_request.created_at + timedelta(minutes=1)).emails == 3
    assert scan(service_request.created_at + timedelta(minutes=2)).emails == 0
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(email_state=EmailState.SENT).count() == 3
