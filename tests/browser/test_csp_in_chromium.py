"""The Content-Security-Policy in a real browser: every page, the API docs (Swagger UI) and the
admin work under it without a single violation the browser reports."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any page script (Playwright injects it outside the page's CSP) and records each
# violation the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page_as(chromium, live_server, users):
    contexts = []

    def sign_in(username: str | None) -> Page:
        context = chromium.new_context(locale="en-US")
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        if username:
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill("demo12345")
            page.locator("form button[type=submit].primary").click()
            page.wait_for_url(re.compile(r"/home/"))
        return page

    yield sign_in
    for context in contexts:
        context.close()


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_the_portal_pages_run_under_the_policy_without_violations(page_as, live_server, make_request):
    service_request = make_request()
    page = page_as("officer_ps_msb")
    assert violations(page) == []
    # The queue filters redraw in place through htmx: its script runs, nothing inline is needed.
    page.get_by_label("Category").first.select_option("clinical_trial")
    page.wait_for_load_state("networkidle")
    for path in (f"/requests/{service_request.pk}/", "/account/", "/account/password/", "/notifications/"):
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path


def test_the_login_and_lockout_pages_run_under_the_policy(page_as):
    page = page_as(None)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
    for _attempt in range(5):
        page.get_by_label("Username").fill("ent_pregene")
        page.get_by_label("Password").fill("wrong-password")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign-in blocked for now")
    expect(page.get_by_role("alert")).to_contain_text("15 more minutes")
    assert violations(page) == []


def test_the_api_docs_render_under_the_policy(page_as, live_server):
    page = page_as(None)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Liaison portal API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations(page) == []


def test_the_admin_runs_under_the_policy(page_as, live_server):
    page = page_as("admin")
    for path in ("/admin/", "/admin/organizations/user/", "/admin/axes/accessattempt/"):
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path
