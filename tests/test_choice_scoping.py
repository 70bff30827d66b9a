"""Choices among other objects are scoped to what the caller may see (issue 13, security review):
an id that exists but is not the caller's to choose answers exactly like an id that does not
exist (same status, same body), in the API and in the pages, for `key_project` and `enterprise`
on filing, `assignee` on assigning and `department` on sharing.

And sharing itself: only with a department of the request's own chain (its district's, municipal
and provincial authority's departments, not the one holding it), only while a tier reviews it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from apps.casework import actions
from apps.casework.errors import ConcurrentChange, InvalidInput, TransitionNotAllowed
from apps.casework.models import EventKind, RequestEvent, RequestGroupObjectPermission, ServiceRequest
from apps.casework.selectors import share_departments, visible_requests
from apps.organizations.models import KeyProject, Organization, OrgKind, User
from tests.conftest import fresh

LIST = "/api/v1/requests/"
UNKNOWN = 987_654


def valid_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Site filing for PRG-1801",
        "description": "Which documents does the site filing need?",
        "category": "clinical_trial",
        "product_type": "biologic",
    }
    payload.update(overrides)
    return payload


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def assert_alike(responses: dict[str, Any], field: str) -> None:
    """Every response the same 400 with one message on `field`, whatever the id named."""
    answers = {name: answer(r) for name, r in responses.items()}
    first = next(iter(answers.values()))
    assert first[0] == 400, answers
    assert list(first[1]) == [field], answers
    assert all(a == first for a in answers.values()), answers


@pytest.fixture
def beijing_project(orgs) -> KeyProject:
    return KeyProject.objects.create(
        district=orgs["hd"],
        park=orgs["zgc"],
        enterprise=orgs["hd_ent"],
        name="Haidian CAR-T trial",
        products="CAR-T",
    )


# --- key_project and enterprise on filing (API) -----------------------------------------------------
@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip"])
def test_key_project_unknown_and_invisible_answer_alike(api, orgs, beijing_project, username):
    """Rule: a key project outside the caller's (GET /api/v1/key-projects/) is no choice."""
    client = api(username)
    before = ServiceRequest.objects.count()
    other_park = KeyProject.objects.get(enterprise=orgs["accel1"])
    responses = {
        "unknown": client.post(
            LIST, valid_payload(enterprise=orgs["pregene"].pk, key_project=UNKNOWN), format="json"
        ),
        "beijing": client.post(
            LIST, valid_payload(enterprise=orgs["pregene"].pk, key_project=beijing_project.pk), format="json"
        ),
        "other park": client.post(
            LIST, valid_payload(enterprise=orgs["pregene"].pk, key_project=other_park.pk), format="json"
        ),
    }
    assert_alike(responses, "key_project")
    assert str(UNKNOWN) not in str(responses["unknown"].json())
    assert ServiceRequest.objects.count() == before
    own = KeyProject.objects.get(enterprise=orgs["pregene"])
    r = client.post(LIST, valid_payload(enterprise=orgs["pregene"].pk, key_project=own.pk), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["key_project"] == own.pk and r.json()["green_channel"] is True


def test_liaison_enterprise_unknown_and_of_another_park_answer_alike(api, orgs):
    """Rule: a liaison files for the park's enterprises; any other id is no choice, alike."""
    client = api("liaison_sbip")
    responses = {
        "unknown": client.post(LIST, valid_payload(enterprise=UNKNOWN), format="json"),
        "other park": client.post(LIST, valid_payload(enterprise=orgs["accel1"].pk), format="json"),
        "beijing": client.post(LIST, valid_payload(enterprise=orgs["hd_ent"].pk), format="json"),
        "not an enterprise": client.post(LIST, valid_payload(enterprise=orgs["ps_msb"].pk), format="json"),
    }
    assert_alike(responses, "enterprise")
    r = client.post(LIST, valid_payload(enterprise=orgs["wytd"].pk), format="json")
    assert r.status_code == 201, r.content


def test_enterprise_staff_naming_another_enterprise_answers_like_an_unknown_id(api, orgs):
    client = api("ent_pregene")
    responses = {
        "unknown": client.post(LIST, valid_payload(enterprise=UNKNOWN), format="json"),
        "rival": client.post(LIST, valid_payload(enterprise=orgs["ascentawits"].pk), format="json"),
        "beijing": client.post(LIST, valid_payload(enterprise=orgs["hd_ent"].pk), format="json"),
    }
    assert_alike(responses, "enterprise")


@pytest.mark.parametrize("enterprise", [UNKNOWN, "pregene", "hd_ent"])
def test_officials_are_refused_filing_before_any_id_is_read(api, orgs, enterprise):
    """Rule: who may not file learns nothing from the ids they send: 403 for every id."""
    value = orgs[enterprise].pk if isinstance(enterprise, str) else enterprise
    r = api("officer_ps_msb").post(LIST, valid_payload(enterprise=value), format="json")
    assert r.status_code == 403, r.content


# --- assignee on assigning (API) ----------------------------------------------------------------
@pytest.fixture
def at_district(make_request, users) -> ServiceRequest:
    sr = make_request()
    actions.escalate(sr, actor=users["liaison_sbip"], reason="For the district")
    sr = fresh(sr)
    assert (sr.state, sr.department.name) == ("district_review", "Pingshan Market Supervision Bureau")
    return sr


def test_assignee_unknown_and_of_another_organisation_answer_alike(api, users, at_district):
    """Rule: only staff of the tier holding the request are a choice; nobody else exists."""
    client = api("supervisor_ps")
    url = f"{LIST}{at_district.pk}/assign/"
    responses = {
        "unknown": client.post(url, {"assignee": UNKNOWN}, format="json"),
        "beijing": client.post(url, {"assignee": users["officer_hd_station"].pk}, format="json"),
        "municipal": client.post(url, {"assignee": users["officer_sz_amr"].pk}, format="json"),
        "other department": client.post(url, {"assignee": users["officer_ps_sti"].pk}, format="json"),
        "enterprise": client.post(url, {"assignee": users["ent_pregene"].pk}, format="json"),
    }
    assert_alike(responses, "assignee")
    assert fresh(at_district).assignee_id is None
    r = client.post(url, {"assignee": users["officer_ps_msb2"].pk}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["assignee"] == users["officer_ps_msb2"].pk


@pytest.mark.parametrize("username", ["ent_pregene", "officer_ps_msb", "liaison_sbip"])
def test_who_may_not_assign_is_refused_whatever_id_they_send(api, users, at_district, username):
    """Rule: 403 before the assignee is read, so a probe tells nothing about who works where."""
    url = f"{LIST}{at_district.pk}/assign/"
    for value in (UNKNOWN, users["officer_ps_msb2"].pk, users["officer_hd_station"].pk):
        r = api(username).post(url, {"assignee": value}, format="json")
        assert r.status_code == 403, (value, r.content)


# --- department on sharing (API and action) ---------------------------------------------------------
def share(client: Any, sr: ServiceRequest, department: Any, reason: str = "A second view") -> Any:
    return client.post(f"{LIST}{sr.pk}/share/", {"department": department, "reason": reason}, format="json")


def shared_with(sr: ServiceRequest) -> set[str]:
    groups = RequestGroupObjectPermission.objects.filter(content_object=sr).values_list(
        "group__name", flat=True
    )
    return set(groups)


def test_share_departments_are_the_chains_others(orgs, at_district):
    """Rule: the chain's departments (district, municipal, provincial), not the one holding it."""
    assert set(share_departments(at_district)) == {orgs["ps_sti"]}
    extra = Organization.objects.create(
        kind=OrgKind.DEPARTMENT, name="Shenzhen Drug Bureau", parent=orgs["sz"]
    )
    Organization.objects.create(
        kind=OrgKind.DEPARTMENT, name="Closed bureau", parent=orgs["gd"], is_active=False
    )
    assert set(share_departments(at_district)) == {orgs["ps_sti"], extra}


def test_a_department_outside_the_chain_answers_like_an_unknown_id(api, orgs, at_district):
    """Rule: a share outside the request's chain is refused, as if the id did not exist."""
    client = api("officer_ps_msb")
    responses = {
        "unknown": share(client, at_district, UNKNOWN),
        "beijing station": share(client, at_district, orgs["hd_station"].pk),
        "beijing msb": share(client, at_district, orgs["hd_msb"].pk),
        "the holding department": share(client, at_district, orgs["ps_msb"].pk),
        "not a department": share(client, at_district, orgs["sz"].pk),
        "an enterprise": share(client, at_district, orgs["hd_ent"].pk),
    }
    assert_alike(responses, "department")
    assert not shared_with(at_district)
    assert not visible_requests(User.objects.get(username="officer_hd_station")).filter(pk=at_district.pk)


def test_a_department_on_the_chain_is_shared_with(api, orgs, users, at_district):
    r = share(api("officer_ps_msb"), at_district, orgs["ps_sti"].pk)
    assert r.status_code == 200, r.content
    assert visible_requests(users["officer_ps_sti"]).filter(pk=at_district.pk).exists()
    assert RequestEvent.objects.filter(request=at_district, kind=EventKind.SHARED).count() == 1


def test_a_park_tier_request_may_be_shared_with_a_district_department(api, orgs, users, make_request):
    sr = make_request()
    r = share(api("liaison_sbip"), sr, orgs["ps_msb"].pk)
    assert r.status_code == 200, r.content
    assert visible_requests(users["officer_ps_msb"]).filter(pk=sr.pk).exists()


@pytest.mark.parametrize("state", ["draft", "info_requested", "resolved", "closed", "withdrawn"])
def test_a_request_no_tier_reviews_is_shared_with_nobody(api, orgs, users, reach_state, state):
    """Rule: sharing only while a tier reviews the request (409 otherwise, nothing granted)."""
    sr, username = reach_state(state)
    before = RequestEvent.objects.filter(request=sr).count()
    r = share(api(username), sr, orgs["ps_sti"].pk)
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "transition_not_allowed"
    # Refused before the department is read: an unknown id gets the same answer.
    assert answer(share(api(username), sr, UNKNOWN)) == answer(r)
    assert not shared_with(sr)
    assert RequestEvent.objects.filter(request=sr).count() == before
    with pytest.raises(TransitionNotAllowed):
        actions.share_with_department(sr, actor=users[username], department=orgs["ps_sti"], reason="x")


@pytest.fixture
def reach_state(make_request, users):
    """A request of Pregene in `state`, and who would have shared it there."""

    def make(state: str) -> tuple[ServiceRequest, str]:
        if state == "draft":
            return fresh(make_request(submit=False)), "liaison_sbip"
        sr = make_request()
        if state == "withdrawn":
            actions.withdraw(sr, actor=users["ent_pregene"])
            return fresh(sr), "liaison_sbip"
        actions.escalate(sr, actor=users["liaison_sbip"], reason="For the district")
        sr = fresh(sr)
        officer = users["officer_ps_msb"]
        if state == "info_requested":
            actions.request_info(sr, actor=officer, body="Which batch?")
        else:
            actions.resolve(sr, actor=officer, resolution="Answered")
            if state == "closed":
                actions.close(fresh(sr), actor=users["ent_pregene"])
        return fresh(sr), "officer_ps_msb"

    return make


def test_who_may_not_share_is_refused_whatever_department_they_name(api, orgs, at_district):
    for value in (UNKNOWN, orgs["ps_sti"].pk, orgs["hd_station"].pk):
        r = share(api("ent_pregene"), at_district, value)
        assert r.status_code == 403, (value, r.content)


def test_the_action_refuses_a_department_of_another_jurisdiction(orgs, users, at_district):
    """The one action behind the API, pages and jobs checks the chain itself."""
    with pytest.raises(InvalidInput) as refused:
        actions.share_with_department(
            at_district, actor=users["officer_ps_msb"], department=orgs["hd_station"], reason="Look"
        )
    assert list(refused.value.fields) == ["department"]
    assert not shared_with(at_district)


# --- the pages ------------------------------------------------------------------------------------
def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


ERRORS = re.compile(r'<(?:span|div) class="error" role="alert">(.*?)</(?:span|div)>', re.S)


def page_answer(response: Any) -> tuple[int, list[str]]:
    return response.status_code, ERRORS.findall(response.content.decode())


def new_request_post(**fields: Any) -> dict[str, Any]:
    return {**valid_payload(), "submit_now": "on", **fields}


def test_new_request_page_enterprise_unknown_and_of_another_park_answer_alike(users, orgs):
    client = browser(users["liaison_sbip"])
    answers = {
        value: page_answer(client.post("/requests/new/", new_request_post(enterprise=value)))
        for value in (UNKNOWN, orgs["accel1"].pk, orgs["hd_ent"].pk)
    }
    first = next(iter(answers.values()))
    assert first[1], answers
    assert all(a == first for a in answers.values()), answers
    assert not ServiceRequest.objects.exists()


def test_new_request_page_key_project_unknown_and_invisible_answer_alike(users, orgs, beijing_project):
    client = browser(users["ent_pregene"])
    other = KeyProject.objects.get(enterprise=orgs["wytd"])
    answers = {
        value: page_answer(client.post("/requests/new/", new_request_post(key_project=value)))
        for value in (UNKNOWN, beijing_project.pk, other.pk)
    }
    first = next(iter(answers.values()))
    assert first[1], answers
    assert all(a == first for a in answers.values()), answers
    own = KeyProject.objects.get(enterprise=orgs["pregene"])
    assert client.post("/requests/new/", new_request_post(key_project=own.pk)).status_code == 302


def test_assign_page_unknown_and_outside_person_answer_alike(users, at_district):
    client = browser(users["supervisor_ps"])
    url = f"/requests/{at_district.pk}/act/assign/"
    answers = {
        value: page_answer(client.post(url, {"assign-assignee": value}))
        for value in (UNKNOWN, users["officer_hd_station"].pk, users["officer_ps_sti"].pk)
    }
    first = next(iter(answers.values()))
    assert first[0] == 400 and first[1], answers
    assert all(a == first for a in answers.values()), answers
    assert fresh(at_district).assignee_id is None


def test_a_share_racing_a_resolve_grants_nothing(orgs, users, at_district):
    """Rule: the state is checked where the grant is written: a request resolved since it was
    read is shared with nobody (409, the request changed)."""
    stale = fresh(at_district)
    actions.resolve(fresh(at_district), actor=users["officer_ps_msb"], resolution="Answered")
    with pytest.raises(ConcurrentChange):
        actions.share_with_department(
            stale, actor=users["officer_ps_msb"], department=orgs["ps_sti"], reason="x"
        )
    assert not shared_with(at_district)
    assert not RequestEvent.objects.filter(request=at_district, kind=EventKind.SHARED).exists()
