"""API throttling: over the rate a caller gets 429 with Retry-After, per user when signed in, per
address when anonymous, and a stricter scope for exchanging passwords for tokens. The test
settings keep the rates out of reach; these tests lower them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db


def rates(**changed: str | None):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **{"user": "1000/min", "anon": "1000/min", "token": "1000/min"},
                **changed,
            },
        }
    )


@pytest.fixture(autouse=True)
def _empty_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_signed_in_caller_over_the_user_rate_gets_429_with_retry_after(api):
    client = api("ent_pregene")
    with rates(user="3/min"):
        for _request in range(3):
            assert client.get("/api/v1/me/").status_code == 200
        throttled = client.get("/api/v1/me/")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert "throttled" in throttled.json()["detail"]
    assert 0 < int(throttled["Retry-After"]) <= 60


def test_the_user_rate_counts_each_user_separately(api):
    with rates(user="2/min"):
        busy = api("ent_pregene")
        for _request in range(2):
            busy.get("/api/v1/me/")
        assert busy.get("/api/v1/me/").status_code == 429
        assert api("officer_ps_msb").get("/api/v1/me/").status_code == 200


def test_the_limit_lifts_when_the_window_has_passed(api):
    client = api("ent_pregene")
    start = timezone.now()
    with rates(user="1/min"):
        with time_machine.travel(start, tick=False):
            assert client.get("/api/v1/me/").status_code == 200
            assert client.get("/api/v1/me/").status_code == 429
        with time_machine.travel(start.timestamp() + 61, tick=False):
            assert client.get("/api/v1/me/").status_code == 200


def test_anonymous_callers_are_throttled_per_address(users):
    with rates(anon="2/min"):
        one = Client(REMOTE_ADDR="198.51.100.1")
        assert one.get("/api/schema/").status_code == 200
        assert one.get("/api/schema/").status_code == 200
        assert one.get("/api/schema/").status_code == 429
        assert Client(REMOTE_ADDR="198.51.100.2").get("/api/schema/").status_code == 200


def test_exchanging_passwords_for_tokens_has_its_own_stricter_rate(users):
    client = Client()
    credentials = {"username": "ent_pregene", "password": "demo12345"}
    with rates(token="2/min"):
        for _request in range(2):
            ok = client.post("/api/v1/auth/token/", credentials, content_type="application/json")
            assert ok.status_code == 200
        throttled = client.post("/api/v1/auth/token/", credentials, content_type="application/json")
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled"
        assert int(throttled["Retry-After"]) > 0
        # The token it already has keeps working: only the exchange is limited.
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
        assert me.status_code == 200


def test_a_rate_of_none_switches_a_scope_off(api):
    client = api("ent_pregene")
    with rates(user=None):
        for _request in range(20):
            assert client.get("/api/v1/me/").status_code == 200


def test_every_operation_in_the_schema_documents_429_with_retry_after(users):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 30
    for path, method, operation in operations:
        too_many = operation["responses"].get("429")
        assert too_many, (method, path)
        assert "Retry-After" in too_many["headers"], (method, path)
    token = schema["paths"]["/api/v1/auth/token/"]
    assert "locked_out" in token["post"]["responses"]["429"]["description"]
    assert {"post", "delete"} <= set(token)
    assert "post" in schema["paths"]["/api/v1/auth/logout-everywhere/"]


def _cache_backend(**env: str) -> str:
    root = Path(__file__).resolve().parent.parent
    keep = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL")}
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=root,
        env={
            **keep,
            "DJANGO_SECRET_KEY": "a-long-random-secret-for-the-test-" + "0123456789abcdef" * 2,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_throttle_counts_are_shared_by_every_web_worker():
    production = "portal.settings.production"
    assert _cache_backend(
        DJANGO_SETTINGS_MODULE=production, CELERY_BROKER_URL="redis://redis:6379/0"
    ).endswith("RedisCache")
    assert _cache_backend(DJANGO_SETTINGS_MODULE=production).endswith("DatabaseCache")
    # `make run` (development settings, no Redis): files that its gunicorn workers share.
    assert _cache_backend(DJANGO_SETTINGS_MODULE="portal.settings.development").endswith("FileBasedCache")
