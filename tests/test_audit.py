"""The audit log: every change to configuration, people, rules and shares, with who, when and
what (old → new), readable by admins and changeable by nobody; secrets never in it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit import tracking
from apps.audit.models import AuditRecord
from apps.casework import actions
from apps.casework.admin import EventInline, ServiceRequestAdmin
from apps.casework.models import RequestEvent, RequestGroupObjectPermission, ServiceRequest
from apps.deadlines.models import CalendarOverride, DeadlinePolicy
from apps.guidance.models import Guidance, GuidanceAttachment
from apps.organizations.models import KeyProject, Organization, RoutingRule, User

PASSWORD = "demo12345"


def entries_for(obj: Any) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk)
        ).order_by("timestamp", "pk")
    )


def last_entry(obj: Any) -> LogEntry:
    found = entries_for(obj)
    assert found, f"no log entry for {obj!r}"
    return found[-1]


@pytest.fixture
def admin_client(users) -> Client:
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def test_every_configuration_and_people_model_is_recorded():
    assert {
        Organization,
        User,
        RoutingRule,
        KeyProject,
        DeadlinePolicy,
        CalendarOverride,
        Guidance,
        GuidanceAttachment,
        Group,
        RequestGroupObjectPermission,
    } <= set(tracking.registered_models())
    # Requests keep their own append-only timeline; the audit log does not repeat it.
    assert ServiceRequest not in tracking.registered_models()
    assert RequestEvent not in tracking.registered_models()


def test_an_admin_change_records_the_admin_the_field_and_old_and_new_values(admin_client, orgs, users):
    park = orgs["sbip"]
    old_name = park.name
    response = admin_client.post(
        f"/admin/organizations/organization/{park.pk}/change/",
        {
            "kind": park.kind,
            "name": "Shenzhen Biomedicine Innovation Park (renamed)",
            "name_zh": park.name_zh,
            "parent": park.parent_id,
            "code": "SB",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    entry = last_entry(park)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == users["admin"]
    assert entry.changes_dict["name"] == [old_name, "Shenzhen Biomedicine Innovation Park (renamed)"]
    assert entry.changes_dict["code"] == [park.code or "", "SB"]
    assert set(entry.changes_dict) == {"name", "code"}
    assert entry.timestamp is not None
    assert entry.remote_addr == "127.0.0.1"


def test_a_routing_rule_change_names_the_departments_not_bare_ids(admin_client, orgs, users):
    rule = RoutingRule.objects.get(authority=orgs["ps"], category="rnd")
    response = admin_client.post(
        f"/admin/organizations/routingrule/{rule.pk}/change/",
        {"authority": rule.authority_id, "category": "rnd", "department": orgs["ps_msb"].pk},
    )
    assert response.status_code == 302, response.content[:2000]
    entry = last_entry(rule)
    assert entry.actor == users["admin"]
    assert entry.changes_dict["department"] == [orgs["ps_sti"].name, orgs["ps_msb"].name]


def test_a_password_change_is_recorded_masked_never_the_hash(admin_client, users):
    user = users["ent_pregene"]
    old_hash = user.password
    response = admin_client.post(
        f"/admin/organizations/user/{user.pk}/password/",
        {"password1": "N3w-passphrase-2026", "password2": "N3w-passphrase-2026", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.password != old_hash
    entry = last_entry(user)
    assert entry.actor == users["admin"]
    assert entry.changes_dict["password"] == [tracking.MASKED, tracking.MASKED]
    everything = " ".join(
        str(value)
        for e in LogEntry.objects.all()
        for value in (e.changes, e.changes_text, e.serialized_data, e.additional_data, e.object_repr)
    )
    for secret in (old_hash, user.password, "N3w-passphrase-2026"):
        assert secret not in everything
        # Not even a part of it (django-auditlog's default mask keeps half the value).
        assert secret[-12:] not in everything


def test_a_password_set_by_a_command_is_masked_and_attributed_to_the_system(users):
    user = users["officer_ps_msb"]
    user.set_password("another-passphrase-42")
    user.save()
    entry = last_entry(user)
    assert entry.actor is None  # "system" in the admin
    assert entry.changes_dict == {"password": [tracking.MASKED, tracking.MASKED]}


def test_sign_in_itself_is_not_recorded_as_a_field_change(users):
    client = Client()
    assert client.login(username="ent_pregene", password=PASSWORD)
    user = users["ent_pregene"]
    updates = [e for e in entries_for(user) if e.action == LogEntry.Action.UPDATE]
    assert not any("last_login" in e.changes_dict for e in updates)


def test_group_and_permission_assignments_are_recorded(admin_client, users):
    user = users["officer_ps_msb"]
    reviewers = Group.objects.create(name="Guidance reviewers")
    permission = Permission.objects.get(codename="change_guidance")
    reviewers.permissions.add(permission)
    entry = last_entry(reviewers)
    assert entry.changes["permissions"]["operation"] == "add"
    assert entry.changes["permissions"]["objects"] == [str(permission)]

    groups = [g.pk for g in user.groups.all()] + [reviewers.pk]
    response = admin_client.post(
        f"/admin/organizations/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "is_staff": "on",
            "groups": groups,
            "user_permissions": [permission.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "organization": user.organization_id,
            "role": user.role,
        },
    )
    assert response.status_code == 302, response.content[:3000]
    found = entries_for(user)
    by_admin = [e for e in found if e.actor == users["admin"]]
    changed = {name for e in by_admin for name in e.changes_dict}
    assert {"is_staff", "groups", "user_permissions"} <= changed
    staff = next(e for e in by_admin if "is_staff" in e.changes_dict)
    assert staff.changes_dict["is_staff"] == ["False", "True"]


def test_a_share_through_the_api_with_a_token_names_the_token_owner(make_request, users, orgs):
    sr = make_request()
    actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district")
    client = APIClient()
    token = Token.objects.create(user=users["officer_ps_msb"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = client.post(
        f"/api/v1/requests/{sr.pk}/share/",
        {"department": orgs["ps_sti"].pk, "reason": "R&D question inside"},
        format="json",
    )
    assert r.status_code == 200, r.content
    grant = RequestGroupObjectPermission.objects.get(content_object=sr)
    entry = last_entry(grant)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == users["officer_ps_msb"]
    # No token in the log, ever.
    assert not LogEntry.objects.filter(changes__icontains=token.key).exists()
    assert ContentType.objects.get_for_model(Token).pk not in set(
        LogEntry.objects.values_list("content_type", flat=True)
    )


def test_a_change_made_with_a_session_through_the_pages_names_the_user(users, orgs, make_request):
    # The pages and the admin share the session middleware path; a key project edited by a
    # district supervisor in the admin would be named the same way. Here: the admin site.
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    response = client.post(
        "/admin/deadlines/calendaroverride/add/",
        {"date": "2031-10-01", "workday": "", "name": "National Day"},
    )
    assert response.status_code == 302, response.content[:2000]
    override = CalendarOverride.objects.get(date="2031-10-01")
    entry = last_entry(override)
    assert entry.action == LogEntry.Action.CREATE and entry.actor == users["admin"]
    assert entry.changes_dict["name"] == ["None", "National Day"]


def test_changes_by_commands_have_no_actor_and_show_as_system(db, admin_client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    org = Organization.objects.get(name="Pingshan District")
    org.name_zh = "坪山区（测试）"
    org.save()
    entry = last_entry(org)
    assert entry.actor is None
    changelist = admin_client.get("/admin/auditlog/logentry/")
    assert changelist.status_code == 200
    assert b"system" in changelist.content


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(users):
    client = Client()
    assert not client.login(username="ent_pregene", password="wrong-password")
    assert not client.login(username="nobody-by-this-name", password="whatever")
    assert client.login(username="ent_pregene", password=PASSWORD)
    client.logout()
    records = list(AuditRecord.objects.filter(event__startswith="sign_").order_by("seq"))
    assert [r.event for r in records] == ["sign_in_failed", "sign_in_failed", "sign_in", "sign_out"]
    failed_known, failed_unknown, signed_in, signed_out = records
    assert failed_known.object_id == str(users["ent_pregene"].pk) and failed_known.actor_id is None
    assert failed_known.actor_name == "ent_pregene" and failed_known.result == "refused"
    assert failed_unknown.object_id == "" and failed_unknown.actor_name == "nobody-by-this-name"
    assert signed_in.actor_id == users["ent_pregene"].pk and signed_in.result == "done"
    assert signed_out.actor_id == users["ent_pregene"].pk
    assert "wrong-password" not in str(list(AuditRecord.objects.values()))


def test_a_failed_api_token_request_is_recorded_and_a_good_one_too(users):
    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"username": "ent_pregene", "password": "nope"}, format="json")
    assert bad.status_code == 400
    good = client.post(
        "/api/v1/auth/token/", {"username": "ent_pregene", "password": PASSWORD}, format="json"
    )
    assert good.status_code == 200
    events = list(AuditRecord.objects.order_by("seq").values_list("event", "result"))
    assert events[-2:] == [("sign_in_failed", "refused"), ("token_issued", "done")]
    assert good.json()["token"] not in str(list(AuditRecord.objects.values()))


# --- never editable ----------------------------------------------------------------------------------
@pytest.fixture
def entry(admin_client, orgs) -> LogEntry:
    org = orgs["sbip"]
    org.code = "SB"
    org.save()
    return last_entry(org)


def test_the_admin_lists_and_shows_log_entries(admin_client, entry):
    assert admin_client.get("/admin/auditlog/logentry/").status_code == 200
    page = admin_client.get(f"/admin/auditlog/logentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_the_admin_refuses_to_add_change_or_delete_log_entries_even_for_a_superuser(admin_client, entry):
    before = (entry.changes, entry.timestamp, entry.actor_id)
    assert admin_client.get("/admin/auditlog/logentry/add/").status_code == 403
    assert admin_client.post("/admin/auditlog/logentry/add/", {"object_repr": "forged"}).status_code == 403
    changed = admin_client.post(
        f"/admin/auditlog/logentry/{entry.pk}/change/", {"object_repr": "forged", "changes": "{}"}
    )
    assert changed.status_code == 403
    assert admin_client.get(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    bulk = admin_client.post(
        "/admin/auditlog/logentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    entry.refresh_from_db()
    assert (entry.changes, entry.timestamp, entry.actor_id) == before
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_staff_without_the_view_permission_cannot_read_the_log(entry, users):
    """A portal user marked staff by mistake is still not let into the admin (only the three
    administrators and the superuser are)."""
    officer = users["officer_ps_msb"]
    officer.is_staff = True
    officer.save()
    client = Client()
    client.force_login(officer)
    assert client.get("/admin/auditlog/logentry/", follow=True).status_code == 403
    assert client.get(f"/admin/auditlog/logentry/{entry.pk}/change/", follow=True).status_code == 403


def test_the_request_timeline_is_read_only_in_the_admin(admin_client, make_request, users):
    from django.contrib import admin

    sr = make_request()
    request_admin = admin.site._registry[ServiceRequest]
    assert isinstance(request_admin, ServiceRequestAdmin)
    assert RequestEvent not in admin.site._registry
    inline = EventInline(ServiceRequest, admin.site)

    class FakeRequest:
        user = users["admin"]

    assert not inline.has_add_permission(FakeRequest(), sr)
    assert not inline.has_change_permission(FakeRequest(), sr)
    assert not inline.has_delete_permission(FakeRequest(), sr)
    assert not request_admin.has_add_permission(FakeRequest())
    assert not request_admin.has_delete_permission(FakeRequest(), sr)
    events = list(RequestEvent.objects.filter(request=sr).values())
    page = admin_client.get(f"/admin/casework/servicerequest/{sr.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get(f"/admin/casework/servicerequest/{sr.pk}/delete/").status_code == 403
    assert list(RequestEvent.objects.filter(request=sr).values()) == events


# --- seeding stays fast and quiet --------------------------------------------------------------------
@pytest.mark.django_db
def test_seeding_requests_adds_no_log_rows_and_stays_fast(db):
    call_command("seed_demo", "--bare", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = LogEntry.objects.count()
    started = time.monotonic()
    call_command("seed_demo", "--requests", "2000", stdout=open("/dev/null", "w"))  # noqa: SIM115
    elapsed = time.monotonic() - started
    assert ServiceRequest.objects.count() == 2000
    # The second seed changes no configuration; bulk inserts of requests bypass the log.
    assert LogEntry.objects.count() == before
    assert elapsed < 60
