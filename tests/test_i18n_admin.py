"""Chinese everywhere the catalogue reaches: key projects, the admin, the 403 and 404 pages, the
account's language; the deadline policy's row after `migrate`; the favicon and static files with
DEBUG off."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from apps.deadlines.models import DeadlinePolicy
from apps.organizations.models import KeyProject, User, organization_group

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def browser(users):
    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return sign_in


# --- key projects -------------------------------------------------------------------------------


def test_key_project_is_named_in_the_readers_language(orgs):
    project = KeyProject.objects.get(name="PRG-1801 anti-BCMA CAR-T clinical trial")
    assert project.name_zh  # the demo data has the Chinese name
    with translation.override("zh-hans"):
        assert project.display_name == "PRG-1801 抗BCMA CAR-T 临床试验"
    with translation.override("en"):
        assert project.display_name == "PRG-1801 anti-BCMA CAR-T clinical trial"


def test_every_demo_key_project_has_a_chinese_name(orgs):
    assert KeyProject.objects.exists()
    assert not KeyProject.objects.filter(name_zh="").exists()


def test_key_project_register_page_shows_the_chinese_name_on_a_chinese_page(browser):
    client = browser("supervisor_ps")
    chinese = client.get("/key-projects/", **ZH).content.decode()
    assert "PRG-1801 抗BCMA CAR-T 临床试验" in chinese
    assert "PRG-1801 anti-BCMA CAR-T clinical trial" not in chinese
    english = client.get("/key-projects/", **EN).content.decode()
    assert "PRG-1801 anti-BCMA CAR-T clinical trial" in english
    assert "抗BCMA" not in english


def test_new_request_form_offers_key_projects_by_their_chinese_name(browser):
    html = browser("ent_pregene").get("/requests/new/", **ZH).content.decode()
    assert "PRG-1801 抗BCMA CAR-T 临床试验" in html


# --- the admin in Chinese -----------------------------------------------------------------------


@pytest.fixture
def admin_browser(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def test_routing_rules_in_the_admin_show_category_labels_not_codes(admin_browser):
    chinese = admin_browser.get("/admin/organizations/routingrule/", **ZH).content.decode()
    assert "临床试验" in chinese
    assert ">clinical_trial<" not in chinese
    english = admin_browser.get("/admin/organizations/routingrule/", **EN).content.decode()
    assert "Clinical trial" in english


def test_routing_rule_refuses_an_unknown_category(orgs):
    from django.core.exceptions import ValidationError

    from apps.organizations.models import RoutingRule

    rule = RoutingRule(authority=orgs["ps"], category="astrology", department=orgs["ps_msb"])
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "category" in refused.value.message_dict


@pytest.mark.parametrize(
    ("path", "chinese", "english"),
    [
        ("/admin/auditlog/logentry/", "审计日志", "Resource"),
        ("/admin/axes/accessattempt/", "访问尝试", "IP Address"),
        ("/admin/axes/accesslog/", "访问日志", "User Agent"),
        ("/admin/notifications/notification/", "收件人", "recipient"),
    ],
)
def test_admin_pages_of_the_audit_log_lockout_and_notifications_speak_chinese(
    admin_browser, make_request, path, chinese, english
):
    make_request()  # a notification (and audit entries) for the lists to show
    # A failed and a successful sign-in: an access attempt and an access log for axes' lists.
    Client().post("/login/", {"username": "ent_wytd", "password": "wrong"})
    Client().post("/login/", {"username": "ent_pregene", "password": "demo12345"})
    response = admin_browser.get(path, **ZH)
    assert response.status_code == 200
    html = response.content.decode()
    assert chinese in html and "result_list" in html  # a list with rows, hence its columns
    # Not as the text of any element (column headers, titles, filters).
    assert not re.search(rf">\s*{re.escape(english)}\s*<", html, re.IGNORECASE)


def test_admin_names_each_organisation_group_after_its_organisation(admin_browser, orgs):
    organization_group(orgs["ps_msb"])
    html = admin_browser.get("/admin/auth/group/", **ZH).content.decode()
    assert orgs["ps_msb"].name_zh in html
    html = admin_browser.get("/admin/auth/group/", **EN).content.decode()
    assert orgs["ps_msb"].name in html


# --- 403 and 404 --------------------------------------------------------------------------------


def test_missing_page_is_the_portals_styled_404_in_chinese(browser):
    response = browser("ent_pregene").get("/no-such-page/", **ZH)
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到页面" in html and 'lang="zh-hans"' in html
    assert "css/portal.css" in html and "favicon.svg" in html


def test_missing_page_in_english_for_an_english_reader(browser):
    html = browser("ent_pregene").get("/no-such-page/", **EN).content.decode()
    assert "Page not found" in html and "css/portal.css" in html


def test_request_the_reader_may_not_see_is_the_styled_404(browser, make_request):
    service_request = make_request()
    response = browser("ent_wytd").get(f"/requests/{service_request.pk}/", **ZH)
    assert response.status_code == 404
    assert "找不到页面" in response.content.decode()


def test_refused_action_is_the_portals_styled_403_in_chinese(browser):
    # Only a district's supervisors keep its key-project register.
    response = browser("ent_pregene").get("/key-projects/new/", **ZH)
    assert response.status_code == 403
    html = response.content.decode()
    assert "不允许" in html and "css/portal.css" in html


def test_api_addresses_still_answer_404_in_json(browser):
    response = browser("ent_pregene").get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


# --- the account's language ---------------------------------------------------------------------


def test_account_page_shows_the_saved_language_not_the_pages(browser, users):
    User.objects.filter(pk=users["ent_pregene"].pk).update(language="zh-hans")
    html = browser("ent_pregene").get("/account/", **EN).content.decode()
    assert '<option value="zh-hans" selected>' in html
    User.objects.filter(pk=users["ent_pregene"].pk).update(language="en")
    html = browser("ent_pregene").get("/account/", **ZH).content.decode()
    assert '<option value="en" selected>' in html


def test_account_page_saves_the_language_and_the_next_page_speaks_it(browser, users):
    client = browser("ent_pregene")
    response = client.post("/account/language/", {"language": "zh-hans"}, **EN)
    assert response.status_code == 302
    assert User.objects.get(pk=users["ent_pregene"].pk).language == "zh-hans"
    # The browser still asks for English; the saved choice wins.
    page = client.get("/home/", **EN).content.decode()
    assert 'lang="zh-hans"' in page
    client.post("/account/language/", {"language": "en"}, **ZH)
    assert User.objects.get(pk=users["ent_pregene"].pk).language == "en"
    assert 'lang="en"' in client.get("/home/", **ZH).content.decode()


# --- the deadline policy ------------------------------------------------------------------------


@pytest.mark.django_db
def test_deadline_policy_row_exists_after_migrate():
    # The data migration's own function on an empty table (a transactional test earlier on this
    # worker may have flushed the row the migrations left).
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps as installed_apps
    from django.db import connection

    DeadlinePolicy.objects.all().delete()
    import_module("apps.deadlines.migrations.0008_default_deadline_policy").create_default_policy(
        installed_apps, SimpleNamespace(connection=connection)
    )
    policy = DeadlinePolicy.objects.get(pk=1)
    defaults = DeadlinePolicy.defaults()
    assert policy.end_of_business == defaults.end_of_business
    assert policy.green_channel_cutoff == defaults.green_channel_cutoff
    assert policy.auto_close_after_days == defaults.auto_close_after_days


def test_admin_lists_the_deadline_policy_and_offers_no_second(admin_browser):
    html = admin_browser.get("/admin/deadlines/deadlinepolicy/", **EN).content.decode()
    assert "/admin/deadlines/deadlinepolicy/1/change/" in html
    assert admin_browser.get("/admin/deadlines/deadlinepolicy/add/").status_code == 403


# --- DEBUG off: pages, static files, favicon ----------------------------------------------------


def test_debug_is_off_unless_a_developer_asks(monkeypatch):
    import importlib

    import portal.settings.base as base

    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    try:
        assert importlib.reload(base).DEBUG is False
        monkeypatch.setenv("DJANGO_DEBUG", "1")
        assert importlib.reload(base).DEBUG is True
    finally:
        monkeypatch.delenv("DJANGO_DEBUG", raising=False)
        importlib.reload(base)
    assert {"127.0.0.1", "localhost"} <= set(base.ALLOWED_HOSTS)
    assert base.WHITENOISE_USE_FINDERS is True


@override_settings(DEBUG=False)
def test_static_files_and_favicon_answer_with_debug_off(db):
    client = Client()
    assert settings.DEBUG is False
    assert client.get("/static/css/portal.css").status_code == 200
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg")
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0].endswith("favicon.svg")


def test_every_page_links_the_favicon(browser):
    assert 'rel="icon"' in browser("ent_pregene").get("/home/").content.decode()
    assert 'rel="icon"' in Client().get("/login/").content.decode()
