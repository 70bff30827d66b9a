"""Building the lived-in world twice, and `seed_demo` building it once (apart from
tests/test_lived_in.py, whose tests share one world for the whole module)."""

from __future__ import annotations

from django.core.management import call_command

from apps.casework import lived_in
from apps.casework.models import Attachment, RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit


def test_building_again_changes_nothing_and_returns_the_same_world(lived_in_world):
    counts = (ServiceRequest.objects.count(), RequestEvent.objects.count(), TierVisit.objects.count())
    again = lived_in.build()
    assert {key: sr.pk for key, sr in again.items()} == {key: sr.pk for key, sr in lived_in_world.items()}
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count(), TierVisit.objects.count()) == counts
    assert set(again) == {story.key for story in lived_in.STORIES}


def test_seed_demo_builds_the_world_once(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (ServiceRequest.objects.count(), RequestEvent.objects.count(), Attachment.objects.count())
    assert counts[0] == len(lived_in.STORIES)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (
        ServiceRequest.objects.count(),
        RequestEvent.objects.count(),
        Attachment.objects.count(),
    ) == counts


def test_seed_demo_bare_and_with_synthetic_requests_leaves_the_world_out(db):
    call_command("seed_demo", "--bare", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not ServiceRequest.objects.exists()
    call_command("seed_demo", "--requests", "3", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ServiceRequest.objects.count() == 3
    assert lived_in.existing() == {}
