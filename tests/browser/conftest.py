"""Debian's Chromium driven by Playwright, one browser per test module."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium, live_server, users):
    """A signed-in page for a user, through the login form."""
    contexts = []

    def sign_in(username: str, *, locale: str = "en-US", width: int = 1280) -> Page:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        expect(page).to_have_url(re.compile(r"/login/"))
        page.get_by_label(re.compile("Username|用户名")).fill(username)
        page.get_by_label(re.compile("Password|密码")).fill("demo12345")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/home/"))
        return page

    yield sign_in
    for context in contexts:
        context.close()
