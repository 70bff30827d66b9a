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


def test_the_account_page_revokes_the_token(users):
    token = new_token()
    browser = signed_in_browser()
    assert "You have an API token" in browser.get("/account/").content.decode()
    page = browser.post("/account/token/revoke/", follow=True)
    assert "Your API token is revoked" in page.content.decode()
    assert "You have no API token" in page.content.decode()
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 401
    assert is_signed_in(browser)


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


def test_the_account_page_button_logs_out_everywhere(users):
    laptop, phone = signed_in_browser(), signed_in_browser()
    token = new_token()
    response = laptop.post("/account/logout-everywhere/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "You are logged out on every device" in response.content.decode()
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 401


def test_log_out_everywhere_twice_still_ends_sessions_started_in_between(users):
    first = signed_in_browser()
    first.post("/account/logout-everywhere/")
    second = signed_in_browser()
    assert is_signed_in(second)
    third = signed_in_browser()
    third.post("/account/logout-everywhere/")
    assert not is_signed_in(second)


def test_sessions_from_before_this_feature_stay_signed_in(users):
    """At epoch 0 the session hash is Django's own, so deploying it signed nobody out."""
    user = users["ent_pregene"]
    assert user.session_epoch == 0
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)


# --- changing the password --------------------------------------------------------------------
def change_password(client: Client, old: str, new: str, repeat: str | None = None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": repeat if repeat is not None else new},
    )


def test_changing_the_password_keeps_this_device_signed_in_and_ends_the_others(users):
    here, elsewhere = signed_in_browser(), signed_in_browser()
    token = new_token()
    response = change_password(here, PASSWORD, STRONG)
    assert response.status_code == 302 and response["Location"] == "/account/"
    page = here.get("/account/").content.decode()
    assert "Your password is changed" in page
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 401
    assert is_signed_in(signed_in_browser(password=STRONG))


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("password", "This password is too common."),
        ("Ab3!x", "This password is too short. It must contain at least 8 characters."),
        ("20260523117", "This password is entirely numeric."),
        ("ent_pregene1", "The password is too similar to the username."),
    ],
    ids=["common", "short", "numeric", "like-username"],
)
def test_a_weak_new_password_is_refused_with_a_form_error(users, weak, message):
    browser = signed_in_browser()
    token = new_token()
    response = change_password(browser, PASSWORD, weak)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert User.objects.get(username="ent_pregene").check_password(PASSWORD)
    assert Client().get("/api/v1/me/", **with_token(token)).status_code == 200


def test_a_wrong_old_password_or_mismatched_repeat_is_refused(users):
    browser = signed_in_browser()
    wrong_old = change_password(browser, "not-it", STRONG)
    assert (
        wrong_old.status_code == 400
        and "Your old password was entered incorrectly" in wrong_old.content.decode()
    )
    mismatch = change_password(browser, PASSWORD, STRONG, STRONG + "x")
    assert (
        mismatch.status_code == 400 and "The two password fields didn’t match." in mismatch.content.decode()
    )
    assert User.objects.get(username="ent_pregene").check_password(PASSWORD)


def test_the_password_page_needs_a_signed_in_user(users):
    response = Client().get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


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


# --- the account page ---------------------------------------------------------------------------
def test_the_account_page_is_reachable_from_the_header_and_offers_everything(users):
    browser = signed_in_browser()
    assert 'href="/account/"' in browser.get("/home/").content.decode()
    page = browser.get("/account/").content.decode()
    for offer in ("Change password", "Log out everywhere", "Save language", "API token", "ent_pregene"):
        assert offer in page


def test_the_account_page_needs_a_signed_in_user(users):
    assert Client().get("/account/")["Location"].startswith("/login/")


def test_choosing_a_language_sets_the_pages_and_the_emails(users):
    browser = signed_in_browser()
    User.objects.filter(username="ent_pregene").update(language="en")
    response = browser.post("/account/language/", {"language": "zh-hans"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert User.objects.get(username="ent_pregene").language == "zh-hans"
    assert '<html lang="zh-hans">' in browser.get("/home/").content.decode()


def test_an_unknown_language_is_refused_with_a_message(users):
    browser = signed_in_browser()
    response = browser.post("/account/language/", {"language": "klingon"}, follow=True)
    assert "Choose one of the languages offered." in response.content.decode()
    assert User.objects.get(username="ent_pregene").language == "zh-hans"
