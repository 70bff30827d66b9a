"""The lifecycle of a request (SPEC.md, "Lifecycle" and "Deadlines"), through the REST API.

Every transition of the table, for every role: who may take it (200), who may see the request
but not act (403), who may not see it at all (404), and which states refuse it (409). States
are reached only through the real actions (`apps.casework.actions`) or the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.casework import actions
from apps.casework.errors import ConcurrentChange
from apps.casework.models import ServiceRequest
from apps.deadlines.models import TierVisit
from apps.organizations.models import KeyProject, organization_group
from tests.conftest import fresh

SHANGHAI = ZoneInfo("Asia/Shanghai")
# An ordinary working week in 2026: Tuesday 10 March is a working day, and so is Wednesday.
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
TUESDAY_2PM = datetime(2026, 3, 10, 14, 0, tzinfo=SHANGHAI)
TUESDAY_6PM = datetime(2026, 3, 10, 18, 0, tzinfo=SHANGHAI)
WEDNESDAY_NOON = datetime(2026, 3, 11, 12, 0, tzinfo=SHANGHAI)
WEDNESDAY_6PM = datetime(2026, 3, 11, 18, 0, tzinfo=SHANGHAI)
# Thursday 30 April 2026 is the last working day before Labour Day (1-5 May off).
BEFORE_LABOUR_DAY = datetime(2026, 4, 30, 15, 0, tzinfo=SHANGHAI)
AFTER_LABOUR_DAY_6PM = datetime(2026, 5, 6, 18, 0, tzinfo=SHANGHAI)

MSB = "Pingshan Market Supervision Bureau"
STI = "Pingshan Science and Technology Innovation Bureau"
HAIDIAN_STATION = "Beijing Pharmaceutical and Medical Device Innovation Service Station (Haidian)"

TIERS = ["park", "district", "municipal", "provincial"]
REVIEW_STATE = {tier: f"{tier}_review" for tier in TIERS}
# Who answers for each tier in the demo data (the district depends on the routed department).
DISTRICT_OFFICER = {"rnd": "officer_ps_sti", "policy": "officer_ps_sti"}
TIER_STAFF = {"park": "liaison_sbip", "municipal": "officer_sz_amr", "provincial": "officer_gd_mpa"}


def staff_of(tier: str, category: str = "clinical_trial") -> str:
    if tier == "district":
        return DISTRICT_OFFICER.get(category, "officer_ps_msb")
    return TIER_STAFF[tier]


def url(sr: ServiceRequest, action: str = "") -> str:
    return f"/api/v1/requests/{sr.pk}/{action + '/' if action else ''}"


def due(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def snapshot(sr: ServiceRequest) -> tuple[Any, ...]:
    """What a refused transition must leave alone."""
    current = fresh(sr)
    return (
        current.state,
        current.tier,
        current.version,
        current.assignee_id,
        current.feedback_due_at,
        current.events.count(),
        current.messages.count(),
    )


@pytest.fixture
def act(api) -> Callable[..., Any]:
    """`act("liaison_sbip", sr, "escalate", reason="…")`: POST one transition as that user."""

    def post(username: str, sr: ServiceRequest, transition: str, **data: Any) -> Any:
        return api(username).post(url(sr, transition), data, format="json")

    return post


@pytest.fixture
def climb(users) -> Callable[[ServiceRequest, str], ServiceRequest]:
    """Escalate a request in park review up to `tier`, each step taken by that tier's staff."""

    def go(sr: ServiceRequest, tier: str) -> ServiceRequest:
        sr = fresh(sr)
        while sr.tier != tier:
            actions.escalate(sr, actor=users[staff_of(sr.tier, sr.category)], reason=f"Needs the {tier}")
            sr = fresh(sr)
        return sr

    return go


@pytest.fixture
def reach(users, make_request, climb) -> Callable[..., ServiceRequest]:
    """A request of ent_pregene in `state`, reached through the real actions.

    `tier` is where info_requested/resolved/closed happen (district by default)."""

    def make(state: str, *, category: str = "clinical_trial", tier: str = "district") -> ServiceRequest:
        if state == "draft":
            return fresh(make_request(submit=False, category=category))
        sr = make_request(category=category)
        if state == "withdrawn":
            actions.withdraw(sr, actor=users["ent_pregene"])
            return fresh(sr)
        if state.endswith("_review"):
            return climb(sr, state.removesuffix("_review"))
        sr = climb(sr, tier)
        staff = users[staff_of(tier, category)]
        if state == "info_requested":
            actions.request_info(sr, actor=staff, body="Please send the protocol.")
        elif state in ("resolved", "closed"):
            actions.resolve(sr, actor=staff, resolution="Here is the answer.")
            if state == "closed":
                actions.close(sr, actor=users["ent_pregene"])
        else:
            raise AssertionError(f"unknown state {state}")
        return fresh(sr)

    return make


def open_visit(sr: ServiceRequest) -> TierVisit:
    return TierVisit.objects.filter(request=sr, ended_at__isnull=True).get()


def last_event(api, sr: ServiceRequest, username: str) -> dict[str, Any]:
    """The newest timeline event as `username` sees it."""
    return api(username).get(url(sr, "timeline")).json()[-1]


# --- submit -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("creator", "submitter"),
    [
        ("ent_pregene", "ent_pregene"),
        ("ent_pregene", "ent_pregene2"),
        ("ent_pregene", "liaison_sbip"),
        ("liaison_sbip", "ent_pregene"),
        ("liaison_sbip", "liaison_sbip2"),
    ],
)
def test_enterprise_or_its_park_liaison_submits_a_draft_into_park_review(
    act, make_request, creator, submitter
):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        draft = make_request(
            creator, enterprise="pregene" if creator.startswith("liaison") else None, submit=False
        )
        assert draft.state == "draft"
        r = act(submitter, draft, "submit")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "park_review"
    assert body["tier"] == "park"
    assert body["department"] is None
    # Entering the park tier starts its clock: the end of the next working day.
    assert due(body["feedback_due_at"]) == WEDNESDAY_6PM


@pytest.mark.parametrize(
    ("received", "green_channel", "expected"),
    [
        # Ordinary: end of business of the next working day.
        (TUESDAY_10AM, False, WEDNESDAY_6PM),
        (TUESDAY_6PM + timedelta(hours=4), False, WEDNESDAY_6PM),
        # Friday afternoon: due Monday evening.
        (datetime(2026, 3, 13, 16, 0, tzinfo=SHANGHAI), False, datetime(2026, 3, 16, 18, 0, tzinfo=SHANGHAI)),
        # Saturday counts as received at the start of Monday: due Tuesday evening.
        (datetime(2026, 3, 14, 11, 0, tzinfo=SHANGHAI), False, datetime(2026, 3, 17, 18, 0, tzinfo=SHANGHAI)),
        # Thursday before Labour Day (1-5 May off): due the Wednesday after.
        (BEFORE_LABOUR_DAY, False, AFTER_LABOUR_DAY_6PM),
        # Friday 8 May: Saturday 9 May is a make-up working day (调休).
        (datetime(2026, 5, 8, 15, 0, tzinfo=SHANGHAI), False, datetime(2026, 5, 9, 18, 0, tzinfo=SHANGHAI)),
        # Green channel: same working day before noon, else next working day at noon.
        (TUESDAY_10AM, True, TUESDAY_6PM),
        (TUESDAY_2PM, True, WEDNESDAY_NOON),
        (datetime(2026, 3, 14, 15, 0, tzinfo=SHANGHAI), True, datetime(2026, 3, 16, 18, 0, tzinfo=SHANGHAI)),
    ],
)
def test_submitting_starts_the_park_tier_clock_on_the_working_day_calendar(
    act, make_request, users, received, green_channel, expected
):
    with time_machine.travel(received, tick=False):
        draft = make_request(submit=False)
        if green_channel:
            # The flag is set in review: filed and marked by the park at the same moment.
            actions.submit_request(draft, actor=users["ent_pregene"])
            r = act("liaison_sbip", draft, "green_channel", green_channel=True, reason="Key project")
        else:
            r = act("ent_pregene", draft, "submit")
    assert r.status_code == 200, r.content
    assert due(r.json()["feedback_due_at"]) == expected
    assert open_visit(draft).due_at == expected


def test_create_with_submit_files_straight_into_park_review(api, orgs):
    payload = {
        "title": "Cold-chain storage for CAR-T samples",
        "description": "Which rules apply to our new storage site?",
        "category": "site_equipment",
        "product_type": "biologic",
        "submit": True,
    }
    r = api("ent_pregene").post("/api/v1/requests/", payload, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "park_review"
    r = api("liaison_sbip").post(
        "/api/v1/requests/", {**payload, "enterprise": orgs["ascentawits"].pk}, format="json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "park_review"
    assert r.json()["enterprise"] == orgs["ascentawits"].pk


@pytest.mark.parametrize(("username", "sees"), [("supervisor_sbip", True), ("supervisor_ps", False)])
def test_supervisors_may_not_submit_a_draft_and_above_the_park_do_not_see_it(act, api, reach, username, sees):
    """The park's supervisor sees its enterprises' drafts; a district's sees none until sent."""
    draft = reach("draft")
    assert api(username).get(url(draft)).status_code == (200 if sees else 404)
    before = snapshot(draft)
    r = act(username, draft, "submit")
    assert r.status_code == (403 if sees else 404), r.content
    assert r.json()["detail"]
    assert snapshot(draft) == before


def test_an_officer_who_can_see_a_draft_may_not_submit_it(act, api, users, orgs, reach):
    draft = reach("draft")
    # A draft is shared with nobody now (sharing waits for review); a grant made before that
    # rule, or by hand, still gives sight and nothing more.
    assign_perm("casework.view_servicerequest", organization_group(orgs["ps_msb"]), draft)
    assert api("officer_ps_msb").get(url(draft)).status_code == 200
    before = snapshot(draft)
    assert act("officer_ps_msb", draft, "submit").status_code == 403
    assert snapshot(draft) == before


@pytest.mark.parametrize(
    "username",
    [
        "officer_ps_msb",
        "officer_sz_amr",
        "officer_gd_mpa",
        "ent_ascentawits",
        "liaison_accel",
        "liaison_haidian",
    ],
)
def test_a_draft_is_invisible_outside_its_enterprise_and_park(act, reach, username):
    draft = reach("draft")
    assert act(username, draft, "submit").status_code == 404
    assert fresh(draft).state == "draft"


@pytest.mark.parametrize("state", ["park_review", "district_review", "resolved", "withdrawn"])
def test_submit_is_refused_when_the_request_is_not_a_draft(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    r = act("ent_pregene", sr, "submit")
    assert r.status_code == 409, r.content
    assert "submit" in r.json()["detail"]
    assert snapshot(sr) == before


# --- respond ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tier", "username", "category"),
    [
        ("park", "liaison_sbip", "clinical_trial"),
        ("park", "supervisor_sbip", "clinical_trial"),
        ("district", "officer_ps_msb", "clinical_trial"),
        ("district", "officer_ps_sti", "rnd"),
        ("district", "supervisor_ps", "clinical_trial"),
        ("municipal", "officer_sz_amr", "clinical_trial"),
        ("provincial", "officer_gd_mpa", "clinical_trial"),
    ],
)
def test_current_tier_responds_publicly_and_stops_the_clock(api, act, reach, tier, username, category):
    sr = reach(REVIEW_STATE[tier], category=category)
    assert sr.feedback_due_at is not None
    assert open_visit(sr).feedback_at is None

    r = act(username, sr, "respond", body="We have checked: the amendment needs a filing only.")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == REVIEW_STATE[tier]
    assert body["tier"] == tier
    assert body["feedback_due_at"] is None
    visit = open_visit(sr)  # still in the tier: the visit stays open, with its feedback time
    assert visit.tier == tier
    assert visit.feedback_at is not None

    messages = api("ent_pregene").get(url(sr, "messages")).json()
    assert [(m["body"], m["internal"], m["author"]["username"]) for m in messages] == [
        ("We have checked: the amendment needs a filing only.", False, username)
    ]
    event = last_event(api, sr, "ent_pregene")
    assert event["kind"] == "responded"
    assert event["actor"]["username"] == username
    assert event["text"] == "We have checked: the amendment needs a filing only."
    assert (event["from_state"], event["to_state"], event["tier"]) == (
        REVIEW_STATE[tier],
        REVIEW_STATE[tier],
        tier,
    )


def test_a_second_response_keeps_the_first_feedback_time(act, reach):
    sr = reach("park_review")
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert act("liaison_sbip", sr, "respond", body="First answer").status_code == 200
    first = open_visit(sr).feedback_at
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert act("liaison_sbip", sr, "respond", body="More detail").status_code == 200
    assert open_visit(sr).feedback_at == first
    assert fresh(sr).messages.count() == 2


def test_the_time_to_feedback_is_recorded_per_tier_visit_in_working_hours(act, reach):
    friday_4pm = datetime(2026, 3, 13, 16, 0, tzinfo=SHANGHAI)
    monday_10am = datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(friday_4pm, tick=False):
        sr = reach("park_review")
    with time_machine.travel(monday_10am, tick=False):
        assert act("liaison_sbip", sr, "respond", body="Answer after the weekend").status_code == 200
    visit = open_visit(sr)
    assert visit.feedback_at == monday_10am
    assert visit.feedback_seconds == 66 * 3600
    # Friday 16:00-18:00 and Monday 09:00-10:00.
    assert visit.feedback_working_seconds == 3 * 3600
    assert visit.feedback_at <= visit.due_at


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}])
def test_respond_requires_a_body(api, reach, body):
    sr = reach("park_review")
    before = snapshot(sr)
    r = api("liaison_sbip").post(url(sr, "respond"), body, format="json")
    assert r.status_code == 400, r.content
    assert "body" in r.json()
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [
        ("park", "ent_pregene"),
        ("park", "ent_pregene2"),
        ("district", "ent_pregene"),
        ("district", "liaison_sbip"),
        ("district", "supervisor_sbip"),
        ("municipal", "officer_ps_msb"),
        ("municipal", "supervisor_ps_msb"),
        ("municipal", "supervisor_ps"),
        ("municipal", "liaison_sbip"),
        ("provincial", "officer_sz_amr"),
        ("provincial", "officer_ps_msb"),
    ],
)
def test_those_who_see_but_do_not_hold_the_request_may_not_respond(api, act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    assert api(username).get(url(sr)).status_code == 200
    before = snapshot(sr)
    r = act(username, sr, "respond", body="Answer from the wrong desk")
    assert r.status_code == 403, r.content
    assert r.json()["detail"]
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [
        ("park", "ent_ascentawits"),
        ("park", "liaison_accel"),
        ("park", "officer_ps_msb"),
        ("park", "officer_sz_amr"),
        ("district", "ent_accel1"),
        ("district", "officer_ps_sti"),  # a clinical trial goes to market supervision
        ("district", "officer_sz_amr"),  # the city does not see it before it arrives
        ("district", "officer_gd_mpa"),
        ("district", "liaison_haidian"),
        ("municipal", "officer_gd_mpa"),
        ("municipal", "officer_hd_station"),
    ],
)
def test_users_who_cannot_see_the_request_get_404(api, act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    assert api(username).get(url(sr)).status_code == 404
    before = snapshot(sr)
    assert act(username, sr, "respond", body="Hello").status_code == 404
    assert api(username).get(url(sr, "timeline")).status_code == 404
    assert snapshot(sr) == before


def test_a_department_the_request_was_shared_with_may_read_but_not_act(api, act, reach, users, orgs):
    sr = reach("district_review")  # a clinical trial: the market supervision bureau holds it
    actions.share_with_department(sr, actor=users["officer_ps_msb"], department=orgs["ps_sti"], reason="R&D?")
    assert api("officer_ps_sti").get(url(sr)).status_code == 200
    assert api("officer_ps_sti").get(url(sr)).json()["available_transitions"] == []
    before = snapshot(sr)
    for transition, data in [
        ("respond", {"body": "Our view"}),
        ("escalate", {"reason": "Up"}),
        ("resolve", {"resolution": "Done"}),
        ("claim", {}),
    ]:
        assert act("officer_ps_sti", sr, transition, **data).status_code == 403, transition
    assert snapshot(sr) == before


def test_a_request_that_does_not_exist_is_404(act, reach):
    sr = reach("park_review")
    sr.pk = 987_654_321
    assert act("liaison_sbip", sr, "respond", body="Hello").status_code == 404
    assert act("ent_pregene", sr, "withdraw").status_code == 404


def test_each_park_liaison_acts_for_its_own_park_only(api, act, make_request):
    sr = make_request("ent_accel1", category="registration", product_type="medical_device")
    assert act("liaison_sbip", sr, "escalate", reason="Not ours").status_code == 404
    assert act("liaison_haidian", sr, "withdraw").status_code == 404
    r = act("liaison_accel", sr, "escalate", reason="Registration question")
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["department_name"]) == ("district_review", MSB)
    assert act("liaison_accel", sr, "withdraw", reason="Answered elsewhere").status_code == 200


def test_respond_is_refused_outside_the_review_states(act, reach):
    sr = reach("info_requested")
    assert act("officer_ps_msb", sr, "respond", body="Still waiting").status_code == 409
    sr = reach("resolved")
    assert act("officer_ps_msb", sr, "respond", body="Afterthought").status_code == 409


# --- request_info / provide_info ----------------------------------------------------------------
def test_request_info_asks_the_enterprise_and_stops_the_clock(api, act, reach):
    sr = reach("district_review")
    r = act("officer_ps_msb", sr, "request_info", body="Please send the current protocol.")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "info_requested"
    assert body["tier"] == "district"
    assert body["feedback_due_at"] is None
    visit = TierVisit.objects.filter(request=sr).order_by("-started_at", "-id").first()
    assert visit.tier == "district"
    assert visit.feedback_at is not None
    assert visit.ended_at is not None
    messages = api("ent_pregene").get(url(sr, "messages")).json()
    assert messages[-1]["body"] == "Please send the current protocol."
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"]) == (
        "info_requested",
        "district_review",
        "info_requested",
    )


@pytest.mark.parametrize("provider", ["ent_pregene", "ent_pregene2", "liaison_sbip"])
def test_provide_info_returns_to_the_same_tier_that_asked_with_a_new_deadline(api, act, reach, provider):
    with time_machine.travel(BEFORE_LABOUR_DAY - timedelta(hours=2), tick=False):
        sr = reach("district_review")
        assert act("officer_ps_msb", sr, "request_info", body="Which sites?").status_code == 200
    with time_machine.travel(BEFORE_LABOUR_DAY, tick=False):
        r = act(provider, sr, "provide_info", body="Shenzhen and Guangzhou.")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "district_review"
    assert body["tier"] == "district"
    assert body["department_name"] == MSB
    # Received the Thursday before Labour Day: due at the end of the first working day after it.
    assert due(body["feedback_due_at"]) == AFTER_LABOUR_DAY_6PM
    visit = open_visit(sr)
    assert (visit.tier, visit.started_at, visit.feedback_at) == ("district", BEFORE_LABOUR_DAY, None)
    event = last_event(api, sr, "ent_pregene")
    assert event["kind"] == "info_provided"
    assert event["actor"]["username"] == provider
    assert (event["from_state"], event["to_state"], event["tier"]) == (
        "info_requested",
        "district_review",
        "district",
    )
    # The tier that asked can carry on.
    assert act("officer_ps_msb", sr, "respond", body="Thank you").status_code == 200


@pytest.mark.parametrize("tier", ["park", "municipal", "provincial"])
def test_provide_info_returns_to_the_tier_that_asked_at_every_tier(act, reach, tier):
    sr = reach("info_requested", tier=tier)
    r = act("liaison_sbip", sr, "provide_info", body="Here it is.")
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["tier"]) == (REVIEW_STATE[tier], tier)


@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip", "supervisor_sbip"])
def test_request_info_is_only_for_the_current_tier(act, reach, username):
    sr = reach("district_review")
    before = snapshot(sr)
    assert act(username, sr, "request_info", body="?").status_code == 403
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    "username", ["officer_ps_msb", "supervisor_ps", "supervisor_ps_msb", "supervisor_sbip"]
)
def test_only_the_enterprise_or_its_liaison_provides_info(act, reach, username):
    sr = reach("info_requested")
    before = snapshot(sr)
    assert act(username, sr, "provide_info", body="On their behalf").status_code == 403
    assert snapshot(sr) == before


@pytest.mark.parametrize("state", ["park_review", "district_review", "resolved"])
def test_provide_info_is_refused_unless_information_was_requested(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    assert act("ent_pregene", sr, "provide_info", body="Unasked").status_code == 409
    assert snapshot(sr) == before


def test_request_info_is_refused_while_information_is_already_requested(act, reach):
    sr = reach("info_requested")
    assert act("officer_ps_msb", sr, "request_info", body="More?").status_code == 409


# --- escalate -----------------------------------------------------------------------------------
def test_escalate_climbs_from_park_to_district_to_municipal_to_provincial(api, act, reach):
    steps = [
        ("liaison_sbip", "district", MSB),
        ("officer_ps_msb", "municipal", None),
        ("officer_sz_amr", "provincial", None),
    ]
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("park_review")
    for username, tier, department in steps:
        with time_machine.travel(TUESDAY_2PM, tick=False):
            r = act(username, sr, "escalate", reason=f"Needs the {tier} tier")
        assert r.status_code == 200, r.content
        body = r.json()
        assert (body["state"], body["tier"], body["department_name"]) == (
            REVIEW_STATE[tier],
            tier,
            department,
        )
        assert body["assignee"] is None
        assert due(body["feedback_due_at"]) == WEDNESDAY_6PM
        event = last_event(api, sr, "ent_pregene")
        assert event["kind"] == "escalated"
        assert event["actor"]["username"] == username
        assert event["text"] == f"Needs the {tier} tier"
        assert event["to_state"] == REVIEW_STATE[tier]
    # Each tier left got its feedback (escalating is visible to the enterprise) and was closed.
    visits = list(TierVisit.objects.filter(request=sr).order_by("started_at", "id"))
    assert [v.tier for v in visits] == TIERS
    assert all(v.feedback_at is not None and v.ended_at is not None for v in visits[:-1])
    assert visits[-1].feedback_at is None and visits[-1].ended_at is None


@pytest.mark.parametrize(
    ("category", "department", "officer", "other_officer"),
    [
        ("rnd", STI, "officer_ps_sti", "officer_ps_msb"),
        ("policy", STI, "officer_ps_sti", "officer_ps_msb"),
        ("clinical_trial", MSB, "officer_ps_msb", "officer_ps_sti"),
        ("registration", MSB, "officer_ps_msb", "officer_ps_sti"),  # the district's default
    ],
)
def test_escalate_to_the_district_routes_to_the_department_by_category(
    api, act, reach, orgs, category, department, officer, other_officer
):
    sr = reach("park_review", category=category)
    r = act("liaison_sbip", sr, "escalate", reason="Outside the park's remit")
    assert r.status_code == 200, r.content
    assert r.json()["department_name"] == department
    assert api(officer).get(url(sr)).status_code == 200
    assert api(other_officer).get(url(sr)).status_code == 404
    assert act(officer, sr, "respond", body="Received").status_code == 200


def test_haidian_policy_requests_go_to_the_innovation_service_station(api, act, make_request):
    sr = make_request("liaison_haidian", enterprise="hd_ent", category="policy", product_type="drug")
    assert sr.reference.startswith("HD-")
    assert act("liaison_haidian", sr, "escalate", reason="Policy question").status_code == 200
    body = api("officer_hd_station").get(url(sr)).json()
    assert (body["state"], body["department_name"]) == ("district_review", HAIDIAN_STATION)
    assert act("officer_hd_station", sr, "respond", body="Policy answered").status_code == 200
    assert api("officer_ps_msb").get(url(sr)).status_code == 404
    assert api("liaison_sbip").get(url(sr)).status_code == 404


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "  "}, {"reason": 42}])
@pytest.mark.parametrize(("tier", "username"), [("park", "liaison_sbip"), ("district", "officer_ps_msb")])
def test_escalate_requires_a_reason(api, reach, data, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    r = api(username).post(url(sr, "escalate"), data, format="json")
    assert r.status_code == 400, r.content
    assert "reason" in r.json()
    assert snapshot(sr) == before


def test_escalate_is_refused_from_provincial_review_there_is_no_higher_tier(act, reach):
    sr = reach("provincial_review")
    before = snapshot(sr)
    r = act("officer_gd_mpa", sr, "escalate", reason="Beijing?")
    assert r.status_code == 409, r.content
    assert r.json()["detail"]
    assert snapshot(sr) == before


@pytest.mark.parametrize("state", ["draft", "info_requested", "resolved", "closed", "withdrawn"])
def test_escalate_is_refused_outside_the_review_states(act, reach, state):
    sr = reach(state)
    username = "liaison_sbip" if state in ("draft", "withdrawn") else "officer_ps_msb"
    before = snapshot(sr)
    assert act(username, sr, "escalate", reason="Up").status_code == 409
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username", "code"),
    [
        ("park", "ent_pregene", 403),
        # The district does not see what is still at the park: no such request.
        ("park", "supervisor_ps", 404),
        ("district", "liaison_sbip", 403),
        ("municipal", "supervisor_ps", 403),
    ],
)
def test_only_the_current_tier_escalates(act, reach, tier, username, code):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    assert act(username, sr, "escalate", reason="Up").status_code == code
    assert snapshot(sr) == before


# --- return -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tier", "below"),
    [("district", "park"), ("municipal", "district"), ("provincial", "municipal")],
)
def test_return_sends_the_request_to_the_tier_below(api, act, reach, tier, below):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach(REVIEW_STATE[tier])
    with time_machine.travel(TUESDAY_2PM, tick=False):
        r = act(staff_of(tier), sr, "return", reason="The park can answer this")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["tier"]) == (REVIEW_STATE[below], below)
    assert due(body["feedback_due_at"]) == WEDNESDAY_6PM
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"], event["text"]) == (
        "returned",
        REVIEW_STATE[tier],
        REVIEW_STATE[below],
        "The park can answer this",
    )
    # Returning is feedback from the tier left; the tier below starts a fresh clock.
    left, entered = TierVisit.objects.filter(request=sr).order_by("-started_at", "-id")[:2][::-1]
    assert (left.tier, entered.tier) == (tier, below)
    assert left.feedback_at == TUESDAY_2PM and left.ended_at == TUESDAY_2PM
    assert (entered.started_at, entered.feedback_at, entered.due_at) == (TUESDAY_2PM, None, WEDNESDAY_6PM)
    # The tier below holds it again.
    assert act(staff_of(below), sr, "respond", body="We take it from here").status_code == 200


def test_return_to_the_district_goes_back_to_the_department_that_had_it(api, act, reach):
    sr = reach("municipal_review", category="rnd")
    r = act("officer_sz_amr", sr, "return", reason="District science bureau decides")
    assert r.status_code == 200, r.content
    assert (r.json()["tier"], r.json()["department_name"]) == ("district", STI)
    assert act("officer_ps_sti", sr, "respond", body="On it").status_code == 200


def test_the_district_keeps_seeing_a_request_it_returned_but_may_not_act_on_it(api, act, reach):
    sr = reach("district_review")
    assert act("officer_ps_msb", sr, "return", reason="Park first").status_code == 200
    assert api("officer_ps_msb").get(url(sr)).status_code == 200
    assert act("officer_ps_msb", sr, "respond", body="Still here").status_code == 403


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_return_requires_a_reason(api, reach, data):
    sr = reach("district_review")
    before = snapshot(sr)
    r = api("officer_ps_msb").post(url(sr, "return"), data, format="json")
    assert r.status_code == 400, r.content
    assert "reason" in r.json()
    assert snapshot(sr) == before


def test_return_is_refused_at_the_park_tier(act, reach):
    sr = reach("park_review")
    before = snapshot(sr)
    r = act("liaison_sbip", sr, "return", reason="Nowhere to go")
    assert r.status_code == 409, r.content
    assert r.json()["detail"]
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [("district", "ent_pregene"), ("district", "liaison_sbip"), ("municipal", "officer_ps_msb")],
)
def test_only_the_current_tier_returns(act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    assert act(username, sr, "return", reason="Down").status_code == 403
    assert snapshot(sr) == before


# --- resolve ------------------------------------------------------------------------------------
@pytest.mark.parametrize("tier", TIERS)
def test_the_current_tier_resolves_with_a_resolution(api, act, reach, tier):
    sr = reach(REVIEW_STATE[tier])
    r = act(staff_of(tier), sr, "resolve", resolution="File the amendment under 60-day tacit approval.")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["tier"]) == ("resolved", tier)
    assert body["resolution"] == "File the amendment under 60-day tacit approval."
    assert body["resolved_at"] is not None
    assert body["feedback_due_at"] is None
    visit = TierVisit.objects.filter(request=sr).order_by("-started_at", "-id").first()
    assert visit.feedback_at is not None and visit.ended_at is not None
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"], event["text"]) == (
        "resolved",
        REVIEW_STATE[tier],
        "resolved",
        "File the amendment under 60-day tacit approval.",
    )


@pytest.mark.parametrize("data", [{}, {"resolution": ""}, {"resolution": "  "}, {"reason": "wrong field"}])
def test_resolve_requires_a_resolution(api, reach, data):
    sr = reach("district_review")
    before = snapshot(sr)
    r = api("officer_ps_msb").post(url(sr, "resolve"), data, format="json")
    assert r.status_code == 400, r.content
    assert "resolution" in r.json()
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [("park", "ent_pregene"), ("district", "liaison_sbip"), ("municipal", "officer_ps_msb")],
)
def test_only_the_current_tier_resolves(act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    assert act(username, sr, "resolve", resolution="Done").status_code == 403
    assert snapshot(sr) == before


@pytest.mark.parametrize("state", ["draft", "info_requested", "resolved", "closed", "withdrawn"])
def test_resolve_is_refused_outside_the_review_states(act, reach, state):
    sr = reach(state)
    username = "liaison_sbip" if state in ("draft", "withdrawn") else "officer_ps_msb"
    before = snapshot(sr)
    assert act(username, sr, "resolve", resolution="Done").status_code == 409
    assert snapshot(sr) == before


# --- reopen -------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["ent_pregene", "ent_pregene2", "liaison_sbip"])
@pytest.mark.parametrize("tier", ["park", "municipal"])
def test_reopen_within_30_days_goes_back_to_the_tier_that_resolved(api, act, reach, tier, username):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("resolved", tier=tier)
    with time_machine.travel(TUESDAY_10AM + timedelta(days=29), tick=False):
        r = act(username, sr, "reopen", reason="The answer does not cover the device part.")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["tier"]) == (REVIEW_STATE[tier], tier)
    assert body["resolution"] == ""
    assert body["resolved_at"] is None
    # 29 days after Tuesday 10 March is Wednesday 8 April: due at the end of Thursday 9 April.
    assert due(body["feedback_due_at"]) == datetime(2026, 4, 9, 18, 0, tzinfo=SHANGHAI)
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"], event["tier"], event["text"]) == (
        "reopened",
        "resolved",
        REVIEW_STATE[tier],
        tier,
        "The answer does not cover the device part.",
    )
    assert act(staff_of(tier), sr, "respond", body="Looking again").status_code == 200


def test_reopen_on_the_30th_day_is_still_allowed(act, reach):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("resolved")
    with time_machine.travel(TUESDAY_10AM + timedelta(days=30), tick=False):
        assert act("ent_pregene", sr, "reopen", reason="Still open").status_code == 200


@pytest.mark.parametrize("days", [31, 90])
def test_reopen_after_30_days_is_refused(act, reach, days):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("resolved")
    before = snapshot(sr)
    with time_machine.travel(TUESDAY_10AM + timedelta(days=days), tick=False):
        r = act("ent_pregene", sr, "reopen", reason="Too late?")
    assert r.status_code == 409, r.content
    assert "30" in r.json()["detail"]
    assert snapshot(sr) == before


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": " "}])
def test_reopen_requires_a_reason(api, reach, data):
    sr = reach("resolved")
    before = snapshot(sr)
    r = api("ent_pregene").post(url(sr, "reopen"), data, format="json")
    assert r.status_code == 400, r.content
    assert "reason" in r.json()
    assert snapshot(sr) == before


@pytest.mark.parametrize("username", ["officer_ps_msb", "supervisor_ps", "supervisor_sbip"])
def test_only_the_enterprise_or_its_liaison_reopens(act, reach, username):
    sr = reach("resolved")
    before = snapshot(sr)
    assert act(username, sr, "reopen", reason="Reconsider").status_code == 403
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    "state", ["draft", "park_review", "district_review", "info_requested", "closed", "withdrawn"]
)
def test_reopen_is_refused_unless_resolved(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    assert act("ent_pregene", sr, "reopen", reason="Again").status_code == 409
    assert snapshot(sr) == before


# --- close --------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["ent_pregene", "ent_pregene2"])
def test_the_enterprise_closes_a_resolved_request(api, act, reach, username):
    sr = reach("resolved")
    r = act(username, sr, "close")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "closed"
    assert r.json()["available_transitions"] == []
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"], event["actor"]["username"]) == (
        "closed",
        "resolved",
        "closed",
        username,
    )


@pytest.mark.parametrize(
    "username", ["liaison_sbip", "officer_ps_msb", "supervisor_ps_msb", "supervisor_ps", "supervisor_sbip"]
)
def test_only_the_enterprise_closes(act, reach, username):
    sr = reach("resolved")
    before = snapshot(sr)
    r = act(username, sr, "close")
    assert r.status_code == 403, r.content
    assert snapshot(sr) == before


def test_another_enterprise_cannot_even_see_the_request_to_close_it(act, reach):
    sr = reach("resolved")
    assert act("ent_ascentawits", sr, "close").status_code == 404
    assert fresh(sr).state == "resolved"


@pytest.mark.parametrize(
    "state", ["draft", "park_review", "district_review", "info_requested", "closed", "withdrawn"]
)
def test_close_is_refused_unless_resolved(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    assert act("ent_pregene", sr, "close").status_code == 409
    assert snapshot(sr) == before


def test_a_closed_request_can_no_longer_be_reopened(act, reach):
    sr = reach("closed")
    assert act("ent_pregene", sr, "reopen", reason="Wait").status_code == 409
    assert fresh(sr).state == "closed"


# --- withdraw -----------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip"])
@pytest.mark.parametrize(
    "state",
    ["draft", "park_review", "district_review", "municipal_review", "provincial_review", "info_requested"],
)
def test_enterprise_or_liaison_withdraws_an_open_request(api, act, reach, state, username):
    sr = reach(state)
    r = act(username, sr, "withdraw", reason="Solved internally")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "withdrawn"
    assert body["feedback_due_at"] is None
    assert not TierVisit.objects.filter(request=sr, ended_at__isnull=True).exists()
    event = last_event(api, sr, "ent_pregene")
    assert (event["kind"], event["from_state"], event["to_state"], event["actor"]["username"]) == (
        "withdrawn",
        state,
        "withdrawn",
        username,
    )


def test_withdraw_needs_no_reason(act, reach):
    sr = reach("park_review")
    r = act("ent_pregene", sr, "withdraw")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "withdrawn"


@pytest.mark.parametrize("state", ["resolved", "closed", "withdrawn"])
def test_withdraw_is_refused_once_resolved_closed_or_withdrawn(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    r = act("ent_pregene", sr, "withdraw", reason="Never mind")
    assert r.status_code == 409, r.content
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    "username", ["officer_ps_msb", "supervisor_ps", "supervisor_ps_msb", "supervisor_sbip"]
)
def test_staff_of_the_authorities_may_not_withdraw(act, reach, username):
    sr = reach("district_review")
    before = snapshot(sr)
    assert act(username, sr, "withdraw", reason="Not for us").status_code == 403
    assert snapshot(sr) == before


# --- assign / claim -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tier", "supervisor", "assignee"),
    [
        ("park", "supervisor_sbip", "liaison_sbip2"),
        ("district", "supervisor_ps_msb", "officer_ps_msb2"),
        ("district", "supervisor_ps", "officer_ps_msb"),
        ("municipal", "supervisor_sz", "officer_sz_amr"),
        ("provincial", "supervisor_gd", "officer_gd_mpa"),
    ],
)
def test_a_supervisor_of_the_current_tier_assigns_to_its_staff(
    api, act, reach, users, tier, supervisor, assignee
):
    sr = reach(REVIEW_STATE[tier])
    before = fresh(sr)
    r = act(supervisor, sr, "assign", assignee=users[assignee].pk)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["assignee"] == users[assignee].pk
    assert (body["state"], body["tier"]) == (before.state, before.tier)
    assert open_visit(sr).assignee_id == users[assignee].pk
    event = last_event(api, sr, supervisor)
    assert (event["kind"], event["internal"], event["actor"]["username"]) == ("assigned", True, supervisor)
    # The assignee finds it in their own queue.
    mine = api(assignee).get("/api/v1/requests/", {"assignee": "me"}).json()
    assert [row["id"] for row in mine["results"]] == [sr.pk]


@pytest.mark.parametrize(
    "assignee",
    [
        "officer_ps_sti",
        "officer_sz_amr",
        "liaison_sbip",
        "ent_pregene",
        "supervisor_sbip",
        "officer_hd_station",
    ],
)
def test_assigning_someone_who_does_not_work_for_the_current_tier_is_400(act, reach, users, assignee):
    sr = reach("district_review")
    before = snapshot(sr)
    r = act("supervisor_ps_msb", sr, "assign", assignee=users[assignee].pk)
    assert r.status_code == 400, r.content
    assert "assignee" in r.json()
    assert snapshot(sr) == before


@pytest.mark.parametrize("data", [{}, {"assignee": 999_999}, {"assignee": "officer_ps_msb2"}])
def test_assign_needs_an_existing_user(api, reach, data):
    sr = reach("district_review")
    before = snapshot(sr)
    r = api("supervisor_ps_msb").post(url(sr, "assign"), data, format="json")
    assert r.status_code == 400, r.content
    assert "assignee" in r.json()
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [
        ("park", "liaison_sbip"),
        ("park", "ent_pregene"),
        ("district", "officer_ps_msb"),
        ("district", "supervisor_sbip"),
        ("district", "ent_pregene"),
        ("municipal", "officer_sz_amr"),
        ("municipal", "supervisor_ps"),
    ],
)
def test_only_a_supervisor_of_the_current_tier_assigns(act, reach, users, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    r = act(username, sr, "assign", assignee=users[staff_of(tier)].pk)
    assert r.status_code == 403, r.content
    assert snapshot(sr) == before


@pytest.mark.parametrize("state", ["draft", "info_requested", "resolved", "withdrawn"])
def test_assign_is_refused_outside_the_review_states(act, reach, users, state):
    sr = reach(state)
    before = snapshot(sr)
    supervisor = "supervisor_sbip" if state in ("draft", "withdrawn") else "supervisor_ps_msb"
    assert act(supervisor, sr, "assign", assignee=users["officer_ps_msb"].pk).status_code == 409
    assert snapshot(sr) == before


@pytest.mark.parametrize(
    ("tier", "username"),
    [("park", "liaison_sbip"), ("district", "officer_ps_msb"), ("municipal", "officer_sz_amr")],
)
def test_an_officer_claims_an_unassigned_request_for_themselves(api, act, reach, users, tier, username):
    sr = reach(REVIEW_STATE[tier])
    r = act(username, sr, "claim")
    assert r.status_code == 200, r.content
    assert r.json()["assignee"] == users[username].pk
    assert r.json()["state"] == REVIEW_STATE[tier]
    event = last_event(api, sr, username)
    assert (event["kind"], event["internal"], event["actor"]["username"]) == ("claimed", True, username)


def test_a_second_claim_by_another_officer_is_refused(act, reach):
    sr = reach("district_review")
    assert act("officer_ps_msb", sr, "claim").status_code == 200
    before = snapshot(sr)
    r = act("officer_ps_msb2", sr, "claim")
    assert r.status_code == 409, r.content
    assert r.json()["detail"]
    assert snapshot(sr) == before
    assert fresh(sr).assignee.username == "officer_ps_msb"


def test_a_supervisor_may_reassign_a_claimed_request(act, reach, users):
    sr = reach("district_review")
    assert act("officer_ps_msb", sr, "claim").status_code == 200
    r = act("supervisor_ps_msb", sr, "assign", assignee=users["officer_ps_msb2"].pk)
    assert r.status_code == 200, r.content
    assert r.json()["assignee"] == users["officer_ps_msb2"].pk


@pytest.mark.parametrize(
    ("tier", "username"),
    [("park", "ent_pregene"), ("district", "liaison_sbip"), ("municipal", "officer_ps_msb")],
)
def test_only_staff_of_the_current_tier_claim(act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    assert act(username, sr, "claim").status_code == 403
    assert snapshot(sr) == before


def test_escalating_hands_the_request_to_the_next_tier_unassigned(act, reach, users):
    sr = reach("district_review")
    assert act("officer_ps_msb", sr, "claim").status_code == 200
    r = act("officer_ps_msb", sr, "escalate", reason="City decides")
    assert r.status_code == 200, r.content
    assert r.json()["assignee"] is None
    assert act("officer_sz_amr", sr, "claim").status_code == 200


# --- green channel ------------------------------------------------------------------------------
def test_the_current_tier_sets_the_green_channel_and_the_deadline_follows(api, act, reach):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("park_review")
    assert fresh(sr).feedback_due_at == WEDNESDAY_6PM
    with time_machine.travel(TUESDAY_10AM + timedelta(minutes=30), tick=False):
        r = act("liaison_sbip", sr, "green_channel", green_channel=True, reason="Key CAR-T project")
    assert r.status_code == 200, r.content
    assert r.json()["green_channel"] is True
    # Received before noon: due the same working day, from when it entered the tier.
    assert due(r.json()["feedback_due_at"]) == TUESDAY_6PM
    assert open_visit(sr).due_at == TUESDAY_6PM
    event = last_event(api, sr, "ent_pregene")
    assert event["kind"] == "green_channel"
    assert event["actor"]["username"] == "liaison_sbip"
    assert "Key CAR-T project" in event["text"]

    with time_machine.travel(TUESDAY_10AM + timedelta(hours=1), tick=False):
        r = act("liaison_sbip", sr, "green_channel", green_channel=False, reason="Project suspended")
    assert r.status_code == 200, r.content
    assert r.json()["green_channel"] is False
    assert due(r.json()["feedback_due_at"]) == WEDNESDAY_6PM
    assert "Project suspended" in last_event(api, sr, "ent_pregene")["text"]


def test_a_green_channel_request_received_after_noon_is_due_next_working_day_at_noon(act, reach):
    with time_machine.travel(TUESDAY_2PM, tick=False):
        sr = reach("district_review")
        r = act("officer_ps_msb", sr, "green_channel", green_channel=True, reason="Priority project")
    assert r.status_code == 200, r.content
    assert due(r.json()["feedback_due_at"]) == WEDNESDAY_NOON


def test_a_request_for_a_key_project_is_green_channel_from_the_start(api, orgs):
    project = KeyProject.objects.get(enterprise=orgs["pregene"])
    payload = {
        "title": "PRG-1801 protocol amendment",
        "description": "Second cohort dosing change.",
        "category": "clinical_trial",
        "product_type": "biologic",
        "key_project": project.pk,
        "submit": True,
    }
    with time_machine.travel(TUESDAY_10AM, tick=False):
        r = api("ent_pregene").post("/api/v1/requests/", payload, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["green_channel"] is True
    assert due(r.json()["feedback_due_at"]) == TUESDAY_6PM


@pytest.mark.parametrize(
    "data", [{"green_channel": True}, {"green_channel": True, "reason": " "}, {"reason": "x"}]
)
def test_green_channel_requires_a_flag_and_a_reason(api, reach, data):
    sr = reach("park_review")
    before = snapshot(sr)
    r = api("liaison_sbip").post(url(sr, "green_channel"), data, format="json")
    assert r.status_code == 400, r.content
    assert snapshot(sr) == before
    assert fresh(sr).green_channel is False


@pytest.mark.parametrize(
    ("tier", "username"),
    [
        ("park", "ent_pregene"),
        ("district", "liaison_sbip"),
        ("district", "ent_pregene"),
        ("municipal", "officer_ps_msb"),
    ],
)
def test_only_the_current_tier_sets_the_green_channel(act, reach, tier, username):
    sr = reach(REVIEW_STATE[tier])
    before = snapshot(sr)
    assert act(username, sr, "green_channel", green_channel=True, reason="Please").status_code == 403
    assert fresh(sr).green_channel is False
    assert snapshot(sr) == before


@pytest.mark.parametrize("state", ["info_requested", "resolved"])
def test_green_channel_is_refused_outside_the_review_states(act, reach, state):
    sr = reach(state)
    before = snapshot(sr)
    assert act("officer_ps_msb", sr, "green_channel", green_channel=True, reason="Late").status_code == 409
    assert snapshot(sr) == before


# --- timeline -----------------------------------------------------------------------------------
def test_the_timeline_records_every_change_with_actor_tier_states_and_text_oldest_first(api, act, users):
    ent = api("ent_pregene")
    r = ent.post(
        "/api/v1/requests/",
        {
            "title": "Clinical trial site filing",
            "description": "How do we add a second site?",
            "category": "clinical_trial",
            "product_type": "biologic",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    sr = ServiceRequest.objects.get(pk=r.json()["id"])
    steps = [
        ("ent_pregene", "submit", {}),
        ("liaison_sbip", "respond", {"body": "We are looking into it."}),
        ("liaison_sbip", "escalate", {"reason": "District filing question"}),
        ("supervisor_ps_msb", "assign", {"assignee": users["officer_ps_msb"].pk}),
        ("officer_ps_msb", "request_info", {"body": "Which hospital?"}),
        ("ent_pregene", "provide_info", {"body": "Pingshan District People's Hospital."}),
        ("officer_ps_msb", "resolve", {"resolution": "File a site addition."}),
        ("ent_pregene", "reopen", {"reason": "Which form?"}),
        ("officer_ps_msb", "resolve", {"resolution": "Form 3, online."}),
        ("ent_pregene", "close", {}),
    ]
    for username, transition, data in steps:
        r = act(username, sr, transition, **data)
        assert r.status_code == 200, (transition, r.content)

    expected = [
        ("created", "ent_pregene", "park", "", "draft", "Clinical trial site filing", False),
        ("submitted", "ent_pregene", "park", "draft", "park_review", "", False),
        ("responded", "liaison_sbip", "park", "park_review", "park_review", "We are looking into it.", False),
        (
            "escalated",
            "liaison_sbip",
            "district",
            "park_review",
            "district_review",
            "District filing question",
            False,
        ),
        ("assigned", "supervisor_ps_msb", "district", "district_review", "district_review", "Liu Yang", True),
        (
            "info_requested",
            "officer_ps_msb",
            "district",
            "district_review",
            "info_requested",
            "Which hospital?",
            False,
        ),
        (
            "info_provided",
            "ent_pregene",
            "district",
            "info_requested",
            "district_review",
            "Pingshan District People's Hospital.",
            False,
        ),
        (
            "resolved",
            "officer_ps_msb",
            "district",
            "district_review",
            "resolved",
            "File a site addition.",
            False,
        ),
        ("reopened", "ent_pregene", "district", "resolved", "district_review", "Which form?", False),
        ("resolved", "officer_ps_msb", "district", "district_review", "resolved", "Form 3, online.", False),
        ("closed", "ent_pregene", "district", "resolved", "closed", "", False),
    ]

    def rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (
                e["kind"],
                e["actor"]["username"],
                e["tier"],
                e["from_state"],
                e["to_state"],
                e["text"],
                e["internal"],
            )
            for e in events
        ]

    officer_view = api("officer_ps_msb").get(url(sr, "timeline")).json()
    assert rows(officer_view) == expected
    times = [datetime.fromisoformat(e["created_at"]) for e in officer_view]
    assert times == sorted(times)
    enterprise_view = ent.get(url(sr, "timeline")).json()
    assert rows(enterprise_view) == [row for row in expected if not row[-1]]


def test_enterprise_users_never_see_internal_events(api, act, reach, users, orgs):
    sr = reach("district_review")
    assert act("officer_ps_msb", sr, "claim").status_code == 200
    assert act("supervisor_ps_msb", sr, "assign", assignee=users["officer_ps_msb2"].pk).status_code == 200
    r = api("officer_ps_msb2").post(
        url(sr, "messages"), {"body": "Check with legal", "internal": True}, format="json"
    )
    assert r.status_code == 201, r.content
    actions.share_with_department(
        sr, actor=users["officer_ps_msb2"], department=orgs["ps_sti"], reason="Tech?"
    )
    assert act("officer_ps_msb2", sr, "respond", body="Answer on its way").status_code == 200

    staff_kinds = [e["kind"] for e in api("supervisor_ps").get(url(sr, "timeline")).json()]
    assert {"claimed", "assigned", "note", "shared", "responded"} <= set(staff_kinds)
    for username in ("ent_pregene", "ent_pregene2"):
        events = api(username).get(url(sr, "timeline")).json()
        assert not any(e["internal"] for e in events)
        assert {"claimed", "assigned", "note", "shared"}.isdisjoint(e["kind"] for e in events)
        assert "Check with legal" not in str(events)
        assert [e["kind"] for e in events][-1] == "responded"
        bodies = [m["body"] for m in api(username).get(url(sr, "messages")).json()]
        assert bodies == ["Answer on its way"]
    # The liaison is staff: it sees the internal events of its park's requests.
    liaison_kinds = [e["kind"] for e in api("liaison_sbip").get(url(sr, "timeline")).json()]
    assert "assigned" in liaison_kinds


def test_a_refused_transition_leaves_no_trace_on_the_timeline(api, act, reach):
    sr = reach("park_review")
    before = api("liaison_sbip").get(url(sr, "timeline")).json()
    assert act("liaison_sbip", sr, "return", reason="x").status_code == 409
    assert act("ent_pregene", sr, "escalate", reason="x").status_code == 403
    assert act("liaison_sbip", sr, "escalate").status_code == 400
    assert act("ent_ascentawits", sr, "withdraw").status_code == 404
    assert api("liaison_sbip").get(url(sr, "timeline")).json() == before


# --- concurrency --------------------------------------------------------------------------------
def test_of_two_people_acting_at_once_exactly_one_wins(api, users, reach):
    sr = reach("park_review")
    # Both read the request before either writes.
    liaisons_copy, colleagues_copy = fresh(sr), fresh(sr)
    actions.escalate(liaisons_copy, actor=users["liaison_sbip"], reason="District")
    with pytest.raises(ConcurrentChange):
        actions.resolve(colleagues_copy, actor=users["liaison_sbip2"], resolution="Answered")
    body = api("liaison_sbip").get(url(sr)).json()
    assert (body["state"], body["tier"], body["resolution"]) == ("district_review", "district", "")
    kinds = [e["kind"] for e in api("liaison_sbip").get(url(sr, "timeline")).json()]
    assert kinds == ["created", "submitted", "escalated"]
    # The loser's tier visit was not touched either.
    assert [v.tier for v in TierVisit.objects.filter(request=sr)] == ["park", "district"]


# --- available_transitions ----------------------------------------------------------------------
REVIEW_WORK = {"respond", "request_info", "escalate", "resolve", "claim", "green_channel"}


@pytest.mark.parametrize(
    ("state", "username", "expected"),
    [
        ("draft", "ent_pregene", {"submit", "withdraw"}),
        ("draft", "liaison_sbip", {"submit", "withdraw"}),
        ("draft", "supervisor_sbip", set()),
        ("park_review", "ent_pregene", {"withdraw"}),
        ("park_review", "liaison_sbip", REVIEW_WORK | {"withdraw"}),
        ("park_review", "supervisor_sbip", REVIEW_WORK | {"assign"}),
        ("district_review", "ent_pregene", {"withdraw"}),
        ("district_review", "liaison_sbip", {"withdraw"}),
        ("district_review", "officer_ps_msb", REVIEW_WORK | {"return"}),
        ("district_review", "supervisor_ps_msb", REVIEW_WORK | {"return", "assign"}),
        ("district_review", "supervisor_ps", REVIEW_WORK | {"return", "assign"}),
        ("district_review", "supervisor_sbip", set()),
        ("municipal_review", "officer_sz_amr", REVIEW_WORK | {"return"}),
        ("municipal_review", "officer_ps_msb", set()),
        ("provincial_review", "officer_gd_mpa", (REVIEW_WORK - {"escalate"}) | {"return"}),
        ("provincial_review", "supervisor_gd", (REVIEW_WORK - {"escalate"}) | {"return", "assign"}),
        ("provincial_review", "officer_sz_amr", set()),
        ("info_requested", "ent_pregene", {"provide_info", "withdraw"}),
        ("info_requested", "liaison_sbip", {"provide_info", "withdraw"}),
        ("info_requested", "officer_ps_msb", set()),
        ("resolved", "ent_pregene", {"reopen", "close"}),
        ("resolved", "liaison_sbip", {"reopen"}),
        ("resolved", "officer_ps_msb", set()),
        ("closed", "ent_pregene", set()),
        ("closed", "liaison_sbip", set()),
        ("withdrawn", "ent_pregene", set()),
        ("withdrawn", "liaison_sbip", set()),
    ],
)
def test_available_transitions_lists_exactly_what_the_caller_may_do(api, reach, state, username, expected):
    sr = reach(state)
    r = api(username).get(url(sr))
    assert r.status_code == 200, r.content
    available = r.json()["available_transitions"]
    assert set(available) == expected
    assert len(available) == len(set(available))


@pytest.mark.parametrize(("username", "expected"), [("ent_pregene", {"close"}), ("liaison_sbip", set())])
def test_available_transitions_drop_reopen_after_30_days(api, reach, username, expected):
    with time_machine.travel(TUESDAY_10AM, tick=False):
        sr = reach("resolved")
    with time_machine.travel(TUESDAY_10AM + timedelta(days=31), tick=False):
        available = api(username).get(url(sr)).json()["available_transitions"]
    assert set(available) == expected


def test_available_transitions_are_the_ones_that_succeed(api, act, reach, users):
    """Every transition listed for a caller goes through; every one not listed is refused."""
    bodies = {
        "respond": {"body": "ok"},
        "request_info": {"body": "?"},
        "escalate": {"reason": "up"},
        "return": {"reason": "down"},
        "resolve": {"resolution": "done"},
        "withdraw": {},
        "claim": {},
        "green_channel": {"green_channel": True, "reason": "key"},
        "assign": {"assignee": users["officer_ps_msb2"].pk},
        "submit": {},
        "provide_info": {"body": "info"},
        "reopen": {"reason": "again"},
        "close": {},
    }
    for username in ("officer_ps_msb", "supervisor_ps_msb", "liaison_sbip", "ent_pregene"):
        listed = set(api(username).get(url(reach("district_review"))).json()["available_transitions"])
        for transition, data in bodies.items():
            sr = reach("district_review")
            r = act(username, sr, transition, **data)
            if transition in listed:
                assert r.status_code == 200, (username, transition, r.content)
            else:
                assert r.status_code in (403, 409), (username, transition, r.status_code)


def test_available_transitions_do_not_offer_claim_once_someone_has_claimed(api, act, reach):
    sr = reach("district_review")
    assert "claim" in api("officer_ps_msb2").get(url(sr)).json()["available_transitions"]
    assert act("officer_ps_msb", sr, "claim").status_code == 200
    available = api("officer_ps_msb2").get(url(sr)).json()["available_transitions"]
    assert act("officer_ps_msb2", sr, "claim").status_code == 409
    assert "claim" not in available
