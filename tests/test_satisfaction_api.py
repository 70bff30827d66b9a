"""好差评 over the API (SPEC.md, "Satisfaction"): rating a resolved request, reading the rating
of its latest resolution, and the rectification of a bad review — rectify, appeal, decide, rate
the fix — as each person concerned would, over HTTP. Every refusal answers with its status and
saves nothing; who rated is hidden from the rated staff; the appeal stays internal. States are
reached through the real actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from apps.casework import actions
from apps.casework.models import EventKind, ServiceRequest
from apps.satisfaction import actions as satisfaction
from apps.satisfaction import ledger
from apps.satisfaction.models import Rating, Rectification, RectificationState, Score
from apps.stats.models import ServiceTarget
from tests.conftest import fresh

MSB = "Pingshan Market Supervision Bureau"


def rate_url(sr: ServiceRequest) -> str:
    return f"/api/v1/requests/{sr.pk}/rate/"


def rating_url(sr: ServiceRequest) -> str:
    return f"/api/v1/requests/{sr.pk}/rating/"


def rectification_url(rectification: Rectification, step: str = "") -> str:
    return f"/api/v1/rectifications/{rectification.pk}/" + (f"{step}/" if step else "")


@pytest.fixture
def resolved(make_request, users):
    """A request the park escalated and the Pingshan Market Supervision Bureau resolved;
    `shared_with_sti` also lets the district's other department see it."""

    def make(*, shared_with_sti: bool = False) -> ServiceRequest:
        sr = make_request()
        actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district.")
        if shared_with_sti:
            actions.share_with_department(
                fresh(sr),
                actor=users["officer_ps_msb"],
                department=users["officer_ps_sti"].organization,
                reason="A second view.",
            )
        actions.resolve(fresh(sr), actor=users["officer_ps_msb"], resolution="File the amendment.")
        return fresh(sr)

    return make


@pytest.fixture
def bad_review(resolved, users):
    """A resolved request its enterprise rated 1: the bureau's rectification is open."""

    def make(**options: bool) -> Rectification:
        sr = resolved(**options)
        satisfaction.rate(sr, actor=users["ent_pregene"], score=1, comment="Nobody called back.")
        return Rectification.objects.get(request=sr)

    return make


def follow_up(**changes: str) -> dict[str, str]:
    return {
        "action_taken": "Called the enterprise and sent the filing checklist.",
        "followed_up_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "follow_up_method": "phone",
        "follow_up_notes": "The checklist answers it.",
        **changes,
    }


def rated_events(sr: ServiceRequest) -> int:
    return sr.events.filter(kind=EventKind.RATED).count()


# --- rating a resolution ------------------------------------------------------------------------
def test_the_enterprise_rates_a_resolved_request_and_reads_the_rating(api, resolved):
    sr = resolved()
    answer = api("ent_pregene").post(rate_url(sr), {"score": 4, "comment": "Clear and quick."}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["score"] == 4 and body["score_label"] == "4 – Satisfied"
    assert (body["source"], body["comment"], body["tier"]) == ("enterprise", "Clear and quick.", "district")
    assert body["organization"] == MSB
    assert body["rectification"] is None and body["set_aside"] is False
    assert body["rated_by"]["username"] == "ent_pregene"  # the enterprise knows who of it rated
    assert body["rated_at"] and body["resolved_at"] and body["default_at"]
    assert api("ent_pregene").get(rating_url(sr)).json() == body


def test_the_rating_reads_in_the_readers_language(api, resolved, users):
    sr = resolved()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=4)
    body = api("ent_pregene").get(rating_url(sr), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    with translation.override("zh-hans"):
        assert body["score_label"] == f"4 – {Score(4).label}"  # "4 – 满意" with the catalogue
    assert body["organization"] == users["officer_ps_msb"].organization.name_zh


def test_a_rating_still_waiting_says_when_it_counts_as_five(api, resolved):
    sr = resolved()
    body = api("ent_pregene").get(rating_url(sr)).json()
    assert (body["score"], body["score_label"], body["source"], body["rated_at"]) == (None, None, None, None)
    rating = ledger.current_rating(sr)
    assert body["default_at"] == timezone.localtime(rating.default_at).isoformat()
    assert rating.default_at - rating.resolved_at == timedelta(days=7)


def test_a_request_never_resolved_or_reopened_since_has_no_rating_to_read(api, make_request, resolved, users):
    open_request = make_request()
    answer = api("ent_pregene").get(rating_url(open_request))
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_rated"
    assert "never resolved" in answer.json()["detail"]
    sr = resolved()
    actions.reopen(sr, actor=users["ent_pregene"], reason="The answer missed the point.")
    assert api("ent_pregene").get(rating_url(sr)).status_code == 404


def test_the_park_liaison_records_a_rating_the_enterprise_gave(api, resolved):
    sr = resolved()
    answer = api("liaison_sbip").post(
        rate_url(sr), {"score": 3, "comment": "Said on the phone."}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["source"] == "liaison"
    assert answer.json()["rated_by"]["username"] == "liaison_sbip"


def test_the_rated_staff_never_learn_who_rated(api, resolved, users):
    sr = resolved()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=2)
    for rated_side in ("officer_ps_msb", "supervisor_ps"):
        body = api(rated_side).get(rating_url(sr)).json()
        assert body["score"] == 2 and body["rated_by"] is None
        assert "ent_pregene" not in str(body)
    for enterprise_side in ("ent_pregene", "ent_pregene2", "liaison_sbip", "admin"):
        assert api(enterprise_side).get(rating_url(sr)).json()["rated_by"]["username"] == "ent_pregene"


@pytest.mark.parametrize(
    "sent", [{"score": 0}, {"score": 6}, {"score": "x"}, {}, {"score": True}, {"score": 4.5}]
)
def test_a_score_outside_one_to_five_is_400_on_score_and_saves_nothing(api, resolved, sent):
    sr = resolved()
    answer = api("ent_pregene").post(rate_url(sr), sent, format="json")
    assert answer.status_code == 400
    assert "score" in answer.json()
    assert not ledger.current_rating(sr).rated
    assert rated_events(sr) == 0


def test_a_form_post_may_send_the_score_as_text(api, resolved):
    sr = resolved()
    answer = api("ent_pregene").post(rate_url(sr), {"score": "5"})
    assert answer.status_code == 201 and answer.json()["score"] == 5


def test_a_comment_that_is_not_text_is_400_on_comment(api, resolved):
    sr = resolved()
    answer = api("ent_pregene").post(rate_url(sr), {"score": 4, "comment": 12}, format="json")
    assert answer.status_code == 400 and "comment" in answer.json()
    assert not ledger.current_rating(sr).rated


def test_one_rating_per_resolution_a_second_is_409(api, resolved):
    sr = resolved()
    assert api("ent_pregene").post(rate_url(sr), {"score": 4}, format="json").status_code == 201
    second = api("ent_pregene2").post(rate_url(sr), {"score": 1}, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated"
    assert Rating.objects.get(request=sr).score == 4
    assert rated_events(sr) == 1


def test_an_open_request_is_not_rated_409(api, make_request):
    sr = make_request()
    assert api("ent_pregene").post(rate_url(sr), {"score": 5}, format="json").status_code == 409


@pytest.mark.parametrize("who", ["officer_ps_msb", "supervisor_ps", "admin"])
def test_staff_who_see_the_request_may_not_rate_it_403(api, resolved, who):
    sr = resolved()
    answer = api(who).post(rate_url(sr), {"score": 5}, format="json")
    assert answer.status_code == 403
    assert not ledger.current_rating(sr).rated


@pytest.mark.parametrize(
    "who", ["ent_accel1", "ent_ascentawits", "liaison_accel", "officer_ps_sti", "officer_sz_amr"]
)
def test_outsiders_get_404_as_if_the_request_did_not_exist(api, resolved, who):
    sr = resolved()
    client = api(who)
    assert client.post(rate_url(sr), {"score": 1}, format="json").status_code == 404
    assert client.get(rating_url(sr)).status_code == 404
    assert client.get(f"/api/v1/requests/{sr.pk}/rectifications/").status_code == 404
    assert not ledger.current_rating(sr).rated


def test_rating_needs_a_signed_in_caller(api, resolved):
    sr = resolved()
    assert api(None).post(rate_url(sr), {"score": 5}, format="json").status_code == 401
    assert api(None).get(rating_url(sr)).status_code == 401


# --- the rectification of a bad review ---------------------------------------------------------
def test_a_bad_review_opens_a_rectification_the_request_and_the_list_show(api, resolved):
    sr = resolved()
    rated = api("ent_pregene").post(rate_url(sr), {"score": 1, "comment": "Rude."}, format="json").json()
    assert rated["rectification"] is not None
    listed = api("officer_ps_msb").get(f"/api/v1/requests/{sr.pk}/rectifications/").json()
    assert [r["id"] for r in listed] == [rated["rectification"]]
    body = api("officer_ps_msb").get(f"/api/v1/rectifications/{rated['rectification']}/").json()
    assert (body["request"], body["reference"]) == (sr.pk, sr.reference)
    assert (body["state"], body["tier"]) == ("open", "district")
    assert (body["score"], body["score_label"], body["comment"]) == (1, "1 – Very dissatisfied", "Rude.")
    assert body["organization"] == MSB
    assert body["due_label"].startswith("due") and body["due_in"] > 0 and body["overdue"] is False
    assert body["on_time"] is None and body["follow_up_method"] is None and body["decision"] is None


def test_the_owner_rectifies_and_the_enterprise_rates_the_fix(api, bad_review):
    rectification = bad_review()
    done = api("officer_ps_msb2").post(
        rectification_url(rectification, "rectify"), follow_up(), format="json"
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["on_time"], body["follow_up_method"]) == ("rectified", True, "phone")
    assert body["action_taken"].startswith("Called the enterprise")
    assert body["due_label"] is None and body["due_in"] is None
    fixed = api("ent_pregene").post(
        rectification_url(rectification, "rate"), {"score": 4, "comment": "Thanks."}, format="json"
    )
    assert fixed.status_code == 200
    assert (fixed.json()["fix_score"], fixed.json()["fix_comment"]) == (4, "Thanks.")
    again = api("ent_pregene").post(rectification_url(rectification, "rate"), {"score": 5}, format="json")
    assert again.status_code == 409
    assert Rectification.objects.get(pk=rectification.pk).fix_score == 4


def test_rectifying_twice_is_409(api, bad_review):
    rectification = bad_review()
    url = rectification_url(rectification, "rectify")
    client = api("officer_ps_msb")
    assert client.post(url, follow_up(), format="json").status_code == 200
    second = client.post(url, follow_up(action_taken="Again."), format="json")
    assert second.status_code == 409
    assert Rectification.objects.get(pk=rectification.pk).action_taken.startswith("Called the enterprise")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("followed_up_at", "next week"),
        ("followed_up_at", 20260928),
        ("followed_up_at", "2999-01-01T10:00:00+08:00"),  # not happened yet
        ("follow_up_method", "pigeon"),
        ("action_taken", " "),
        ("follow_up_notes", ""),
    ],
)
def test_a_rectification_with_bad_input_is_400_on_that_field_and_stays_open(api, bad_review, field, value):
    rectification = bad_review()
    answer = api("officer_ps_msb").post(
        rectification_url(rectification, "rectify"), follow_up(**{field: value}), format="json"
    )
    assert answer.status_code == 400
    assert field in answer.json()
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.OPEN


def test_a_fix_is_rated_only_once_it_is_rectified_409(api, bad_review):
    rectification = bad_review()
    answer = api("ent_pregene").post(rectification_url(rectification, "rate"), {"score": 5}, format="json")
    assert answer.status_code == 409


@pytest.mark.parametrize("who", ["ent_pregene", "liaison_sbip", "admin"])
def test_who_sees_the_request_but_does_not_own_it_may_not_rectify_or_appeal_403(api, bad_review, who):
    rectification = bad_review()
    client = api(who)
    rectified = client.post(rectification_url(rectification, "rectify"), follow_up(), format="json")
    appealed = client.post(
        rectification_url(rectification, "appeal"), {"reason": "Malicious."}, format="json"
    )
    assert (rectified.status_code, appealed.status_code) == (403, 403)
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.OPEN


def test_an_officer_of_another_department_appealing_is_404_unless_the_request_was_shared_then_403(
    api, bad_review
):
    # The district's other department does not see what was routed to the bureau: 404.
    unseen = bad_review()
    answer = api("officer_ps_sti").post(
        rectification_url(unseen, "appeal"), {"reason": "Mistaken."}, format="json"
    )
    assert answer.status_code == 404
    assert api("officer_ps_sti").get(rectification_url(unseen)).status_code == 404
    # Shared with it, it sees the request and the rectification, but the bureau owns it: 403.
    shared = bad_review(shared_with_sti=True)
    assert api("officer_ps_sti").get(rectification_url(shared)).status_code == 200
    answer = api("officer_ps_sti").post(
        rectification_url(shared, "appeal"), {"reason": "Mistaken."}, format="json"
    )
    assert answer.status_code == 403
    assert Rectification.objects.get(pk=shared.pk).state == RectificationState.OPEN


def test_an_appeal_needs_a_reason_400(api, bad_review):
    rectification = bad_review()
    answer = api("officer_ps_msb").post(rectification_url(rectification, "appeal"), {}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()


def test_the_appellant_does_not_decide_their_own_appeal_403_another_supervisor_does(api, bad_review):
    rectification = bad_review()
    appealed = api("supervisor_ps_msb").post(
        rectification_url(rectification, "appeal"), {"reason": "The answer was correct."}, format="json"
    )
    assert appealed.status_code == 200 and appealed.json()["state"] == "appealed"
    own = api("supervisor_ps_msb").post(
        rectification_url(rectification, "decide"),
        {"decision": "set_aside", "reason": "Mine."},
        format="json",
    )
    assert own.status_code == 403
    officer = api("officer_ps_msb").post(
        rectification_url(rectification, "decide"), {"decision": "set_aside", "reason": "x"}, format="json"
    )
    assert officer.status_code == 403
    bad = api("supervisor_ps").post(
        rectification_url(rectification, "decide"), {"decision": "maybe", "reason": "x"}, format="json"
    )
    assert bad.status_code == 400 and "decision" in bad.json()
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.APPEALED
    decided = api("supervisor_ps").post(
        rectification_url(rectification, "decide"),
        {"decision": "set_aside", "reason": "The reply was correct."},
        format="json",
    )
    assert decided.status_code == 200
    assert (decided.json()["state"], decided.json()["decision"]) == ("set_aside", "set_aside")
    assert api("officer_ps_msb").get(rating_url(rectification.request)).json()["set_aside"] is True
    again = api("supervisor_ps").post(
        rectification_url(rectification, "decide"), {"decision": "upheld", "reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_deciding_an_appeal_that_was_never_made_is_409(api, bad_review):
    rectification = bad_review()
    answer = api("supervisor_ps").post(
        rectification_url(rectification, "decide"), {"decision": "upheld", "reason": "x"}, format="json"
    )
    assert answer.status_code == 409


def test_the_enterprise_sees_the_appeal_only_as_the_state(api, bad_review):
    rectification = bad_review()
    api("officer_ps_msb").post(
        rectification_url(rectification, "appeal"),
        {"reason": "INTERNAL-APPEAL: the answer was correct."},
        format="json",
    )
    api("supervisor_ps").post(
        rectification_url(rectification, "decide"),
        {"decision": "upheld", "reason": "INTERNAL-DECISION: it stands."},
        format="json",
    )
    staff = api("officer_ps_msb").get(rectification_url(rectification)).json()
    assert staff["appeal_reason"].startswith("INTERNAL-APPEAL")
    assert staff["decision_reason"].startswith("INTERNAL-DECISION")
    assert staff["appealed_by"]["username"] == "officer_ps_msb"
    assert staff["decided_by"]["username"] == "supervisor_ps"
    for who in ("ent_pregene", "ent_pregene2"):
        shown = api(who).get(rectification_url(rectification)).json()
        assert shown["state"] == "open" and shown["decision"] == "upheld"
        assert (shown["appeal_reason"], shown["decision_reason"]) == (None, None)
        assert (shown["appealed_by"], shown["decided_by"]) == (None, None)
        listed = api(who).get(f"/api/v1/requests/{rectification.request_id}/rectifications/").content.decode()
        assert "INTERNAL-" not in listed and "officer_ps_msb" not in listed


# --- the work list ------------------------------------------------------------------------------
def listed_ids(api, who: str, query: str = "") -> list[int]:
    answer = api(who).get("/api/v1/rectifications/" + query)
    assert answer.status_code == 200, answer.content
    return [r["id"] for r in answer.json()["results"]]


def test_the_list_shows_the_owner_its_own_rectifications(api, bad_review):
    rectification = bad_review(shared_with_sti=True)
    for owner in ("officer_ps_msb", "officer_ps_msb2", "supervisor_ps_msb", "supervisor_ps"):
        assert listed_ids(api, owner) == [rectification.pk], owner
    # Its enterprise sees its own; staff who see the request but do not own it open it, but it
    # is not on their list; outsiders see nothing of it.
    assert listed_ids(api, "ent_pregene") == [rectification.pk]
    for not_owner in ("liaison_sbip", "officer_ps_sti"):
        assert listed_ids(api, not_owner) == []
        assert api(not_owner).get(rectification_url(rectification)).status_code == 200
    for outsider in ("ent_ascentawits", "ent_accel1", "officer_sz_amr", "liaison_haidian"):
        assert listed_ids(api, outsider) == []
        assert api(outsider).get(rectification_url(rectification)).status_code == 404
    assert rectification.pk in listed_ids(api, "admin")


def test_the_list_is_newest_first_and_filters_by_state_and_overdue(api, bad_review, users):
    first = bad_review()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        second = bad_review()
        satisfaction.rectify(
            second,
            actor=users["officer_ps_msb"],
            **follow_up(followed_up_at=(timezone.now() - timedelta(minutes=1)).isoformat()),
        )
    assert listed_ids(api, "officer_ps_msb") == [second.pk, first.pk]
    assert listed_ids(api, "officer_ps_msb", "?state=open") == [first.pk]
    assert listed_ids(api, "officer_ps_msb", "?state=rectified&state=open") == [second.pk, first.pk]
    assert listed_ids(api, "officer_ps_msb", "?overdue=true") == []
    with time_machine.travel(first.due_at + timedelta(minutes=1)):
        assert listed_ids(api, "officer_ps_msb", "?overdue=true") == [first.pk]
        assert listed_ids(api, "officer_ps_msb", "?overdue=false") == [second.pk]
        body = api("officer_ps_msb").get(rectification_url(first)).json()
        assert body["overdue"] is True and body["due_in"] <= 0 and "overdue" in body["due_label"]


@pytest.mark.parametrize("query", ["?state=bogus", "?overdue=maybe", "?page_size=0"])
def test_the_list_refuses_a_bad_filter_400(api, users, query):
    answer = api("officer_ps_msb").get("/api/v1/rectifications/" + query)
    assert answer.status_code == 400


def test_an_unknown_rectification_is_404(api, users):
    assert api("officer_ps_msb").get("/api/v1/rectifications/999999/").status_code == 404
    appealed = api("officer_ps_msb").post(
        "/api/v1/rectifications/999999/appeal/", {"reason": "x"}, format="json"
    )
    assert appealed.status_code == 404


# --- the schema and the admin ---------------------------------------------------------------------
def test_the_schema_documents_every_new_operation_with_its_refusals(users):
    paths = Client().get("/api/schema/", {"format": "json"}).json()["paths"]
    posts = [
        "/api/v1/requests/{id}/rate/",
        "/api/v1/rectifications/{id}/rectify/",
        "/api/v1/rectifications/{id}/appeal/",
        "/api/v1/rectifications/{id}/decide/",
        "/api/v1/rectifications/{id}/rate/",
    ]
    for path in posts:
        assert {"400", "403", "404", "409"} <= set(paths[path]["post"]["responses"]), path
    for path in (
        "/api/v1/requests/{id}/rating/",
        "/api/v1/requests/{id}/rectifications/",
        "/api/v1/rectifications/{id}/",
    ):
        assert "404" in paths[path]["get"]["responses"], path
    parameters = {p["name"] for p in paths["/api/v1/rectifications/"]["get"]["parameters"]}
    assert {"state", "overdue", "page", "page_size"} <= parameters


def test_the_admin_reads_ratings_and_rectifications_but_never_writes_them(bad_review, users):
    rectification = bad_review()
    admin = Client()
    admin.force_login(users["admin"])
    reference = rectification.request.reference
    for model in ("rating", "rectification"):
        listed = admin.get(f"/admin/satisfaction/{model}/", {"q": reference})
        assert listed.status_code == 200 and reference in listed.content.decode()
        assert admin.get(f"/admin/satisfaction/{model}/add/").status_code == 403
    assert admin.get("/admin/satisfaction/rating/", {"source__exact": "enterprise"}).status_code == 200
    assert admin.get("/admin/satisfaction/rectification/", {"state__exact": "open"}).status_code == 200
    page = admin.get(f"/admin/satisfaction/rectification/{rectification.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin.get(f"/admin/satisfaction/rectification/{rectification.pk}/delete/").status_code == 403


def test_the_admin_sets_an_organisations_service_targets(users):
    admin = Client()
    admin.force_login(users["admin"])
    bureau = users["officer_ps_msb"].organization
    added = admin.post(
        "/admin/stats/servicetarget/add/",
        {"organization": bureau.pk, "on_time_percent": 95, "satisfaction_percent": 90},
    )
    assert added.status_code == 302, added.content.decode()[:500]
    target = ServiceTarget.objects.get(organization=bureau)
    assert (target.on_time_percent, target.satisfaction_percent) == (95, 90)
    refused = admin.post(
        f"/admin/stats/servicetarget/{target.pk}/change/",
        {"organization": bureau.pk, "on_time_percent": 101, "satisfaction_percent": 90},
    )
    assert refused.status_code == 200  # the form again, with its error
    assert ServiceTarget.objects.get(pk=target.pk).on_time_percent == 95
