"""The pages each role uses, rendered through the real views (browser tests drive the same
pages in Chromium)."""

import pytest
from django.test import Client

from apps.casework import actions
from tests.conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(users):
    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return sign_in


@pytest.mark.parametrize(
    ("username", "heading"),
    [
        ("ent_pregene", "My requests"),
        ("liaison_sbip", "Shenzhen Biomedicine Innovation Industrial Park: queue"),
        ("officer_ps_msb", "Pingshan Market Supervision Bureau: triage queue"),
        ("supervisor_ps", "Pingshan District: service figures"),
        ("admin", "triage queue"),
    ],
)
def test_each_role_lands_on_its_own_home(browser, make_request, username, heading):
    make_request()
    page = browser(username).get("/home/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert heading in page.content.decode()


def test_request_page_shows_tracker_timeline_and_the_buttons_the_user_may_use(browser, make_request):
    service_request = make_request()
    html = browser("liaison_sbip").get(f"/requests/{service_request.pk}/").content.decode()
    assert service_request.reference in html and 'aria-current="step"' in html
    for action in ("respond", "request_info", "escalate", "resolve", "claim", "withdraw"):
        assert f"/act/{action}/" in html, action
    assert "/act/return/" not in html  # nothing below the park
    enterprise_html = browser("ent_pregene").get(f"/requests/{service_request.pk}/").content.decode()
    assert "/act/escalate/" not in enterprise_html and "/act/withdraw/" in enterprise_html


def test_internal_notes_are_never_rendered_for_enterprise_staff(browser, make_request, users):
    service_request = make_request()
    actions.add_message(service_request, actor=users["liaison_sbip"], body="CONFIDENTIAL-NOTE", internal=True)
    assert (
        "CONFIDENTIAL-NOTE"
        in browser("liaison_sbip").get(f"/requests/{service_request.pk}/").content.decode()
    )
    assert (
        "CONFIDENTIAL-NOTE"
        not in browser("ent_pregene").get(f"/requests/{service_request.pk}/").content.decode()
    )


def test_escalating_from_the_page_moves_the_request_and_says_so(browser, make_request):
    service_request = make_request()
    client = browser("liaison_sbip")
    response = client.post(
        f"/requests/{service_request.pk}/act/escalate/", {"escalate-reason": "Needs the bureau"}, follow=True
    )
    assert response.status_code == 200
    assert fresh(service_request).state == "district_review"
    bureau = fresh(service_request).department.name
    assert f"{service_request.reference} escalated to {bureau}." in response.content.decode()


def test_a_transition_without_its_text_is_a_form_error_and_changes_nothing(browser, make_request):
    service_request = make_request()
    response = browser("liaison_sbip").post(
        f"/requests/{service_request.pk}/act/escalate/", {"escalate-reason": "  "}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert fresh(service_request).state == "park_review"


def test_a_stale_page_is_told_the_request_changed(browser, make_request, users):
    service_request = make_request()
    shown_version = service_request.version
    actions.claim(fresh(service_request), actor=users["liaison_sbip2"])
    response = browser("liaison_sbip").post(
        f"/requests/{service_request.pk}/act/respond/",
        {"respond-body": "Hello", "version": shown_version},
    )
    # The page as it is now, saying what changed, with the reply still in its form.
    assert response.status_code == 409
    html = response.content.decode()
    assert "While you were writing, Wang Fang (park liaison) claimed it." in html
    assert ">\nHello</textarea>" in html
    assert fresh(service_request).events.filter(kind="responded").count() == 0


def test_a_refused_transition_is_explained_in_the_page(browser, make_request):
    service_request = make_request()
    response = browser("ent_pregene").post(
        f"/requests/{service_request.pk}/act/escalate/", {"escalate-reason": "x"}, follow=True
    )
    assert response.status_code == 200
    assert "may see this request but not escalate it" in response.content.decode()
    assert fresh(service_request).state == "park_review"


def test_other_enterprises_get_404_for_a_request_page(browser, make_request):
    service_request = make_request()
    assert browser("ent_ascentawits").get(f"/requests/{service_request.pk}/").status_code == 404
    assert browser("liaison_accel").get(f"/requests/{service_request.pk}/").status_code == 404


def test_new_request_form_keeps_what_was_typed_and_shows_errors(browser):
    client = browser("liaison_sbip")
    response = client.post(
        "/requests/new/",
        {"title": "Kept title", "description": "", "category": "rnd", "product_type": "drug"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Kept title" in html and "This field is required." in html


def test_liaison_files_for_a_park_enterprise(browser, orgs):
    response = browser("liaison_sbip").post(
        "/requests/new/",
        {
            "enterprise": orgs["wytd"].pk,
            "title": "AI ECG software class",
            "description": "Which class?",
            "category": "registration",
            "product_type": "ai_medical_device",
            "submit_now": "on",
        },
    )
    assert response.status_code == 302
    from apps.casework.models import ServiceRequest

    created = ServiceRequest.objects.get(title="AI ECG software class")
    assert created.enterprise == orgs["wytd"] and created.state == "park_review"


def test_liaison_cannot_pick_another_parks_enterprise(browser, orgs):
    response = browser("liaison_sbip").post(
        "/requests/new/",
        {
            "enterprise": orgs["accel1"].pk,
            "title": "x",
            "description": "y",
            "category": "rnd",
            "product_type": "drug",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_officers_cannot_open_the_new_request_form(browser):
    assert browser("officer_ps_msb").get("/requests/new/").status_code == 403


def test_upload_with_a_clear_error_and_download_through_the_permission_check(browser, make_request):
    from django.core.files.uploadedfile import SimpleUploadedFile

    service_request = make_request()
    client = browser("ent_pregene")
    bad = client.post(
        f"/requests/{service_request.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("x.pdf", b"\x7fELF\x00\x00binary")},
    )
    assert bad.status_code == 400 and "Only documents and images" in bad.content.decode()
    good = client.post(
        f"/requests/{service_request.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("protocol.pdf", b"%PDF-1.4 test")},
    )
    assert good.status_code == 302
    attachment = service_request.attachments.get()
    url = f"/requests/{service_request.pk}/attachments/{attachment.pk}/"
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert browser("ent_ascentawits").get(url).status_code == 404


def test_notification_centre_and_unread_count_in_the_header(browser, make_request):
    make_request()
    client = browser("liaison_sbip")
    home = client.get("/home/").content.decode()
    assert 'class="badge"' in home
    page = client.get("/notifications/").content.decode()
    assert "New in your queue" in page
    client.post("/notifications/read-all/")
    assert 'class="badge"' not in client.get("/home/").content.decode()


def test_pages_speak_chinese_when_the_browser_asks(browser, make_request):
    make_request()
    html = browser("ent_pregene").get("/home/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html and "我的申请" in html


def test_language_switch_changes_the_language(browser):
    client = browser("ent_pregene")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/home/"})
    assert "我的申请" in client.get("/home/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/home/"})
    assert "My requests" in client.get("/home/").content.decode()


def test_queue_filters_answer_with_a_partial_for_htmx(browser, make_request):
    make_request()
    response = browser("liaison_sbip").get(
        "/home/?category=clinical_trial", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="queue">')


def test_bad_filter_values_are_shown_not_crashed(browser):
    response = browser("officer_ps_msb").get("/home/?due=someday&state=bogus")
    assert response.status_code == 200


def test_district_supervisor_keeps_the_key_project_register(browser, orgs):
    from apps.organizations.models import KeyProject

    client = browser("supervisor_ps")
    response = client.post(
        "/key-projects/new/",
        {
            "name": "Oncolytic virus IND",
            "name_zh": "溶瘤病毒新药临床申请",
            "enterprise": orgs["ascentawits"].pk,
            "products": "OV-101",
            "status": "active",
        },
    )
    assert response.status_code == 302
    project = KeyProject.objects.get(name="Oncolytic virus IND")
    assert project.district == orgs["ps"] and project.park == orgs["sbip"]
    duplicate = client.post(
        "/key-projects/new/",
        {"name": "Oncolytic virus IND", "enterprise": orgs["ascentawits"].pk, "status": "active"},
    )
    assert duplicate.status_code == 200 and "already has a key project" in duplicate.content.decode()


def test_key_project_register_is_closed_to_others(browser, orgs):
    assert browser("officer_ps_msb").get("/key-projects/new/").status_code == 403
    assert (
        browser("supervisor_hd")
        .post("/key-projects/new/", {"name": "x", "enterprise": orgs["pregene"].pk, "status": "active"})
        .status_code
        == 200
    )
    from apps.organizations.models import KeyProject

    assert not KeyProject.objects.filter(name="x").exists()  # Pingshan's enterprise is no choice for Haidian
    assert "PRG-1801" in browser("liaison_sbip").get("/key-projects/").content.decode()
    assert "PRG-1801" not in browser("liaison_haidian").get("/key-projects/").content.decode()


def test_a_key_project_request_is_green_channel_and_comes_first(make_request, browser):
    from apps.organizations.models import KeyProject

    make_request(title="Ordinary")
    project = KeyProject.objects.get(name__startswith="PRG-1801")
    green = make_request(title="Key", key_project=project)
    assert green.green_channel
    html = browser("liaison_sbip").get("/home/").content.decode()
    assert html.index(green.reference) < html.index("Ordinary")


def test_officer_claims_from_the_queue_and_stays_on_it(browser, make_request, users):
    from apps.casework import actions

    service_request = make_request()
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="District")
    client = browser("officer_ps_msb")
    queue = client.get("/home/?category=clinical_trial").content.decode()
    assert f"/requests/{service_request.pk}/act/claim/" in queue
    response = client.post(
        f"/requests/{service_request.pk}/act/claim/",
        {"version": fresh(service_request).version, "next": "/home/?category=clinical_trial"},
    )
    assert response.status_code == 302 and response.url == "/home/?category=clinical_trial"
    assert fresh(service_request).assignee == users["officer_ps_msb"]
    assert f"/requests/{service_request.pk}/act/claim/" not in client.get("/home/").content.decode()


def test_quick_actions_never_redirect_off_site(browser, make_request):
    service_request = make_request()
    response = browser("liaison_sbip").post(
        f"/requests/{service_request.pk}/act/claim/", {"next": "https://evil.example/phish"}
    )
    assert response.status_code == 302 and response.url == f"/requests/{service_request.pk}/"
