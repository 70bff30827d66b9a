"""The request desk as people use it: what comes back to a tier, what the tracker and the
officer's queue say about where a request is, what a finished request still offers, and a form
refused because the request changed while the person was writing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.casework import actions
from apps.casework.errors import TransitionNotAllowed
from apps.casework.models import State
from tests.conftest import fresh
from tests.page_forms import Form, forms_in

pytestmark = pytest.mark.django_db

RETURN_REASON = "The park can answer this from the 2025 filing guide."


def page_of(client: Client, service_request) -> str:
    response = client.get(f"/requests/{service_request.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def form_to(html: str, action_part: str) -> Form:
    found = [form for form in forms_in(html) if action_part in form.action]
    assert found, f"no form posting to {action_part}"
    return found[0]


def at_district(make_request, users, *, claimed_by: str = "liaison_sbip"):
    """A request the park claimed and escalated to Pingshan District."""
    service_request = make_request()
    actions.claim(service_request, actor=users[claimed_by])
    actions.escalate(service_request, actor=users[claimed_by], reason="Needs the district's ruling.")
    return fresh(service_request)


# --- 1. a request that comes back to a tier goes back to whoever had it there ---------------
def test_a_returned_request_goes_back_to_the_person_who_had_it_at_the_lower_tier(make_request, users):
    service_request = at_district(make_request, users)
    assert service_request.assignee_id is None  # a new tier: nobody yet
    actions.claim(service_request, actor=users["officer_ps_msb"])
    actions.return_to_lower_tier(service_request, actor=users["officer_ps_msb"], reason=RETURN_REASON)
    service_request = fresh(service_request)
    assert service_request.tier == "park"
    assert service_request.assignee_id == users["liaison_sbip"].pk
    # And back up again: the district officer who had it gets it back.
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="Still needs the district.")
    assert fresh(service_request).assignee_id == users["officer_ps_msb"].pk


def test_the_returned_to_assignee_is_shown_on_the_request_page(make_request, users, browser):
    service_request = at_district(make_request, users)
    actions.claim(service_request, actor=users["officer_ps_msb"])
    actions.return_to_lower_tier(service_request, actor=users["officer_ps_msb"], reason=RETURN_REASON)
    html = page_of(browser("liaison_sbip"), service_request)
    assert "<dt>Assignee</dt><dd>Li Na</dd>" in html


def test_information_provided_and_a_reopening_keep_the_tiers_assignee(make_request, users):
    service_request = at_district(make_request, users)
    actions.claim(service_request, actor=users["officer_ps_msb"])
    actions.request_info(service_request, actor=users["officer_ps_msb"], body="Which protocol version?")
    actions.provide_info(fresh(service_request), actor=users["ent_pregene"], body="Version 3.")
    service_request = fresh(service_request)
    assert service_request.assignee_id == users["officer_ps_msb"].pk
    actions.resolve(service_request, actor=users["officer_ps_msb"], resolution="File it as a change.")
    actions.reopen(fresh(service_request), actor=users["ent_pregene"], reason="The form was refused.")
    assert fresh(service_request).assignee_id == users["officer_ps_msb"].pk


def test_a_person_who_may_no_longer_take_the_request_does_not_get_it_back(make_request, users):
    service_request = at_district(make_request, users, claimed_by="liaison_sbip2")
    actions.claim(service_request, actor=users["officer_ps_msb"])
    leaver = users["liaison_sbip2"]
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    actions.return_to_lower_tier(service_request, actor=users["officer_ps_msb"], reason=RETURN_REASON)
    assert fresh(service_request).assignee_id is None


# --- 2. the tracker says who returned it, and the page says why -----------------------------
def test_the_tracker_shows_the_returning_tier_as_returned_with_the_reason_in_the_main_column(
    make_request, users, browser
):
    service_request = at_district(make_request, users)
    actions.return_to_lower_tier(service_request, actor=users["officer_ps_msb"], reason=RETURN_REASON)
    enterprise = browser("ent_pregene")

    home = enterprise.get("/home/").content.decode()
    assert '<li class="step returned">District' in home
    assert "↩ returned" in home

    html = page_of(enterprise, service_request)
    district_step = html.split('<li class="step returned">', 1)[1].split("</li>", 1)[0]
    assert "District" in district_step and "returned" in district_step and "✓" not in district_step
    main = html.split('<div class="detail-main">', 1)[1].split('<aside class="detail-side">', 1)[0]
    assert f"Returned by Pingshan District</strong>: {RETURN_REASON}" in main


def test_an_escalated_request_shows_no_return_notice_and_passed_tiers_stay_answered(
    make_request, users, browser
):
    service_request = at_district(make_request, users)
    html = page_of(browser("ent_pregene"), service_request)
    assert "Returned by" not in html and "step returned" not in html
    assert '<li class="step done">' in html  # the park passed it up


# --- 3. an officer's queue: their tier's requests apart from those that moved on --------------
def test_the_officers_queue_keeps_requests_that_moved_on_apart_and_never_overdue(
    make_request, users, browser
):
    waiting_here = at_district(make_request, users)
    moved_up = at_district(make_request, users)
    actions.escalate(moved_up, actor=users["officer_ps_msb"], reason="A municipal matter.")
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        html = browser("officer_ps_msb").get("/home/").content.decode()
    queue, moved_on = html.split('id="moved-on-title"', 1)
    assert waiting_here.reference in queue and "row-overdue" in queue and 'class="due overdue"' in queue
    assert moved_up.reference not in queue
    assert moved_up.reference in moved_on
    assert 'class="due overdue"' not in moved_on and "row-overdue" not in moved_on
    assert "Municipal" in moved_on.split(moved_up.reference, 1)[1]


def test_an_officer_listing_all_states_sees_where_a_moved_on_request_is_not_an_overdue_alarm(
    make_request, users, browser
):
    moved_up = at_district(make_request, users)
    actions.escalate(moved_up, actor=users["officer_ps_msb"], reason="A municipal matter.")
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        html = browser("officer_ps_msb").get("/home/", {"state": "all"}).content.decode()
    queue = html.split('id="moved-on-title"', 1)[0]
    row = queue.split(moved_up.reference, 1)[0].rsplit("<tr", 1)[1] + queue.split(moved_up.reference, 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "row-overdue" not in row and 'class="due overdue"' not in row
    assert "Now at the municipal tier" in row


def test_the_moved_on_section_costs_no_query_per_row(make_request, users, browser):
    client = browser("officer_ps_msb")

    def queries_for_home() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/home/").status_code == 200
        return len(captured)

    first = at_district(make_request, users)
    actions.escalate(first, actor=users["officer_ps_msb"], reason="A municipal matter.")
    one = queries_for_home()
    for _ in range(3):
        more = at_district(make_request, users, claimed_by="liaison_sbip2")
        actions.escalate(more, actor=users["officer_ps_msb"], reason="A municipal matter.")
    assert queries_for_home() == one


# --- 4. closed and withdrawn requests take no more messages or files ------------------------
def test_a_withdrawn_request_offers_no_message_or_upload_and_points_to_a_new_request(
    make_request, users, browser
):
    service_request = make_request()
    actions.withdraw(service_request, actor=users["ent_pregene"], reason="Filed by mistake.")
    html = page_of(browser("ent_pregene"), service_request)
    actions_posted_to = [form.action for form in forms_in(html)]
    assert not any("/messages/" in a or "/attachments/" in a for a in actions_posted_to)
    assert "This request was withdrawn: it takes no more messages or files." in html
    assert "To raise the matter again, file a new request." in html and 'href="/requests/new/"' in html


def test_a_closed_request_says_who_may_raise_the_matter_again(make_request, users, browser):
    service_request = at_district(make_request, users)
    actions.resolve(service_request, actor=users["officer_ps_msb"], resolution="File it as a change.")
    actions.close(fresh(service_request), actor=users["ent_pregene"])
    officer_html = page_of(browser("officer_ps_msb"), service_request)
    assert "This request is closed: it takes no more messages or files." in officer_html
    assert "the enterprise or its park files a new request" in officer_html
    assert 'href="/requests/new/"' not in officer_html.split('id="conversation"', 1)[1]
    liaison_html = page_of(browser("liaison_sbip"), service_request)
    assert 'href="/requests/new/"' in liaison_html.split('id="conversation"', 1)[1]


def test_a_resolved_request_still_takes_messages_and_says_it_can_be_reopened(make_request, users, browser):
    service_request = make_request()
    actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Use form B-7.")
    html = page_of(browser("ent_pregene"), service_request)
    assert form_to(html, "/messages/") and form_to(html, "/attachments/")
    assert "This request is resolved. If the answer does not settle the matter, reopen it" in html


def test_posting_to_a_closed_request_is_refused_on_the_page_the_api_and_the_action(
    make_request, users, browser, api
):
    service_request = make_request()
    actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Use form B-7.")
    actions.close(fresh(service_request), actor=users["ent_pregene"])
    closed = fresh(service_request)

    page = browser("ent_pregene").post(f"/requests/{closed.pk}/messages/", {"message-body": "One more thing"})
    assert page.status_code == 409
    assert "This request is closed: it takes no more messages or files." in page.content.decode()

    answer = api("ent_pregene").post(f"/api/v1/requests/{closed.pk}/messages/", {"body": "One more"})
    assert answer.status_code == 409
    assert "closed" in answer.json()["detail"] and "new request" in answer.json()["detail"]

    upload = SimpleUploadedFile("note.txt", b"more", content_type="text/plain")
    answer = api("ent_pregene").post(
        f"/api/v1/requests/{closed.pk}/attachments/", {"file": upload}, format="multipart"
    )
    assert answer.status_code == 409
    assert not closed.messages.filter(body__startswith="One more").exists()
    assert not closed.attachments.exists()


def test_the_actions_refuse_messages_and_files_on_a_withdrawn_request(make_request, users):
    service_request = make_request()
    actions.withdraw(service_request, actor=users["ent_pregene"])
    withdrawn = fresh(service_request)
    with pytest.raises(TransitionNotAllowed, match="withdrawn"):
        actions.add_message(withdrawn, actor=users["liaison_sbip"], body="Noted.", internal=True)
    with pytest.raises(TransitionNotAllowed):
        actions.add_attachment(
            withdrawn,
            actor=users["liaison_sbip"],
            upload=SimpleUploadedFile("n.txt", b"x", content_type="text/plain"),
        )
    assert withdrawn.state == State.WITHDRAWN and not withdrawn.messages.exists()


# --- 5. a form refused because the request changed meanwhile keeps the text -----------------
def test_a_stale_form_comes_back_with_the_text_and_what_changed(make_request, users, browser):
    service_request = at_district(make_request, users)
    officer = browser("officer_ps_msb")
    resolve_form = form_to(page_of(officer, service_request), "/act/resolve/")
    typed = "Register the amendment with form C-2 <by Friday>."
    # Meanwhile a colleague escalates it.
    actions.escalate(fresh(service_request), actor=users["officer_ps_msb2"], reason="A municipal matter.")

    response = officer.post(resolve_form.action, resolve_form.data(**{"resolve-resolution": typed}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "While you were writing, Huang Min (officer) escalated it to the municipal tier." in html
    assert "Your text is kept below" in html
    assert "Register the amendment with form C-2 &lt;by Friday&gt;." in html  # kept, escaped
    assert fresh(service_request).state == State.MUNICIPAL_REVIEW  # nothing else happened


def test_a_stale_form_that_can_still_be_sent_comes_back_filled_in_and_goes_through(
    make_request, users, browser
):
    service_request = make_request()
    liaison = browser("liaison_sbip")
    escalate_form = form_to(page_of(liaison, service_request), "/act/escalate/")
    # Meanwhile a colleague claims it (their own version of the request moved on).
    actions.claim(fresh(service_request), actor=users["liaison_sbip2"])

    typed = "The district must rule on the dosage change."
    response = liaison.post(escalate_form.action, escalate_form.data(**{"escalate-reason": typed}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "While you were writing, Wang Fang (park liaison) claimed it." in html
    again = form_to(html, "/act/escalate/")
    # The form is open, its text area holds what was typed, and it carries the version now shown.
    escalate_part = html.split(f'action="{again.action}"', 1)[1].split("</form>", 1)[0]
    assert f">\n{typed}</textarea>" in escalate_part
    assert '<details class="action" open>\n        <summary>Escalate' in html
    assert again.values["version"] == [str(fresh(service_request).version)]
    assert liaison.post(again.action, again.data(**{"escalate-reason": typed})).status_code == 302
    assert fresh(service_request).state == State.DISTRICT_REVIEW


def test_a_current_form_is_not_refused(make_request, users, browser):
    service_request = make_request()
    liaison = browser("liaison_sbip")
    escalate_form = form_to(page_of(liaison, service_request), "/act/escalate/")
    response = liaison.post(escalate_form.action, escalate_form.data(**{"escalate-reason": "District."}))
    assert response.status_code == 302
    assert fresh(service_request).state == State.DISTRICT_REVIEW


def test_the_return_notice_and_the_changed_meanwhile_sentence_read_in_chinese(make_request, users):
    service_request = at_district(make_request, users)
    actions.return_to_lower_tier(service_request, actor=users["officer_ps_msb"], reason=RETURN_REASON)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(users["liaison_sbip"])
    html = client.get(f"/requests/{service_request.pk}/").content.decode()
    assert f"由坪山区退回</strong>: {RETURN_REASON}" in html and "已退回" in html
    escalate_form = form_to(html, "/act/escalate/")
    actions.set_green_channel(
        fresh(service_request), actor=users["liaison_sbip2"], green_channel=True, reason="重点项目"
    )
    response = client.post(escalate_form.action, escalate_form.data(**{"escalate-reason": "再次上报"}))
    assert response.status_code == 409
    assert "在您填写期间，Wang Fang（园区联络员）更改了其绿色通道。" in response.content.decode()
