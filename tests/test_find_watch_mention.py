"""Find it fast (issue 14): the header's search box opens a request by its reference or its
number within the caller's prefix, and searches the caller's requests for anything else; a
reference the caller may not see answers exactly like one that does not exist. Following a
request tells of its changes the follower may see (never their own, never twice, never an
internal note to enterprise staff); `@username` in a message tells a colleague who may see the
request, and nobody else."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.casework import actions
from apps.casework.models import EventKind
from apps.desk import watching
from apps.desk.models import Watch
from apps.notifications.models import Notification
from apps.notifications.services import compose_email, render
from tests.conftest import fresh
from tests.page_forms import forms_in

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def number_of(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def notified(username: str, event_kind: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(recipient__username=username)
    if event_kind:
        found = found.filter(event__kind=event_kind)
    return list(found)


# --- the header search --------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["liaison_sbip", "officer_ps_msb", "ent_pregene"])
def test_every_page_has_the_search_box_in_its_header_with_a_label(browser, username):
    html = browser(username).get("/home/").content.decode()
    search = [form for form in forms_in(html) if form.action == "/find/"]
    assert len(search) == 1 and search[0].method == "get" and "q" in search[0].values
    assert 'role="search"' in html and '<label for="find-q" class="visually-hidden">' in html


def test_a_full_reference_opens_the_request(make_request, browser):
    service_request = make_request()
    client = browser("liaison_sbip")
    for typed in (
        service_request.reference,
        service_request.reference.lower(),
        f" {service_request.reference} ",
    ):
        response = client.get("/find/", {"q": typed})
        assert response.status_code == 302 and response["Location"] == f"/requests/{service_request.pk}/", (
            typed
        )


def test_a_bare_number_opens_the_request_in_the_callers_own_prefix(make_request, browser):
    service_request = make_request()
    assert service_request.reference.startswith("PS-")
    number = number_of(service_request.reference)
    for typed in (str(number), f"{number:06d}", f"#{number}"):
        response = browser("liaison_sbip").get("/find/", {"q": typed})
        assert response["Location"] == f"/requests/{service_request.pk}/", typed
    # Haidian's prefix is HD: the same number is no Pingshan request there.
    assert browser("liaison_haidian").get("/find/", {"q": str(number)})["Location"].startswith("/requests/?")


def test_of_several_years_the_newest_visible_one_opens(make_request, browser):
    with time_machine.travel(datetime(2025, 6, 10, 10, tzinfo=SH), tick=False):
        older = make_request(by="ent_ascentawits")
    with time_machine.travel(datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        newer = make_request(by="ent_pregene")
    assert older.reference == "PS-2025-000001" and newer.reference == "PS-2026-000001"
    assert browser("liaison_sbip").get("/find/", {"q": "1"})["Location"] == f"/requests/{newer.pk}/"
    # Pregene's 2026 request is not Ascentawits' to see: their "1" is their own of 2025.
    assert browser("ent_ascentawits").get("/find/", {"q": "1"})["Location"] == f"/requests/{older.pk}/"


def test_a_reference_the_caller_may_not_see_answers_like_one_that_does_not_exist(make_request, browser):
    """Rule: visibility only through visible_requests — no redirect reveals a request."""
    theirs = make_request(by="ent_pregene", title="Pregene's confidential CMC question")
    client = browser("ent_ascentawits")
    invisible = client.get("/find/", {"q": theirs.reference})
    unknown = client.get("/find/", {"q": "PS-2026-999999"})
    assert invisible.status_code == unknown.status_code == 302
    for response, typed in ((invisible, theirs.reference), (unknown, "PS-2026-999999")):
        location = urlsplit(response["Location"])
        assert location.path == "/requests/"
        assert parse_qs(location.query) == {"search": [typed], "state": ["all"]}
    page = client.get(invisible["Location"]).content.decode()
    assert "confidential" not in page and f"/requests/{theirs.pk}/" not in page
    # Its bare number is no way round either.
    bare = client.get("/find/", {"q": str(number_of(theirs.reference))})
    assert urlsplit(bare["Location"]).path == "/requests/"


def test_words_search_the_callers_requests_in_every_state(make_request, browser, users):
    mine = make_request(title="Hypoxia prodrug stability question")
    actions.withdraw(fresh(mine), actor=users["ent_pregene"], reason="Asked elsewhere")
    make_request(by="ent_ascentawits", title="Hypoxia assay of a rival")
    client = browser("ent_pregene")
    response = client.get("/find/", {"q": "Hypoxia"})
    assert urlsplit(response["Location"]).path == "/requests/"
    page = client.get(response["Location"]).content.decode()
    assert mine.reference in page  # withdrawn, and still found
    assert "rival" not in page
    assert 'value="Hypoxia"' in page  # the box says what was searched for
    assert client.get("/find/", {"q": ""})["Location"] == "/requests/"


def test_bad_input_in_the_box_is_a_clear_error_not_a_500(browser):
    client = browser("liaison_sbip")
    too_long = client.get("/find/", {"q": "x" * 300}, follow=True)
    assert too_long.status_code == 200 and "at most 200 characters" in too_long.content.decode()
    for typed in ("PS-2026-000000", "0", "PS-2026-9999999999", "\u4e34\u5e8a", "%00", "@@@"):
        assert client.get("/find/", {"q": typed}, follow=True).status_code == 200, typed


def test_the_api_search_matches_a_reference_exactly(make_request, api):
    one, _other = make_request(), make_request()
    results = api("liaison_sbip").get("/api/v1/requests/", {"search": one.reference}).json()["results"]
    assert [row["reference"] for row in results] == [one.reference]


def test_find_takes_few_queries(make_request, browser):
    service_request = make_request()
    for _ in range(5):
        make_request()
    client = browser("liaison_sbip")
    client.get("/find/", {"q": "1"})  # per-process caches
    for typed in (service_request.reference, str(number_of(service_request.reference)), "amendment"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/find/", {"q": typed}).status_code == 302
        assert len(captured) <= 8, (typed, [q["sql"] for q in captured])


def test_find_is_only_a_get_and_only_for_the_signed_in(browser):
    assert browser("liaison_sbip").post("/find/", {"q": "1"}).status_code == 405
    assert Client().get("/find/", {"q": "1"})["Location"].startswith("/login/")


# --- following -----------------------------------------------------------------------------------
def follow_form(html: str):
    found = [form for form in forms_in(html) if form.attrs.get("id") == "follow-form"]
    assert len(found) == 1, "no Follow form on the page"
    return found[0]


def test_follow_and_unfollow_with_the_pages_own_form(make_request, browser, users):
    service_request = make_request()
    client = browser("officer_ps_msb")
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="The bureau decides.")
    page = client.get(f"/requests/{service_request.pk}/").content.decode()
    form = follow_form(page)
    assert form.action == f"/requests/{service_request.pk}/watch/" and form.values["follow"] == ["1"]
    assert ">Follow</button>" in page
    response = client.post(form.action, form.data())
    assert response.status_code == 302 and response["Location"] == f"/requests/{service_request.pk}/"
    assert watching.is_watching(users["officer_ps_msb"], service_request)
    page = client.get(response["Location"]).content.decode()
    assert "You follow" in page and ">Unfollow</button>" in page
    again = follow_form(page)
    assert again.values["follow"] == ["0"]
    # An old page's Follow sent again follows once; Unfollow ends it.
    client.post(form.action, form.data())
    assert Watch.objects.filter(request=service_request).count() == 1
    client.post(again.action, again.data())
    assert not Watch.objects.filter(request=service_request).exists()


def test_follow_is_for_who_may_see_and_refuses_nonsense(make_request, browser):
    service_request = make_request()
    assert (
        browser("ent_ascentawits").post(f"/requests/{service_request.pk}/watch/", {"follow": "1"}).status_code
        == 404
    )
    assert (
        browser("officer_hd_station")
        .post(f"/requests/{service_request.pk}/watch/", {"follow": "1"})
        .status_code
        == 404
    )
    assert (
        browser("ent_pregene").post(f"/requests/{service_request.pk}/watch/", {"follow": "yes"}).status_code
        == 400
    )
    assert browser("ent_pregene").get(f"/requests/{service_request.pk}/watch/").status_code == 405
    assert not Watch.objects.exists()


def test_follow_through_the_api_and_the_detail_says_so(make_request, api):
    service_request = make_request()
    client = api("liaison_sbip2")
    path = f"/api/v1/requests/{service_request.pk}/"
    assert client.get(path).json()["watching"] is False
    assert client.post(path + "watch/").json() == {"watching": True}
    assert client.post(path + "watch/").json() == {"watching": True}
    assert client.get(path).json()["watching"] is True
    assert api("liaison_sbip").get(path).json()["watching"] is False  # each their own
    assert client.delete(path + "watch/").json() == {"watching": False}
    assert client.delete(path + "watch/").status_code == 200
    assert client.get(path).json()["watching"] is False
    assert api("ent_ascentawits").post(path + "watch/").status_code == 404
    assert api(None).post(path + "watch/").status_code == 401
    assert "watching" not in api("liaison_sbip").get("/api/v1/requests/").json()["results"][0]


def test_a_follower_hears_of_an_escalation_by_someone_else_not_of_their_own(make_request, users):
    service_request = make_request()
    watching.follow(users["liaison_sbip2"], service_request)
    watching.follow(users["liaison_sbip"], service_request)
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="The bureau decides.")
    (heard,) = notified("liaison_sbip2", EventKind.ESCALATED)
    assert heard.kind == watching.WATCHED and heard.request_id == service_request.pk
    assert (
        render(heard, "en")
        == f"{service_request.reference}, which you follow: Escalated — The bureau decides."
    )
    assert notified("liaison_sbip", EventKind.ESCALATED) == []  # their own doing


def test_a_follower_who_hears_anyway_hears_once(make_request, users):
    service_request = make_request()
    watching.follow(users["ent_pregene2"], service_request)  # the filer's colleague: told anyway
    actions.respond(fresh(service_request), actor=users["liaison_sbip"], body="Received.")
    (heard,) = notified("ent_pregene2", EventKind.RESPONDED)
    assert heard.kind == EventKind.RESPONDED


def test_an_enterprise_follower_never_hears_of_an_internal_note(make_request, users):
    service_request = make_request(by="liaison_sbip", enterprise="pregene")
    watching.follow(users["ent_pregene"], service_request)
    watching.follow(users["officer_ps_msb2"], service_request)  # cannot see it yet: hears nothing
    actions.add_message(fresh(service_request), actor=users["liaison_sbip2"], body="SECRET-1", internal=True)
    actions.assign(fresh(service_request), actor=users["supervisor_sbip"], assignee=users["liaison_sbip2"])
    assert notified("ent_pregene", EventKind.NOTE) == [] and notified("ent_pregene", EventKind.ASSIGNED) == []
    assert notified("officer_ps_msb2") == []
    actions.add_message(fresh(service_request), actor=users["liaison_sbip2"], body="Public reply")
    assert len(notified("ent_pregene", EventKind.MESSAGE)) == 1


def test_a_follower_hears_in_their_language_and_by_email(
    make_request, users, django_capture_on_commit_callbacks
):
    service_request = make_request()
    users["liaison_sbip2"].language = "zh-hans"
    users["liaison_sbip2"].save(update_fields=["language"])
    watching.follow(users["liaison_sbip2"], service_request)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="区里决定")
    (heard,) = notified("liaison_sbip2", EventKind.ESCALATED)
    assert render(heard, "zh-hans") == f"您关注的 {service_request.reference}：已上报 — 区里决定"
    (email,) = [m for m in mail.outbox if m.to == [users["liaison_sbip2"].email]]
    assert "您关注的请求" in email.subject, email.subject
    assert compose_email(heard, "en")[0].startswith("[Liaison portal] A request you follow:")


# --- mentions --------------------------------------------------------------------------------------
def test_a_mention_of_a_colleague_notifies_them_once(make_request, users, browser):
    service_request = make_request()
    watching.follow(users["liaison_sbip2"], service_request)  # follows it too: still one notification
    actions.add_message(
        fresh(service_request),
        actor=users["liaison_sbip"],
        body="@liaison_sbip2 please check the CMC file, @liaison_sbip2.",
        internal=True,
    )
    (heard,) = notified("liaison_sbip2", EventKind.NOTE)
    assert heard.kind == watching.MENTIONED
    assert render(heard, "en").startswith(
        f"Li Na mentioned you on {service_request.reference}: @liaison_sbip2"
    )
    assert "提到了您" in render(heard, "zh-hans")
    page = browser("liaison_sbip2").get(f"/requests/{service_request.pk}/").content.decode()
    assert '<span class="mention">@liaison_sbip2</span> please check' in page


def test_a_mention_of_someone_who_may_not_see_the_request_notifies_nobody(make_request, users, browser):
    """Rule: a colleague is staff who may see the request; unknown, inactive, Beijing and
    enterprise names are passed over silently."""
    service_request = make_request()
    users["liaison_accel"].is_active = False
    users["liaison_accel"].save(update_fields=["is_active"])
    client = browser("liaison_sbip")
    response = client.post(
        f"/requests/{service_request.pk}/messages/",
        {
            "message-body": "@officer_hd_station @ent_pregene @officer_ps_msb @liaison_accel @nobody_here see",
            "message-internal": "on",
        },
    )
    assert response.status_code == 302  # posted, with no word about the names
    assert not Notification.objects.filter(kind=watching.MENTIONED).exists()
    for username in ("officer_hd_station", "ent_pregene", "officer_ps_msb", "liaison_accel"):
        assert notified(username, EventKind.NOTE) == [], username
    # Every @name is shown alike, known or not.
    page = client.get(f"/requests/{service_request.pk}/").content.decode()
    assert '<span class="mention">@nobody_here</span>' in page
    assert '<span class="mention">@officer_hd_station</span>' in page


def test_a_mention_in_a_public_reply_notifies_a_colleague_and_not_from_enterprise_staff(make_request, users):
    service_request = make_request()
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="Up")
    actions.add_message(
        fresh(service_request), actor=users["officer_ps_msb"], body="Asking @officer_ps_msb2 to help."
    )
    assert [n.kind for n in notified("officer_ps_msb2", EventKind.MESSAGE)] == [watching.MENTIONED]
    # Enterprise staff name nobody: their messages reach the tier that holds the request anyway.
    actions.add_message(fresh(service_request), actor=users["ent_pregene"], body="Dear @liaison_sbip2")
    assert notified("liaison_sbip2", EventKind.MESSAGE) == []


def test_mentioned_names_are_read_like_a_person_writes_them():
    assert watching.mentioned_usernames("Hi @a.b, and @c_d. Mail x@y.cn @a.b") == ["a.b", "c_d"]
    assert len(watching.mentioned_usernames(" ".join(f"@u{n}" for n in range(30)))) == watching.MAX_MENTIONS
