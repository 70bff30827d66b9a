"""Bulk actions in a real browser (Debian's Chromium, Playwright, a live server): the officer
ticks "select all on this page" (static/js/bulk.js), chooses escalate, types one reason and
submits; the queue comes back with the summary and one line per request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.casework import actions
from apps.casework.models import ServiceRequest, State

pytestmark = pytest.mark.django_db(transaction=True)


def test_select_all_escalate_with_one_reason_and_see_the_summary(chromium, live_server, users, make_request):
    filed = []
    for n in range(3):
        service_request = make_request(title=f"Bulk question {n}")
        actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the district.")
        filed.append(service_request)

    context = chromium.new_context(locale="en-US", viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label(re.compile("Username")).fill("officer_ps_msb")
        page.get_by_label(re.compile("Password")).fill("demo12345")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/home/"))

        select_all = page.get_by_label("Select all on this page")
        expect(select_all).to_be_visible()
        select_all.check()
        for service_request in filed:
            expect(page.get_by_label(f"Select {service_request.reference}")).to_be_checked()
        page.locator("#bulk-form select[name=action]").select_option("escalate")
        page.get_by_label(re.compile("Reason or reply")).fill("All three need the municipal ruling.")
        page.get_by_role("button", name="Apply to the selected requests").click()

        expect(page.locator(".flash")).to_contain_text("3 escalated")
        report = page.locator(".bulk-report")
        for service_request in filed:
            expect(report).to_contain_text(f"{service_request.reference}: escalated")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert set(
        ServiceRequest.objects.filter(pk__in=[r.pk for r in filed]).values_list("state", flat=True)
    ) == {State.MUNICIPAL_REVIEW}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_supervisors_bulk_bar_fits_a_phone(chromium, live_server, users, make_request, locale):
    """The widest bar (action, text, the staff to assign to, templates) within 390 px."""
    service_request = make_request()
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the district.")
    context = chromium.new_context(locale=locale, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label(re.compile("Username|用户名")).fill("supervisor_ps")
        page.get_by_label(re.compile("Password|密码")).fill("demo12345")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/home/"))
        expect(page.locator("#bulk-form select[name=assignee]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
