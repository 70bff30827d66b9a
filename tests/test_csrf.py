"""Every form and every session-authenticated API write needs the CSRF token: a POST forged from
another site is refused with 403 and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.organizations.models import User
from tests.conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded(users):
    """A client that, like a browser, is held to the CSRF check, signed in as `username`."""

    def client_for(username: str | None = None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if username:
            client.force_login(users[username])
        return client

    return client_for


def csrf_token(client: Client, page: str) -> str:
    client.get(page)
    return client.cookies["csrftoken"].value


def test_the_login_form_refuses_a_post_without_the_csrf_token(guarded):
    client = guarded()
    refused = client.post("/login/", {"username": "ent_pregene", "password": "demo12345"})
    assert refused.status_code == 403
    assert "Form refused" in refused.content.decode()  # in the portal's layout
    assert 'class="topbar"' in refused.content.decode()
    token = csrf_token(client, "/login/")
    signed_in = client.post(
        "/login/", {"username": "ent_pregene", "password": "demo12345", "csrfmiddlewaretoken": token}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    ("username", "path", "data"),
    [
        ("ent_pregene", "/logout/", {}),
        ("ent_pregene", "/i18n/setlang/", {"language": "zh-hans"}),
        (
            "ent_pregene",
            "/requests/new/",
            {"title": "Forged", "description": "x", "category": "other", "product_type": "drug"},
        ),
        ("liaison_sbip", "/requests/{pk}/act/escalate/", {"reason": "forged"}),
        ("ent_pregene", "/requests/{pk}/messages/", {"body": "forged"}),
        ("ent_pregene", "/notifications/read-all/", {}),
        ("supervisor_ps", "/key-projects/new/", {"name": "Forged"}),
        (
            "ent_pregene",
            "/account/password/",
            {
                "old_password": "demo12345",
                "new_password1": "Forged-pass-2026",
                "new_password2": "Forged-pass-2026",
            },
        ),
        ("ent_pregene", "/account/language/", {"language": "en"}),
        ("ent_pregene", "/account/token/revoke/", {}),
        ("ent_pregene", "/account/logout-everywhere/", {}),
    ],
)
def test_every_web_form_refuses_a_post_without_the_csrf_token(guarded, make_request, username, path, data):
    service_request = make_request()
    before = (fresh(service_request).state, fresh(service_request).version)
    client = guarded(username)
    response = client.post(path.format(pk=service_request.pk), data)
    assert response.status_code == 403
    assert (fresh(service_request).state, fresh(service_request).version) == before
    assert client.get("/home/").status_code == 200  # still signed in: nothing happened
    assert User.objects.get(username=username).check_password("demo12345")


def test_a_session_signed_in_api_write_needs_the_csrf_token(guarded):
    client = guarded("ent_pregene")
    body = {"title": "Filed from a script", "description": "x", "category": "other", "product_type": "drug"}
    refused = client.post("/api/v1/requests/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    token = csrf_token(client, "/home/")
    accepted = client.post("/api/v1/requests/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_session_api_revocations_need_the_csrf_token_too(guarded, users):
    client = guarded("ent_pregene")
    assert client.post("/api/v1/auth/logout-everywhere/").status_code == 403
    assert client.delete("/api/v1/auth/token/").status_code == 403
    assert client.get("/api/v1/me/").status_code == 200


def test_token_authenticated_api_writes_need_no_csrf_token(guarded):
    client = guarded()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "ent_pregene", "password": "demo12345"},
        content_type="application/json",
    ).json()["token"]
    body = {
        "title": "Filed by an integration",
        "description": "x",
        "category": "other",
        "product_type": "drug",
    }
    created = client.post(
        "/api/v1/requests/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert created.status_code == 201
