"""Notifications and flash messages in plain words: each kind says what happened to which request,
a breach stands out from routine items, each notification is a link that lands on its request
(and marks it read), emails speak the recipient's language and link back; a page action is
confirmed by a sentence that says where the request went."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from apps.casework import actions
from apps.deadlines.scan import scan
from apps.notifications.models import Notification
from apps.notifications.services import compose_email, render
from apps.organizations.models import User
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def browser(users):
    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return sign_in


@pytest.fixture
def filed(make_request):
    """Submitted on Tuesday 24 November 2026 at 10:00: due Wednesday 18:00."""
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        return make_request(title="Phase II protocol amendment for PRG-1801")


@pytest.fixture
def lived(filed, users):
    """The request goes through a day's work: a reply, a question and its answer, an escalation,
    an assignment, the district's deadline reminded and missed."""
    with time_machine.travel(at("2026-11-24 11:00"), tick=False):
        actions.respond(fresh(filed), actor=users["liaison_sbip"], body="Received, checking.")
        actions.request_info(fresh(filed), actor=users["liaison_sbip"], body="Send the CMC file.")
        actions.provide_info(fresh(filed), actor=users["ent_pregene"], body="Attached.")
        actions.escalate(fresh(filed), actor=users["liaison_sbip"], reason="The bureau decides.")
        actions.assign(fresh(filed), actor=users["supervisor_ps_msb"], assignee=users["officer_ps_msb2"])
    scan(at("2026-11-25 16:30"))  # reminder of the district's deadline
    scan(at("2026-11-25 18:30"))  # and its breach
    return fresh(filed)


def test_each_kind_of_notification_has_its_own_wording_and_names_the_request(lived):
    seen: dict[str, str] = {}
    for notification in Notification.objects.exclude(request=None):
        text = render(notification, "en")
        assert lived.reference in text, (notification.kind, text)
        assert "changed." not in text, f"{notification.kind} falls back to the generic wording"
        seen.setdefault(notification.kind, text)
    expected = {"responded", "info_requested", "info_provided", "escalated", "new_work", "assigned"}
    assert expected | {"reminder", "deadline_breached"} <= set(seen)
    # Kinds do not share a sentence, and a missed deadline does not read like its reminder.
    assert len(set(seen.values())) == len(seen), seen
    assert seen["deadline_breached"].startswith(f"Deadline missed: feedback on {lived.reference}")
    assert seen["reminder"].startswith(f"Due soon: feedback on {lived.reference}")
    assert "“Phase II protocol amendment for PRG-1801”" in seen["deadline_breached"]


def test_breach_is_shown_as_urgent_and_routine_items_as_information(lived, browser):
    html = browser("officer_ps_msb2").get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-severity="urgent"' in html and '<span class="severity urgent">Urgent</span>' in html
    assert 'data-severity="warning"' in html  # the reminder
    assert 'data-severity="info"' in html  # the assignment
    chinese = (
        browser("officer_ps_msb2").get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert '<span class="severity urgent">紧急</span>' in chinese


def test_notification_api_says_the_severity(lived, api):
    results = api("officer_ps_msb2").get("/api/v1/notifications/").json()["results"]
    by_kind = {n["kind"]: n["severity"] for n in results}
    assert by_kind["deadline_breached"] == "urgent"
    assert by_kind["reminder"] == "warning"
    assert by_kind["assigned"] == "info"


def test_a_notification_is_a_link_that_marks_it_read_and_lands_on_the_request(lived, browser):
    client = browser("officer_ps_msb2")
    breach = Notification.objects.get(recipient__username="officer_ps_msb2", kind="deadline_breached")
    assert breach.read_at is None
    html = client.get("/notifications/").content.decode()
    assert f'href="/notifications/{breach.pk}/open/"' in html
    response = client.get(f"/notifications/{breach.pk}/open/", follow=True)
    assert response.redirect_chain == [(f"/requests/{lived.pk}/", 302)]
    assert response.status_code == 200 and lived.reference in response.content.decode()
    breach.refresh_from_db()
    assert breach.read_at is not None
    # Opening it again changes nothing and still lands on the request.
    read_at = breach.read_at
    assert client.get(f"/notifications/{breach.pk}/open/")["Location"] == f"/requests/{lived.pk}/"
    breach.refresh_from_db()
    assert breach.read_at == read_at


def test_somebody_elses_notification_link_is_a_404_and_stays_unread(lived, browser):
    theirs = Notification.objects.get(recipient__username="officer_ps_msb2", kind="deadline_breached")
    for username in ("officer_ps_msb", "supervisor_ps_msb", "ent_pregene"):
        assert browser(username).get(f"/notifications/{theirs.pk}/open/").status_code == 404, username
    assert browser("officer_ps_msb2").get("/notifications/999999/open/").status_code == 404
    assert Client().get(f"/notifications/{theirs.pk}/open/").status_code == 302  # to sign in
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_link_is_only_a_get(lived, browser):
    mine = Notification.objects.filter(recipient__username="officer_ps_msb2").first()
    assert browser("officer_ps_msb2").post(f"/notifications/{mine.pk}/open/").status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_email_subject_and_body_in_the_recipients_language_with_the_link(
    make_request, users, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example.cn"
    User.objects.filter(username="ent_pregene2").update(language="zh-hans")
    User.objects.filter(username="liaison_sbip").update(language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        service_request = make_request(title="Phase II protocol amendment for PRG-1801")
    by_recipient = {m.to[0].split("@")[0]: m for m in mail.outbox}

    chinese = by_recipient["ent_pregene2"]  # a colleague of the filer: told of the filing
    assert "已提交" in chinese.subject or "提交" in chinese.subject, chinese.subject
    assert service_request.reference in chinese.subject
    assert "Phase II protocol amendment for PRG-1801" in chinese.subject
    assert f"https://portal.example.cn/requests/{service_request.pk}/" in chinese.body
    assert "打开" in chinese.body

    english = by_recipient["liaison_sbip"]  # new work for the park
    assert english.subject == (
        f"[Liaison portal] New in your queue: {service_request.reference} "
        "“Phase II protocol amendment for PRG-1801”"
    )
    assert f"https://portal.example.cn/requests/{service_request.pk}/" in english.body


def test_a_breach_email_says_it_is_urgent(lived):
    breach = Notification.objects.get(recipient__username="officer_ps_msb2", kind="deadline_breached")
    subject, body = compose_email(breach, "en")
    assert subject.startswith("[Liaison portal] Feedback deadline missed: " + lived.reference)
    assert body.startswith("URGENT")


def test_an_alert_without_a_request_links_to_the_notification_centre(filed, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.cn"
    scan(at("2026-11-25 18:30"))  # the park's deadline: the district hears of it as a figure
    alert = Notification.objects.get(recipient__username="supervisor_ps", kind="deadline_breached_below")
    subject, body = compose_email(alert, "en")
    assert subject == "[Liaison portal] Deadline missed at a tier below"
    assert "https://portal.example.cn/notifications/" in body and filed.reference not in body


def test_a_long_title_with_line_breaks_makes_a_one_line_subject(make_request):
    service_request = make_request(title="Line one\nline two " + "x" * 150)
    notification = Notification.objects.filter(request=service_request).first()
    subject, _body = compose_email(notification, "en")
    assert "\n" not in subject and len(subject) <= 200 and "Line one line two" in subject


# --- flash messages after a page action -------------------------------------------------------------
def _act(client: Client, service_request, name: str, data: dict | None = None, language: str = "en"):
    response = client.post(
        f"/requests/{service_request.pk}/act/{name}/",
        data or {},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_page_actions_are_confirmed_in_plain_words(make_request, browser, users):
    service_request = make_request()
    reference = service_request.reference
    liaison, supervisor, officer = (
        browser("liaison_sbip"),
        browser("supervisor_ps_msb"),
        browser("officer_ps_msb"),
    )

    page = _act(liaison, service_request, "claim")
    assert f"{reference} claimed: it is assigned to you." in page and "Done:" not in page
    page = _act(liaison, service_request, "escalate", {"escalate-reason": "The bureau decides."})
    bureau = fresh(service_request).department
    assert f"{reference} escalated to {bureau.name}." in page
    page = _act(supervisor, service_request, "assign", {"assign-assignee": users["officer_ps_msb"].pk})
    assert f"{reference} assigned to {users['officer_ps_msb'].display_name}." in page
    page = _act(officer, service_request, "return", {"return-reason": "The park can answer this."})
    park = fresh(service_request).park
    assert f"{reference} returned to {park.name}." in page
    page = _act(liaison, service_request, "resolve", {"resolve-resolution": "Answered."})
    assert f"{reference} resolved." in page


def test_page_action_confirmation_speaks_chinese(make_request, browser):
    service_request = make_request()
    page = _act(
        browser("liaison_sbip"),
        service_request,
        "escalate",
        {"escalate-reason": "需要区局答复"},
        language="zh-hans",
    )
    bureau = fresh(service_request).department
    assert f"{service_request.reference} 已上报至{bureau.name_zh or bureau.name}。" in page


def test_a_refused_action_says_why_not_that_it_was_done(make_request, browser):
    service_request = make_request()
    page = _act(browser("ent_pregene"), service_request, "escalate", {"escalate-reason": "Hurry."})
    assert "escalated to" not in page
    assert fresh(service_request).state == "park_review"
