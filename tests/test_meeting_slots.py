"""Consultation slots (issue 18, first part): published by officers and liaisons on the official
working calendar, never in the past, on a holiday or over the host's own slots; a place taken
by one booking at a time, so that two enterprises never get the same last place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from apps.casework.errors import InvalidInput, NotPermitted
from apps.meetings import slots
from apps.meetings.models import Slot

pytestmark = pytest.mark.django_db

# Thursday 2026-09-17, 10:00 in Shanghai: the week before the National Day holiday.
NOW = datetime(2026, 9, 17, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def publish(users, who: str = "officer_ps_msb", **given):
    fields = {"start": "2026-09-22T14:00:00+08:00", "minutes": 30, "place": "Room 301, Pingshan MSB"}
    fields.update(given)
    return slots.publish_slot(actor=users[who], **fields)


def refused(users, field: str, **given) -> str:
    before = Slot.objects.count()
    with pytest.raises(InvalidInput) as caught:
        publish(users, **given)
    assert field in caught.value.fields, caught.value.fields
    assert Slot.objects.count() == before, "nothing is saved"
    return caught.value.fields[field][0]


def test_an_officer_publishes_a_slot_of_their_department(users):
    slot = publish(users, capacity=3, categories=["registration", "clinical_trial"])
    assert slot.organization == users["officer_ps_msb"].organization
    assert (slot.minutes, slot.capacity, slot.free) == (30, 3, 3)
    assert slot.end == datetime(2026, 9, 22, 6, 30, tzinfo=UTC)


def test_a_park_liaison_publishes_park_slots(users):
    assert publish(users, "liaison_sbip").organization == users["liaison_sbip"].organization


@pytest.mark.parametrize("who", ["ent_pregene", "sysadmin", "auditor"])
def test_enterprise_staff_and_administrators_publish_none(users, who):
    with pytest.raises(NotPermitted):
        publish(users, who)


def test_a_make_up_working_sunday_takes_slots(users):
    # 2026-09-20 is a Sunday worked in exchange for the National Day holiday (调休).
    assert publish(users, start="2026-09-20T10:00:00+08:00").start.date().isoformat() == "2026-09-20"


def test_a_holiday_or_a_weekend_takes_none(users):
    assert "2026-10-01 is not a working day" in refused(users, "start", start="2026-10-01T10:00:00+08:00")
    assert "2026-09-19 is not a working day" in refused(users, "start", start="2026-09-19T10:00:00+08:00")


def test_a_slot_in_the_past_is_refused(users):
    assert "future" in refused(users, "start", start="2026-09-16T14:00:00+08:00")


def test_bad_values_are_field_errors_and_nothing_is_saved(users):
    refused(users, "start", start="next Tuesday")
    refused(users, "minutes", minutes=5)
    refused(users, "minutes", minutes="an hour")
    refused(users, "capacity", capacity=0)
    refused(users, "place", place="  ")
    refused(users, "categories", categories=["lunch"])
    refused(users, "minutes", start="2026-09-22T23:00:00+08:00", minutes=120)  # past midnight


def test_a_slot_over_the_hosts_own_is_refused_but_a_colleagues_is_not(users):
    publish(users)
    message = refused(users, "start", start="2026-09-22T14:15:00+08:00")
    assert "2026-09-22 14:00 to 14:30" in message
    assert publish(users, "officer_ps_msb2", start="2026-09-22T14:15:00+08:00")
    assert publish(users, start="2026-09-22T14:30:00+08:00")  # back to back is fine
    assert Slot.objects.count() == 3
