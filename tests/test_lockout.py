"""Sign-in lock-out (django-axes): after five failed passwords for one username from one address,
the login form, the admin's login and the token endpoint refuse that pair for 15 minutes, with a
readable answer (a page in the portal's layout, or JSON) and Retry-After."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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


def test_the_admin_signs_in_through_the_portals_sign_in_and_its_lock_out(users):
    """The admin has no sign-in form of its own (it would skip the second factor): its login
    address leads to the portal's, where the lock-out holds."""
    client = Client()
    to_portal = client.get("/admin/login/?next=/admin/")
    assert to_portal.status_code == 302 and to_portal["Location"] == "/login/?next=%2Fadmin%2F"
    for _attempt in range(LIMIT):
        client.post("/login/?next=/admin/", {"username": "admin", "password": WRONG})
    response = client.post("/login/?next=/admin/", {"username": "admin", "password": RIGHT})
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


def test_behind_a_trusted_proxy_the_address_is_the_nearest_one_that_is_not_a_proxy(rf):
    """Rule: X-Forwarded-For counts only from TRUSTED_PROXIES, read from the right; whatever the
    client wrote further left, and anything that is no address, is never the client's address."""
    spoofed = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9", REMOTE_ADDR="10.0.0.2")
    with override_settings(TRUSTED_PROXIES=["10.0.0.2"]):
        assert client_ip(spoofed) == "198.51.100.9"
        two_proxies = rf.get(
            "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9, 10.0.0.3", REMOTE_ADDR="10.0.0.2"
        )
        assert client_ip(two_proxies) == "10.0.0.3"  # 10.0.0.3 is not trusted: it is the client
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/24"]):
        assert client_ip(two_proxies) == "198.51.100.9"
        garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.2")
        assert client_ip(garbage) == "10.0.0.2"
        garbage_behind = rf.get(
            "/", HTTP_X_FORWARDED_FOR="6.6.6.6, not-an-address, 10.0.0.3", REMOTE_ADDR="10.0.0.2"
        )
        assert client_ip(garbage_behind) == "10.0.0.3"
        only_proxies = rf.get("/", HTTP_X_FORWARDED_FOR="10.0.0.4", REMOTE_ADDR="10.0.0.2")
        assert client_ip(only_proxies) == "10.0.0.4"
        ipv6 = rf.get("/", HTTP_X_FORWARDED_FOR="2001:db8::7", REMOTE_ADDR="::ffff:10.0.0.2")
        assert client_ip(ipv6) == "2001:db8::7"
    with override_settings(TRUSTED_PROXIES=[]):
        assert client_ip(spoofed) == "10.0.0.2"
    assert client_ip(rf.get("/", REMOTE_ADDR="not-an-address")) is None


def test_by_default_no_proxy_is_trusted_in_base_or_production():
    """Rule: DJANGO_TRUSTED_PROXIES is empty unless set; the hop count is gone."""
    from django.conf import settings

    from portal.settings import base

    assert base.TRUSTED_PROXIES == []
    assert "NUM_PROXIES" not in settings.REST_FRAMEWORK
    production = (Path(__file__).resolve().parent.parent / "portal/settings/production.py").read_text()
    assert "TRUSTED_PROXIES" not in production.replace("DJANGO_TRUSTED_PROXIES", "")
    assert "TRUSTED_PROXY_COUNT" not in production


def test_a_burst_with_a_new_x_forwarded_for_each_from_an_untrusted_peer_is_locked_after_five(users):
    """Rule: from a client that is not a trusted proxy X-Forwarded-For is ignored, so rotating it
    does not make each guess look like a new address."""
    statuses = [
        login(
            Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), "ent_pregene", WRONG
        ).status_code
        for n in range(1, 9)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429] * 4
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    right = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert login(right, "ent_pregene", RIGHT).status_code == 429


USERNAME_LIMIT = 20


def _burst_from_many_addresses(count: int, make_client) -> list[int]:
    return [login(make_client(n), "ent_pregene", WRONG).status_code for n in range(count)]


def _assert_username_locked_everywhere_until_the_cool_off_passes(start) -> None:
    fresh = "192.0.2.250"
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        form = login(Client(REMOTE_ADDR=fresh), "ent_pregene", RIGHT)
        assert form.status_code == 429
        assert 800 < int(form["Retry-After"]) <= 840
        assert token(Client(REMOTE_ADDR=fresh), "ent_pregene", RIGHT).json()["code"] == "locked_out"
        # Other usernames are untouched.
        assert login(Client(REMOTE_ADDR=fresh), "officer_ps_msb", RIGHT).status_code == 302
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        client = Client(REMOTE_ADDR=fresh)
        assert login(client, "ent_pregene", RIGHT).status_code == 302
        assert signed_in(client)


def test_twenty_failures_for_one_username_from_any_addresses_lock_it_out_everywhere(users):
    """Rule: PORTAL_LOGIN_USERNAME_FAILURE_LIMIT (20) failures for one username within the
    cool-off, from any addresses, lock the username out on the form, the admin and the token
    endpoint, with the right password too, until the cool-off passes."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        statuses = _burst_from_many_addresses(25, lambda n: Client(REMOTE_ADDR=f"203.0.113.{n + 1}"))
    assert statuses == [200] * (USERNAME_LIMIT - 1) + [429] * 6
    _assert_username_locked_everywhere_until_the_cool_off_passes(start)


def test_the_username_cap_holds_behind_a_trusted_proxy_with_rotating_client_addresses(users):
    start = timezone.now()
    with override_settings(TRUSTED_PROXIES=["10.0.0.2"]):
        with time_machine.travel(start, tick=False):
            statuses = _burst_from_many_addresses(
                25,
                lambda n: Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"6.6.6.6, 203.0.113.{n + 1}"),
            )
        assert statuses == [200] * (USERNAME_LIMIT - 1) + [429] * 6
        assert AccessAttempt.objects.filter(ip_address__startswith="203.0.113.").count() == USERNAME_LIMIT
        _assert_username_locked_everywhere_until_the_cool_off_passes(start)


def test_the_username_cap_also_holds_against_a_new_x_forwarded_for_from_untrusted_peers(users):
    statuses = _burst_from_many_addresses(
        25, lambda n: Client(REMOTE_ADDR=f"203.0.113.{n + 1}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
    )
    assert statuses == [200] * (USERNAME_LIMIT - 1) + [429] * 6


def test_below_the_username_cap_the_owner_still_signs_in_from_their_own_address(users):
    for n in range(USERNAME_LIMIT - 1):
        login(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), "ent_pregene", WRONG)
    assert login(Client(REMOTE_ADDR="198.51.100.20"), "ent_pregene", RIGHT).status_code == 302


def test_failures_older_than_the_cool_off_do_not_count_towards_the_username_cap(users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(USERNAME_LIMIT - 1):
            login(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), "ent_pregene", WRONG)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert login(Client(REMOTE_ADDR="203.0.113.100"), "ent_pregene", WRONG).status_code == 200
        assert login(Client(REMOTE_ADDR="198.51.100.20"), "ent_pregene", RIGHT).status_code == 302


@override_settings(PORTAL_LOGIN_USERNAME_FAILURE_LIMIT=3)
def test_the_username_failure_limit_is_a_setting(users):
    statuses = _burst_from_many_addresses(4, lambda n: Client(REMOTE_ADDR=f"203.0.113.{n + 1}"))
    assert statuses == [200, 200, 429, 429]
