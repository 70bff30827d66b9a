"""Separated duties (三员分立, 等保 8.1.4.2): the system administrator keeps settings, the
security administrator keeps people, the auditor reads the trail; none can do another's work,
nor hand themself another's duty. The superuser stays for emergencies, recorded and told."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.audit.models import AuditRecord
from apps.organizations.models import Role, RoutingRule, User

pytestmark = pytest.mark.django_db


def as_user(users, username: str) -> Client:
    client = Client()
    client.force_login(users[username])
    return client


def test_each_administrator_lands_on_their_own_work(users):
    assert as_user(users, "sysadmin").get("/home/")["Location"] == "/admin/"
    assert as_user(users, "secadmin").get("/home/")["Location"] == "/admin/"
    assert as_user(users, "auditor").get("/home/")["Location"] == "/audit/"


def test_the_system_administrator_keeps_settings_and_nothing_else(users, orgs):
    client = as_user(users, "sysadmin")
    for page in (
        "/admin/organizations/routingrule/",
        "/admin/deadlines/calendaroverride/add/",
        "/admin/deadlines/deadlinepolicy/",
        "/admin/organizations/organization/",
        "/admin/guidance/guidance/",
        "/admin/django_celery_beat/periodictask/",
    ):
        assert client.get(page).status_code == 200, page
    rule = RoutingRule.objects.filter(authority=orgs["ps"], category="").get()
    changed = client.post(
        f"/admin/organizations/routingrule/{rule.pk}/change/",
        {"authority": orgs["ps"].pk, "category": "", "department": orgs["ps_sti"].pk},
    )
    assert changed.status_code == 302
    assert RoutingRule.objects.get(pk=rule.pk).department == orgs["ps_sti"]
    for page in (
        "/admin/organizations/user/",
        f"/admin/organizations/user/{users['ent_pregene'].pk}/change/",
        "/admin/auth/group/",
        "/admin/audit/auditrecord/",
        "/admin/auditlog/logentry/",
        "/admin/axes/accessattempt/",
        "/audit/",
    ):
        assert client.get(page).status_code == 403, page


def test_the_security_administrator_keeps_people_and_nothing_else(users, orgs):
    client = as_user(users, "secadmin")
    person = users["liaison_sbip2"]
    for page in (
        "/admin/organizations/user/",
        f"/admin/organizations/user/{person.pk}/change/",
        "/admin/axes/accessattempt/",
        "/admin/authtoken/tokenproxy/",
    ):
        assert client.get(page).status_code == 200, page
    for page in (
        "/admin/organizations/routingrule/",
        "/admin/deadlines/calendaroverride/",
        "/admin/deadlines/deadlinepolicy/",
        "/admin/audit/auditrecord/",
        "/admin/auditlog/logentry/",
        "/admin/django_celery_beat/periodictask/",
        "/audit/",
    ):
        assert client.get(page).status_code == 403, page


def test_the_security_administrator_never_manages_an_administrator_or_themself(users):
    client = as_user(users, "secadmin")
    listing = client.get("/admin/organizations/user/").content.decode()
    assert f"/admin/organizations/user/{users['ent_pregene'].pk}/change/" in listing
    for name in ("sysadmin", "auditor", "admin", "secadmin"):
        assert f"/admin/organizations/user/{users[name].pk}/change/" not in listing, name
    for username in ("sysadmin", "auditor", "admin", "secadmin"):
        page = client.get(f"/admin/organizations/user/{users[username].pk}/change/")
        assert page.status_code == 302, username  # "doesn't exist" for them: back to the index
    assert client.get(f"/admin/organizations/user/{users['sysadmin'].pk}/password/").status_code in (403, 404)


def test_the_security_administrator_gives_portal_roles_only(users):
    client = as_user(users, "secadmin")
    form = client.get(f"/admin/organizations/user/{users['liaison_sbip2'].pk}/change/").content.decode()
    assert 'value="officer"' in form and 'value="liaison"' in form
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR):
        assert f'value="{role}"' not in form, role
    assert 'name="is_superuser"' not in form and 'name="groups"' not in form
    person = users["liaison_sbip2"]
    refused = client.post(
        f"/admin/organizations/user/{person.pk}/change/",
        {
            "username": person.username,
            "is_active": "on",
            "organization": "",
            "role": Role.SYSTEM_ADMIN,
            "language": "zh-hans",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    person.refresh_from_db()
    assert person.role == Role.LIAISON and not person.is_superuser and not person.is_staff


def test_the_security_administrator_cannot_edit_the_duty_groups(users):
    client = as_user(users, "secadmin")
    listing = client.get("/admin/auth/group/").content.decode()
    assert "duty:" not in listing
    duty = Group.objects.get(name="duty:security_admin")
    assert client.get(f"/admin/auth/group/{duty.pk}/change/").status_code == 302
    assert client.post(
        f"/admin/auth/group/{duty.pk}/change/", {"name": "duty:security_admin"}
    ).status_code in (
        302,
        403,
    )


def test_the_auditor_reads_and_nothing_else(users):
    client = as_user(users, "auditor")
    assert client.get("/admin/audit/auditrecord/").status_code == 200
    assert client.get("/admin/auditlog/logentry/").status_code == 200
    record = AuditRecord.objects.first()
    assert client.get(f"/admin/audit/auditrecord/{record.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    for page in (
        "/admin/organizations/user/",
        "/admin/organizations/routingrule/",
        "/admin/deadlines/calendaroverride/",
        "/admin/axes/accessattempt/",
    ):
        assert client.get(page).status_code == 403, page
    assert client.get("/requests/").status_code == 200  # no request is theirs to see
    assert "PS-" not in client.get("/requests/").content.decode()


def test_an_administrator_sees_no_request(users, make_request):
    service_request = make_request(submit=True)
    for username in ("sysadmin", "secadmin", "auditor"):
        client = as_user(users, username)
        assert client.get(f"/requests/{service_request.pk}/").status_code == 404, username
        assert client.get(f"/api/v1/requests/{service_request.pk}/").status_code == 404, username


def test_a_portal_user_marked_staff_by_mistake_gets_no_admin(users):
    officer = users["officer_ps_msb"]
    User.objects.filter(pk=officer.pk).update(is_staff=True)
    client = as_user(users, "officer_ps_msb")
    assert client.get("/admin/", follow=True).status_code == 403


def test_the_duty_groups_hold_exactly_the_table(db):
    from apps.security.duties import DUTIES, group_name

    for role, duty in DUTIES.items():
        group = Group.objects.get(name=group_name(role))
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        wanted = {
            f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
            for label, actions in duty.items()
            for action in actions
        }
        assert held == wanted, role


def test_changing_a_persons_role_moves_them_between_duty_groups(users):
    person = users["auditor"]
    person.role = Role.SYSTEM_ADMIN
    person.save()
    assert list(person.groups.filter(name__startswith="duty:").values_list("name", flat=True)) == [
        "duty:system_admin"
    ]
    person.role = Role.OFFICER
    person.organization = users["officer_ps_msb"].organization
    person.save()
    assert not person.groups.filter(name__startswith="duty:").exists()


def test_every_use_of_the_superuser_is_recorded(users):
    client = as_user(users, "admin")
    client.get("/admin/organizations/routingrule/")
    client.get("/requests/")
    uses = AuditRecord.objects.filter(actor_name="admin")
    assert uses.filter(event="admin:organizations_routingrule_changelist").exists()
    assert uses.filter(event="request-list", detail__superuser=True).exists()
