"""Reply templates with placeholders in both languages (SPEC "The officer's desk"; issue 14):
kept per organisation by its supervisors (page, API, admin), offered in the respond,
request-info and resolve forms, filled in for the request in the chosen language, always
edited before sending; an unknown placeholder is a form error or a 400, never a crash."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.casework import actions
from apps.casework.errors import InvalidInput, NotVisible
from apps.casework.models import EventKind, State
from apps.desk import replies
from apps.desk.models import ReplyTemplate
from tests.conftest import fresh
from tests.page_forms import forms_in

pytestmark = pytest.mark.django_db

BODY_EN = "Dear {enterprise}, on {reference} the {tier} tier answers by {due}. {officer} {{ref}}"
BODY_ZH = "{enterprise}：关于 {reference}，{tier}将于 {due} 前答复。{officer}"
BAD_BODIES = {
    "unknown": "Hello {foo}",
    "malformed": "About {reference",
    "positional": "About {0}",
    "empty field": "About {}",
    "attribute": "About {reference.x}",
    "index": "About {reference[0]}",
    "conversion": "About {due!r}",
    "format spec": "About {due:>30}",
    "lone brace": "About reference}",
}


def browser(users, username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(users[username])
    return client


def at_district(make_request, users):
    """A request escalated by the park to Pingshan District (routed to the Market Supervision
    Bureau), waiting there with its feedback deadline running."""
    service_request = make_request()
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the district.")
    service_request = fresh(service_request)
    assert service_request.state == State.DISTRICT_REVIEW
    return service_request


def district_template(users, **changes) -> ReplyTemplate:
    values = {"name": "Acknowledge", "body_en": BODY_EN, "body_zh": BODY_ZH, **changes}
    return replies.save_template(users["supervisor_ps"], **values)


def textarea(page: str, name: str) -> str:
    """The text of a page's text box (tests/page_forms reads no textarea's content)."""
    found = re.search(rf'<textarea name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no text box {name}"
    return html.unescape(found.group(1)).strip()


def local_due(service_request) -> str:
    return timezone.localtime(service_request.feedback_due_at).strftime("%Y-%m-%d %H:%M")


# --- placeholders -------------------------------------------------------------------------------
def test_the_five_placeholders_and_escaped_braces_are_accepted():
    assert replies.check_placeholders("{reference} {enterprise} {due} {officer} {tier} {{literal}} }}") == []


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_anything_else_in_braces_is_refused(body):
    assert replies.check_placeholders(body)


def test_placeholders_are_rendered_in_english_and_in_chinese_for_a_real_request(make_request, users, orgs):
    service_request = at_district(make_request, users)
    template = district_template(users)
    officer = users["officer_ps_msb"]
    due = local_due(service_request)

    english = replies.render(template, service_request, actor=officer, language="en")
    assert english == (
        f"Dear Shenzhen Pregene Biopharma Co., Ltd., on {service_request.reference} the District tier "
        f"answers by {due}. {officer.display_name} {{ref}}"
    )
    chinese = replies.render(template, service_request, actor=officer, language="zh-hans")
    assert chinese == (
        f"深圳普瑞金生物药业股份有限公司：关于 {service_request.reference}，区级将于 {due} 前答复。"
        f"{officer.display_name}"
    )
    # One language missing: the other's text, filled in that language.
    only_english = district_template(users, name="English only", body_zh="")
    assert replies.render(only_english, service_request, actor=officer, language="zh-hans").startswith(
        "Dear Shenzhen Pregene"
    )
    # What bulk respond calls, by id.
    assert replies.render_by_id(officer, template.pk, service_request, language="en") == english


def test_a_stored_template_with_a_bad_placeholder_is_refused_when_used_never_a_crash(
    make_request, users, orgs, api
):
    service_request = at_district(make_request, users)
    broken = ReplyTemplate.objects.create(
        organization=orgs["ps"], name="Broken", body_en="Hi {reference.__class__}"
    )
    with pytest.raises(InvalidInput):
        replies.render(broken, service_request, actor=users["officer_ps_msb"], language="en")
    client = api("officer_ps_msb")
    listed = client.get(f"/api/v1/requests/{service_request.pk}/reply-templates/")
    assert listed.status_code == 200 and listed.json() == []
    one = client.get(f"/api/v1/requests/{service_request.pk}/reply-templates/?template={broken.pk}")
    assert one.status_code == 400 and "template" in one.json()


def test_the_model_refuses_unknown_placeholders_and_an_empty_template(orgs):
    with pytest.raises(ValidationError) as refused:
        ReplyTemplate(organization=orgs["ps"], name="X", body_en="{foo}", body_zh="{0}").full_clean()
    assert set(refused.value.message_dict) == {"body_en", "body_zh"}
    with pytest.raises(ValidationError):
        ReplyTemplate(organization=orgs["ps"], name="Empty").full_clean()


# --- the supervisors' page ------------------------------------------------------------------------
def test_a_supervisor_keeps_the_organisations_templates_in_a_page(users):
    client = browser(users, "supervisor_ps")
    home = client.get("/home/").content.decode()
    assert 'href="/desk/templates/"' in home  # linked from the supervisor's navigation
    assert client.get("/desk/templates/new/").status_code == 200
    created = client.post(
        "/desk/templates/new/",
        {"name": "Acknowledge", "body_en": BODY_EN, "body_zh": BODY_ZH, "active": "on"},
    )
    assert created.status_code == 302
    template = ReplyTemplate.objects.get(name="Acknowledge")
    assert template.organization == users["supervisor_ps"].organization
    assert template.created_by == users["supervisor_ps"]
    listing = client.get("/desk/templates/").content.decode()
    assert "Acknowledge" in listing and "{reference}" in listing
    edit = f"/desk/templates/{template.pk}/"
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"name": "Acknowledge", "body_en": BODY_EN, "body_zh": ""}).status_code == 302
    template.refresh_from_db()
    assert template.active is False and template.body_zh == ""  # unticked: no longer offered
    assert client.post(f"/desk/templates/{template.pk}/delete/").status_code == 302
    assert not ReplyTemplate.objects.exists()


@pytest.mark.parametrize("body", ["{foo}", "{reference", "{0}"], ids=["unknown", "malformed", "positional"])
def test_a_bad_placeholder_is_a_form_error_in_the_page_and_nothing_is_saved(users, body):
    client = browser(users, "supervisor_ps")
    response = client.post("/desk/templates/new/", {"name": "Bad", "body_en": body, "body_zh": "好"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert 'class="error"' in page
    assert "placeholder" in page or "braces" in page
    assert not ReplyTemplate.objects.exists()
    template = district_template(users)
    response = client.post(
        f"/desk/templates/{template.pk}/", {"name": "Acknowledge", "body_en": "x", "body_zh": body}
    )
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.body_zh == BODY_ZH


def test_a_template_needs_a_text_and_a_name_unique_in_the_organisation(users):
    client = browser(users, "supervisor_ps")
    district_template(users)
    assert (
        client.post("/desk/templates/new/", {"name": "Empty", "body_en": " ", "body_zh": ""}).status_code
        == 400
    )
    assert client.post("/desk/templates/new/", {"name": "acknowledge", "body_en": "Hi"}).status_code == 400
    assert ReplyTemplate.objects.count() == 1


@pytest.mark.parametrize("username", ["officer_ps_msb", "liaison_sbip", "ent_pregene"])
def test_who_is_not_a_supervisor_cannot_keep_templates(users, api, username):
    template = district_template(users)
    client = browser(users, username)
    assert client.get("/desk/templates/").status_code == 403
    assert client.get("/desk/templates/new/").status_code == 403
    assert client.post("/desk/templates/new/", {"name": "Mine", "body_en": "Hi"}).status_code == 403
    assert (
        client.post(f"/desk/templates/{template.pk}/", {"name": "Taken", "body_en": "Hi"}).status_code == 403
    )
    assert client.post(f"/desk/templates/{template.pk}/delete/").status_code == 403
    assert 'href="/desk/templates/"' not in client.get("/home/").content.decode()
    rest = api(username)
    assert (
        rest.post("/api/v1/reply-templates/", {"name": "Mine", "body_en": "Hi"}, format="json").status_code
        == 403
    )
    assert (
        rest.patch(f"/api/v1/reply-templates/{template.pk}/", {"active": False}, format="json").status_code
        == 403
    )
    assert rest.delete(f"/api/v1/reply-templates/{template.pk}/").status_code == 403
    template.refresh_from_db()
    assert (template.name, template.active) == ("Acknowledge", True)
    assert ReplyTemplate.objects.count() == 1


def test_another_organisations_supervisor_gets_404(users, api):
    template = district_template(users)
    client = browser(users, "supervisor_hd")
    assert client.get(f"/desk/templates/{template.pk}/").status_code == 404
    assert client.post(f"/desk/templates/{template.pk}/delete/").status_code == 404
    rest = api("supervisor_hd")
    assert rest.get(f"/api/v1/reply-templates/{template.pk}/").status_code == 404
    assert (
        rest.patch(f"/api/v1/reply-templates/{template.pk}/", {"active": False}, format="json").status_code
        == 404
    )
    assert rest.delete(f"/api/v1/reply-templates/{template.pk}/").status_code == 404
    assert ReplyTemplate.objects.get().active


# --- the API ----------------------------------------------------------------------------------------
def test_supervisors_keep_templates_through_the_api(api, users):
    client = api("supervisor_ps")
    created = client.post(
        "/api/v1/reply-templates/",
        {"name": "Acknowledge", "body_en": BODY_EN, "body_zh": BODY_ZH},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["editable"] is True and body["active"] is True
    pk = body["id"]
    assert [t["id"] for t in client.get("/api/v1/reply-templates/").json()] == [pk]
    assert client.get(f"/api/v1/reply-templates/{pk}/").json()["body_zh"] == BODY_ZH
    patched = client.patch(f"/api/v1/reply-templates/{pk}/", {"active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    # Still the supervisor's to keep, no longer offered to the officers.
    assert [t["id"] for t in client.get("/api/v1/reply-templates/").json()] == [pk]
    assert api("officer_ps_msb").get("/api/v1/reply-templates/").json() == []
    assert client.delete(f"/api/v1/reply-templates/{pk}/").status_code == 204
    assert not ReplyTemplate.objects.exists()


@pytest.mark.parametrize("body", ["{foo}", "{reference", "{0}"], ids=["unknown", "malformed", "positional"])
def test_a_bad_placeholder_is_a_400_in_the_api_and_nothing_is_saved(api, users, body):
    client = api("supervisor_ps")
    response = client.post("/api/v1/reply-templates/", {"name": "Bad", "body_en": body}, format="json")
    assert response.status_code == 400
    assert response.json()["body_en"]
    assert not ReplyTemplate.objects.exists()
    template = district_template(users)
    response = client.patch(f"/api/v1/reply-templates/{template.pk}/", {"body_zh": body}, format="json")
    assert response.status_code == 400 and response.json()["body_zh"]
    template.refresh_from_db()
    assert template.body_zh == BODY_ZH


def test_the_api_renders_the_callers_templates_for_a_request_in_both_languages(make_request, users, api):
    service_request = at_district(make_request, users)
    template = district_template(users)
    client = api("officer_ps_msb")
    response = client.get(f"/api/v1/requests/{service_request.pk}/reply-templates/")
    assert response.status_code == 200
    [rendered] = response.json()
    officer = users["officer_ps_msb"]
    assert rendered["id"] == template.pk and rendered["name"] == "Acknowledge"
    assert rendered["text_en"] == replies.render(template, service_request, actor=officer, language="en")
    assert rendered["text_zh"] == replies.render(template, service_request, actor=officer, language="zh-hans")
    one = client.get(f"/api/v1/requests/{service_request.pk}/reply-templates/?template={template.pk}")
    assert one.json()["text_en"] == rendered["text_en"]
    # A request the caller cannot see: 404, as for any other route.
    assert (
        api("officer_hd_station").get(f"/api/v1/requests/{service_request.pk}/reply-templates/").status_code
        == 404
    )


def test_a_template_of_another_organisation_cannot_be_used(make_request, users, api):
    service_request = at_district(make_request, users)
    beijing = replies.save_template(
        users["supervisor_hd"], name="Haidian reply", body_en="From Haidian {reference}"
    )
    park = replies.save_template(
        users["supervisor_sbip"], name="Park reply", body_en="From the park {reference}"
    )
    officer = users["officer_ps_msb"]
    for other in (beijing.pk, park.pk, 999_999, "x"):
        with pytest.raises(NotVisible):
            replies.render_by_id(officer, other, service_request)
        path = f"/api/v1/requests/{service_request.pk}/reply-templates/?template={other}"
        assert api("officer_ps_msb").get(path).status_code == 404
    assert api("officer_ps_msb").get(f"/api/v1/reply-templates/{beijing.pk}/").status_code == 404
    # The page: a form error, and the text box stays as it was.
    client = browser(users, "officer_ps_msb")
    response = client.post(
        f"/requests/{service_request.pk}/act/respond/",
        {
            "version": service_request.version,
            "respond-body": "",
            "respond-tpl-template": beijing.pk,
            "respond-tpl-language": "en",
            "use_template": "1",
        },
    )
    assert response.status_code == 400
    assert "From Haidian" not in response.content.decode()
    assert fresh(service_request).version == service_request.version


def test_whose_templates_each_person_is_offered(users):
    district = district_template(users)
    bureau = replies.save_template(users["supervisor_ps_msb"], name="Bureau", body_en="MSB {reference}")
    park = replies.save_template(users["supervisor_sbip"], name="Park", body_en="SBIP {reference}")
    district_template(users, name="Retired", active=False)

    def offered(username: str) -> set[str]:
        return set(replies.templates_for(users[username]).values_list("name", flat=True))

    assert offered("officer_ps_msb") == {district.name, bureau.name}  # the department's and its district's
    assert offered("officer_ps_sti") == {district.name}
    assert offered("supervisor_ps") == {district.name}
    assert offered("liaison_sbip") == {park.name}  # the park's only
    assert offered("officer_sz_amr") == set()  # nothing travels up or down the tiers
    assert offered("ent_pregene") == set()


# --- the request page's forms ---------------------------------------------------------------------
def test_the_reply_forms_offer_the_templates_and_the_rendered_text_is_sent_through_the_real_action(
    make_request, users
):
    service_request = at_district(make_request, users)
    template = district_template(users)
    client = browser(users, "officer_ps_msb")
    page = client.get(f"/requests/{service_request.pk}/").content.decode()
    for name in ("respond", "request_info", "resolve"):
        [form] = [f for f in forms_in(page) if f.action.endswith(f"/act/{name}/")]
        assert form.options[f"{name}-tpl-template"] == ["", str(template.pk)]
        assert form.values[f"{name}-tpl-language"] == ["en"]  # the reader's language
    for name in ("escalate", "return"):
        [form] = [f for f in forms_in(page) if f.action.endswith(f"/act/{name}/")]
        assert f"{name}-tpl-template" not in form.options
    assert "js/reply_templates.js" in page
    assert f'data-reply-templates="/api/v1/requests/{service_request.pk}/reply-templates/"' in page

    # Without script: "Insert" puts the rendered text into the box; nothing is sent yet.
    [respond] = [f for f in forms_in(page) if f.action.endswith("/act/respond/")]
    inserted = client.post(
        respond.action, {**respond.data(**{"respond-tpl-template": str(template.pk)}), "use_template": "1"}
    )
    assert inserted.status_code == 200
    expected = replies.render(template, service_request, actor=users["officer_ps_msb"], language="en")
    [refilled] = [f for f in forms_in(inserted.content.decode()) if f.action.endswith("/act/respond/")]
    assert textarea(inserted.content.decode(), "respond-body") == expected
    assert fresh(service_request).version == service_request.version

    # The officer edits the text, then sends it: the real action records the reply.
    sent_text = expected + "\nSee you tomorrow."
    done = client.post(respond.action, refilled.data(**{"respond-body": sent_text}))
    assert done.status_code == 302
    after = fresh(service_request)
    event = after.events.filter(kind=EventKind.RESPONDED).get()
    assert event.text == sent_text and event.actor == users["officer_ps_msb"]
    assert after.messages.filter(internal=False, body=sent_text).exists()


def test_insert_after_text_already_written_keeps_it(make_request, users):
    service_request = at_district(make_request, users)
    template = district_template(users)
    client = browser(users, "officer_ps_msb")
    response = client.post(
        f"/requests/{service_request.pk}/act/resolve/",
        {
            "version": service_request.version,
            "resolve-resolution": "Our answer.",
            "resolve-tpl-template": template.pk,
            "resolve-tpl-language": "zh-hans",
            "use_template": "1",
        },
    )
    assert response.status_code == 200
    text = textarea(response.content.decode(), "resolve-resolution")
    assert text.startswith("Our answer.\n\n深圳普瑞金生物药业股份有限公司")
    assert fresh(service_request).state == State.DISTRICT_REVIEW


def test_insert_without_a_choice_is_a_form_error(make_request, users):
    service_request = at_district(make_request, users)
    district_template(users)
    client = browser(users, "officer_ps_msb")
    response = client.post(
        f"/requests/{service_request.pk}/act/request_info/",
        {"version": service_request.version, "request_info-body": "", "use_template": "1"},
    )
    assert response.status_code == 400
    assert "Choose a template to insert." in response.content.decode()


def test_the_request_page_with_templates_keeps_a_flat_query_count(make_request, users):
    service_request = at_district(make_request, users)
    client = browser(users, "officer_ps_msb")
    district_template(users)
    path = f"/requests/{service_request.pk}/"
    client.get(path)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = count()
    for n in range(8):
        district_template(users, name=f"Reply {n}")
        replies.save_template(users["supervisor_ps_msb"], name=f"Bureau {n}", body_en="MSB {reference}")
    assert count() == few


def test_the_pages_in_chinese(make_request, users):
    service_request = at_district(make_request, users)
    template = district_template(users)
    supervisor = browser(users, "supervisor_ps", "zh-hans")
    listing = supervisor.get("/desk/templates/").content.decode()
    assert "回复模板" in listing and "占位符" in listing
    refused = supervisor.post("/desk/templates/new/", {"name": "坏", "body_en": "{foo}"})
    assert "未知的占位符" in refused.content.decode()

    officer = browser(users, "officer_ps_msb", "zh-hans")
    page = officer.get(f"/requests/{service_request.pk}/").content.decode()
    assert "使用模板" in page and "插入" in page
    [respond] = [f for f in forms_in(page) if f.action.endswith("/act/respond/")]
    assert respond.values["respond-tpl-language"] == ["zh-hans"]
    inserted = officer.post(
        respond.action, {**respond.data(**{"respond-tpl-template": str(template.pk)}), "use_template": "1"}
    )
    body = html.unescape(inserted.content.decode())
    assert re.search(r"深圳普瑞金生物药业股份有限公司：关于 \S+，区级将于", body)


def test_the_admin_lists_templates_with_search_and_an_organisation_filter(users):
    template = district_template(users)
    model_admin = admin.site._registry[ReplyTemplate]
    assert "organization" in model_admin.autocomplete_fields
    client = Client()
    client.force_login(users["admin"])
    listing = client.get("/admin/desk/replytemplate/?q=Acknowledge")
    assert listing.status_code == 200 and "Acknowledge" in listing.content.decode()
    refused = client.post(
        "/admin/desk/replytemplate/add/",
        {
            "organization": template.organization_id,
            "name": "Bad",
            "body_en": "{foo}",
            "body_zh": "",
            "active": "on",
        },
    )
    assert refused.status_code == 200  # the form again, with its error
    assert not ReplyTemplate.objects.filter(name="Bad").exists()
