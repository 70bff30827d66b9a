"""Optimistic concurrency over the API: a request's detail carries its version as an `ETag`; a
transition sent with that version (`version` in the body, or `If-Match` with the `ETag`) acts
only if nobody wrote the request since, and otherwise answers 409 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.casework import actions
from apps.casework.models import ServiceRequest
from tests.conftest import fresh

pytestmark = pytest.mark.django_db


def detail(sr: ServiceRequest) -> str:
    return f"/api/v1/requests/{sr.pk}/"


def snapshot(sr: ServiceRequest) -> tuple[Any, ...]:
    """What a transition would change: the request's own columns and its timeline."""
    row = fresh(sr)
    return (
        row.state,
        row.tier,
        row.version,
        row.assignee_id,
        row.green_channel,
        row.feedback_due_at,
        row.updated_at,
        row.events.count(),
    )


@pytest.fixture
def at_district(users, make_request) -> ServiceRequest:
    sr = make_request("ent_pregene")
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="Needs the bureau")
    return fresh(sr)


def written_meanwhile(users, sr: ServiceRequest) -> None:
    """Someone else answers in the meantime: the request's version moves on."""
    actions.respond(fresh(sr), actor=users["officer_ps_msb2"], body="A colleague answered first.")


# Transition → who takes it at the district, and its input.
TRANSITIONS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "escalate": ("officer_ps_msb", lambda users: {"reason": "Needs the city"}),
    "respond": ("officer_ps_msb", lambda users: {"body": "Here is our answer."}),
    "request_info": ("officer_ps_msb", lambda users: {"body": "Which batch?"}),
    "return": ("officer_ps_msb", lambda users: {"reason": "The park can answer"}),
    "resolve": ("officer_ps_msb", lambda users: {"resolution": "Answered."}),
    "assign": ("supervisor_ps_msb", lambda users: {"assignee": users["officer_ps_msb"].pk}),
    "claim": ("officer_ps_msb", lambda users: {}),
    "green_channel": ("officer_ps_msb", lambda users: {"green_channel": True, "reason": "Key project"}),
}


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_a_stale_version_is_refused_409_and_changes_nothing(api, users, at_district, transition):
    username, body = TRANSITIONS[transition]
    client = api(username)
    read = client.get(detail(at_district)).json()["version"]
    written_meanwhile(users, at_district)
    before = snapshot(at_district)
    r = client.post(f"{detail(at_district)}{transition}/", {**body(users), "version": read}, format="json")
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "changed"
    assert f"version {read}" in r.json()["detail"] and "Reload" in r.json()["detail"]
    assert snapshot(at_district) == before


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_the_current_version_acts(api, users, at_district, transition):
    username, body = TRANSITIONS[transition]
    client = api(username)
    written_meanwhile(users, at_district)
    read = client.get(detail(at_district)).json()["version"]
    events = fresh(at_district).events.count()
    r = client.post(f"{detail(at_district)}{transition}/", {**body(users), "version": read}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == read + 1
    assert fresh(at_district).events.count() == events + 1


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_if_match_with_a_stale_etag_is_refused_409_and_changes_nothing(api, users, at_district, transition):
    username, body = TRANSITIONS[transition]
    client = api(username)
    etag = client.get(detail(at_district))["ETag"]
    written_meanwhile(users, at_district)
    before = snapshot(at_district)
    r = client.post(f"{detail(at_district)}{transition}/", body(users), format="json", HTTP_IF_MATCH=etag)
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "changed"
    assert snapshot(at_district) == before


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_if_match_with_the_current_etag_acts(api, users, at_district, transition):
    username, body = TRANSITIONS[transition]
    client = api(username)
    written_meanwhile(users, at_district)
    etag = client.get(detail(at_district))["ETag"]
    r = client.post(f"{detail(at_district)}{transition}/", body(users), format="json", HTTP_IF_MATCH=etag)
    assert r.status_code == 200, r.content
    # The answer carries the new ETag, the one the detail now gives.
    assert r["ETag"] != etag
    assert r["ETag"] == client.get(detail(at_district))["ETag"]


def test_the_etag_names_the_request_and_its_version_and_changes_with_each_transition(api, users, at_district):
    client = api("officer_ps_msb")
    first = client.get(detail(at_district))
    assert first["ETag"] == f'"{at_district.pk}-{first.json()["version"]}"'
    assert client.get(detail(at_district))["ETag"] == first["ETag"]  # reading changes nothing
    client.post(f"{detail(at_district)}claim/", {}, format="json")
    second = client.get(detail(at_district))
    assert second["ETag"] != first["ETag"]
    assert second["ETag"] == f'"{at_district.pk}-{second.json()["version"]}"'


def test_without_version_or_if_match_a_transition_acts_on_the_request_as_it_is(api, users, at_district):
    written_meanwhile(users, at_district)
    r = api("officer_ps_msb").post(f"{detail(at_district)}claim/", {}, format="json")
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    ("header", "acts"),
    [("*", True), ("current", True), ("weak current", True), ("stale, current", True), ("other", False)],
)
def test_if_match_forms(api, users, make_request, at_district, header, acts):
    client = api("officer_ps_msb")
    stale = client.get(detail(at_district))["ETag"]
    written_meanwhile(users, at_district)
    current = client.get(detail(at_district))["ETag"]
    other = make_request("ent_pregene")
    value = {
        "*": "*",
        "current": current,
        "weak current": f"W/{current}",
        "stale, current": f"{stale}, {current}",
        "other": f'"{other.pk}-{fresh(at_district).version}"',  # another request's tag
    }[header]
    before = snapshot(at_district)
    r = client.post(f"{detail(at_district)}claim/", {}, format="json", HTTP_IF_MATCH=value)
    if acts:
        assert r.status_code == 200, r.content
    else:
        assert (r.status_code, r.json()["code"]) == (409, "changed"), r.content
        assert snapshot(at_district) == before


@pytest.mark.parametrize("value", ["", "abc", "12-3", "W/12"])
def test_an_if_match_that_is_no_entity_tag_is_refused_400(api, at_district, value):
    before = snapshot(at_district)
    r = api("officer_ps_msb").post(f"{detail(at_district)}claim/", {}, format="json", HTTP_IF_MATCH=value)
    assert r.status_code == 400, r.content
    assert r.json()["If-Match"]
    assert snapshot(at_district) == before


def test_both_version_and_if_match_must_be_current(api, users, at_district):
    client = api("officer_ps_msb")
    stale = client.get(detail(at_district))
    written_meanwhile(users, at_district)
    current = client.get(detail(at_district))
    url = f"{detail(at_district)}claim/"
    mixed = [
        ({"version": stale.json()["version"]}, current["ETag"]),
        ({"version": current.json()["version"]}, stale["ETag"]),
    ]
    for body, etag in mixed:
        assert client.post(url, body, format="json", HTTP_IF_MATCH=etag).status_code == 409
    r = client.post(url, {"version": current.json()["version"]}, format="json", HTTP_IF_MATCH=current["ETag"])
    assert r.status_code == 200, r.content


@pytest.mark.parametrize("version", ["abc", "3", True, 1.5, 0, -1, 2**31, None, [1], {"v": 1}])
def test_a_version_that_is_no_version_number_is_refused_400_with_a_field_message(api, at_district, version):
    before = snapshot(at_district)
    r = api("officer_ps_msb").post(
        f"{detail(at_district)}escalate/", {"reason": "Up", "version": version}, format="json"
    )
    assert r.status_code == 400, r.content
    assert r.json()["version"]
    assert snapshot(at_district) == before


def test_a_form_post_sends_the_version_as_text(api, users, at_district):
    """Everything in a form is a string: there, digits are a version."""
    client = api("officer_ps_msb")
    url = f"{detail(at_district)}escalate/"
    stale = fresh(at_district).version
    written_meanwhile(users, at_district)
    r = client.post(url, {"reason": "Up", "version": str(stale)}, format="multipart")
    assert (r.status_code, r.json()["code"]) == (409, "changed"), r.content
    r = client.post(url, {"reason": "Up", "version": str(fresh(at_district).version)}, format="multipart")
    assert r.status_code == 200, r.content


def test_a_stale_version_is_told_as_changed_even_when_the_state_moved_on(api, users, at_district):
    """Resolved meanwhile: the caller hears that the request changed, not a puzzle about states."""
    client = api("officer_ps_msb")
    read = client.get(detail(at_district)).json()["version"]
    actions.resolve(fresh(at_district), actor=users["officer_ps_msb2"], resolution="Done by a colleague")
    r = client.post(f"{detail(at_district)}escalate/", {"reason": "Up", "version": read}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "changed")


def test_a_request_the_caller_may_not_see_stays_404_whatever_the_version(api, at_district):
    r = api("ent_ascentawits").post(
        f"{detail(at_district)}escalate/", {"reason": "Up", "version": 1}, format="json", HTTP_IF_MATCH="*"
    )
    assert r.status_code == 404


def test_the_schema_documents_version_if_match_and_etag(client):
    openapi = client.get("/api/schema/", {"format": "json"}).json()
    schemas = openapi["components"]["schemas"]
    paths = openapi["paths"]
    for transition in ("submit", "escalate", "respond", "assign", "claim", "green_channel", "withdraw"):
        operation = paths[f"/api/v1/requests/{{id}}/{transition}/"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        version = schemas[ref.rsplit("/", 1)[1]]["properties"]["version"]
        assert (version["type"], version["minimum"]) == ("integer", 1), transition
        assert "409" in version["description"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "If-Match" in headers, transition
        assert "ETag" in operation["responses"]["200"]["headers"], transition
        assert "changed" in operation["responses"]["409"]["description"], transition
    retrieve = paths["/api/v1/requests/{id}/"]["get"]
    assert "ETag" in retrieve["responses"]["200"]["headers"]


# --- what a write sends ----------------------------------------------------------------------------
def request_updates(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith('UPDATE "casework_request"')]


def test_a_transition_writes_only_the_columns_it_changed(at_district, users):
    """Each column written is indexes rewritten (about thirty on the request): a reply sends
    its deadline, version and time, not the state, tier, departments or resolution it left."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        actions.respond(fresh(at_district), actor=users["officer_ps_msb"], body="We are on it.")
    (update,) = request_updates(captured)
    columns = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert '"feedback_due_at"' in columns and '"version"' in columns and '"updated_at"' in columns
    for untouched in ("state", "tier", "department_id", "assignee_id", "resolution", "green_channel"):
        assert f'"{untouched}"' not in columns, columns


def test_a_request_read_again_after_someone_elses_write_writes_what_its_action_changes(at_district, users):
    """Read, then another writer, then `refresh_from_db`: the columns compared are those read
    last. Setting the flag back to what the first read had is still a change to write."""
    mine = fresh(at_district)
    officer = users["officer_ps_msb"]
    actions.set_green_channel(fresh(at_district), actor=officer, green_channel=True, reason="Key project")
    mine.refresh_from_db()
    actions.set_green_channel(mine, actor=officer, green_channel=False, reason="Not a key project after all")
    assert fresh(at_district).green_channel is False
