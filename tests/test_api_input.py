"""Bad input to the request API: a 400 with a message per field (never a 500), a 401/403/404
where the caller has no business, and nothing that was saved before is changed or lost.

Also the list's filters and its paginated shape, read through the real API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.casework import actions
from apps.casework.models import Attachment, Message, RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.organizations.models import KeyProject
from tests.conftest import fresh

LIST = "/api/v1/requests/"
HUGE = 10**30
SHANGHAI = ZoneInfo("Asia/Shanghai")


def valid_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Clinical trial site filing for PRG-1801",
        "description": "Which documents does the site filing need?",
        "category": "clinical_trial",
        "product_type": "biologic",
    }
    payload.update(overrides)
    return payload


def snapshot(service_request: ServiceRequest) -> dict[str, Any]:
    """Everything about a request that a refused input must leave exactly as it was."""
    row = fresh(service_request)
    return {
        "state": row.state,
        "tier": row.tier,
        "version": row.version,
        "title": row.title,
        "description": row.description,
        "category": row.category,
        "product_type": row.product_type,
        "assignee": row.assignee_id,
        "green_channel": row.green_channel,
        "feedback_due_at": row.feedback_due_at,
        "resolution": row.resolution,
        "updated_at": row.updated_at,
        "events": list(RequestEvent.objects.filter(request=row).values_list("id", "kind", "text")),
        "messages": list(Message.objects.filter(request=row).values_list("id", "body", "internal")),
        "attachments": Attachment.objects.filter(request=row).count(),
        "visits": list(TierVisit.objects.filter(request=row).values_list("id", "due_at", "ended_at")),
    }


def world() -> dict[str, int]:
    return {
        "requests": ServiceRequest.objects.count(),
        "events": RequestEvent.objects.count(),
        "messages": Message.objects.count(),
        "visits": TierVisit.objects.count(),
    }


def assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert field in body, body
    messages = body[field]
    assert isinstance(messages, list) and messages, body
    assert all(isinstance(m, str) and m.strip() for m in messages), body


@pytest.fixture
def existing(make_request) -> ServiceRequest:
    """A request saved before the bad input arrives: it must come through untouched."""
    sr = make_request()
    actions.add_message(sr, actor=sr.created_by, body="Earlier reply that must survive")
    return fresh(sr)


# --- POST /api/v1/requests/ ---------------------------------------------------------------------
def test_valid_create_payload_is_accepted_as_a_baseline(api):
    r = api("ent_pregene").post(LIST, valid_payload(submit=True), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "park_review"
    assert r.json()["reference"].startswith("PS-")


BAD_CREATE_FIELDS = [
    # too long
    ("title", "T" * 10_000),
    ("title", "标" * 201),
    ("description", "D" * 20_001),
    # unknown choices
    ("category", "vaccines"),
    ("category", "RND"),
    ("category", ""),
    ("product_type", "spaceship"),
    ("product_type", None),
    # wrong JSON types
    ("title", 123),
    ("title", True),
    ("title", ["x"]),
    ("title", {"text": "x"}),
    ("title", None),
    ("description", 1.5),
    ("category", 7),
    ("category", ["rnd"]),
    ("product_type", {"drug": True}),
    ("submit", "yes"),
    ("submit", 1),
    ("submit", None),
    ("submit", ["true"]),
    # NUL bytes
    ("title", "Trial\x00site"),
    ("description", "Attached\x00"),
    ("title", "\x00"),
    # empty and whitespace-only required texts
    ("title", ""),
    ("title", "   "),
    ("title", "\n\t "),
    ("description", ""),
    ("description", " \r\n "),
]


@pytest.mark.parametrize(("field", "value"), BAD_CREATE_FIELDS, ids=lambda v: repr(v)[:30])
def test_create_with_a_bad_field_is_400_on_that_field_and_saves_nothing(api, existing, field, value):
    before, kept = world(), snapshot(existing)
    r = api("ent_pregene").post(LIST, valid_payload(**{field: value}), format="json")
    assert_field_error(r, field)
    assert world() == before
    assert snapshot(existing) == kept


@pytest.mark.parametrize("missing", ["title", "description", "category", "product_type"])
def test_create_without_a_required_field_is_400_on_that_field(api, existing, missing):
    before = world()
    payload = valid_payload()
    del payload[missing]
    r = api("ent_pregene").post(LIST, payload, format="json")
    assert_field_error(r, missing)
    assert world() == before


BAD_IDS = [
    ("enterprise", "abc"),
    ("enterprise", True),
    ("enterprise", False),
    ("enterprise", 999_999),
    ("enterprise", -1),
    ("enterprise", 0),
    ("enterprise", HUGE),
    ("enterprise", -HUGE),
    ("enterprise", 1.5),
    ("enterprise", [1]),
    ("enterprise", {"id": 1}),
    ("key_project", 999_999),
    ("key_project", HUGE),
    ("key_project", "abc"),
    ("key_project", True),
]


@pytest.mark.parametrize(("field", "value"), BAD_IDS, ids=lambda v: repr(v)[:30])
def test_create_with_an_id_that_does_not_exist_or_is_not_an_id_is_400(api, orgs, existing, field, value):
    before, kept = world(), snapshot(existing)
    payload = valid_payload(**{"enterprise": orgs["pregene"].pk, field: value})
    r = api("liaison_sbip").post(LIST, payload, format="json")
    assert_field_error(r, field)
    assert world() == before
    assert snapshot(existing) == kept


def test_create_with_malformed_json_is_400_and_saves_nothing(api, existing):
    before, kept = world(), snapshot(existing)
    r = api("ent_pregene").post(LIST, data='{"title": ', content_type="application/json")
    assert r.status_code == 400, r.content
    assert r.json()["detail"]
    assert world() == before
    assert snapshot(existing) == kept


@pytest.mark.parametrize(
    "raw",
    [b"[1, 2, 3]", b'"just a string"', b"null", b"42", b"\xff\xfe{}"],
    ids=["list", "string", "null", "number", "not-utf8"],
)
def test_create_with_json_that_is_not_an_object_is_400(api, existing, raw):
    before = world()
    r = api("ent_pregene").post(LIST, data=raw, content_type="application/json")
    assert r.status_code == 400, (r.status_code, r.content)
    assert world() == before


@pytest.mark.parametrize("field", ["title", "description"])
def test_create_with_a_lone_surrogate_in_the_json_text_is_400_not_500(api, existing, field):
    """JSON may spell a lone UTF-16 surrogate (\\ud800) that no UTF-8 database can store."""
    before = world()
    raw = json.dumps(valid_payload(**{field: "Trial \ud800 site"}))
    r = api("ent_pregene").post(LIST, data=raw, content_type="application/json")
    assert r.status_code == 400, (r.status_code, r.content)
    assert world() == before


@pytest.mark.parametrize(
    ("liaison", "enterprise"),
    [
        ("liaison_accel", "pregene"),  # same district, another park
        ("liaison_sbip", "accel1"),
        ("liaison_sbip", "hd_ent"),  # another province
        ("liaison_haidian", "pregene"),
    ],
)
def test_liaison_filing_for_an_enterprise_of_another_park_is_400_on_enterprise(
    api, orgs, existing, liaison, enterprise
):
    before = world()
    r = api(liaison).post(LIST, valid_payload(enterprise=orgs[enterprise].pk), format="json")
    assert_field_error(r, "enterprise")
    assert world() == before


@pytest.mark.parametrize("org", ["sbip", "ps", "ps_msb", "gd"])
def test_liaison_naming_an_organisation_that_is_not_an_enterprise_is_400_on_enterprise(
    api, orgs, existing, org
):
    before = world()
    r = api("liaison_sbip").post(LIST, valid_payload(enterprise=orgs[org].pk), format="json")
    assert_field_error(r, "enterprise")
    assert world() == before


@pytest.mark.parametrize(
    "payload", [valid_payload(), valid_payload(enterprise=None)], ids=["omitted", "null"]
)
def test_liaison_omitting_the_enterprise_is_400_on_enterprise(api, existing, payload):
    before = world()
    r = api("liaison_sbip").post(LIST, payload, format="json")
    assert_field_error(r, "enterprise")
    assert world() == before


@pytest.mark.parametrize("other", ["ascentawits", "accel1", "hd_ent"])
def test_enterprise_staff_naming_another_enterprise_is_400_on_enterprise(api, orgs, existing, other):
    before = world()
    r = api("ent_pregene").post(LIST, valid_payload(enterprise=orgs[other].pk), format="json")
    assert_field_error(r, "enterprise")
    assert world() == before


def test_enterprise_staff_naming_their_own_enterprise_files_for_it(api, orgs):
    r = api("ent_pregene").post(LIST, valid_payload(enterprise=orgs["pregene"].pk), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["enterprise"] == orgs["pregene"].pk


def test_key_project_of_another_enterprise_is_400_on_key_project(api, orgs, existing):
    before = world()
    wytd_project = KeyProject.objects.get(enterprise=orgs["wytd"])
    r = api("ent_pregene").post(LIST, valid_payload(key_project=wytd_project.pk), format="json")
    assert_field_error(r, "key_project")
    assert world() == before


@pytest.mark.parametrize(
    "username", ["officer_ps_msb", "officer_ps_sti", "officer_sz_amr", "officer_gd_mpa", "supervisor_ps"]
)
def test_officers_and_supervisors_cannot_file_requests_403(api, orgs, existing, username):
    before = world()
    r = api(username).post(LIST, valid_payload(enterprise=orgs["pregene"].pk, submit=True), format="json")
    assert r.status_code == 403, r.content
    assert world() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", LIST),
        ("get", LIST),
        ("get", "/api/v1/requests/{id}/"),
        ("post", "/api/v1/requests/{id}/withdraw/"),
        ("post", "/api/v1/requests/{id}/messages/"),
        ("get", "/api/v1/requests/{id}/timeline/"),
    ],
)
def test_unauthenticated_callers_are_refused_401_or_403(api, existing, method, path):
    before, kept = world(), snapshot(existing)
    r = getattr(api(None), method)(path.format(id=existing.pk), valid_payload(body="x"), format="json")
    assert r.status_code in (401, 403), r.content
    assert world() == before
    assert snapshot(existing) == kept


@pytest.mark.parametrize("token", ["not-a-real-token", "0" * 40, "x" * 5000])
def test_an_unknown_token_is_refused_401(api, existing, token):
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = client.get(LIST)
    assert r.status_code == 401, r.content


def test_a_token_with_a_nul_byte_is_refused_401_not_500(api, existing):
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token\x00")
    r = client.get(LIST)
    assert r.status_code == 401, r.content


def test_a_session_cookie_that_decodes_to_a_nul_byte_is_refused_not_500(api, existing):
    r = api(None).get(LIST, HTTP_COOKIE='sessionid="abcdefgh\\000"')
    assert r.status_code in (401, 403), r.content


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "ent_pregene\x00", "password": "demo12345"},
        {"username": "ent_pregene", "password": "demo\x00"},
        {"username": ["ent_pregene"], "password": "demo12345"},
        {"username": "ent_pregene"},
        {"username": "u" * 10_000, "password": "p"},
    ],
    ids=["nul-username", "nul-password", "list-username", "no-password", "long-username"],
)
def test_token_endpoint_with_bad_credentials_input_is_400(api, existing, payload):
    r = api(None).post("/api/v1/auth/token/", payload, format="json")
    assert r.status_code == 400, (r.status_code, r.content)


# --- transitions and messages -------------------------------------------------------------------
BAD_TRANSITION_INPUT = [
    ("respond", "liaison_sbip", {"body": ["x"]}, "body"),
    ("respond", "liaison_sbip", {"body": 123}, "body"),
    ("respond", "liaison_sbip", {"body": None}, "body"),
    ("respond", "liaison_sbip", {"body": ""}, "body"),
    ("respond", "liaison_sbip", {"body": "   \n"}, "body"),
    ("respond", "liaison_sbip", {"body": "ok\x00"}, "body"),
    ("respond", "liaison_sbip", {"body": "B" * 20_001}, "body"),
    ("respond", "liaison_sbip", {}, "body"),
    ("request_info", "liaison_sbip", {"body": {"a": 1}}, "body"),
    ("request_info", "liaison_sbip", {"body": "\x00"}, "body"),
    ("escalate", "liaison_sbip", {"reason": ""}, "reason"),
    ("escalate", "liaison_sbip", {"reason": "  "}, "reason"),
    ("escalate", "liaison_sbip", {"reason": "up\x00"}, "reason"),
    ("escalate", "liaison_sbip", {"reason": False}, "reason"),
    ("escalate", "liaison_sbip", {}, "reason"),
    ("resolve", "liaison_sbip", {"resolution": ["x"]}, "resolution"),
    ("resolve", "liaison_sbip", {"resolution": " "}, "resolution"),
    ("resolve", "liaison_sbip", {"resolution": "R" * 20_001}, "resolution"),
    ("withdraw", "ent_pregene", {"reason": 123}, "reason"),
    ("withdraw", "ent_pregene", {"reason": "bye\x00"}, "reason"),
    ("assign", "supervisor_sbip", {"assignee": 999_999}, "assignee"),
    ("assign", "supervisor_sbip", {"assignee": HUGE}, "assignee"),
    ("assign", "supervisor_sbip", {"assignee": -HUGE}, "assignee"),
    ("assign", "supervisor_sbip", {"assignee": "abc"}, "assignee"),
    ("assign", "supervisor_sbip", {"assignee": True}, "assignee"),
    ("assign", "supervisor_sbip", {"assignee": None}, "assignee"),
    ("assign", "supervisor_sbip", {}, "assignee"),
    ("green_channel", "liaison_sbip", {"green_channel": "maybe", "reason": "x"}, "green_channel"),
    ("green_channel", "liaison_sbip", {"green_channel": True, "reason": ""}, "reason"),
    ("green_channel", "liaison_sbip", {"green_channel": True, "reason": "x\x00"}, "reason"),
    ("messages", "liaison_sbip", {"body": ["x"]}, "body"),
    ("messages", "liaison_sbip", {"body": ""}, "body"),
    ("messages", "liaison_sbip", {"body": " \t "}, "body"),
    ("messages", "liaison_sbip", {"body": "note\x00"}, "body"),
    ("messages", "liaison_sbip", {"body": "B" * 20_001}, "body"),
    ("messages", "liaison_sbip", {"body": "ok", "internal": "maybe"}, "internal"),
    ("messages", "liaison_sbip", {"body": "ok", "internal": 1}, "internal"),
    ("messages", "liaison_sbip", {"body": "ok", "internal": None}, "internal"),
    ("messages", "ent_pregene", {"body": 42}, "body"),
]


@pytest.mark.parametrize(
    ("endpoint", "username", "payload", "field"),
    BAD_TRANSITION_INPUT,
    ids=[f"{e}-{f}-{repr(p.get(f))[:20]}" for e, _u, p, f in BAD_TRANSITION_INPUT],
)
def test_transition_or_message_with_bad_input_is_400_and_changes_nothing(
    api, existing, endpoint, username, payload, field
):
    before, kept = world(), snapshot(existing)
    r = api(username).post(f"/api/v1/requests/{existing.pk}/{endpoint}/", payload, format="json")
    assert_field_error(r, field)
    assert world() == before
    assert snapshot(existing) == kept


def test_assigning_someone_outside_the_current_tier_is_400_on_assignee(api, users, existing):
    before, kept = world(), snapshot(existing)
    r = api("supervisor_sbip").post(
        f"/api/v1/requests/{existing.pk}/assign/",
        {"assignee": users["officer_ps_msb"].pk},
        format="json",
    )
    assert_field_error(r, "assignee")
    assert world() == before
    assert snapshot(existing) == kept


def test_provide_info_and_reopen_with_bad_text_are_400_and_change_nothing(api, existing):
    liaison, enterprise = api("liaison_sbip"), api("ent_pregene")
    url = f"/api/v1/requests/{existing.pk}"
    assert liaison.post(f"{url}/request_info/", {"body": "Which site?"}, format="json").status_code == 200
    kept = snapshot(existing)
    for payload in ({"body": ""}, {"body": ["x"]}, {"body": "site\x00"}, {}):
        assert_field_error(enterprise.post(f"{url}/provide_info/", payload, format="json"), "body")
        assert snapshot(existing) == kept
    assert enterprise.post(f"{url}/provide_info/", {"body": "Site 2"}, format="json").status_code == 200
    assert liaison.post(f"{url}/resolve/", {"resolution": "Answered"}, format="json").status_code == 200
    kept = snapshot(existing)
    for payload in ({"reason": ""}, {"reason": 5}, {"reason": "again\x00"}, {}):
        assert_field_error(enterprise.post(f"{url}/reopen/", payload, format="json"), "reason")
        assert snapshot(existing) == kept
    assert fresh(existing).state == "resolved"


@pytest.mark.parametrize("endpoint", ["respond", "escalate", "messages", "assign", "green_channel"])
def test_transition_with_malformed_json_is_400_and_changes_nothing(api, existing, endpoint):
    before, kept = world(), snapshot(existing)
    r = api("supervisor_sbip").post(
        f"/api/v1/requests/{existing.pk}/{endpoint}/", data='{"body": ', content_type="application/json"
    )
    assert r.status_code == 400, r.content
    assert world() == before
    assert snapshot(existing) == kept


def test_a_ten_thousand_character_body_is_accepted_within_the_text_limit(api, existing):
    r = api("liaison_sbip").post(
        f"/api/v1/requests/{existing.pk}/messages/", {"body": "答" * 10_000}, format="json"
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["body"]) == 10_000


def test_an_illegal_transition_is_409_and_changes_nothing(api, existing):
    kept = snapshot(existing)
    r = api("ent_pregene").post(f"/api/v1/requests/{existing.pk}/reopen/", {"reason": "x"}, format="json")
    assert r.status_code == 409, r.content
    assert snapshot(existing) == kept


# --- unknown ids in URLs ------------------------------------------------------------------------
UNKNOWN_IDS = ["abc", "99999999999999999999", str(HUGE), "999999", "0", "-1", "%00", "1e3", "0x10"]


@pytest.mark.parametrize("pk", UNKNOWN_IDS)
def test_reading_an_unknown_request_id_is_404(api, existing, pk):
    client = api("liaison_sbip")
    for suffix in ("", "timeline/", "messages/", "attachments/"):
        r = client.get(f"/api/v1/requests/{pk}/{suffix}")
        assert r.status_code == 404, (suffix, r.status_code, r.content)


@pytest.mark.parametrize("pk", UNKNOWN_IDS)
def test_acting_on_an_unknown_request_id_is_404_and_changes_nothing(api, users, existing, pk):
    before, kept = world(), snapshot(existing)
    client = api("supervisor_sbip")
    for endpoint, payload in (
        ("escalate", {"reason": "x"}),
        ("respond", {"body": "x"}),
        ("withdraw", {}),
        ("messages", {"body": "x"}),
        ("assign", {"assignee": users["liaison_sbip"].pk}),
        ("green_channel", {"green_channel": True, "reason": "x"}),
    ):
        r = client.post(f"/api/v1/requests/{pk}/{endpoint}/", payload, format="json")
        assert r.status_code == 404, (endpoint, r.status_code, r.content)
    r = client.post(f"/api/v1/requests/{pk}/attachments/", {"file": "x"}, format="multipart")
    assert r.status_code == 404, ("attachments", r.status_code, r.content)
    assert world() == before
    assert snapshot(existing) == kept


@pytest.mark.parametrize("attachment_id", ["999999", "99999999999999999999", str(HUGE)])
def test_downloading_an_unknown_attachment_id_is_404(api, existing, attachment_id):
    r = api("liaison_sbip").get(f"/api/v1/requests/{existing.pk}/attachments/{attachment_id}/download/")
    assert r.status_code == 404, (r.status_code, r.content)


def test_a_request_the_caller_may_not_see_is_404_like_an_unknown_one(api, existing):
    for username in ("ent_ascentawits", "liaison_accel", "liaison_haidian", "officer_ps_msb"):
        r = api(username).get(f"/api/v1/requests/{existing.pk}/")
        assert r.status_code == 404, (username, r.content)


# --- list filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "state=bogus",
        "state=park_review&state=bogus",
        "category=bogus",
        "product_type=bogus",
        "assignee=bogus",
        "assignee=1",
    ],
)
def test_list_with_a_bad_filter_value_is_400_on_that_filter(api, existing, query):
    r = api("liaison_sbip").get(f"{LIST}?{query}")
    field = query.split("&")[-1].split("=")[0]
    assert_field_error(r, field)


@pytest.mark.parametrize(
    "query",
    [
        "search=%00",
        "search=a%00b",
        "search=" + "x" * 500,
        "search=%E6%B5%8B%E8%AF%95",
        "overdue=maybe",
        "green_channel=sometimes",
        "tier=%00",
        "page_size=abc",
        "page_size=-5",
        f"page_size={HUGE}",
        "state=",
        "search=%25_%5C",
    ],
)
def test_list_with_odd_query_values_never_fails_with_500(api, existing, query):
    r = api("liaison_sbip").get(f"{LIST}?{query}")
    assert r.status_code in (200, 400), (r.status_code, r.content)


@pytest.mark.parametrize("page", ["abc", "0", "999", str(HUGE)])
def test_list_page_out_of_range_is_404_not_500(api, existing, page):
    r = api("liaison_sbip").get(f"{LIST}?page={page}")
    assert r.status_code == 404, (r.status_code, r.content)


@pytest.fixture
def listed(api, users, make_request) -> dict[str, ServiceRequest]:
    """Three SBIP requests that differ in every filtered column."""
    with time_machine.travel(datetime(2025, 6, 3, 10, 0, tzinfo=SHANGHAI), tick=False):
        overdue = make_request(
            "ent_wytd",
            category="rnd",
            product_type="ai_medical_device",
            title="ECG software algorithm change",
            description="Does a retrained model need a new filing?",
        )
    claimed = make_request(
        "ent_pregene",
        category="clinical_trial",
        product_type="biologic",
        title="CAR-T protocol amendment",
        description="Dose escalation cohort added.",
    )
    actions.claim(claimed, actor=users["liaison_sbip"])
    draft = make_request(
        "liaison_sbip",
        enterprise="ascentawits",
        submit=False,
        category="registration",
        product_type="drug",
        title="Hypoxia prodrug registration dossier",
        description="Module 3 questions.",
    )
    return {"overdue": fresh(overdue), "claimed": fresh(claimed), "draft": fresh(draft)}


def ids_of(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_is_paginated_as_count_next_previous_results(api, listed):
    client = api("liaison_sbip")
    r = client.get(LIST)
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"count", "count_exact", "next", "previous", "results"}
    assert (
        body["count"] == 3
        and body["count_exact"] is True
        and body["next"] is None
        and body["previous"] is None
    )
    assert len(body["results"]) == 3
    first = client.get(f"{LIST}?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    assert {r["id"] for r in first["results"] + second["results"]} == {sr.pk for sr in listed.values()}


def test_list_newest_first_on_request(api, listed):
    rows = api("liaison_sbip").get(f"{LIST}?ordering=newest").json()["results"]
    assert [r["id"] for r in rows] == [listed["draft"].pk, listed["claimed"].pk, listed["overdue"].pk]


def test_list_default_is_work_order_overdue_first_draft_last(api, listed):
    rows = api("liaison_sbip").get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [listed["overdue"].pk, listed["claimed"].pk, listed["draft"].pk]


def test_list_refuses_an_unknown_ordering(api, listed):
    r = api("liaison_sbip").get(f"{LIST}?ordering=-title")
    assert r.status_code == 400 and "ordering" in r.json()


def test_list_filter_by_state(api, listed):
    client = api("liaison_sbip")
    assert ids_of(client.get(f"{LIST}?state=draft")) == {listed["draft"].pk}
    assert ids_of(client.get(f"{LIST}?state=park_review")) == {listed["claimed"].pk, listed["overdue"].pk}
    assert ids_of(client.get(f"{LIST}?state=draft&state=park_review")) == {sr.pk for sr in listed.values()}
    assert ids_of(client.get(f"{LIST}?state=resolved")) == set()


def test_list_filter_by_category_and_product_type(api, listed):
    client = api("liaison_sbip")
    assert ids_of(client.get(f"{LIST}?category=registration")) == {listed["draft"].pk}
    assert ids_of(client.get(f"{LIST}?category=rnd&category=clinical_trial")) == {
        listed["overdue"].pk,
        listed["claimed"].pk,
    }
    assert ids_of(client.get(f"{LIST}?product_type=ai_medical_device")) == {listed["overdue"].pk}
    assert ids_of(client.get(f"{LIST}?category=rnd&product_type=drug")) == set()


def test_list_filter_overdue_true_gives_requests_past_their_feedback_deadline(api, listed):
    client = api("liaison_sbip")
    assert ids_of(client.get(f"{LIST}?overdue=true")) == {listed["overdue"].pk}
    assert ids_of(client.get(f"{LIST}?overdue=false")) == {listed["claimed"].pk, listed["draft"].pk}
    row = client.get(f"{LIST}?overdue=true").json()["results"][0]
    assert row["overdue"] is True


def test_list_filter_assignee_me_gives_the_callers_own_requests(api, listed):
    assert ids_of(api("liaison_sbip").get(f"{LIST}?assignee=me")) == {listed["claimed"].pk}
    assert ids_of(api("liaison_sbip2").get(f"{LIST}?assignee=me")) == set()
    assert ids_of(api("liaison_sbip").get(f"{LIST}?assignee=none")) == {
        listed["overdue"].pk,
        listed["draft"].pk,
    }


def test_list_search_by_title_and_by_reference(api, listed):
    client = api("liaison_sbip")
    assert ids_of(client.get(f"{LIST}?search=car-t")) == {listed["claimed"].pk}
    assert ids_of(client.get(f"{LIST}?search=PRODRUG")) == {listed["draft"].pk}
    reference = listed["overdue"].reference
    assert ids_of(client.get(f"{LIST}?search={reference}")) == {listed["overdue"].pk}
    assert ids_of(client.get(f"{LIST}?search={reference.lower()}")) == {listed["overdue"].pk}
    assert ids_of(client.get(f"{LIST}?search=no-such-words")) == set()


def test_list_filters_only_narrow_what_the_caller_may_see(api, listed):
    assert ids_of(api("ent_pregene").get(f"{LIST}?search=ECG")) == set()
    assert ids_of(api("ent_pregene").get(LIST)) == {listed["claimed"].pk}
    assert ids_of(api("liaison_accel").get(f"{LIST}?state=park_review")) == set()
    assert ids_of(api("liaison_haidian").get(f"{LIST}?search={listed['draft'].reference}")) == set()
