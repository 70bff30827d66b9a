"""Session limits and staff password rules (等保 8.1.4.1): an idle session ends after 30 minutes
and any session after 12 hours (both configurable); the account page lists a person's sessions
and ends any of them; staff passwords are long or varied, not one of the last five, expire after
90 days, and accounts an administrator created choose their own at the first sign-in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from apps.audit.models import AuditRecord
from apps.organizations.models import User
from apps.security.models import SignedInSession

from .security_helpers import PASSWORD, password_step, signed_in_as

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 3, 2, 0, 0, tzinfo=UTC)


def at(**delta: float):
    return time_machine.travel(T0 + timedelta(**delta), tick=False)


def browser(username: str = "officer_ps_msb", **headers: str) -> Client:
    client = Client(**headers)
    assert password_step(client, username).status_code == 302
    return client


def change_password(client: Client, old: str, new: str):
    return client.post(
        "/account/password/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


# --- sessions -------------------------------------------------------------------------------------
def test_an_idle_session_ends_after_thirty_minutes(users):
    with at(minutes=0):
        client = browser()
    with at(minutes=29):
        assert client.get("/home/").status_code == 200
    with at(minutes=58):  # 29 minutes after the last page: still in
        assert client.get("/home/").status_code == 200
    with at(minutes=88, seconds=30):
        ended = client.get("/requests/?state=park_review")
        assert ended.status_code == 302
        assert ended["Location"] == "/login/?next=%2Frequests%2F%3Fstate%3Dpark_review"
        page = client.get(ended["Location"])
        assert "signed out after 30 minutes without activity" in page.content.decode()
        assert signed_in_as(client) is None
    record = AuditRecord.objects.get(event="session_expired")
    assert record.actor_name == "officer_ps_msb" and record.detail == {"reason": "idle"}


def test_the_api_with_an_idle_session_answers_as_signed_out(users):
    with at(minutes=0):
        client = browser()
    with at(minutes=31):
        assert client.get("/api/v1/requests/").status_code == 401
        assert client.get("/api/v1/me/").status_code == 401


def test_a_session_ends_twelve_hours_after_its_sign_in_however_busy(users):
    with at(minutes=0):
        client = browser()
    for minutes in range(20, 12 * 60, 20):
        with at(minutes=minutes):
            assert client.get("/home/").status_code == 200, minutes
    with at(hours=12, minutes=1):
        ended = client.get("/home/")
        assert ended.status_code == 302 and ended["Location"].startswith("/login/")
        assert "at most 12 hours" in client.get(ended["Location"]).content.decode()
    assert AuditRecord.objects.get(event="session_expired").detail == {"reason": "lifetime"}


@override_settings(PORTAL_SESSION_IDLE_MINUTES=5, PORTAL_SESSION_MAX_HOURS=1)
def test_both_limits_are_settings(users):
    with at(minutes=0):
        idle = browser()
        busy = browser("officer_ps_sti")
    with at(minutes=4):
        assert busy.get("/home/").status_code == 200
    with at(minutes=6):
        assert idle.get("/home/").status_code == 302
        assert busy.get("/home/").status_code == 200
    with at(minutes=10):
        assert busy.get("/home/").status_code == 200
    with at(minutes=14):
        assert busy.get("/home/").status_code == 200
    with at(minutes=61):
        assert busy.get("/home/").status_code == 302


def test_the_account_page_lists_sessions_and_ends_another_one(users):
    with at(minutes=0):
        laptop = browser(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/130", REMOTE_ADDR="10.1.2.3")
        phone = browser(HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/605", REMOTE_ADDR="10.9.8.7")
    with at(minutes=2):
        page = laptop.get("/account/").content.decode()
        assert "Chrome · Windows" in page and "Safari · iPhone" in page
        assert "10.1.2.3" in page and "10.9.8.7" in page
        assert "this session" in page
        other = SignedInSession.objects.get(user_agent__contains="iPhone")
        ended = laptop.post(f"/account/sessions/{other.pk}/end/")
        assert ended.status_code == 302 and ended["Location"] == "/account/"
        assert signed_in_as(phone) is None
        assert signed_in_as(laptop) == "officer_ps_msb"
        assert "Safari · iPhone" not in laptop.get("/account/").content.decode()
    assert AuditRecord.objects.filter(event="session_ended", actor_name="officer_ps_msb").exists()


def test_nobody_ends_another_persons_session(users):
    with at(minutes=0):
        victim = browser("officer_ps_sti")
        other = browser()
        row = SignedInSession.objects.get(user__username="officer_ps_sti")
        assert other.post(f"/account/sessions/{row.pk}/end/").status_code == 404
        assert signed_in_as(victim) == "officer_ps_sti"


def test_ending_this_session_signs_out_here(users):
    with at(minutes=0):
        client = browser()
        row = SignedInSession.objects.get(user__username="officer_ps_msb")
        response = client.post(f"/account/sessions/{row.pk}/end/")
        assert response["Location"] == "/login/" and signed_in_as(client) is None


def test_signing_out_takes_the_session_off_the_list(users):
    with at(minutes=0):
        client = browser()
        client.post("/logout/")
        assert SignedInSession.objects.get(user__username="officer_ps_msb").ended_at is not None


# --- password rules -------------------------------------------------------------------------------
@pytest.mark.parametrize("weak", ["shortpass1x", "SHORTPASS1X", "Shortpassxyz"[:11]])
def test_a_staff_password_needs_twelve_characters_or_three_kinds(users, weak):
    """Eleven characters of two kinds are refused for staff (twelve, or three kinds, pass)."""
    with at(minutes=0):
        client = browser()
        refused = change_password(client, PASSWORD, weak)
        assert refused.status_code == 400
        assert "Staff passwords need at least 12 characters" in refused.content.decode()
        assert User.objects.get(username="officer_ps_msb").check_password(PASSWORD)


def test_long_or_varied_staff_passwords_are_taken(users):
    with at(minutes=0):
        client = browser()
        assert change_password(client, PASSWORD, "lanternamberriver").status_code == 302  # 17, one kind
    with at(minutes=1):
        assert change_password(client, "lanternamberriver", "Ab3!rvq9").status_code == 302  # 8, four kinds
    assert User.objects.get(username="officer_ps_msb").check_password("Ab3!rvq9")


def test_enterprise_staff_keep_the_ordinary_rules(users):
    with at(minutes=0):
        client = browser("ent_pregene")
        assert change_password(client, PASSWORD, "shortpass1x").status_code == 302


def test_none_of_the_last_five_passwords_again(users):
    chosen = [f"Amber-River-0{n}" for n in range(5)]
    with at(minutes=0):
        client = browser()
    for minute, (old, new) in enumerate(itertools.pairwise([PASSWORD, *chosen])):
        with at(minutes=minute):
            assert change_password(client, old, new).status_code == 302
    with at(minutes=10):
        for reused in chosen:
            refused = change_password(client, chosen[-1], reused)
            assert refused.status_code == 400, reused
            assert "not used for your last 5 passwords" in refused.content.decode()
        assert change_password(client, chosen[-1], "Amber-River-05").status_code == 302
    with at(minutes=11):
        # Five changes later the oldest is free again.
        assert change_password(client, "Amber-River-05", chosen[0]).status_code == 302


def test_a_staff_password_expires_after_ninety_days(users):
    # The password was set at T0 (the demo users are made when the suite runs, which is not a
    # fixed day: counted from then, 91 days after T0 were fewer than 90 once the date passed it).
    User.objects.filter(username="officer_ps_msb").update(password_changed_at=T0)
    with at(days=91):
        client = browser()
        home = client.get("/home/", follow=True)
        assert home.redirect_chain[-1][0] == "/account/password/"
        assert "Your password has expired" in home.content.decode()
        refused = Client().post(
            "/api/v1/auth/token/",
            {"username": "officer_ps_msb", "password": PASSWORD},
            content_type="application/json",
        )
        assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
        assert change_password(client, PASSWORD, "Amber-River-91").status_code == 302
        assert client.get("/home/").status_code == 200


def test_password_expiry_counts_from_the_last_change(users):
    with at(days=80):
        client = browser()
        assert change_password(client, PASSWORD, "Amber-River-80").status_code == 302
    with at(days=160):
        fresh = Client()
        assert password_step(fresh, "officer_ps_msb", "Amber-River-80").status_code == 302
        assert fresh.get("/home/").status_code == 200
    with at(days=171):
        late = Client()
        password_step(late, "officer_ps_msb", "Amber-River-80")
        assert late.get("/home/")["Location"] == "/account/password/"


@override_settings(PORTAL_PASSWORD_MAX_AGE_DAYS=0)
def test_expiry_can_be_switched_off(users):
    with at(days=400):
        assert browser().get("/home/").status_code == 200


def test_enterprise_passwords_do_not_expire(users):
    with at(days=400):
        assert browser("ent_pregene").get("/home/").status_code == 200


def test_an_account_an_administrator_created_chooses_its_own_password_first(users, orgs):
    admin = Client()
    admin.force_login(users["secadmin"])
    created = admin.post(
        "/admin/organizations/user/add/",
        {
            "username": "officer_new",
            "password1": "Temp-Pass-2026!",
            "password2": "Temp-Pass-2026!",
            "usable_password": "true",
            "organization": orgs["ps_msb"].pk,
            "role": "officer",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    person = User.objects.get(username="officer_new")
    assert person.must_change_password
    client = Client()
    assert password_step(client, "officer_new", "Temp-Pass-2026!").status_code == 302
    first = client.get("/home/", follow=True)
    assert first.redirect_chain[-1][0] == "/account/password/"
    assert "Choose a password of your own" in first.content.decode()
    assert client.get("/account/password/").status_code == 200
    assert change_password(client, "Temp-Pass-2026!", "My-Own-Pass-2026").status_code == 302
    assert client.get("/home/").status_code == 200
    assert not User.objects.get(username="officer_new").must_change_password


def test_a_password_an_administrator_sets_is_temporary(users):
    admin = Client()
    admin.force_login(users["secadmin"])
    officer = users["officer_ps_sti"]
    response = admin.post(
        f"/admin/organizations/user/{officer.pk}/password/",
        {"password1": "Temp-Pass-2027!", "password2": "Temp-Pass-2027!", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client()
    password_step(client, "officer_ps_sti", "Temp-Pass-2027!")
    assert client.get("/home/")["Location"] == "/account/password/"


def test_a_session_ended_another_way_leaves_the_list(users):
    """A password change signs out the person's other devices: the list says so at once, not
    after their idle time runs out."""
    with at(minutes=0):
        laptop = browser(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/130")
        browser(HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/605")
        assert "Safari · iPhone" in laptop.get("/account/").content.decode()
        assert change_password(laptop, PASSWORD, "Amber-River-2026").status_code == 302
        page = laptop.get("/account/").content.decode()
        assert "Safari · iPhone" not in page
        assert "Chrome · Windows" in page and "this session" in page
