"""好差评 on the pages (SPEC.md, "Satisfaction"): the request page's Rating and Rectification
cards and the homes, through the real views and the real actions, as each persona sees them.
The forms are sent as the page renders them (tests/page_forms.py reads them as a browser does)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.casework import actions
from apps.casework.models import EventKind, ServiceRequest
from apps.satisfaction import actions as satisfaction
from apps.satisfaction import ledger
from apps.satisfaction.models import Rectification, RectificationState, Source
from tests.conftest import fresh
from tests.page_forms import Form, forms_in

pytestmark = pytest.mark.django_db

BUREAU = "Pingshan Market Supervision Bureau"


@pytest.fixture
def resolved(make_request, users) -> ServiceRequest:
    """Filed by ent_pregene, escalated by the park, resolved by the bureau's officer."""
    sr = make_request()
    actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district.")
    actions.resolve(fresh(sr), actor=users["officer_ps_msb"], resolution="File the amendment.")
    return fresh(sr)


@pytest.fixture
def bad_review(resolved, users) -> Rectification:
    """ent_pregene2 (not the person who filed) gave the bureau's answer a 1."""
    satisfaction.rate(resolved, actor=users["ent_pregene2"], score=1, comment="Nobody called back.")
    return Rectification.objects.get(request=resolved)


def page(client, sr: ServiceRequest) -> str:
    response = client.get(f"/requests/{sr.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def form_to(html: str, action_end: str) -> Form:
    [form] = [f for f in forms_in(html) if f.action.endswith(action_end)]
    return form


def card(html: str, element_id: str) -> str:
    """The HTML of the card with this id (the section that opens with it, to its end)."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_the_enterprise_rates_the_answer_from_the_rating_card(browser, resolved, users):
    client = browser("ent_pregene")
    html = page(client, resolved)
    rating_card = card(html, "rate")
    # The five levels as radio buttons with their words, and when it would count as 5.
    for score, words in [(5, "Very satisfied"), (3, "Fairly satisfied"), (1, "Very dissatisfied")]:
        assert f'type="radio" name="rate-score" value="{score}"' in rating_card
        assert f"{score} – {words}" in rating_card
    default_at = ledger.current_rating(resolved).default_at
    assert (
        f"Counts as 5 (very satisfied) if not rated by {timezone.localtime(default_at):%Y-%m-%d %H:%M}"
        in rating_card
    )

    form = form_to(html, "/rate/")
    response = client.post(
        form.action, form.data(**{"rate-score": "4", "rate-comment": "Clear and quick."}), follow=True
    )
    assert response.status_code == 200
    rating = ledger.current_rating(resolved)
    assert (rating.score, rating.source, rating.rated_by) == (4, Source.ENTERPRISE, users["ent_pregene"])
    rated = card(response.content.decode(), "rate")
    assert "4 – Satisfied" in rated and "Clear and quick." in rated
    assert 'name="rate-score"' not in rated  # one rating per resolution: the form is gone
    assert "Rating recorded: 4 – Satisfied." in response.content.decode()


@pytest.mark.parametrize("score", ["", "0", "6", "five", "4.5"])
def test_a_bad_score_is_a_form_error_and_nothing_is_saved(browser, resolved, score):
    client = browser("ent_pregene")
    form = form_to(page(client, resolved), "/rate/")
    data = form.data(**{"rate-comment": "My comment stays."})
    if score:
        data["rate-score"] = [score]
    response = client.post(form.action, data)
    assert response.status_code == 400
    rating_card = card(response.content.decode(), "rate")
    assert "Choose a score from 1 (very dissatisfied) to 5 (very satisfied)." in rating_card
    assert "My comment stays." in rating_card
    assert not ledger.current_rating(resolved).rated
    assert not resolved.events.filter(kind=EventKind.RATED).exists()


def test_a_rating_sent_from_a_page_rated_meanwhile_is_refused_with_the_text_kept(browser, resolved, users):
    client = browser("ent_pregene")
    form = form_to(page(client, resolved), "/rate/")
    satisfaction.rate(resolved, actor=users["ent_pregene2"], score=5)
    response = client.post(form.action, form.data(**{"rate-score": "2", "rate-comment": "Too slow."}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "rated already" in html and "Too slow." in html
    assert ledger.current_rating(resolved).score == 5


def test_the_park_liaison_records_a_phone_rating_and_the_form_says_so(browser, resolved, users):
    client = browser("liaison_sbip")
    html = page(client, resolved)
    assert "You record the rating the enterprise gave you" in card(html, "rate")
    form = form_to(html, "/rate/")
    response = client.post(form.action, form.data(**{"rate-score": "3"}), follow=True)
    assert ledger.current_rating(resolved).source == Source.LIAISON
    assert "Recorded by the park" in card(response.content.decode(), "rate")


def test_staff_other_than_the_enterprise_side_get_no_rating_form_and_a_post_is_refused(browser, resolved):
    client = browser("officer_ps_msb")
    html = page(client, resolved)
    assert "Waiting for the enterprise's rating." in card(html, "rate")
    assert "/rate/" not in html
    response = client.post(f"/requests/{resolved.pk}/rate/", {"rate-score": "5"}, follow=True)
    assert response.status_code == 200
    assert "Only the enterprise" in response.content.decode()
    assert not ledger.current_rating(resolved).rated


def test_the_rated_officer_sees_the_score_and_comment_never_who_gave_it(browser, bad_review, users):
    rater = users["ent_pregene2"].display_name
    officer = page(browser("officer_ps_msb"), bad_review.request)
    rating_card = card(officer, "rate")
    assert "1 – Very dissatisfied" in rating_card and "Nobody called back." in rating_card
    assert rater not in officer
    # The enterprise's own side knows who rated.
    assert f"Rated by {rater}" in card(page(browser("ent_pregene"), bad_review.request), "rate")


def test_the_rectification_card_shows_the_review_owner_state_and_time_left(browser, bad_review):
    html = page(browser("officer_ps_msb"), bad_review.request)
    rect = card(html, "rectification")
    assert "1 – Very dissatisfied" in rect and BUREAU in rect and "Being rectified" in rect
    assert re.search(r'class="due (on-track|soon)"', rect)
    assert f"{timezone.localtime(bad_review.due_at):%Y-%m-%d %H:%M}" in rect
    # The owner's staff may rectify or appeal; nobody else sees those forms.
    assert (
        f"/rectifications/{bad_review.pk}/rectify/" in rect
        and f"/rectifications/{bad_review.pk}/appeal/" in rect
    )
    enterprise = card(page(browser("ent_pregene"), bad_review.request), "rectification")
    assert "/rectify/" not in enterprise and "/appeal/" not in enterprise and BUREAU in enterprise


def test_the_owner_records_the_rectification_and_the_enterprise_rates_the_fix(browser, bad_review, users):
    officer = browser("officer_ps_msb")
    form = form_to(page(officer, bad_review.request), f"/rectifications/{bad_review.pk}/rectify/")
    assert form.options["rectify-follow_up_method"][1:] == ["phone", "visit", "meeting", "message"]
    followed_up = timezone.localtime() - timedelta(minutes=30)
    response = officer.post(
        form.action,
        form.data(
            **{
                "rectify-action_taken": "Called back and sent the filing checklist.",
                "rectify-followed_up_at": followed_up.strftime(
                    "%Y-%m-%dT%H:%M"
                ),  # as datetime-local sends it
                "rectify-follow_up_method": "phone",
                "rectify-follow_up_notes": "Happy with the checklist.",
            }
        ),
        follow=True,
    )
    assert response.status_code == 200
    bad_review.refresh_from_db()
    assert (
        bad_review.state == RectificationState.RECTIFIED
        and bad_review.rectified_by == users["officer_ps_msb"]
    )
    assert (
        f"{timezone.localtime(bad_review.followed_up_at):%Y-%m-%d %H:%M}" == f"{followed_up:%Y-%m-%d %H:%M}"
    )
    rect = card(response.content.decode(), "rectification")
    assert (
        "Rectified" in rect
        and "Called back and sent the filing checklist." in rect
        and "rectified on time" in rect
    )

    enterprise = browser("ent_pregene")
    html = page(enterprise, bad_review.request)
    assert "Happy with the checklist." in card(html, "rectification")
    fix = form_to(html, f"/rectifications/{bad_review.pk}/rate_fix/")
    enterprise.post(fix.action, fix.data(**{"rate_fix-score": "4", "rate_fix-comment": "Thanks."}))
    assert Rectification.objects.get(pk=bad_review.pk).fix_score == 4
    assert "4 – Satisfied" in card(page(browser("officer_ps_msb"), bad_review.request), "rectification")


def test_a_rectification_without_a_follow_up_is_a_form_error_per_field(browser, bad_review):
    officer = browser("officer_ps_msb")
    form = form_to(page(officer, bad_review.request), f"/rectifications/{bad_review.pk}/rectify/")
    response = officer.post(
        form.action,
        form.data(
            **{
                "rectify-action_taken": "Called back.",
                "rectify-followed_up_at": "2999-01-01T10:00",
                "rectify-follow_up_method": "phone",
                "rectify-follow_up_notes": "Fine.",
            }
        ),
    )
    assert response.status_code == 400
    assert "A follow-up that has not happened yet cannot be recorded." in card(
        response.content.decode(), "rectification"
    )
    assert "Called back." in response.content.decode()  # what they wrote is kept
    assert Rectification.objects.get(pk=bad_review.pk).state == RectificationState.OPEN


def test_an_appeal_and_its_decision_stay_internal(browser, bad_review):
    officer = browser("officer_ps_msb")
    form = form_to(page(officer, bad_review.request), f"/rectifications/{bad_review.pk}/appeal/")
    officer.post(form.action, form.data(**{"appeal-reason": "APPEAL-TEXT: the reply was correct."}))
    assert Rectification.objects.get(pk=bad_review.pk).state == RectificationState.APPEALED
    # The officer who appealed is not the one to decide.
    assert "/decide/" not in page(officer, bad_review.request)

    supervisor = browser("supervisor_ps_msb")
    html = page(supervisor, bad_review.request)
    assert "APPEAL-TEXT" in card(html, "rectification")
    decide = form_to(html, f"/rectifications/{bad_review.pk}/decide/")
    response = supervisor.post(
        decide.action,
        decide.data(
            **{"decide-decision": "set_aside", "decide-reason": "DECISION-REASON: a mistaken review."}
        ),
        follow=True,
    )
    assert "Review set aside: the figures leave it out." in response.content.decode()
    bad_review.refresh_from_db()
    assert bad_review.state == RectificationState.SET_ASIDE and bad_review.rating.set_aside
    assert "DECISION-REASON" in page(officer, bad_review.request)

    enterprise = page(browser("ent_pregene"), bad_review.request)
    assert "APPEAL-TEXT" not in enterprise and "DECISION-REASON" not in enterprise
    assert "Review set aside" in card(enterprise, "rectification")  # the state, and no more


def test_a_decision_without_a_choice_is_a_form_error(browser, bad_review, users):
    satisfaction.appeal(bad_review, actor=users["officer_ps_msb"], reason="Mistaken.")
    supervisor = browser("supervisor_ps_msb")
    decide = form_to(page(supervisor, bad_review.request), f"/rectifications/{bad_review.pk}/decide/")
    response = supervisor.post(decide.action, decide.data(**{"decide-reason": "Because."}))
    assert response.status_code == 400
    assert "Uphold the review or set it aside." in response.content.decode()
    assert Rectification.objects.get(pk=bad_review.pk).state == RectificationState.APPEALED


def test_an_unknown_rectification_or_action_is_not_found(browser, bad_review):
    officer = browser("officer_ps_msb")
    sr = bad_review.request
    assert officer.post(f"/requests/{sr.pk}/rectifications/{bad_review.pk + 999}/rectify/").status_code == 404
    assert officer.post(f"/requests/{sr.pk}/rectifications/{bad_review.pk}/delete/").status_code == 404
    # Somebody who cannot see the request cannot learn of its rectification either.
    assert (
        browser("ent_ascentawits")
        .post(f"/requests/{sr.pk}/rectifications/{bad_review.pk}/rectify/")
        .status_code
        == 404
    )


@pytest.mark.parametrize("username", ["officer_ps_msb", "supervisor_ps_msb", "supervisor_ps"])
def test_the_owners_homes_list_the_rectification_with_its_time_left(browser, bad_review, username):
    html = browser(username).get("/home/").content.decode()
    panel = card(html, "rectifications-due")
    assert f'href="/requests/{bad_review.request_id}/#rectification"' in panel
    assert bad_review.request.reference in panel and "Being rectified" in panel
    assert re.search(r'class="due (on-track|soon)"', panel)


@pytest.mark.parametrize("username", ["officer_ps_sti", "liaison_sbip", "officer_sz_amr"])
def test_homes_of_others_show_no_rectifications_panel(browser, bad_review, username):
    assert 'id="rectifications-due"' not in browser(username).get("/home/").content.decode()


def test_the_panel_is_gone_once_rectified(browser, bad_review, users):
    satisfaction.rectify(
        bad_review,
        actor=users["officer_ps_msb"],
        action_taken="Called back.",
        followed_up_at=timezone.now() - timedelta(minutes=5),
        follow_up_method="phone",
        follow_up_notes="Fine.",
    )
    assert 'id="rectifications-due"' not in browser("officer_ps_msb").get("/home/").content.decode()


def test_the_enterprise_home_asks_for_the_rating_on_the_requests_card(browser, resolved, users):
    html = browser("ent_pregene").get("/home/").content.decode()
    assert f'href="/requests/{resolved.pk}/#rate"' in html and "Rate the answer" in html
    satisfaction.rate(resolved, actor=users["ent_pregene"], score=5)
    assert "Rate the answer" not in browser("ent_pregene").get("/home/").content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_timeline_names_the_enterprise_for_a_rating_never_the_person(
    browser, bad_review, users, language
):
    html = browser("officer_ps_msb", language).get(f"/requests/{bad_review.request_id}/").content.decode()
    timeline = html[html.index('class="timeline"') :]
    assert users["ent_pregene2"].display_name not in timeline
    if language == "en":
        assert "The enterprise" in timeline and "1 – Very dissatisfied: Nobody called back." in timeline
        assert "opened a rectification by Pingshan Market Supervision Bureau" in timeline
