"""A user's own credentials: revoking the API token, logging out everywhere, changing the
password (validated wherever a password is set), and the account page that offers all three."""

from __future__ import annotations

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.organizations.models import Organization, User

pytestmark = pytest.mark.django_db

PASSWORD = "demo12345"
STRONG = "Dossier-Amber-Lantern-2026"


def signed_in_browser(username: str = "ent_pregene", password: str = PASSWORD) -> Client:
    """A browser session made through the real login form."""
    client = Client()
    assert client.post("/login/", {"username": username, "password": password}).status_code == 302
    return client


def new_token(username: str = "ent_pregene", password: str = PASSWORD) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


def is_signed_in(client: Client) -> bool:
    return client.get("/home/").status_code == 200


# --- revoking the API token ------------------------------------------------------------------
def test_deleting_the_token_revokes_it_and_a_new_one_can_be_obtained(users):
    token = new_token()
    client = Client()
    assert client.get("/api/v1/me/", **with_token(token)).status_code == 200
    assert client.delete("/api/v1/auth/token/", **with_token(token)).status_code == 204
    assert client.get("/api/v1/me/", **with_token(token)).status_code == 401

    replacement = new_token()
    assert replacement != token
    assert client.get("/api/v1/me/", **with_token(replacement)).status_code == 200


def test_the_token_endpoint_gives_the_same_token_until_it_is_revoked(users):
    assert new_token() == new_token()


def test_revoking_the_token_leaves_browser_sessions_signed_in(users):
    browser = signed_in_browser()
    token = new_token()
    Client().delete("/api/v1/auth/token/", **with_token(token))
    assert is_signed_in(browser)


def test_revoking_needs_credentials(users):
    assert Client().delete("/api/v1/auth/token/").status_code == 401
    revoked = "0" * 40
    assert Client().delete("/api/v1/auth/token/", **with_token(revoked)).status_code == 401


def test_revoking_only_touches_the_callers_own_token(users):
    mine = new_token("ent_pregene")
    colleagues = new_token("ent_pregene2")
    Client().delete("/api/v1/auth/token/", **with_token(mine))
    assert Client().get("/api/v1/me/", **with_token(colleagues)).status_code == 200


# --- log out everywhere ------------------------------------------------------------------------
def test_log_out_everywhere_from_the_api_ends_every_session_and_revokes_the_token(users):
    laptop, phone = signed_in_browser(), signed_in_browser()
    colleague = signed_in_browser("ent_pregene2")
    token = new_token()

    done = Client().post("/api/v1/auth/logout-everywhere/", **with_token(token))
    assert done.status_code == 204

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 401
    assert is_signed_in(colleague)  # nobody else's sessions
    # The password is unchanged: signing in again, and a new token, both work.
    assert is_signed_in(signed_in_browser())
    fresh_token = new_token()
    assert fresh_token != token
    assert Client().get("/api/v1/me/", **with_token(fresh_token)).status_code == 200


def test_log_out_everywhere_from_a_session_ends_that_session_too(users):
    browser = signed_in_browser()
    other = signed_in_browser()
    assert browser.post("/api/v1/auth/logout-everywhere/").status_code == 204
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    assert not is_signed_in(browser)
    assert not is_signed_in(other)


def test_log_out_everywhere_needs_credentials(users):
    assert Client().post("/api/v1/auth/logout-everywhere/").status_code == 401


def test_sessions_from_before_this_feature_stay_signed_in(users):
    """At epoch 0 the session hash is Django's own, so deploying it signed nobody out."""
    user = users["ent_pregene"]
    assert user.session_epoch == 0
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)


# --- passwords set by an administrator --------------------------------------------------------


@pytest.fixture
def admin_browser(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_browser, orgs):
    enterprise = Organization.objects.get(name="Shenzhen Pregene Biopharma Co., Ltd.")
    form = {
        "username": "ent_newcomer",
        "usable_password": "true",
        "password1": "password",
        "password2": "password",
        "organization": enterprise.pk,
        "role": "enterprise",
    }
    refused = admin_browser.post("/admin/organizations/user/add/", form)
    assert refused.status_code == 200
    assert "This password is too common." in refused.content.decode()
    assert not User.objects.filter(username="ent_newcomer").exists()

    accepted = admin_browser.post(
        "/admin/organizations/user/add/", {**form, "password1": STRONG, "password2": STRONG}
    )
    assert accepted.status_code == 302
    assert User.objects.get(username="ent_newcomer").check_password(STRONG)


def test_the_admin_refuses_a_weak_password_when_setting_one(admin_browser, users):
    user = users["ent_pregene"]
    url = f"/admin/organizations/user/{user.pk}/password/"
    refused = admin_browser.post(
        url, {"password1": "12345678", "password2": "12345678", "usable_password": "true"}
    )
    assert refused.status_code == 200
    assert "This password is too common." in refused.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_a_password_set_by_the_admin_revokes_the_users_token_and_sessions(admin_browser, users):
    browser = signed_in_browser()
    token = new_token()
    user = users["ent_pregene"]
    done = admin_browser.post(
        f"/admin/organizations/user/{user.pk}/password/",
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    assert done.status_code == 302
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 401
    assert not is_signed_in(browser)


def test_disabling_a_users_password_revokes_the_token(users):
    token = new_token()
    user = User.objects.get(username="ent_pregene")
    user.set_unusable_password()
    user.save()
    assert not Token.objects.filter(key=token).exists()


def test_saving_a_user_without_touching_the_password_keeps_the_token(users):
    token = new_token()
    user = User.objects.get(username="ent_pregene")
    user.first_name = "Renamed"
    user.save()
    assert Token.objects.filter(key=token).exists()
