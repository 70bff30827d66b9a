"""What a newcomer meets first: the health check, the API schema and docs, the demo data, the
login page."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from apps.casework import search, synthetic
from apps.casework.models import RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.organizations.models import Organization, User

pytestmark = pytest.mark.django_db

SPEC_USERS = {
    "admin": None,
    "liaison_sbip": "Shenzhen Biomedicine Innovation Industrial Park",
    "liaison_accel": "Biomedical Enterprise Accelerator Phase 2",
    "officer_ps_msb": "Pingshan Market Supervision Bureau",
    "officer_ps_sti": "Pingshan Science and Technology Innovation Bureau",
    "supervisor_ps": "Pingshan District",
    "officer_sz_amr": "Shenzhen Administration for Market Regulation",
    "officer_gd_mpa": "Guangdong Medical Products Administration",
    "ent_pregene": "Shenzhen Pregene Biopharma Co., Ltd.",
    "ent_ascentawits": "Ascentawits Pharmaceuticals",
    "ent_wytd": "WYTD Medical Technology (Shenzhen) Co., Ltd.",
    "ent_accel1": None,
    "liaison_haidian": None,
}


def test_healthz_reports_database_and_broker():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["broker"] in ("ok", "unavailable")


def test_openapi_schema_and_docs_are_served_without_a_cdn(api):
    client = Client()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/requests/",
        "/api/v1/requests/{id}/escalate/",
        "/api/v1/requests/{id}/return/",
        "/api/v1/requests/{id}/timeline/",
        "/api/v1/requests/{id}/attachments/",
        "/api/v1/notifications/",
        "/api/v1/calendar/deadline/",
        "/api/v1/auth/token/",
    ):
        assert path in paths, path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html


def test_seed_demo_creates_the_spec_users_and_is_idempotent():
    call_command("seed_demo")
    counts = (Organization.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Organization.objects.count(), User.objects.count()) == counts
    for username, organisation in SPEC_USERS.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo12345"), username
        if organisation:
            assert user.organization.name == organisation
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="liaison_haidian").organization.parent.name == "Haidian District"


@pytest.mark.parametrize("defer_indexes", [False, True], ids=["indexes kept", "indexes rebuilt after"])
def test_seed_demo_adds_synthetic_requests_consistent_with_the_rules(monkeypatch, defer_indexes):
    if defer_indexes:
        monkeypatch.setattr(synthetic, "DEFER_INDEXES_FROM", 1)
    call_command("seed_demo", "--bare")
    call_command("seed_demo", "--requests", "300")
    assert ServiceRequest.objects.count() == 300
    references = list(ServiceRequest.objects.values_list("reference", flat=True))
    assert len(set(references)) == 300
    states = set(ServiceRequest.objects.values_list("state", flat=True))
    assert {"park_review", "closed", "resolved"} <= states
    assert RequestEvent.objects.count() > 600 and TierVisit.objects.count() >= 250
    # Open review requests are waiting on exactly one visit, whose deadline the request shows.
    for service_request in ServiceRequest.objects.filter(state__endswith="_review")[:20]:
        waiting = TierVisit.objects.get(request=service_request, ended_at__isnull=True)
        assert waiting.tier == service_request.tier
        assert waiting.due_at == service_request.feedback_due_at
    # A new request after the synthetic ones takes the next free number.
    call_command("seed_demo", "--requests", "5")
    assert ServiceRequest.objects.values("reference").distinct().count() == 305
    # Every index is back, the search index included.
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, ServiceRequest._meta.db_table)
    assert {index.name for index in ServiceRequest._meta.indexes} <= set(present)
    title = ServiceRequest.objects.order_by("-id").values_list("title", flat=True)[0]
    assert search.matching(ServiceRequest.objects.all(), title).exists()


def test_batches_made_in_a_process_of_their_own_are_the_rows_made_here(monkeypatch):
    """From `APART_FROM` requests on, the seed makes its batches in a forked process while it
    writes: the same seed gives the same rows, to the last column, either way; and a generator
    that asked the database would fail loudly rather than share the writer's connection."""
    from django.db import transaction

    from apps.assist.models import RequestTerms
    from apps.casework.models import ReferenceSequence
    from apps.meetings.models import Meeting, Slot
    from apps.satisfaction.models import Rating, Rectification

    models = [ServiceRequest, RequestEvent, TierVisit, Rating, Rectification, Slot, Meeting]
    models += [Meeting.slots.through, RequestTerms]

    def rows() -> dict[str, list[tuple]]:
        found = {m._meta.label: list(m.objects.order_by("pk").values_list()) for m in models}
        # The numbers given, not the sequences' own ids (PostgreSQL does not reuse those).
        found["references"] = list(
            ReferenceSequence.objects.order_by("prefix", "year").values_list("prefix", "year", "last")
        )
        return found

    call_command("seed_demo", "--bare")
    monkeypatch.setattr(synthetic, "BATCH", 150)  # several batches, through the queue
    made: dict[str, dict[str, list[tuple]]] = {}
    with time_machine.travel(datetime(2026, 12, 4, 9, 30, tzinfo=UTC), tick=False):
        for where, apart_from in (("here", 10_000), ("apart", 1)):
            monkeypatch.setattr(synthetic, "APART_FROM", apart_from)
            with transaction.atomic():
                assert synthetic.generate(700, seed=11) == 700
                made[where] = rows()
                transaction.set_rollback(True)
    assert made["apart"] == made["here"]
    assert len(made["here"]["casework.ServiceRequest"]) == 700 and made["here"]["meetings.Meeting"]

    def asks_the_database(*args, **kwargs):
        return Organization.objects.count()

    monkeypatch.setattr(synthetic, "week_of", asks_the_database)
    with pytest.raises(RuntimeError, match="generator"):
        synthetic.generate(10)
    assert ServiceRequest.objects.count() == 0


def test_visitor_is_led_to_the_login_page():
    response = Client().get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    page = Client().get("/login/")
    assert page.status_code == 200 and b'name="username"' in page.content


def test_login_leads_to_the_users_home(users):
    client = Client()
    response = client.post("/login/", {"username": "ent_pregene", "password": "demo12345"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert client.get("/home/").status_code == 200


def test_wrong_password_is_a_form_error_not_a_500(users):
    response = Client().post("/login/", {"username": "ent_pregene", "password": "nope"})
    assert response.status_code == 200 and b'role="alert"' in response.content


def test_token_endpoint_gives_a_token_that_authenticates(users):
    client = Client()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "officer_ps_msb", "password": "demo12345"},
        content_type="application/json",
    )
    assert token.status_code == 200
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert me.status_code == 200
    assert me.json()["role"] == "officer" and me.json()["tier"] == "district"
    bad = client.post(
        "/api/v1/auth/token/",
        {"username": "officer_ps_msb", "password": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_admin_cannot_edit_a_request_directly(users, make_request):
    service_request = make_request()
    client = Client()
    client.force_login(users["admin"])
    page = client.get(f"/admin/casework/servicerequest/{service_request.pk}/change/")
    assert page.status_code == 200
    client.post(f"/admin/casework/servicerequest/{service_request.pk}/change/", {"state": "resolved"})
    assert ServiceRequest.objects.get(pk=service_request.pk).state == "park_review"


def test_admin_action_withdraws_through_the_lifecycle(users, make_request):
    service_request = make_request()
    client = Client()
    client.force_login(users["admin"])
    client.post(
        "/admin/casework/servicerequest/",
        {"action": "withdraw_requests", "_selected_action": [service_request.pk]},
    )
    withdrawn = ServiceRequest.objects.get(pk=service_request.pk)
    assert withdrawn.state == "withdrawn"
    assert withdrawn.events.filter(kind="withdrawn", actor=users["admin"]).exists()


def _manage(*args: str, **env: str):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        # The browser tests allow async-unsafe calls in this process; a deployment never does.
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    done = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--settings=portal.settings.production",
        DJANGO_SECRET_KEY="a-long-random-secret-for-the-test-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="portal.example.cn",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_openapi_schema_is_valid_and_complete_without_warnings():
    done = _manage(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        "/dev/null",
        "--settings=portal.settings.test",
    )
    assert done.returncode == 0, done.stdout + done.stderr
