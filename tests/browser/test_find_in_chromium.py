"""The header's search box in a real browser at phone width (390 px): labelled, on the page
without widening it, in both languages; a reference typed and Enter opens the request, a word
lists the matches; the Follow button follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("locale", "label", "follow"), [("en-US", "Find a request", "Follow"), ("zh-CN", "查找请求", "关注")]
)
def test_the_header_search_at_phone_width(chromium, live_server, make_request, locale, label, follow):
    service_request = make_request(title="Hypoxia prodrug stability question")
    context = chromium.new_context(locale=locale, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.locator("input[name=username]").fill("liaison_sbip")
        page.locator("input[name=password]").fill("demo12345")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/home/"))

        box = page.get_by_role("searchbox", name=re.compile(label))
        expect(box).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box.fill(str(int(service_request.reference.rsplit("-", 1)[1])))
        box.press("Enter")
        page.wait_for_url(re.compile(rf"/requests/{service_request.pk}/$"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_role("button", name=follow, exact=True).click()
        page.wait_for_url(re.compile(rf"/requests/{service_request.pk}/$"))
        expect(page.locator("#follow-form button")).not_to_have_text(follow)

        box = page.get_by_role("searchbox", name=re.compile(label))
        box.fill("Hypoxia")
        box.press("Enter")
        page.wait_for_url(re.compile(r"/requests/\?"))
        expect(page.get_by_role("link", name=service_request.reference).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
