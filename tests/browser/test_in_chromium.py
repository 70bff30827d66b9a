"""The portal in a real browser: Debian's Chromium driven by Playwright against a live server.

Screenshots of every role's home, in English and Chinese, land in var/screenshots/ so that a
person can look at what each user sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.casework.models import ServiceRequest

SHOTS = Path(settings.VAR_DIR) / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("username", "heading"),
    [
        ("ent_pregene", "My requests"),
        ("liaison_sbip", "Shenzhen Biomedicine Innovation Industrial Park: queue"),
        ("officer_ps_msb", "Pingshan Market Supervision Bureau: triage queue"),
        ("supervisor_ps", "Pingshan District: service figures"),
    ],
)
def test_each_role_signs_in_through_the_form_and_lands_on_its_home(open_as, make_request, username, heading):
    make_request()
    page = open_as(username)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    shot(page, f"home-{username}-en")


def test_a_request_logged_by_the_liaison_is_escalated_and_answered_by_the_district(open_as, orgs):
    liaison = open_as("liaison_sbip")
    liaison.get_by_role("link", name="Log a request for an enterprise").click()
    liaison.get_by_label("Enterprise").select_option(label=orgs["pregene"].name)
    liaison.get_by_label("Title").fill("Phase II protocol amendment for PRG-1801")
    liaison.get_by_label("Description").fill("Does the dose change need a new IND filing?")
    liaison.get_by_label("Category").select_option("clinical_trial")
    liaison.get_by_label("Product type").select_option("biologic")
    liaison.get_by_role("button", name="File the request").click()
    expect(liaison.locator(".flash")).to_contain_text("filed")
    reference = ServiceRequest.objects.get(title__startswith="Phase II protocol").reference

    liaison.locator("summary", has_text="Escalate").click()
    liaison.get_by_label("Why the next tier must answer").fill("The park cannot decide on IND filings.")
    liaison.get_by_role("button", name="Escalate").click()
    expect(liaison.locator(".flash")).to_contain_text(f"{reference} escalated to")
    liaison.get_by_label("Message").fill("Enterprise is anxious about timing.")
    liaison.get_by_label("Internal note (never shown to the enterprise)").check()
    liaison.get_by_role("button", name="Post").click()

    officer = open_as("officer_ps_msb")
    officer.get_by_role("link", name=reference).click()
    officer.locator("summary", has_text="Reply").click()
    officer.get_by_label("Your reply to the enterprise").fill("No new IND: file a supplementary application.")
    officer.get_by_role("button", name="Reply").click()
    expect(officer.locator(".flash")).to_contain_text(f"Reply sent on {reference}")
    shot(officer, "request-officer-en")

    enterprise = open_as("ent_pregene")
    enterprise.get_by_role("link", name="Phase II protocol amendment for PRG-1801").click()
    expect(enterprise.locator("#conversation")).to_contain_text(
        "No new IND: file a supplementary application."
    )
    expect(enterprise.locator("body")).not_to_contain_text("Enterprise is anxious about timing.")
    expect(enterprise.locator(".tracker .step.current")).to_contain_text("District")
    shot(enterprise, "request-enterprise-en")


def test_form_errors_are_shown_in_the_page_and_typing_is_kept(open_as):
    page = open_as("ent_pregene")
    page.get_by_role("link", name="File a new request").click()
    page.get_by_label("Title").fill("Kept after the error")
    page.get_by_role("button", name="File the request").click()
    expect(page.locator(".error").first).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Kept after the error")


def test_language_switch_turns_the_portal_chinese(open_as, make_request):
    make_request()
    page = open_as("ent_pregene")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的申请")
    shot(page, "home-ent_pregene-zh")
    for username in ("liaison_sbip", "officer_ps_msb", "supervisor_ps"):
        chinese = open_as(username, locale="zh-CN")
        expect(chinese.locator("html")).to_have_attribute("lang", "zh-hans")
        shot(chinese, f"home-{username}-zh")


def test_phone_width_keeps_the_queue_usable(open_as, make_request):
    make_request()
    page = open_as("liaison_sbip", width=390)
    expect(page.get_by_role("link", name=re.compile(r"PS-\d{4}-\d{6}")).first).to_be_visible()
    shot(page, "home-liaison_sbip-phone")
