"""One client address everywhere (portal/client_ip.py): the audit log, the sign-in records and
the API throttles believe X-Forwarded-For only from a trusted proxy, and a header that is no
address ("not-an-ip") is never stored (on PostgreSQL it would fail the write: a 500)."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.test import Client, override_settings

from apps.audit.models import AuditRecord
from apps.organizations.models import Organization

pytestmark = pytest.mark.django_db

PASSWORD = "demo12345"
GARBAGE = {"HTTP_X_FORWARDED_FOR": "not-an-ip", "HTTP_X_FORWARDED_PORT": "99999999999"}


def access_entries() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(event__in=SIGN_IN_EVENTS).order_by("seq"))


SIGN_IN_EVENTS = ("sign_in", "sign_in_failed", "token_issued", "sign_out")


def rename_park(client: Client, park: Organization, name: str, **headers: str):
    return client.post(
        f"/admin/organizations/organization/{park.pk}/change/",
        {
            "kind": park.kind,
            "name": name,
            "name_zh": park.name_zh,
            "parent": park.parent_id,
            "code": park.code or "",
            "is_active": "on",
        },
        **headers,
    )


def last_entry_for(obj: Organization) -> LogEntry:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Organization), object_pk=str(obj.pk)
    ).latest("pk")


def test_sign_in_records_take_the_client_address_not_a_garbage_forwarded_for(users):
    """Rule: failed and successful sign-ins, on the form and the token endpoint, record
    client_ip(), never the left-most X-Forwarded-For."""
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert (
        client.post("/login/", {"username": "ent_pregene", "password": "wrong"}, **GARBAGE).status_code == 200
    )
    assert (
        client.post("/login/", {"username": "ent_pregene", "password": PASSWORD}, **GARBAGE).status_code
        == 302
    )
    token = Client(REMOTE_ADDR="203.0.113.5").post(
        "/api/v1/auth/token/",
        {"username": "ent_pregene", "password": PASSWORD},
        content_type="application/json",
        **GARBAGE,
    )
    assert token.status_code == 200
    spoofed = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    spoofed.post("/login/", {"username": "ent_pregene", "password": "wrong"})
    entries = access_entries()
    assert [e.event for e in entries] == ["sign_in_failed", "sign_in", "token_issued", "sign_in_failed"]
    assert {e.address for e in entries} == {"203.0.113.5"}


def test_an_audited_change_takes_the_client_address_not_a_garbage_forwarded_for(users, orgs):
    """Rule: the audit log's remote_addr (and remote_port) come from the client address
    function; a spoofed or garbage X-Forwarded-For / X-Forwarded-Port from an untrusted peer is
    ignored and the change is saved, not a 500."""
    admin = Client(REMOTE_ADDR="203.0.113.9")
    admin.force_login(users["admin"])
    park = orgs["sbip"]
    response = rename_park(admin, park, "Renamed once", **GARBAGE)
    assert response.status_code == 302, response.content[:2000]
    entry = last_entry_for(park)
    assert entry.changes_dict["name"][1] == "Renamed once"
    assert (entry.remote_addr, entry.remote_port) == ("203.0.113.9", None)

    assert rename_park(admin, park, "Renamed twice", HTTP_X_FORWARDED_FOR="6.6.6.6").status_code == 302
    assert last_entry_for(park).remote_addr == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_behind_a_trusted_proxy_the_audit_log_records_the_client_the_proxy_saw(users, orgs):
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    proxy.force_login(users["admin"])
    park = orgs["sbip"]
    forwarded = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.9", "HTTP_X_FORWARDED_PORT": "443"}
    assert rename_park(proxy, park, "Via the proxy", **forwarded).status_code == 302
    entry = last_entry_for(park)
    assert (entry.remote_addr, entry.remote_port) == ("198.51.100.9", 443)

    assert rename_park(proxy, park, "Garbage via the proxy", **GARBAGE).status_code == 302
    entry = last_entry_for(park)
    assert (entry.remote_addr, entry.remote_port) == ("10.0.0.2", None)


# --- throttles -----------------------------------------------------------------------------------
def rates(**changed: str):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "user": "1000/min",
                "anon": "1000/min",
                "token": "1000/min",
                **changed,
            },
        }
    )


@pytest.fixture
def _empty_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_empty_throttle_cache")
def test_a_rotating_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttles(users):
    """Rule: the throttles key on client_ip(); X-Forwarded-For from a peer that is not a trusted
    proxy is not a new caller."""
    credentials = {"username": "ent_pregene", "password": PASSWORD}
    with rates(anon="2/min", token="2/min"):
        schema = [
            Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
            .get("/api/schema/")
            .status_code
            for n in range(1, 5)
        ]
        assert schema == [200, 200, 429, 429]
        tokens = [
            Client(REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
            .post("/api/v1/auth/token/", credentials, content_type="application/json")
            .status_code
            for n in range(1, 5)
        ]
        assert tokens == [200, 200, 429, 429]


@pytest.mark.usefixtures("_empty_throttle_cache")
@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_behind_a_trusted_proxy_the_throttles_count_each_client_the_proxy_saw(users):
    with rates(anon="2/min"):

        def via_proxy(forwarded: str) -> int:
            return (
                Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).get("/api/schema/").status_code
            )

        # The client's own left part changes nothing: the proxy appended 198.51.100.1 each time.
        assert [via_proxy(f"6.6.6.{n}, 198.51.100.1") for n in range(3)] == [200, 200, 429]
        assert via_proxy("198.51.100.2") == 200


# --- the shipped deployment ------------------------------------------------------------------------
def test_the_compose_stack_publishes_only_the_proxy_and_trusts_only_its_address():
    """Rule: gunicorn is never published; X-Forwarded-For is trusted from the compose proxy's
    fixed address alone, and that proxy appends the address that connected to it."""
    import ipaddress
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert services["web"]["expose"] == ["8000"]
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_ip) in ipaddress.ip_network(subnet)
    assert services["web"]["environment"]["DJANGO_TRUSTED_PROXIES"] == proxy_ip
    nginx = (root / "deploy/nginx.conf").read_text()
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "server web:8000;" in nginx
