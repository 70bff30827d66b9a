"""Two-factor sign-in in a real browser, as a person does it: an officer whose role must use it
is led to set it up at the first sign-in, scans (here: reads) the key the page shows, confirms
with a code, keeps the backup codes, signs out, and signs in again with the password and then
the code, in English and in Chinese. Screenshots in var/screenshots/two-factor-*.png."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django_otp.oath import totp
from playwright.sync_api import Page, expect

SHOTS = Path(settings.VAR_DIR) / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"two-factor-{name}.png"), full_page=True)


def app_code(key: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed into it (now, or a step later)."""
    raw = key.replace(" ", "")
    return str(totp(base64.b32decode(raw + "=" * (-len(raw) % 8)), drift=steps_ahead)).zfill(6)


def next_step_code(key: str) -> str:
    """The code of the next 30-second step: the one just used is refused, and a clock a step
    ahead of the server's is still accepted (django-otp's tolerance of one step)."""
    return app_code(key, steps_ahead=1)


def password_step(page: Page, url: str, username: str, *, lang: str = "en") -> None:
    page.goto(f"{url}/login/")
    page.get_by_label(re.compile("Username|用户名")).fill(username)
    page.get_by_label(re.compile("Password|密码")).fill("demo12345")
    page.locator("form button[type=submit].primary").click()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@override_settings(PORTAL_REQUIRE_2FA=True)
def test_an_officer_sets_up_the_second_factor_and_signs_in_with_it(chromium, live_server, users, locale):
    zh = locale.startswith("zh")
    context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    password_step(page, live_server.url, "officer_ps_msb")
    # Not enrolled yet: every page leads to the set-up.
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    expect(page.locator(".flash")).to_contain_text("验证器" if zh else "set up your authenticator app")
    expect(page.locator("figure.qr svg")).to_be_visible()
    shot(page, f"enrol-{locale}")
    key = page.locator("code.secret").inner_text()
    page.get_by_label(re.compile("^(Code|验证码)$")).fill("000000")
    page.get_by_role("button", name=re.compile("Turn on two-factor sign-in|开启两步验证")).click()
    expect(page.locator(".error")).to_be_visible()
    page.get_by_label(re.compile("^(Code|验证码)$")).fill(app_code(key))
    page.get_by_role("button", name=re.compile("Turn on two-factor sign-in|开启两步验证")).click()
    codes = page.locator("ol.backup-codes code")
    expect(codes).to_have_count(10)
    shot(page, f"backup-codes-{locale}")
    page.get_by_role("link", name=re.compile("I have kept them|我已妥善保存")).click()
    expect(page.locator("#two-factor")).to_contain_text("10")

    page.locator("form[action='/logout/'] button").click()
    password_step(page, live_server.url, "officer_ps_msb")
    expect(page).to_have_url(re.compile(r"/login/code/$"))
    shot(page, f"code-step-{locale}")
    page.get_by_label(re.compile("^(Code|验证码)$")).fill("123456")
    page.locator("form button[type=submit].primary").click()
    expect(page.locator(".error")).to_be_visible()
    time.sleep(1.1)  # after a wrong code django-otp checks the next one a second later
    page.get_by_label(re.compile("^(Code|验证码)$")).fill(next_step_code(key))
    page.locator("form button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/home/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "坪山区市场监督管理局" if zh else "Pingshan Market"
    )

    # The account page lists this session, signed in with the code.
    page.goto(f"{live_server.url}/account/")
    expect(page.locator("#sessions")).to_contain_text("本会话" if zh else "this session")
    expect(page.locator("#sessions")).to_contain_text("已验证" if zh else "with code")
    shot(page, f"account-{locale}")
    context.close()


def test_a_backup_code_signs_in_when_the_phone_is_lost(chromium, live_server, users):
    from django.contrib.sessions.backends.db import SessionStore

    from apps.security import two_factor

    person = users["ent_pregene"]
    session = SessionStore()
    enrolment = two_factor.start_enrolment(person, session)
    _device, codes = two_factor.confirm_enrolment(person, session, app_code(enrolment.secret))
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    password_step(page, live_server.url, "ent_pregene")
    page.get_by_label("Code").fill(codes[0])
    page.locator("form button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/home/$"))
    context.close()
