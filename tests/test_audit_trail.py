"""The tamper-evident audit trail (等保 8.1.4.3): every sign-in, change, export, download, grant
and refusal recorded with time, person, address, event, object and result; a hash chain that
`verify_audit` checks, catching a record changed (by hand in SQL too), removed or slipped in;
kept 180 days at least; read and exported by the auditor alone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from apps.audit import trail
from apps.audit.models import AuditChainHead, AuditRecord
from apps.casework import actions
from apps.notifications.models import Notification

from .security_helpers import PASSWORD, password_step

pytestmark = pytest.mark.django_db(transaction=False)


def verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as failed:
        return 1, out.getvalue() + str(failed)
    return 0, out.getvalue()


def token_client(username: str) -> APIClient:
    client = APIClient(REMOTE_ADDR="10.20.30.40")
    key = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key.json()['token']}")
    return client


@pytest.fixture
def lived(users, make_request):
    """A morning at the portal: sign-ins (one failed), a request filed and answered, a refused
    transition, an export, a share, a role change in the admin."""
    password_step(Client(), "ent_pregene", "wrong")
    liaison = token_client("liaison_sbip")
    enterprise = token_client("ent_pregene")
    filed = enterprise.post(
        "/api/v1/requests/",
        {
            "title": "Pilot batch release",
            "description": "What does the district need?",
            "category": "registration",
            "product_type": "biologic",
            "submit": True,
        },
        format="json",
    ).json()
    liaison.post(f"/api/v1/requests/{filed['id']}/respond/", {"body": "We will ask."}, format="json")
    enterprise.post(f"/api/v1/requests/{filed['id']}/escalate/", {"reason": "Mine now"}, format="json")
    liaison.get("/api/v1/requests/export.csv")
    admin = Client()
    admin.force_login(users["secadmin"])
    person = users["liaison_sbip2"]
    admin.post(
        f"/admin/organizations/user/{person.pk}/change/",
        {
            "username": person.username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "organization": person.organization_id,
            "role": "supervisor",
            "language": "zh-hans",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    return filed


def test_each_kind_of_event_is_recorded_with_who_where_what_and_the_result(lived, users):
    records = list(AuditRecord.objects.order_by("seq"))
    by_event: dict[str, list[AuditRecord]] = {}
    for r in records:
        by_event.setdefault(r.event, []).append(r)
    failed = by_event["sign_in_failed"][0]
    assert (failed.actor_name, failed.result) == ("ent_pregene", "refused")
    assert {r.actor_name for r in by_event["token_issued"]} == {"liaison_sbip", "ent_pregene"}
    filed = by_event["api:request-list"][0]
    assert (filed.actor_name, filed.address, filed.result) == ("ent_pregene", "10.20.30.40", "done")
    responded = by_event["api:request-respond"][0]
    assert (responded.object_type, responded.object_id) == ("request", str(lived["id"]))
    refused = by_event["api:request-escalate"][0]
    assert refused.actor_name == "ent_pregene" and refused.result == "refused"
    assert refused.detail["status"] == 403
    exported = by_event["export"][0]
    assert exported.actor_name == "liaison_sbip" and exported.detail["path"] == "/api/v1/requests/export.csv"
    role = by_event["role_change"][0]
    assert role.actor_name == "secadmin" and role.object_id == str(users["liaison_sbip2"].pk)
    assert role.detail["changes"]["role"] == ["liaison", "supervisor"]
    # Reading a list is not recorded: the trail is of changes, files and refusals.
    assert all(
        r.detail.get("method") != "GET" or r.event in ("export", "download") or r.result == "refused"
        for r in records
        if "method" in r.detail
    )


def test_a_share_is_recorded_as_a_grant(make_request, users, orgs):
    service_request = make_request(submit=True)
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="District please")
    service_request.refresh_from_db()
    actions.share_with_department(
        service_request, actor=users["officer_ps_msb"], department=orgs["ps_sti"], reason="Look"
    )
    grant = AuditRecord.objects.filter(event="grant").latest("seq")
    assert grant.object_type == "casework.requestgroupobjectpermission"


def test_an_attachment_download_is_recorded(make_request, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    service_request = make_request(submit=True)
    client = token_client("ent_pregene")
    upload = client.post(
        f"/api/v1/requests/{service_request.pk}/attachments/",
        {"file": SimpleUploadedFile("plan.txt", b"the plan", content_type="text/plain")},
        format="multipart",
    )
    assert upload.status_code == 201
    assert client.get(upload.json()["download_url"]).status_code == 200
    download = AuditRecord.objects.filter(event="download").latest("seq")
    assert download.actor_name == "ent_pregene" and download.result == "done"


def test_the_chain_of_a_lived_morning_verifies(lived):
    code, out = verify()
    assert code == 0 and "intact" in out
    assert str(AuditRecord.objects.count()) in out


def test_a_record_changed_by_hand_in_sql_is_caught(lived):
    victim = AuditRecord.objects.filter(event="export").get()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditrecord SET actor_name = %s WHERE id = %s", ["somebody_else", victim.pk]
        )
    code, out = verify()
    assert code == 1
    assert f"record {victim.seq}: the record was changed" in out


def test_a_changed_detail_or_time_is_caught_too(lived):
    victim = AuditRecord.objects.filter(event="role_change").get()
    AuditRecord.objects.filter(pk=victim.pk).update(at=victim.at - timedelta(minutes=5))
    assert f"record {victim.seq}: the record was changed" in verify()[1]


def test_a_removed_record_is_caught(lived):
    victim = AuditRecord.objects.filter(event="sign_in_failed").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [victim.pk])
    code, out = verify()
    assert code == 1 and f"records {victim.seq}–{victim.seq} are missing" in out


def test_a_record_slipped_in_out_of_turn_is_caught(lived):
    """Someone inserts a record in the middle (a forged sign-in) with a made-up hash: its seq
    collides or breaks the order, and the one after no longer follows."""
    middle = AuditRecord.objects.order_by("seq")[3]
    for later in AuditRecord.objects.filter(seq__gt=middle.seq).order_by("-seq"):
        AuditRecord.objects.filter(pk=later.pk).update(seq=later.seq + 1)
    forged = AuditRecord(
        seq=middle.seq + 1,
        at=middle.at,
        actor_name="intruder",
        event="sign_in",
        prev_hash=middle.hash,
        hash="f" * 64,
    )
    forged.save()
    code, out = verify()
    assert code == 1 and f"record {middle.seq + 1}: the record was changed" in out


def test_a_record_added_at_the_end_by_hand_is_caught(lived):
    last = AuditRecord.objects.order_by("-seq").first()
    AuditRecord.objects.create(
        seq=last.seq + 1,
        at=last.at,
        actor_name="intruder",
        event="sign_in",
        prev_hash=last.hash,
        hash="0" * 64,
    )
    code, out = verify()
    assert code == 1 and f"record {last.seq + 1}: the record was changed" in out
    assert "the last records are missing" in out  # the head names the real last one


def test_cutting_off_the_last_records_is_caught(lived):
    last = AuditRecord.objects.order_by("-seq").first()
    AuditRecord.objects.filter(pk=last.pk).delete()
    code, out = verify()
    assert code == 1 and "the last records are missing" in out


def test_rewinding_the_head_is_caught(lived):
    AuditRecord.objects.order_by("-seq").first().delete()
    previous = AuditRecord.objects.order_by("-seq").first()
    AuditChainHead.objects.update(seq=previous.seq, hash=previous.hash)
    code, out = verify()
    assert code == 1 and "the chain head was changed" in out


def test_records_younger_than_180_days_cannot_be_purged(lived):
    with pytest.raises(CommandError, match="younger than 180 days are kept"):
        call_command("purge_audit", before=(datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%d"))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_audit", before="last year")
    assert verify()[0] == 0


def test_older_records_are_purged_and_the_rest_still_verifies(users):
    start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for n in range(5):
            trail.record("change", actor=users["sysadmin"], detail={"n": n})
    with time_machine.travel(start + timedelta(days=200), tick=False):
        trail.record("change", actor=users["sysadmin"], detail={"n": "kept"})
        call_command(
            "purge_audit", before=(start + timedelta(days=2)).strftime("%Y-%m-%d"), stdout=io.StringIO()
        )
        assert not AuditRecord.objects.filter(detail__n=0).exists()
        assert AuditRecord.objects.filter(event="audit_purged").exists()
        code, out = verify()
    assert code == 0, out


def test_nobody_changes_or_deletes_a_record_in_the_admin_not_even_the_superuser(lived, users):
    admin = Client()
    admin.force_login(users["admin"])
    record = AuditRecord.objects.first()
    assert admin.get(f"/admin/audit/auditrecord/{record.pk}/change/").status_code == 200
    assert admin.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/audit/auditrecord/add/").status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


# --- the auditor's page ---------------------------------------------------------------------------
def auditor() -> Client:
    client = Client()
    password_step(client, "auditor")
    return client


def test_the_auditor_reads_the_trail_of_a_period(lived):
    page = auditor().get("/home/", follow=True)
    assert page.redirect_chain[-1][0] == "/audit/"
    html = page.content.decode()
    assert "api:request-respond" in html and "sign-in failed" in html and "secadmin" in html
    failures = auditor().get("/audit/", {"result": "refused", "since": "2026-01-01", "until": "2026-12-31"})
    assert (
        "sign-in failed" in failures.content.decode()
        and "api:request-respond" not in failures.content.decode()
    )


def test_the_auditor_exports_the_period_as_csv_and_xlsx(lived):
    today = datetime.now(UTC).date()
    query = {
        "since": (today - timedelta(days=1)).isoformat(),
        "until": (today + timedelta(days=1)).isoformat(),
    }
    exported = auditor().get("/audit/export.csv", query)
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    text = b"".join(exported.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["seq", "at", "person", "address", "event"]
    events = {row[4] for row in rows[1:]}
    assert {"sign_in_failed", "token_issued", "export", "role_change"} <= events
    sheet = auditor().get("/audit/export.xlsx", query)
    book = load_workbook(io.BytesIO(sheet.content))
    # The same rows, and the CSV export just made: the auditor's own exports are in the trail too.
    assert book.active.max_row == len(rows) + 1
    assert AuditRecord.objects.filter(event="export", actor_name="auditor").count() == 2


def test_a_bad_period_is_a_form_error(users):
    response = auditor().get("/audit/", {"since": "2026-12-10", "until": "2026-12-01"})
    assert response.status_code == 400 and "ends before it begins" in response.content.decode()
    assert auditor().get("/audit/export.csv", {"since": "soon"}).status_code == 400
    assert auditor().get("/audit/export.pdf").status_code == 400


@pytest.mark.parametrize(
    "username", ["officer_ps_msb", "supervisor_ps", "sysadmin", "secadmin", "ent_pregene"]
)
def test_nobody_but_the_auditor_reads_or_exports_the_trail(users, username):
    client = Client()
    client.force_login(users[username])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/admin/audit/auditrecord/", follow=True).status_code == 403


def test_a_superuser_sign_in_is_told_to_the_security_administrators(users):
    assert password_step(Client(REMOTE_ADDR="10.0.0.9"), "admin").status_code == 302
    told = Notification.objects.get(recipient=users["secadmin"], kind="superuser_used")
    from apps.notifications.services import render

    text = render(told, "en")
    assert "emergency superuser account admin signed in" in text and "10.0.0.9" in text
    assert "sign-in page" in text
