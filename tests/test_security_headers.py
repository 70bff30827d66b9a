"""Content-Security-Policy on every answer, templates with nothing inline for it to refuse, and
production cookies that only travel over HTTPS, out of reach of scripts and other sites."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

# A <script> without src, an inline <style>, a style="" attribute, an on*="" handler or a
# javascript: URL: each is refused by the policy (or would need 'unsafe-inline').
INLINE = [
    ("inline script", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("inline <style>", re.compile(r"<style\b", re.IGNORECASE)),
    ("style attribute", re.compile(r"""<[^>]*\sstyle\s*=\s*["']""", re.IGNORECASE)),
    ("event handler attribute", re.compile(r"""<[^>]*\son[a-z]+\s*=\s*["']""", re.IGNORECASE)),
    ("javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def inline_code(html: str) -> list[str]:
    return [f"{what}: {match.group(0)[:80]}" for what, pattern in INLINE for match in pattern.finditer(html)]


def test_pages_answer_with_a_strict_content_security_policy(users, make_request):
    service_request = make_request()
    anonymous = Client()
    assert_strict(anonymous.get("/login/"))
    signed_in = Client()
    signed_in.force_login(users["ent_pregene"])
    for path in ("/home/", f"/requests/{service_request.pk}/", "/account/", "/guidance/"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert_strict(response)


def test_api_answers_and_docs_carry_the_policy_too(api, users):
    assert_strict(api("ent_pregene").get("/api/v1/me/"))
    assert_strict(Client().get("/api/v1/me/"))  # a 401 too
    assert_strict(Client().get("/api/docs/"))
    admin = Client()
    admin.force_login(users["admin"])
    assert_strict(admin.get("/admin/"))


def test_no_template_has_inline_script_style_or_event_handler():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 20
    found = {
        str(path.relative_to(ROOT)): inline_code(path.read_text(encoding="utf-8"))
        for path in templates
        if inline_code(path.read_text(encoding="utf-8"))
    }
    assert found == {}


def test_rendered_pages_have_no_inline_script_or_style(users, make_request):
    service_request = make_request()
    for username in ("ent_pregene", "liaison_sbip", "officer_ps_msb", "supervisor_ps"):
        client = Client()
        client.force_login(users[username])
        for path in ("/home/", f"/requests/{service_request.pk}/", "/account/", "/account/password/"):
            response = client.get(path)
            if response.status_code == 200:
                assert inline_code(response.content.decode()) == [], (username, path)
    assert inline_code(Client().get("/login/").content.decode()) == []


def test_the_api_docs_load_their_init_script_as_a_file(users):
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert inline_code(html) == []
    script_src = re.search(r'<script src="(/api/docs/\?[^"]*)"', html)
    assert script_src, html
    script = client.get(script_src.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_htmx_is_told_not_to_inject_its_indicator_style(users):
    client = Client()
    client.force_login(users["officer_ps_msb"])
    html = client.get("/home/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in html


def test_cookies_are_httponly_and_samesite_lax_here_and_secure_in_production(users):
    response = Client().post("/login/", {"username": "ent_pregene", "password": "demo12345"})
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"

    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in "
            "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'DEBUG']}))",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            # Production refuses a key like "x" * 60 (tests/test_settings_secrets.py).
            "DJANGO_SECRET_KEY": "a-long-random-secret-for-the-test-" + "0123456789abcdef" * 2,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    production = json.loads(done.stdout.strip().splitlines()[-1])
    assert production == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "DEBUG": False,
    }
