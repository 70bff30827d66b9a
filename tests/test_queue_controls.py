"""The desk as a person uses it: pages whose history has events nobody acted in, queue filters
sent from their controls, the CSV link that follows them, and long titles."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from apps.casework import actions
from apps.casework.models import TITLE_MAX_LENGTH, ServiceRequest
from apps.deadlines.scan import scan
from tests.conftest import fresh
from tests.page_forms import forms_in

SH = ZoneInfo("Asia/Shanghai")
HOME = reverse("home")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def aged(make_request, users) -> dict[str, ServiceRequest]:
    """A request the scan found late (a breach) and one the scan closed 7 days after resolve."""
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        breached = make_request(title="Late answer")
        resolved = make_request(title="Answered at the park")
        actions.resolve(resolved, actor=users["liaison_sbip"], resolution="Use form B.")
    scan(at("2026-11-25 18:30"))  # the breach
    scan(at("2026-12-01 11:00"))  # the automatic close
    return {"breached": fresh(breached), "closed": fresh(resolved)}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip", "supervisor_sbip"])
def test_pages_with_events_of_the_deadline_scan_render_and_name_the_job(aged, browser, username, language):
    """A breach and an automatic close have no person behind them: the page names the job."""
    assert aged["closed"].state == "closed"
    client = browser(username, language)
    for key, job in (("breached", "Deadline scan"), ("closed", "Automatic close")):
        response = client.get(f"/requests/{aged[key].pk}/")
        assert response.status_code == 200, (key, language)
        # A missed deadline is the desk's internal business; the enterprise sees the close.
        if language == "en" and (key == "closed" or username != "ent_pregene"):
            assert job in response.content.decode(), key


def test_the_breach_notification_leads_to_a_page_that_renders(aged, browser):
    client = browser("liaison_sbip")
    centre = client.get("/notifications/").content.decode()
    links = set(re.findall(r'href="(/requests/\d+/)"', centre)) | set(
        re.findall(r'href="(/notifications/\d+/[^"]*)"', centre)
    )
    assert links, "the notification centre links to the requests"
    for link in links:
        assert client.get(link, follow=True).status_code == 200, link


def _queue_form(html: str):
    (form,) = [form for form in forms_in(html) if "filters" in form.attrs.get("class", "")]
    return form


@pytest.mark.parametrize("username", ["liaison_sbip", "officer_ps_msb", "supervisor_ps"])
def test_every_option_of_every_queue_filter_works_from_the_controls(make_request, users, browser, username):
    """The form sends every control (`category=` for "All"): each choice answers without a
    filter error, and lists only what it says."""
    make_request(category="clinical_trial", product_type="drug")
    escalated = make_request(category="registration", product_type="medical_device")
    actions.escalate(escalated, actor=users["liaison_sbip"], reason="For the bureau")
    client = browser(username)
    form = _queue_form(client.get(HOME).content.decode())
    assert {"state", "category", "product_type", "due", "assignee", "green_channel"} <= set(form.options)
    for name, options in form.options.items():
        for option in options:
            response = client.get(HOME, form.data(**{name: option}))
            html = response.content.decode()
            assert response.status_code == 200, (name, option)
            assert "filter-errors" not in html and "valid choice" not in html, (name, option)
            if name == "category" and option:
                shown = re.findall(r'href="/requests/(\d+)/"', html)
                categories = set(
                    ServiceRequest.objects.filter(pk__in=shown).values_list("category", flat=True)
                )
                assert categories <= {option}, (option, categories)


def test_search_from_the_box_finds_the_request(make_request, browser):
    wanted = make_request(title="GMP inspection of the cell line")
    make_request(title="Something else")
    client = browser("liaison_sbip")
    form = _queue_form(client.get(HOME).content.decode())
    html = client.get(HOME, form.data(search="inspection")).content.decode()
    assert wanted.reference in html and "Something else" not in html


def test_a_bad_filter_value_is_named_by_its_label_not_its_code(browser, users):
    html = browser("liaison_sbip").get(HOME, {"category": "bogus"}).content.decode()
    assert "filter-errors" in html and "Category:" in html and "category:" not in html
    chinese = browser("liaison_sbip", "zh-hans").get(HOME, {"category": "bogus"}).content.decode()
    assert "category:" not in chinese


def _csv_link(html: str) -> str:
    (link,) = re.findall(r'href="(/api/v1/requests/export\.csv[^"]*)"', html)
    return link.replace("&amp;", "&")


def test_the_csv_link_follows_the_filters_shown_also_after_an_htmx_redraw(make_request, users, browser):
    make_request(category="clinical_trial")
    make_request(category="rnd")
    resolved = make_request(category="rnd")
    actions.resolve(resolved, actor=users["liaison_sbip"], resolution="Done at the park.")
    client = browser("liaison_sbip")
    page = client.get(HOME).content.decode()
    shown = set(re.findall(r'href="/requests/(\d+)/"', page))
    exported = client.get(_csv_link(page) + "&labels=0")
    rows = b"".join(exported.streaming_content).decode().splitlines()[1:]
    assert len(rows) == len(shown) == 2, "the CSV of the open queue holds the open requests only"

    form = _queue_form(page)
    redraw = client.get(HOME, form.data(category="rnd"), headers={"hx-request": "true", "hx-target": "queue"})
    fragment = redraw.content.decode()
    assert "<html" not in fragment, "the redraw is the partial"
    link = _csv_link(fragment)
    assert "category=rnd" in link
    rows = b"".join(client.get(link + "&labels=0").streaming_content).decode().splitlines()[1:]
    assert len(rows) == 1 and ",rnd," in rows[0]


def test_a_title_over_the_limit_is_a_form_error_with_a_counter_not_cut(browser):
    client = browser("ent_pregene")
    form_html = client.get("/requests/new/").content.decode()
    assert f'data-limit="{TITLE_MAX_LENGTH}"' in form_html and "maxlength" not in form_html
    pasted = "临床试验方案" * 50
    response = client.post(
        "/requests/new/",
        {"title": pasted, "description": "d", "category": "rnd", "product_type": "drug"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"at most {TITLE_MAX_LENGTH} characters (it has {len(pasted)})" in html
    assert pasted in html, "the text the person typed comes back whole"
    assert not ServiceRequest.objects.exists()
