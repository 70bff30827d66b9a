"""The model signals the apps connect in ready() stay connected. Django holds receivers weakly
by default: a function defined inside ready() and connected without weak=False is collected
once nothing else refers to it, and then never runs (the organisation group sync did exactly
that, unnoticed, until the duties needed it)."""

from __future__ import annotations

import gc
from datetime import date

import pytest

from apps.deadlines import calendar
from apps.deadlines.models import CalendarOverride
from apps.organizations.models import Role, User

pytestmark = pytest.mark.django_db


def test_a_saved_user_is_in_the_group_of_their_organisation(orgs):
    gc.collect()
    person = User.objects.create(username="new_officer", role=Role.OFFICER, organization=orgs["ps_msb"])
    assert list(person.groups.values_list("name", flat=True)) == [f"org:{orgs['ps_msb'].pk}"]


def test_a_saved_administrator_is_in_the_group_of_their_duty(db):
    gc.collect()
    person = User.objects.create(username="new_auditor", role=Role.AUDITOR)
    assert list(person.groups.values_list("name", flat=True)) == ["duty:auditor"]
    assert person.is_staff and person.has_perm("audit.view_auditrecord")


def test_a_calendar_override_counts_at_once_not_after_the_cache_expires(db):
    gc.collect()
    day = date(2031, 3, 4)  # a Tuesday, a working day by the fallback
    assert calendar.days_between(day, day)[0].workday
    CalendarOverride.objects.create(date=day, workday=False, name="Typhoon closure")
    assert not calendar.days_between(day, day)[0].workday


def test_signing_in_saves_no_group_work(users, django_assert_max_num_queries):
    """A sign-in saves only last_login: the group syncs, which follow organisation and role,
    stay out of it."""
    from django.test import Client

    client = Client()
    with django_assert_max_num_queries(60) as counted:
        assert (
            client.post("/login/", {"username": "officer_ps_msb", "password": "demo12345"}).status_code == 302
        )
    statements = " ".join(q["sql"] for q in counted.captured_queries)
    assert "auth_user_groups" not in statements and "organizations_user_groups" not in statements
