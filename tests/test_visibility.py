"""Who sees which request: the one visibility rule (`selectors.visibility_filter`) seen through
the API, across two parks, two enterprises of one park, an enterprise of the other park and two
jurisdictions (Guangdong/Shenzhen/Pingshan and Beijing/Haidian); explicit sharing with an extra
department; the organisation list and /me/."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.casework import actions
from apps.casework.models import ServiceRequest
from apps.organizations.models import User
from tests.conftest import fresh

LIST = "/api/v1/requests/"


def detail(sr: ServiceRequest) -> str:
    return f"/api/v1/requests/{sr.pk}/"


def listed_ids(client) -> set[int]:
    """Every request id the caller's list shows, over all pages."""
    ids: set[int] = set()
    response = client.get(LIST, {"page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    count = body["count"]
    while True:
        ids.update(row["id"] for row in body["results"])
        if not body["next"]:
            break
        response = client.get(body["next"])
        assert response.status_code == 200, response.content
        body = response.json()
    assert len(ids) == count
    return ids


def can_read(client, sr: ServiceRequest) -> bool:
    """Detail, timeline, messages and attachments agree: all 200 or all 404."""
    codes = {
        suffix: client.get(f"{detail(sr)}{suffix}").status_code
        for suffix in ("", "timeline/", "messages/", "attachments/")
    }
    assert set(codes.values()) in ({200}, {404}), codes
    return codes[""] == 200


# --- the world -----------------------------------------------------------------------------------
@dataclass
class World:
    park: ServiceRequest  # Pregene, clinical trial, still at the park
    msb: ServiceRequest  # Pregene, clinical trial, at the district (Market Supervision Bureau)
    sti: ServiceRequest  # Pregene, R&D, at the district (Science and Technology Innovation Bureau)
    municipal: ServiceRequest  # Pregene, clinical trial, at the municipal tier (via the MSB)
    came_back: ServiceRequest  # Pregene, registration: up to provincial, returned to the district
    competitor: ServiceRequest  # Ascentawits (same park as Pregene), at the park
    accel: ServiceRequest  # the Accelerator park's enterprise, at the district (MSB)
    haidian: ServiceRequest  # Beijing, policy, at Haidian district (innovation service station)
    haidian_park: ServiceRequest  # Beijing, at the Zhongguancun park

    def all(self) -> dict[str, ServiceRequest]:
        return dict(vars(self))


@pytest.fixture
def world(make_request, users) -> World:
    def up(sr: ServiceRequest, *actors: str) -> ServiceRequest:
        for actor in actors:
            sr = actions.escalate(fresh(sr), actor=users[actor], reason=f"{actor} escalates")
        return fresh(sr)

    def down(sr: ServiceRequest, *actors: str) -> ServiceRequest:
        for actor in actors:
            sr = actions.return_to_lower_tier(fresh(sr), actor=users[actor], reason=f"{actor} returns")
        return fresh(sr)

    w = World(
        park=make_request("ent_pregene", title="Park-tier question"),
        msb=up(make_request("ent_pregene", title="District MSB question"), "liaison_sbip"),
        sti=up(make_request("ent_pregene", category="rnd", title="District STI question"), "liaison_sbip"),
        municipal=up(
            make_request("ent_pregene", title="Municipal question"), "liaison_sbip", "officer_ps_msb"
        ),
        came_back=down(
            up(
                make_request("liaison_sbip", enterprise="pregene", category="registration"),
                "liaison_sbip",
                "officer_ps_msb",
                "officer_sz_amr",
            ),
            "officer_gd_mpa",
            "officer_sz_amr",
        ),
        competitor=make_request("ent_ascentawits", title="Competitor's secret"),
        accel=up(make_request("ent_accel1", title="Accelerator question"), "liaison_accel"),
        haidian=up(make_request("ent_haidian", category="policy", title="Haidian policy"), "liaison_haidian"),
        haidian_park=make_request("liaison_haidian", enterprise="hd_ent", title="Haidian park question"),
    )
    # The chain we meant to build.
    assert w.park.state == "park_review"
    assert (w.msb.state, w.msb.department.name) == ("district_review", "Pingshan Market Supervision Bureau")
    assert w.sti.department.name == "Pingshan Science and Technology Innovation Bureau"
    assert w.municipal.state == "municipal_review"
    assert (w.came_back.state, w.came_back.reached_level) == ("district_review", 3)
    assert w.haidian.department.name.startswith("Beijing Pharmaceutical and Medical Device Innovation")
    assert w.haidian.reference.startswith("HD-")
    return w


PINGSHAN_PREGENE = {"park", "msb", "sti", "municipal", "came_back"}
PINGSHAN = PINGSHAN_PREGENE | {"competitor", "accel"}
BEIJING = {"haidian", "haidian_park"}

EXPECTED: dict[str, set[str]] = {
    # enterprise staff: their own enterprise's requests, at every tier
    "ent_pregene": PINGSHAN_PREGENE,
    "ent_pregene2": PINGSHAN_PREGENE,
    "ent_ascentawits": {"competitor"},
    "ent_accel1": {"accel"},
    # the park: every request of its enterprises, wherever it is now
    "liaison_sbip": PINGSHAN_PREGENE | {"competitor"},
    "liaison_sbip2": PINGSHAN_PREGENE | {"competitor"},
    "supervisor_sbip": PINGSHAN_PREGENE | {"competitor"},
    "liaison_accel": {"accel"},
    # district departments: what was routed to them, kept after it moved on
    "officer_ps_msb": {"msb", "municipal", "came_back", "accel"},
    "officer_ps_msb2": {"msb", "municipal", "came_back", "accel"},
    "supervisor_ps_msb": {"msb", "municipal", "came_back", "accel"},
    "officer_ps_sti": {"sti"},
    # an authority's supervisors, like its officers: what reached their tier, from then on; what
    # the park answers itself (park, competitor) they see only as figures
    "supervisor_ps": {"msb", "sti", "municipal", "came_back", "accel"},
    # municipal and provincial officers: what reached them, kept after it moved on or came back
    "officer_sz_amr": {"municipal", "came_back"},
    "supervisor_sz": {"municipal", "came_back"},
    "officer_gd_mpa": {"came_back"},
    "supervisor_gd": {"came_back"},
    # Beijing never sees Pingshan, and the reverse
    "liaison_haidian": BEIJING,
    "officer_hd_station": {"haidian"},
    "supervisor_hd": {"haidian"},
    "ent_haidian": BEIJING,
    "admin": PINGSHAN | BEIJING,
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_persona_sees_exactly_its_requests(api, world, username):
    """The list shows exactly the visible requests; detail, timeline, messages and attachments
    answer 200 for those and 404 for every other one."""
    requests = world.all()
    client = api(username)
    ids = listed_ids(client)
    expected = {requests[name].pk for name in EXPECTED[username]}
    names = {sr.pk: name for name, sr in requests.items()}
    assert ids == expected, (
        f"{username}: extra {sorted(names[i] for i in ids - expected)}, "
        f"missing {sorted(names[i] for i in expected - ids)}"
    )
    for name, sr in requests.items():
        assert can_read(client, sr) == (name in EXPECTED[username]), f"{username} reading {name}"


def test_invisible_request_cannot_be_acted_on_or_written_to(api, world):
    """For an outsider every route answers 404, as if the request did not exist."""
    competitor = api("ent_ascentawits")
    sr = world.park
    base = detail(sr)
    assert competitor.post(f"{base}withdraw/", {}, format="json").status_code == 404
    assert competitor.post(f"{base}messages/", {"body": "hello"}, format="json").status_code == 404
    upload = SimpleUploadedFile("note.txt", b"plain text notes\n", content_type="text/plain")
    assert competitor.post(f"{base}attachments/", {"file": upload}, format="multipart").status_code == 404
    beijing = api("officer_hd_station")
    assert beijing.post(f"{detail(world.msb)}escalate/", {"reason": "x"}, format="json").status_code == 404
    assert fresh(sr).state == "park_review"
    assert fresh(world.msb).state == "district_review"
    # A request id that does not exist answers the same.
    assert competitor.get("/api/v1/requests/999999999/").status_code == 404


def test_attachment_download_is_404_for_the_invisible(api, world):
    owner = api("ent_pregene")
    upload = SimpleUploadedFile("protocol.txt", b"Protocol v2, section 4\n", content_type="text/plain")
    r = owner.post(f"{detail(world.msb)}attachments/", {"file": upload}, format="multipart")
    assert r.status_code == 201, r.content
    url = f"{detail(world.msb)}attachments/{r.json()['id']}/download/"
    assert owner.get(url).status_code == 200
    assert api("officer_ps_msb").get(url).status_code == 200
    for outsider in ("ent_ascentawits", "officer_ps_sti", "officer_sz_amr", "liaison_haidian", "ent_accel1"):
        assert api(outsider).get(url).status_code == 404, outsider
        assert api(outsider).get(f"{detail(world.msb)}attachments/").status_code == 404, outsider


def test_district_department_sees_only_once_routed_and_keeps_it(api, users, make_request):
    """officer_ps_msb: invisible at the park; visible from the district on, also after the
    request moved up, came back down and was resolved. officer_ps_sti never sees it."""
    sr = make_request("ent_pregene")
    msb, sti = api("officer_ps_msb"), api("officer_ps_sti")
    assert not can_read(msb, sr)
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="district please")
    assert can_read(msb, sr)
    actions.escalate(fresh(sr), actor=users["officer_ps_msb"], reason="city please")
    assert can_read(msb, sr)
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_sz_amr"], reason="back to you")
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_ps_msb"], reason="back to the park")
    assert fresh(sr).state == "park_review"
    assert can_read(msb, sr)
    actions.resolve(fresh(sr), actor=users["liaison_sbip"], resolution="answered")
    assert can_read(msb, sr)
    assert sr.pk in listed_ids(msb)
    assert not can_read(sti, sr)


def test_science_bureau_sees_rnd_and_policy_only(api, users, make_request):
    sti = api("officer_ps_sti")
    by_category = {}
    for category in ("rnd", "policy", "clinical_trial", "registration", "compliance"):
        sr = make_request("ent_pregene", category=category)
        actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="district please")
        by_category[category] = sr
    for category, sr in by_category.items():
        assert can_read(sti, sr) == (category in ("rnd", "policy")), category
        assert can_read(api("officer_ps_msb"), sr) == (category not in ("rnd", "policy")), category


def test_municipal_officer_sees_from_municipal_on_and_after_it_moves(api, users, make_request):
    sr = make_request("ent_pregene")
    city, province = api("officer_sz_amr"), api("officer_gd_mpa")
    assert not can_read(city, sr)
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="district")
    assert not can_read(city, sr)
    actions.escalate(fresh(sr), actor=users["officer_ps_msb"], reason="city")
    assert can_read(city, sr)
    assert not can_read(province, sr)
    actions.escalate(fresh(sr), actor=users["officer_sz_amr"], reason="province")
    assert can_read(city, sr) and can_read(province, sr)
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_gd_mpa"], reason="city again")
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_sz_amr"], reason="district again")
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_ps_msb"], reason="park again")
    assert fresh(sr).tier == "park"
    assert can_read(city, sr) and can_read(province, sr)
    assert sr.pk in listed_ids(city)


def page_code(users, username: str, sr: ServiceRequest) -> int:
    client = Client()
    client.force_login(users[username])
    return client.get(f"/requests/{sr.pk}/").status_code


def test_a_question_the_park_answers_itself_stays_between_the_enterprise_and_the_park(
    api, users, make_request
):
    """The park answers and resolves it: the district's and the city's supervisors never see it
    (API detail, timeline, messages, attachments, list and page all say no such request)."""
    sr = make_request("ent_pregene", title="Answered at the park")
    actions.respond(fresh(sr), actor=users["liaison_sbip"], body="Here is how the amendment goes.")
    actions.resolve(fresh(sr), actor=users["liaison_sbip"], resolution="Answered by the park.")
    for username in ("supervisor_ps", "supervisor_sz", "supervisor_gd", "officer_ps_msb"):
        assert not can_read(api(username), sr), username
        assert sr.pk not in listed_ids(api(username)), username
        assert page_code(users, username, sr) == 404, username
    for username in ("ent_pregene", "liaison_sbip", "supervisor_sbip"):
        assert can_read(api(username), sr), username
        assert page_code(users, username, sr) == 200, username


def test_an_authoritys_supervisors_see_a_request_once_it_has_reached_their_tier(api, users, make_request):
    sr = make_request("ent_pregene", title="Going up")
    district, city = api("supervisor_ps"), api("supervisor_sz")
    assert not can_read(district, sr) and not can_read(city, sr)
    assert page_code(users, "supervisor_ps", sr) == 404
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="Needs the bureau")
    assert can_read(district, sr) and sr.pk in listed_ids(district)
    assert page_code(users, "supervisor_ps", sr) == 200
    assert not can_read(city, sr) and sr.pk not in listed_ids(city)
    assert page_code(users, "supervisor_sz", sr) == 404
    actions.escalate(fresh(sr), actor=users["officer_ps_msb"], reason="Needs the city")
    assert can_read(city, sr) and sr.pk in listed_ids(city)
    assert page_code(users, "supervisor_sz", sr) == 200
    # From then on: back at the park, both still see it.
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_sz_amr"], reason="district again")
    actions.return_to_lower_tier(fresh(sr), actor=users["officer_ps_msb"], reason="park again")
    assert can_read(district, sr) and can_read(city, sr)
    # Another jurisdiction's supervisor never does.
    assert not can_read(api("supervisor_hd"), sr)


def test_a_district_supervisor_counts_the_park_tier_as_figures_only(users, make_request):
    """The supervisor's home counts the requests open at the park (by unit), without listing them."""
    sr = make_request("ent_pregene", title="Park-only secret title")
    client = Client()
    client.force_login(users["supervisor_ps"])
    response = client.get("/home/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Park-only secret title" not in page and sr.reference not in page
    park_row = [row for row in response.context["by_unit"] if row["tier"] == "park"]
    assert [(row["unit_name"], row["total"]) for row in park_row] == [
        ("Shenzhen Biomedicine Innovation Industrial Park", 1)
    ]


def test_unsent_drafts_stay_with_the_enterprise_and_its_park(api, make_request):
    draft = make_request("ent_pregene", submit=False, title="Not ready to send")
    for username in ("ent_pregene", "ent_pregene2", "liaison_sbip"):
        assert can_read(api(username), draft), username
    for username in ("supervisor_ps", "supervisor_sz", "supervisor_gd", "officer_ps_msb", "ent_ascentawits"):
        assert not can_read(api(username), draft), username
    actions.submit_request(draft, actor=draft.created_by)
    assert can_read(api("supervisor_sbip"), draft)
    # At the park tier it is still the park's: the district sees it once it is escalated.
    assert not can_read(api("supervisor_ps"), draft)


def test_enterprise_sees_own_request_after_it_moved_on(api, world):
    for username in ("ent_pregene", "ent_pregene2"):
        client = api(username)
        for name in ("municipal", "came_back"):
            r = client.get(detail(world.all()[name]))
            assert r.status_code == 200
            assert r.json()["reference"] == world.all()[name].reference


def test_enterprise_never_sees_internal_events(api, users, world):
    actions.add_message(fresh(world.msb), actor=users["officer_ps_msb"], body="between us", internal=True)
    actions.claim(fresh(world.msb), actor=users["officer_ps_msb"])
    owner_events = api("ent_pregene").get(f"{detail(world.msb)}timeline/").json()
    assert all(not e["internal"] for e in owner_events)
    assert {"note", "claimed"}.isdisjoint(e["kind"] for e in owner_events)
    owner_messages = api("ent_pregene").get(f"{detail(world.msb)}messages/").json()
    assert "between us" not in [m["body"] for m in owner_messages]
    officer_events = api("officer_ps_msb").get(f"{detail(world.msb)}timeline/").json()
    assert {"note", "claimed"} <= {e["kind"] for e in officer_events}


# --- sharing with an extra department -------------------------------------------------------------
def share(client, sr: ServiceRequest, department, reason: str = "Needs the station's view"):
    return client.post(f"{detail(sr)}share/", {"department": department.pk, "reason": reason}, format="json")


NOT_SHARED_WITH = [
    "liaison_haidian",
    "supervisor_hd",
    "ent_haidian",
    "officer_ps_sti",
    "ent_ascentawits",
    "ent_accel1",
    "liaison_accel",
    "officer_gd_mpa",
]


def test_park_tier_share_reaches_that_department_only(api, orgs, users, world):
    """The park asks a district department of its own chain to look before it escalates."""
    sr = world.park
    sti = api("officer_ps_sti")
    sti_colleague = User.objects.create_user(
        username="officer_ps_sti2", password="x-demo-12345", role="officer", organization=orgs["ps_sti"]
    )
    others = [
        name for name in [*NOT_SHARED_WITH, "officer_ps_msb", "officer_sz_amr"] if name != "officer_ps_sti"
    ]
    before = {name: can_read(api(name), sr) for name in [*others, "officer_hd_station"]}
    assert not any(before.values()), before
    assert not can_read(sti, sr)

    r = share(api("liaison_sbip"), sr, orgs["ps_sti"])
    assert r.status_code == 200, r.content

    assert can_read(sti, sr)
    assert sr.pk in listed_ids(sti)
    client = api(None)
    client.force_authenticate(sti_colleague)
    assert can_read(client, sr)
    for name in [*others, "officer_hd_station"]:
        assert not can_read(api(name), sr), name
        assert sr.pk not in listed_ids(api(name)), name
    # Seeing is not acting: the science bureau cannot move the request.
    r = sti.post(f"{detail(sr)}escalate/", {"reason": "not mine"}, format="json")
    assert r.status_code == 403
    assert fresh(sr).state == "park_review"
    # The share is on the timeline, for staff only.
    kinds = [e["kind"] for e in api("liaison_sbip").get(f"{detail(sr)}timeline/").json()]
    assert "shared" in kinds
    kinds = [e["kind"] for e in api("ent_pregene").get(f"{detail(sr)}timeline/").json()]
    assert "shared" not in kinds


def test_district_tier_share_by_department_officer(api, orgs, world):
    sr = world.msb
    r = share(api("officer_ps_msb"), sr, orgs["ps_sti"])
    assert r.status_code == 200, r.content
    assert can_read(api("officer_ps_sti"), sr)
    # Only that one request: the science bureau still sees only what was routed to it.
    ids = listed_ids(api("officer_ps_sti"))
    assert ids == {sr.pk, world.sti.pk}
    for name in NOT_SHARED_WITH:
        if name != "officer_ps_sti":
            assert not can_read(api(name), sr), name


def test_share_with_a_department_of_the_same_district(api, orgs, world):
    """The MSB holds it and asks the science bureau to look: the science bureau sees it."""
    assert not can_read(api("officer_ps_sti"), world.msb)
    assert share(api("supervisor_ps"), world.msb, orgs["ps_sti"]).status_code == 200
    assert can_read(api("officer_ps_sti"), world.msb)
    assert not can_read(api("officer_ps_sti"), world.municipal)


@pytest.mark.parametrize("username", ["ent_pregene", "ent_pregene2"])
def test_enterprise_staff_cannot_share(api, orgs, world, username):
    for sr in (world.park, world.msb):
        r = share(api(username), sr, orgs["hd_station"])
        assert r.status_code == 403, r.content
        assert not can_read(api("officer_hd_station"), sr)


def test_share_refused_for_staff_of_another_tier(api, orgs, world):
    # The park can see the district-tier request but no longer holds it.
    r = share(api("liaison_sbip"), world.msb, orgs["hd_station"])
    assert r.status_code == 403, r.content
    # A department that cannot see the request at all is told nothing.
    r = share(api("officer_ps_sti"), world.msb, orgs["hd_station"])
    assert r.status_code == 404, r.content
    # The municipal officer saw it pass but the request now sits at the district again.
    r = share(api("officer_sz_amr"), world.came_back, orgs["hd_station"])
    assert r.status_code == 403, r.content
    assert not can_read(api("officer_hd_station"), world.msb)
    assert not can_read(api("officer_hd_station"), world.came_back)


def test_share_only_with_a_department(api, orgs, world):
    for org in ("hd", "zgc", "ascentawits", "sz"):
        r = share(api("liaison_sbip"), world.park, orgs[org])
        assert r.status_code == 400, (org, r.content)
        assert "department" in r.json()
    r = share(api("liaison_sbip"), world.park, orgs["hd_station"], reason="   ")
    assert r.status_code == 400
    assert not can_read(api("officer_hd_station"), world.park)


# --- organisations and /me/ -----------------------------------------------------------------------
ENTERPRISES = ("pregene", "ascentawits", "wytd", "accel1", "accel2", "hd_ent")


@pytest.mark.parametrize(
    ("username", "own"),
    [
        ("ent_pregene", "pregene"),
        ("ent_pregene2", "pregene"),
        ("ent_ascentawits", "ascentawits"),
        ("ent_wytd", "wytd"),
        ("ent_accel1", "accel1"),
        ("ent_haidian", "hd_ent"),
    ],
)
def test_organizations_never_list_a_competitor_to_enterprise_staff(api, orgs, username, own):
    r = api(username).get("/api/v1/organizations/")
    assert r.status_code == 200
    rows = r.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    ids = {row["id"] for row in rows}
    enterprise_ids = {row["id"] for row in rows if row["kind"] == "enterprise"}
    assert enterprise_ids == {orgs[own].pk}
    # Public bodies stay listed: departments and authorities.
    assert {orgs["ps_msb"].pk, orgs["sz"].pk, orgs["gd"].pk} <= ids


def test_organizations_for_liaisons_list_their_park_enterprises(api, orgs):
    def enterprises(username: str) -> set[int]:
        rows = api(username).get("/api/v1/organizations/").json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        return {row["id"] for row in rows if row["kind"] == "enterprise"}

    assert enterprises("liaison_sbip") == {orgs[k].pk for k in ("pregene", "ascentawits", "wytd")}
    assert enterprises("liaison_accel") == {orgs[k].pk for k in ("accel1", "accel2")}
    assert enterprises("liaison_haidian") == {orgs["hd_ent"].pk}


def test_organizations_need_a_login(api):
    assert api(None).get("/api/v1/organizations/").status_code in (401, 403)
    assert api(None).get("/api/v1/me/").status_code in (401, 403)
    assert api(None).get(LIST).status_code in (401, 403)


@pytest.mark.parametrize(
    ("username", "role", "org", "tier"),
    [
        ("ent_pregene", "enterprise", "pregene", None),
        ("liaison_sbip", "liaison", "sbip", "park"),
        ("supervisor_sbip", "supervisor", "sbip", "park"),
        ("officer_ps_msb", "officer", "ps_msb", "district"),
        ("supervisor_ps", "supervisor", "ps", "district"),
        ("officer_sz_amr", "officer", "sz", "municipal"),
        ("officer_gd_mpa", "officer", "gd", "provincial"),
        ("officer_hd_station", "officer", "hd_station", "district"),
        ("liaison_haidian", "liaison", "zgc", "park"),
    ],
)
def test_me_returns_role_and_organization(api, orgs, username, role, org, tier):
    r = api(username).get("/api/v1/me/")
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == username
    assert body["role"] == role
    assert body["organization"]["id"] == orgs[org].pk
    assert body["organization"]["name"] == orgs[org].name
    assert body["organization"]["kind"] == orgs[org].kind
    assert body["tier"] == tier


def test_me_for_admin(api):
    body = api("admin").get("/api/v1/me/").json()
    assert body["role"] == "admin"
    assert body["organization"] is None
    assert body["is_superuser"] is True


def test_search_and_filters_do_not_leak_other_requests(api, world):
    competitor = api("ent_ascentawits")
    for params in (
        {"search": world.park.reference},
        {"search": "Park-tier"},
        {"state": "park_review"},
        {"category": "clinical_trial"},
        {"tier": "district"},
    ):
        ids = {row["id"] for row in competitor.get(LIST, params).json()["results"]}
        assert ids <= {world.competitor.pk}, params
    beijing = api("supervisor_hd")
    r = beijing.get(LIST, {"search": world.msb.reference})
    assert r.json()["count"] == 0
