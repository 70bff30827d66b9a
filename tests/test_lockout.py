"""Sign-in lock-out (django-axes): after five failed passwords for one username from one address,
the login form, the admin's login and the token endpoint refuse that pair for 15 minutes, with a
readable answer (a page in the portal's layout, or JSON) and Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.utils import timezone

from portal.client_ip import client_ip

pytestmark = pytest.mark.django_db

LIMIT = 5
RIGHT = "demo12345"
WRONG = "not-the-password"


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def token(client: Client, username: str, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )


def signed_in(client: Client) -> bool:
    return client.get("/home/").status_code == 200


def test_failed_passwords_below_the_limit_are_ordinary_form_errors(users):
    client = Client()
    for _attempt in range(LIMIT - 1):
        response = login(client, "ent_pregene", WRONG)
        assert response.status_code == 200
        assert b'role="alert"' in response.content
    assert login(client, "ent_pregene", RIGHT).status_code == 302
    assert signed_in(client)


def test_the_fifth_failed_password_locks_the_login_form_with_a_readable_page(users):
    client = Client()
    for _attempt in range(LIMIT - 1):
        login(client, "ent_pregene", WRONG)
    response = login(client, "ent_pregene", WRONG)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in blocked for now" in html
    assert "blocked for 15 more minutes" in html
    assert 'class="topbar"' in html  # the portal's layout, not a bare error
    assert 800 < int(response["Retry-After"]) <= 900


def test_a_locked_out_user_cannot_sign_in_even_with_the_right_password(users):
    client = Client()
    for _attempt in range(LIMIT):
        login(client, "ent_pregene", WRONG)
    response = login(client, "ent_pregene", RIGHT)
    assert response.status_code == 429
    assert not signed_in(client)


def test_lockout_ends_after_the_cool_off_and_trying_meanwhile_does_not_prolong_it(users):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(LIMIT):
            login(client, "ent_pregene", WRONG)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        retry = login(client, "ent_pregene", RIGHT)
        assert retry.status_code == 429
        assert "5 more minutes" in retry.content.decode()
        assert 290 < int(retry["Retry-After"]) <= 300
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert login(client, "ent_pregene", RIGHT).status_code == 302
        assert signed_in(client)


def test_lockout_is_per_username_and_address_so_nobody_else_is_locked_out(users):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _attempt in range(LIMIT):
        login(attacker, "officer_ps_msb", WRONG)
    assert login(attacker, "officer_ps_msb", RIGHT).status_code == 429

    the_officer_at_work = Client(REMOTE_ADDR="198.51.100.20")
    assert login(the_officer_at_work, "officer_ps_msb", RIGHT).status_code == 302
    colleague_behind_the_same_address = Client(REMOTE_ADDR="203.0.113.7")
    assert login(colleague_behind_the_same_address, "officer_ps_msb2", RIGHT).status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(users):
    client = Client()
    for _attempt in range(LIMIT - 1):
        login(client, "ent_pregene", WRONG)
    assert login(client, "ent_pregene", RIGHT).status_code == 302
    client.post("/logout/")
    for _attempt in range(LIMIT - 1):
        assert login(client, "ent_pregene", WRONG).status_code == 200
    assert login(client, "ent_pregene", RIGHT).status_code == 302


def test_the_admin_login_is_locked_out_too(users):
    client = Client()
    for _attempt in range(LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": WRONG})
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": RIGHT})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_token_endpoint_locks_out_after_five_failures_with_a_json_429(users):
    client = Client()
    for _attempt in range(LIMIT - 1):
        refused = token(client, "ent_pregene", WRONG)
        assert refused.status_code == 400
        assert refused.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    locked = token(client, "ent_pregene", WRONG)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["code"] == "locked_out"
    assert "blocked for 15 more minutes" in locked.json()["detail"]
    assert 800 < int(locked["Retry-After"]) <= 900

    right_password = token(client, "ent_pregene", RIGHT)
    assert right_password.status_code == 429
    assert "token" not in right_password.json()


def test_failures_on_the_form_and_the_token_endpoint_count_together(users):
    client = Client()
    for _attempt in range(3):
        login(client, "ent_pregene", WRONG)
    for _attempt in range(2):
        token(client, "ent_pregene", WRONG)
    assert login(client, "ent_pregene", RIGHT).status_code == 429
    assert token(client, "ent_pregene", RIGHT).status_code == 429


def test_the_token_endpoint_resets_failures_on_success(users):
    client = Client()
    for _attempt in range(LIMIT - 1):
        token(client, "ent_pregene", WRONG)
    assert token(client, "ent_pregene", RIGHT).status_code == 200
    assert token(client, "ent_pregene", WRONG).status_code == 400
    assert token(client, "ent_pregene", RIGHT).status_code == 200


def test_an_admin_sees_the_lockout_and_lifts_it_by_deleting_the_attempt(users):
    locked = Client()
    for _attempt in range(LIMIT):
        login(locked, "ent_pregene", WRONG)
    admin = Client()
    admin.force_login(users["admin"])
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "ent_pregene" in listing.content.decode()

    attempt = AccessAttempt.objects.get(username="ent_pregene")
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert login(locked, "ent_pregene", RIGHT).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_failure_limit_is_a_setting(users):
    client = Client()
    assert login(client, "ent_pregene", WRONG).status_code == 200
    assert login(client, "ent_pregene", WRONG).status_code == 429


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended(rf):
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9", REMOTE_ADDR="10.0.0.2")
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(spoofed) == "198.51.100.9"
        garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.2")
        assert client_ip(garbage) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_ip(spoofed) == "10.0.0.2"
