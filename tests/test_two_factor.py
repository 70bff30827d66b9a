"""Two-factor sign-in (等保 8.1.4.1): enrolment on the account page (an offline QR code and the
key to type, confirmed with a first code, ten backup codes), the code asked after the password
on the page and as `otp` by the API, wrong codes counted by the lock-out, staff required to
enrol when PORTAL_REQUIRE_2FA is on, and the security administrator's reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from apps.audit.models import AuditRecord
from apps.security import two_factor

from .security_helpers import (
    PASSWORD,
    code_for,
    device_of,
    enrol,
    password_step,
    sign_in_with_code,
    signed_in_as,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 3, 2, 0, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Thursday
LIMIT = 5


def at(seconds: float):
    """A moment `seconds` after T0 (codes change every 30 s: a code is used once)."""
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=False)


def browser(username: str) -> Client:
    client = Client()
    assert password_step(client, username).status_code == 302
    return client


def token_request(username: str, password: str = PASSWORD, **extra: str):
    return Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


@pytest.fixture
def enrolled(users):
    """ent_pregene with an authenticator set up at T0 through the account page."""
    with at(0):
        device, codes = enrol(browser("ent_pregene"))
    return device, codes


# --- enrolment ------------------------------------------------------------------------------------
def test_the_enrolment_page_draws_the_qr_code_here_and_prints_the_key(users):
    client = browser("officer_ps_msb")
    html = client.get("/account/two-factor/").content.decode()
    assert re.search(r"<figure class=\"qr\"[^>]*>\s*<svg", html), "the QR code is SVG drawn by the portal"
    assert (
        "data:image" not in html and "http" not in html.split('<figure class="qr"')[1].split("</figure>")[0]
    )
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert len(key) == 32  # 160 bits, as RFC 4226 recommends
    # Nothing is written until a first code confirms it.
    assert not TOTPDevice.objects.filter(user=users["officer_ps_msb"]).exists()
    # Shown again, the same key: a code already scanned stays good until it is confirmed.
    assert key in client.get("/account/two-factor/").content.decode().replace(" ", "")


def test_a_wrong_first_code_is_a_form_error_and_leaves_the_factor_off(users):
    client = browser("officer_ps_msb")
    client.get("/account/two-factor/")
    refused = client.post("/account/two-factor/confirm/", {"code": "000000"})
    assert refused.status_code == 400 and "That code is not right" in refused.content.decode()
    assert not two_factor.is_enrolled(users["officer_ps_msb"])
    empty = client.post("/account/two-factor/confirm/", {"code": ""})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()


def test_confirming_shows_ten_backup_codes_once_and_ends_the_other_ways_in(users):
    user = users["officer_ps_msb"]
    elsewhere = browser("officer_ps_msb")
    old_token = token_request("officer_ps_msb").json()["token"]
    here = browser("officer_ps_msb")
    _device, codes = enrol(here)
    assert len(set(codes)) == 10 and StaticToken.objects.filter(device__user=user).count() == 10
    assert signed_in_as(here) == "officer_ps_msb"
    assert signed_in_as(elsewhere) is None, "a session signed in with the password alone ends"
    assert not Token.objects.filter(key=old_token).exists()
    account = here.get("/account/").content.decode()
    assert "10 backup codes left" in account and codes[0] not in account
    assert AuditRecord.objects.filter(event="second_factor_enrolled", actor_id=user.pk).exists()


# --- signing in in the browser --------------------------------------------------------------------
def test_the_password_alone_does_not_sign_in_someone_with_a_second_factor(enrolled):
    device, _codes = enrolled
    with at(40):
        client = Client()
        first = password_step(client, "ent_pregene", next_url="/requests/")
        assert first.status_code == 302 and first["Location"] == "/login/code/"
        assert signed_in_as(client) is None
        assert client.get("/home/").status_code == 302
        second = client.post("/login/code/", {"code": code_for(device)})
        assert second.status_code == 302 and second["Location"] == "/requests/"
        assert signed_in_as(client) == "ent_pregene"
    signed_in = AuditRecord.objects.filter(event="sign_in").latest("seq")
    assert signed_in.detail == {"second_factor": True}


def test_a_wrong_code_is_a_form_error_recorded_as_a_failed_sign_in(enrolled):
    with at(40):
        client = Client()
        password_step(client, "ent_pregene")
        wrong = client.post("/login/code/", {"code": "123456"})
        assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
        assert signed_in_as(client) is None
    failure = AuditRecord.objects.filter(event="sign_in_failed").latest("seq")
    assert failure.actor_name == "ent_pregene" and failure.detail == {"factor": "otp"}
    assert failure.result == "refused"


def test_a_code_is_good_once(enrolled):
    device, _codes = enrolled
    with at(40):
        code = code_for(device)
        sign_in_with_code("ent_pregene", code)
        again = Client()
        password_step(again, "ent_pregene")
        assert again.post("/login/code/", {"code": code}).status_code == 400


def test_wrong_codes_count_towards_the_lock_out_like_wrong_passwords(enrolled):
    device, _codes = enrolled
    with at(40):
        client = Client()
        password_step(client, "ent_pregene")
    # Each wrong code waits out django-otp's growing pause (1, 2, 4, 8 s) so that it is checked.
    moments = [40, 42, 45, 50, 59]
    for moment in moments[:-1]:
        with at(moment):
            assert client.post("/login/code/", {"code": "999999"}).status_code == 400
    with at(moments[-1]):
        locked = client.post("/login/code/", {"code": "999999"})
        assert locked.status_code == 429 and "Retry-After" in locked
    with at(100):
        # Locked: the password step refuses too, and so does the right code.
        assert password_step(Client(), "ent_pregene").status_code == 429
        assert token_request("ent_pregene", otp=code_for(device)).status_code == 429


def test_a_backup_code_signs_in_once(enrolled):
    _device, codes = enrolled
    with at(40):
        assert signed_in_as(sign_in_with_code("ent_pregene", codes[3])) == "ent_pregene"
        reuse = Client()
        password_step(reuse, "ent_pregene")
        assert reuse.post("/login/code/", {"code": codes[3]}).status_code == 400
    assert StaticToken.objects.filter(device__user__username="ent_pregene").count() == 9


def test_the_code_step_without_a_password_first_leads_back_to_the_sign_in(enrolled):
    response = Client().post("/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_the_password_step_expires_after_five_minutes(enrolled):
    device, _codes = enrolled
    with at(40):
        client = Client()
        password_step(client, "ent_pregene")
    with at(40 + 301):
        late = client.post("/login/code/", {"code": code_for(device)})
        assert late.status_code == 302 and late["Location"] == "/login/"
        assert signed_in_as(client) is None


def test_new_backup_codes_replace_the_old_ones(enrolled):
    device, codes = enrolled
    with at(40):
        client = sign_in_with_code("ent_pregene", code_for(device))
        fresh = client.post("/account/two-factor/backup-codes/")
        new_codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    with at(80):
        old = Client()
        password_step(old, "ent_pregene")
        assert old.post("/login/code/", {"code": codes[0]}).status_code == 400


def test_enterprise_staff_may_turn_it_off_with_a_current_code(enrolled):
    device, _codes = enrolled
    with at(40):
        client = sign_in_with_code("ent_pregene", code_for(device))
    with at(80):
        refused = client.post("/account/two-factor/off/", {"off-code": "000000"}, follow=True)
        assert "stays on" in refused.content.decode()
        assert TOTPDevice.objects.filter(user__username="ent_pregene").exists()
    with at(120):
        done = client.post("/account/two-factor/off/", {"off-code": code_for(device)})
        assert done.status_code == 302 and done["Location"] == "/login/"
    assert not two_factor.is_enrolled(device.user)
    assert password_step(Client(), "ent_pregene")["Location"] == "/home/"


# --- the API --------------------------------------------------------------------------------------
def test_the_token_endpoint_asks_for_the_code_with_401_otp_required(enrolled):
    device, _codes = enrolled
    with at(40):
        missing = token_request("ent_pregene")
        assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
        wrong = token_request("ent_pregene", otp="111111")
        assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    # After a wrong code the device waits a second before it checks another (django-otp).
    with at(42):
        good = token_request("ent_pregene", otp=code_for(device))
        assert good.status_code == 200
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert me.json()["username"] == "ent_pregene"
    # A wrong password is still a wrong password, code or not.
    assert token_request("ent_pregene", password="nope", otp="111111").status_code == 400


def test_wrong_codes_at_the_api_lock_the_account_out(enrolled):
    device, _codes = enrolled
    with at(40):
        for _attempt in range(LIMIT - 1):
            assert token_request("ent_pregene", otp="222222").status_code == 401
        locked = token_request("ent_pregene", otp="222222")
        assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
        assert token_request("ent_pregene", otp=code_for(device)).status_code == 429
        assert password_step(Client(), "ent_pregene").status_code == 429


# --- required for staff ---------------------------------------------------------------------------
@override_settings(PORTAL_REQUIRE_2FA=True)
def test_staff_not_yet_enrolled_are_led_to_enrol_at_their_first_sign_in(users):
    client = browser("officer_ps_msb")
    home = client.get("/home/", follow=True)
    assert home.redirect_chain[-1][0] == "/account/two-factor/"
    assert "set up your authenticator app to go on" in home.content.decode()
    for path in ("/requests/", "/account/", "/notifications/"):
        assert client.get(path)["Location"] == "/account/two-factor/"
    api = client.get("/api/v1/requests/")
    assert api.status_code == 403 and api.json()["code"] == "otp_enrolment_required"
    assert client.post("/logout/").status_code == 302  # signing out still works


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_after_enrolling_the_officer_works_as_before(users):
    with at(0):
        client = browser("officer_ps_msb")
        enrol(client)
        assert client.get("/home/").status_code == 200
        assert client.get("/api/v1/requests/").status_code == 200


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_the_api_refuses_a_token_to_staff_without_a_second_factor(users):
    refused = token_request("liaison_sbip")
    assert refused.status_code == 403 and refused.json()["code"] == "otp_enrolment_required"


def test_a_token_from_before_the_rule_stops_working_when_it_comes_in(users):
    key = token_request("liaison_sbip").json()["token"]
    with override_settings(PORTAL_REQUIRE_2FA=True):
        answer = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {key}")
        assert answer.status_code == 401 and "second factor" in answer.json()["detail"]


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_enterprise_staff_choose_for_themselves(users):
    client = browser("ent_pregene")
    assert client.get("/home/").status_code == 200
    assert token_request("ent_pregene").status_code == 200


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_staff_who_must_keep_it_cannot_turn_it_off(users):
    with at(0):
        client = browser("officer_ps_msb")
        device, _codes = enrol(client)
    with at(40):
        response = client.post("/account/two-factor/off/", {"off-code": code_for(device)}, follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert two_factor.is_enrolled(users["officer_ps_msb"])


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_a_session_that_skipped_the_code_is_signed_out(users):
    """A session of someone with a second factor that never passed it (signed in before they
    enrolled elsewhere) is ended at its next page."""
    with at(0):
        enrol(browser("officer_ps_msb"))
    skipped = Client()
    skipped.force_login(users["officer_ps_msb"])
    response = skipped.get("/home/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert signed_in_as(skipped) is None


# --- the security administrator's reset -----------------------------------------------------------
def test_the_security_administrator_resets_a_second_factor_and_it_is_audited(users):
    officer_session = browser("officer_ps_msb")
    enrol(officer_session)
    assert signed_in_as(officer_session) == "officer_ps_msb"
    admin = Client()
    admin.force_login(users["secadmin"])
    officer = users["officer_ps_msb"]
    response = admin.post(
        "/admin/organizations/user/",
        {"action": "reset_second_factor", "_selected_action": [officer.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "second factor was reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticToken.objects.filter(device__user=officer).exists()
    assert signed_in_as(officer_session) is None, "the sessions signed in with it end"
    reset = AuditRecord.objects.get(event="second_factor_reset")
    assert (reset.actor_name, reset.object_id) == ("secadmin", str(officer.pk))
    # Back to the password alone (the rule is off here); with the rule on, enrolment again.
    assert password_step(Client(), "officer_ps_msb")["Location"] == "/home/"


def test_the_security_administrator_cannot_reset_another_administrators_factor(users):
    with at(0):
        enrol(browser("sysadmin"))
    admin = Client()
    admin.force_login(users["secadmin"])
    admin.post(
        "/admin/organizations/user/",
        {"action": "reset_second_factor", "_selected_action": [users["sysadmin"].pk]},
    )
    assert two_factor.is_enrolled(users["sysadmin"])
    assert device_of(users["sysadmin"]) is not None


def test_right_after_a_wrong_code_the_page_says_to_wait_a_moment(enrolled):
    """django-otp checks the next code only after 1, 2, 4… seconds of wrong ones: the page says
    so rather than calling a right code wrong."""
    device, _codes = enrolled
    with at(40):
        client = Client()
        password_step(client, "ent_pregene")
        assert client.post("/login/code/", {"code": "999999"}).status_code == 400
        hurried = client.post("/login/code/", {"code": code_for(device)})
        assert hurried.status_code == 400 and "wait 1 second" in hurried.content.decode()
    with at(42):
        assert client.post("/login/code/", {"code": code_for(device)}).status_code == 302
        assert signed_in_as(client) == "ent_pregene"
