"""Saved views of the queue (issue 14): a person saves the queue's filters and order under a
name, the views show as tabs on their home, each role starts with built-in views, a supervisor
shares a view with the organisation. Over the API (`/api/v1/views/`) and through the pages' own
forms; a view whose filters no longer validate opens with a note, never an error page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.casework.models import State
from apps.desk import saved_views
from apps.desk.models import SavedView
from apps.organizations.models import Role, User
from tests.page_forms import Form, forms_in

pytestmark = pytest.mark.django_db

VIEWS = "/api/v1/views/"


def form_with(html: str, css_class: str) -> Form:
    (found,) = [f for f in forms_in(html) if css_class in f.attrs.get("class", "").split()]
    return found


def tabs(html: str) -> list[str]:
    nav = re.search(r'<nav class="view-tabs".*?</nav>', html, re.S)
    assert nav, "no tabs on the page"
    return [_text(name) for name in re.findall(r"<a [^>]*>(.*?)</a>", nav[0], re.S)]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def current_tab(html: str) -> str | None:
    """The tab marked current (None: the page shows filters no tab has)."""
    nav = re.search(r'<nav class="view-tabs".*?</nav>', html, re.S)
    assert nav
    found = re.findall(r'<a [^>]*aria-current="page"[^>]*>(.*?)</a>', nav[0], re.S)
    assert len(found) <= 1, found
    return _text(found[0]) if found else None


def same_query(a: str, b: str) -> bool:
    return dict(QueryDict(a).lists()) == dict(QueryDict(b).lists())


# --- the built-in views -----------------------------------------------------------------------------
def test_every_built_in_view_applies_as_it_stands():
    """Built-in views are code, checked here against the filterset: they never go stale."""
    for role, builtins in saved_views.BUILTINS.items():
        keys = [b.key for b in builtins]
        assert len(keys) == len(set(keys)), role
        for builtin in builtins:
            assert saved_views.problems(builtin.query) == [], (role, builtin.key)
            assert saved_views.normalise(builtin.query) == builtin.query, (role, builtin.key)
            assert not builtin.key.isdigit()  # never mistaken for a saved view's id


def test_each_role_starts_with_its_built_in_views(api):
    names = {
        username: [v["name"] for v in api(username).get(VIEWS).json()]
        for username in ("officer_ps_msb", "liaison_sbip", "supervisor_ps", "ent_pregene")
    }
    assert names["officer_ps_msb"] == ["My work", "Unassigned", "Overdue", "Green channel"]
    assert names["liaison_sbip"] == [
        "Waiting on the park",
        "Overdue",
        "Information requested",
        "Green channel",
    ]
    assert names["supervisor_ps"] == ["Overdue", "Unassigned", "Green channel"]
    assert names["ent_pregene"] == []  # enterprise staff have cards, not a queue
    mine = api("officer_ps_msb").get(VIEWS).json()[0]
    assert mine == {
        "id": None,
        "key": "mine",
        "name": "My work",
        "query": "assignee=me",
        "shared": False,
        "builtin": True,
        "owner": None,
        "url": "/home/?view=mine",
        "api_url": "/api/v1/requests/?assignee=me",
    }


# --- the API ----------------------------------------------------------------------------------------
def test_api_round_trip_save_list_open_delete(api, make_request, users):
    client = api("officer_ps_msb")
    response = client.post(
        VIEWS,
        {"name": "  Clinical, late  ", "query": "page=3&category=clinical_trial&bogus=1&overdue=true&state="},
        format="json",
    )
    assert response.status_code == 201, response.content
    saved = response.json()
    # Normalised: only the filters, no page, no empty value; the name trimmed.
    assert saved["name"] == "Clinical, late"
    assert same_query(saved["query"], "category=clinical_trial&overdue=true")
    assert saved["builtin"] is False and saved["shared"] is False
    assert saved["owner"] == users["officer_ps_msb"].display_name
    assert saved["key"] == str(saved["id"]) and saved["url"] == f"/home/?view={saved['id']}"

    listed = client.get(VIEWS).json()
    assert [v["name"] for v in listed][-1] == "Clinical, late"
    assert listed[-1] == saved
    # Its api_url is the request list with those filters.
    assert client.get(saved["api_url"]).status_code == 200

    assert client.delete(f"{VIEWS}{saved['id']}/").status_code == 204
    assert "Clinical, late" not in [v["name"] for v in client.get(VIEWS).json()]
    assert client.delete(f"{VIEWS}{saved['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"query": "overdue=true"}, "name", "required"),
        ({"name": "   ", "query": "overdue=true"}, "name", "blank"),
        ({"name": "x" * 81}, "name", "81"),
        ({"name": "Bad", "query": "category=no_such_category"}, "query", "Category"),
        ({"name": "Bad", "query": "overdue=maybe"}, "query", "true or false"),
        ({"name": "Bad", "query": "state=nowhere&due=someday"}, "query", "State"),
    ],
)
def test_a_view_is_refused_with_a_message_per_field(api, body, field, says):
    response = api("officer_ps_msb").post(VIEWS, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    messages = " ".join(response.json()[field])
    assert says in messages or (says == "81" and "80" in messages), messages
    assert not SavedView.objects.exists()


def test_a_name_is_one_per_person_whatever_its_case(api):
    client = api("officer_ps_msb")
    assert client.post(VIEWS, {"name": "Mine", "query": ""}, format="json").status_code == 201
    again = client.post(VIEWS, {"name": "MINE", "query": "overdue=true"}, format="json")
    assert again.status_code == 400 and "name" in again.json()
    # Another person may use the same name.
    assert api("officer_ps_sti").post(VIEWS, {"name": "Mine"}, format="json").status_code == 201


def test_a_person_keeps_at_most_the_limit_of_views(api, users):
    user = users["officer_ps_msb"]
    SavedView.objects.bulk_create(
        SavedView(owner=user, organization=user.organization, name=f"View {n}")
        for n in range(saved_views.MAX_VIEWS_PER_USER)
    )
    response = api("officer_ps_msb").post(VIEWS, {"name": "One more"}, format="json")
    assert response.status_code == 400
    assert "delete one first" in response.json()["detail"]


def test_only_a_supervisor_shares_and_enterprise_staff_save_none(api):
    refused = api("officer_ps_msb").post(VIEWS, {"name": "For all", "shared": True}, format="json")
    assert refused.status_code == 403 and "shared" in refused.json()
    assert (
        api("liaison_sbip").post(VIEWS, {"name": "For all", "shared": True}, format="json").status_code == 403
    )
    assert api("ent_pregene").post(VIEWS, {"name": "Mine"}, format="json").status_code == 403
    assert not SavedView.objects.exists()


@pytest.fixture
def district_colleagues(users) -> dict[str, User]:
    """Two more people of the supervisor's organisation (Pingshan District)."""
    district = users["supervisor_ps"].organization
    return {
        "supervisor": User.objects.create_user("supervisor_ps2", role=Role.SUPERVISOR, organization=district),
        "officer": User.objects.create_user("officer_ps_district", role=Role.OFFICER, organization=district),
    }


def test_a_shared_view_is_seen_in_its_organisation_only(api, district_colleagues):
    response = api("supervisor_ps").post(
        VIEWS, {"name": "District late", "query": "overdue=true", "shared": True}
    )
    assert response.status_code == 201, response.content
    shared = response.json()
    assert shared["shared"] is True

    colleague = api(None)
    colleague.force_authenticate(district_colleagues["officer"])
    assert shared in colleague.get(VIEWS).json()
    # Seen, but not theirs to delete: 403, and it stays.
    assert colleague.delete(f"{VIEWS}{shared['id']}/").status_code == 403
    assert SavedView.objects.filter(pk=shared["id"]).exists()

    # Another organisation's people never see it, not even its id.
    for outsider in ("officer_ps_msb", "supervisor_hd", "liaison_sbip", "ent_pregene"):
        assert shared["id"] not in [v["id"] for v in api(outsider).get(VIEWS).json()], outsider
        assert api(outsider).delete(f"{VIEWS}{shared['id']}/").status_code == 404, outsider

    # A supervisor of the organisation may delete it.
    other_supervisor = api(None)
    other_supervisor.force_authenticate(district_colleagues["supervisor"])
    assert other_supervisor.delete(f"{VIEWS}{shared['id']}/").status_code == 204


def test_another_persons_private_view_is_answered_as_if_it_did_not_exist(api):
    private = api("officer_ps_msb").post(VIEWS, {"name": "Mine only"}, format="json").json()
    unknown = api("officer_ps_sti").delete(f"{VIEWS}999999/")
    others = api("officer_ps_sti").delete(f"{VIEWS}{private['id']}/")
    assert others.status_code == unknown.status_code == 404
    assert others.json() == unknown.json()
    assert private["id"] not in [v["id"] for v in api("officer_ps_sti").get(VIEWS).json()]
    assert SavedView.objects.filter(pk=private["id"]).exists()


def test_the_schema_documents_the_views(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/views/"])
    assert set(schema["paths"]["/api/v1/views/{id}/"]) >= {"delete"}
    delete = schema["paths"]["/api/v1/views/{id}/"]["delete"]["responses"]
    assert {"204", "403", "404"} <= set(delete)
    fields = schema["components"]["schemas"]["SavedView"]["properties"]
    assert {"id", "key", "name", "query", "shared", "builtin", "owner", "url", "api_url"} <= set(fields)
    assert fields["id"]["nullable"] is True


# --- the pages --------------------------------------------------------------------------------------
def test_page_round_trip_through_the_pages_own_forms(browser, make_request, users):
    """Choose a filter, save the view with the form beside it, open its tab, delete it."""
    make_request(category="clinical_trial", title="Trial amendment for the saved view")
    make_request(category="rnd", title="Research question outside the view")
    client = browser("liaison_sbip")
    home = client.get("/home/").content.decode()
    assert tabs(home) == [
        "Open requests",
        "Waiting on the park",
        "Overdue",
        "Information requested",
        "Green channel",
    ]
    assert current_tab(home) == "Open requests"

    filters = form_with(home, "filters")
    filtered = client.get("/home/", filters.data(category="clinical_trial")).content.decode()
    assert "Research question outside the view" not in filtered
    save = form_with(filtered, "save-view")
    assert "shared" not in save.values  # only supervisors share
    saved = client.post(save.action, save.data(name="Clinical trials"))
    view = SavedView.objects.get(name="Clinical trials")
    assert saved.status_code == 302 and saved["Location"] == f"/home/?view={view.pk}"
    assert view.owner == users["liaison_sbip"] and view.shared is False
    assert same_query(view.query, "category=clinical_trial")

    opened = client.get(saved["Location"]).content.decode()
    assert "Clinical trials" in tabs(opened) and current_tab(opened) == "Clinical trials"
    assert "Trial amendment for the saved view" in opened
    assert "Research question outside the view" not in opened
    # The filter controls show the view's filters.
    assert form_with(opened, "filters").values["category"] == ["clinical_trial"]
    # The same filters chosen by hand light the same tab.
    assert current_tab(filtered) is None  # no view had these filters when it was drawn
    assert (
        current_tab(client.get("/home/", {"category": "clinical_trial"}).content.decode())
        == "Clinical trials"
    )

    (delete,) = [f for f in forms_in(opened) if f.action == f"/home/views/{view.pk}/delete/"]
    deleted = client.post(delete.action, delete.data())
    assert deleted.status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()
    assert "Clinical trials" not in tabs(client.get("/home/").content.decode())


def test_a_supervisor_shares_a_view_from_the_page(browser, district_colleagues):
    client = browser("supervisor_ps")
    home = client.get("/home/").content.decode()
    save = form_with(home, "save-view")
    assert save.attrs["action"] == "/home/views/"
    # The checkbox is on the form (unchecked): tick it as a person would.
    assert 'name="shared"' in home
    client.post(save.action, {**save.data(name="Whole district"), "shared": ["true"]})
    view = SavedView.objects.get(name="Whole district")
    assert view.shared is True

    colleague = Client(HTTP_ACCEPT_LANGUAGE="en")
    colleague.force_login(district_colleagues["officer"])
    page = colleague.get("/home/").content.decode()
    assert "Whole district (shared)" in tabs(page)
    # Not theirs to delete: no × for it.
    assert f"/home/views/{view.pk}/delete/" not in page
    refused = colleague.post(f"/home/views/{view.pk}/delete/")
    assert refused.status_code == 302 and SavedView.objects.filter(pk=view.pk).exists()


def test_a_refused_save_says_why_on_the_page_and_saves_nothing(browser):
    client = browser("officer_ps_msb")
    home = client.get("/home/", {"overdue": "true"}).content.decode()
    save = form_with(home, "save-view")
    back = client.post(save.action, save.data(name=""), follow=True)
    assert back.status_code == 200
    assert "Give the view a name." in back.content.decode()
    assert back.redirect_chain[-1][0] == "/home/?overdue=true"  # the queue as it was
    # Shared by somebody who may not share: refused with the reason.
    shared = client.post(save.action, {**save.data(name="Mine"), "shared": ["true"]}, follow=True)
    assert "Only a supervisor may share" in shared.content.decode()
    # Enterprise staff have no queue to save.
    refused = browser("ent_pregene").post("/home/views/", {"name": "Mine", "query": ""}, follow=True)
    assert "Saved views are for the queues" in refused.content.decode()
    assert not SavedView.objects.exists()


def test_deleting_another_persons_private_view_from_the_page_is_404(browser, users):
    owner = users["officer_ps_msb"]
    view = SavedView.objects.create(owner=owner, organization=owner.organization, name="Private")
    assert browser("officer_ps_sti").post(f"/home/views/{view.pk}/delete/").status_code == 404
    assert browser("officer_ps_sti").post("/home/views/999999/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("category=no_longer_a_category&overdue=true", "Category"),
        ("overdue=sometimes", "Overdue"),
        ("priority=high", "priority"),
    ],
)
def test_a_stale_saved_view_opens_with_a_note_not_an_error(browser, make_request, users, query, says):
    """The filters changed since the view was saved: the page opens, says so, shows the queue."""
    make_request(title="Still in the queue")
    liaison = users["liaison_sbip"]
    # Written as an older portal would have saved it (the save rules refuse it now).
    view = SavedView.objects.create(
        owner=liaison, organization=liaison.organization, name="Old view", query=query
    )
    page = browser("liaison_sbip").get(f"/home/?view={view.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "This view&#x27;s filters no longer apply:" in html or "This view's filters no longer apply:" in html
    )
    assert says in re.search(r'class="card notice view-note"[^>]*>(.*?)</p>', html, re.S)[1]
    assert "filter-errors" not in html  # the queue itself is not in error
    assert "Still in the queue" in html  # shown without the view's filters
    assert current_tab(html) == "Open requests"


def test_a_view_that_no_longer_exists_opens_the_queue_with_a_note(browser):
    page = browser("officer_ps_msb").get("/home/?view=999999")
    assert page.status_code == 200
    assert "This saved view no longer exists" in page.content.decode()
    assert browser("officer_ps_msb").get("/home/?view=not-a-view").status_code == 200


def test_the_htmx_redraw_redraws_the_tabs_with_the_queue(browser):
    """Changing a filter redraws the queue by HTMX: the tabs come with it (out of band), the
    matching one marked, and the save form carries the new filters."""
    client = browser("officer_ps_msb")
    html = client.get(
        "/home/", {"assignee": "me"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue"
    ).content.decode()
    assert '<div id="queue">' in html
    assert 'id="view-tabs" aria-label="Saved views" hx-swap-oob="true"' in html
    assert current_tab(html) == "My work"
    assert form_with(html, "save-view").values["query"] == ["assignee=me"]
    # The full page has the tabs once, not out of band.
    page = client.get("/home/").content.decode()
    assert page.count('id="view-tabs"') == 1 and "hx-swap-oob" not in page


def test_the_request_list_has_no_tabs(browser):
    page = browser("officer_ps_msb").get("/requests/").content.decode()
    assert "view-tabs" not in page and "save-view" not in page


def test_home_queries_stay_flat_in_the_number_of_views(browser, users, make_request):
    for _ in range(3):
        make_request()
    client = browser("supervisor_ps")
    supervisor = users["supervisor_ps"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/home/").status_code == 200
        return len(captured)

    SavedView.objects.create(owner=supervisor, organization=supervisor.organization, name="First")
    client.get("/home/")
    one = queries()
    for n in range(2):
        SavedView.objects.create(
            owner=supervisor, organization=supervisor.organization, name=f"More {n}", shared=True
        )
    assert queries() == one


def test_chinese_page_shows_chinese_tab_names(browser, users):
    client = browser("officer_ps_msb")
    html = client.get("/home/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html
    names = tabs(html)
    assert "我的工作" in names and "未分派" in names and "已超时" in names and "绿色通道" in names
    assert "保存此视图" in html


def test_a_saved_view_opens_with_the_state_filter_of_the_page(browser, make_request, users):
    """`state=all` (the page's "All states") is kept and opens every state."""
    liaison = users["liaison_sbip"]
    view = SavedView.objects.create(
        owner=liaison, organization=liaison.organization, name="Everything", query="state=all"
    )
    draft = make_request(submit=False, title="Draft kept out of the park review tab")
    html = browser("liaison_sbip").get(f"/home/?view={view.pk}").content.decode()
    assert current_tab(html) == "Everything"
    assert draft.reference in html
    park = browser("liaison_sbip").get("/home/?view=park").content.decode()
    assert draft.reference not in park and current_tab(park) == "Waiting on the park"
    assert form_with(park, "filters").values["state"] == [State.PARK_REVIEW]


def test_a_built_in_tab_shows_its_filters_in_the_controls(browser):
    """The built-in "Overdue" of the park is the Deadline control's own value, so that changing
    another control keeps it."""
    page = browser("liaison_sbip").get("/home/?view=park-overdue").content.decode()
    assert current_tab(page) == "Overdue"
    shown = form_with(page, "filters").values
    assert shown["state"] == [State.PARK_REVIEW] and shown["due"] == ["overdue"]
    by_hand = browser("liaison_sbip").get("/home/", form_with(page, "filters").data()).content.decode()
    assert current_tab(by_hand) == "Overdue"


def test_the_admin_has_the_built_in_tabs_but_nothing_to_save_into(browser):
    """Saved views belong to an organisation; the admin has none."""
    page = browser("admin").get("/home/").content.decode()
    assert "Overdue" in tabs(page)
    assert "save-view" not in page
