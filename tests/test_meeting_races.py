"""Races for the last place of a consultation slot, with real threads, each with its own
database connection (a database file on SQLite, the server on PostgreSQL): of two bookings
exactly one wins, the other is told the slot is full. A module of its own, all of it
transactional: the flush after each test must not run before the suite's other tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from apps.casework import actions as casework
from apps.casework.errors import ConcurrentChange
from apps.meetings import actions, slots
from apps.meetings.models import Meeting, MeetingState, Slot

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def publish(users, capacity=1):
    return slots.publish_slot(
        actor=users["officer_ps_msb"],
        start="2026-12-09T14:00:00+08:00",
        minutes=30,
        capacity=capacity,
        place="Room 301",
    )


def test_two_bookings_of_the_last_place_have_one_winner(users):
    slot = publish(users)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def book() -> None:
        try:
            barrier.wait()
            results.append(slots.take_place(slot))
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False, True]
    slot.refresh_from_db()
    assert slot.booked == 1 and slot.free == 0
    assert slots.free_slots(slot.organization_id) == []


def test_two_enterprises_racing_for_the_last_place_one_wins(users, make_request):
    last_place = publish(users)
    meetings = []
    for enterprise in ("ent_pregene", "ent_ascentawits"):
        service_request = casework.escalate(
            make_request(enterprise), actor=users["liaison_sbip"], reason="Needs the district"
        )
        meetings.append(actions.offer(service_request, actor=users["officer_ps_msb"], slots=[last_place.pk]))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def book(meeting, who):
        barrier.wait()
        try:
            actions.book(meeting, actor=users[who], slot=last_place.pk)
            outcomes.append("won")
        except ConcurrentChange as lost:
            outcomes.append(lost.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=(meeting, who))
        for meeting, who in zip(meetings, ("ent_pregene", "ent_ascentawits"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["slot_full", "won"]
    assert Slot.objects.get(pk=last_place.pk).booked == 1
    assert Meeting.objects.filter(state=MeetingState.BOOKED).count() == 1
