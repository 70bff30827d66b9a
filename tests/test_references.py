"""Request references: PS-2026-000123 (the district's code, the local year, six digits), one
more each time, unique, never handed out twice, counting afresh each year and per district,
and distinct under concurrent creation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.casework.models import ServiceRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFERENCE = re.compile(r"^(?P<prefix>[A-Z]+)-(?P<year>\d{4})-(?P<number>\d{6})$")
TIMEOUT = 60


def parts(reference: str) -> tuple[str, int, int]:
    match = REFERENCE.match(reference)
    assert match, reference
    return match["prefix"], int(match["year"]), int(match["number"])


def at(*args: int) -> datetime:
    """A moment in Shanghai local time."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def march_2026():
    with time_machine.travel(at(2026, 3, 10, 10, 0), tick=True):
        yield


def test_reference_format(make_request, march_2026):
    sr = make_request("ent_pregene")
    prefix, year, number = parts(sr.reference)
    assert (prefix, year) == ("PS", 2026)
    assert number >= 1
    assert sr.reference == f"PS-2026-{number:06d}"
    assert len(sr.reference) == len("PS-2026-000123")


def test_first_reference_of_the_year_is_one(make_request, march_2026):
    assert make_request("ent_pregene").reference == "PS-2026-000001"


def test_references_increase_by_one(make_request, march_2026):
    numbers = [parts(make_request(by, enterprise=ent).reference)[2] for by, ent in _pingshan_filers()]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    # Drafts count too: a reference is given when the request is created.
    draft = make_request("ent_pregene", submit=False)
    assert parts(draft.reference)[2] == numbers[-1] + 1


def _pingshan_filers() -> list[tuple[str, str | None]]:
    return [
        ("ent_pregene", None),
        ("ent_ascentawits", None),
        ("liaison_sbip", "wytd"),
        ("ent_accel1", None),
        ("liaison_accel", "accel2"),
    ]


def test_references_through_the_api(api, orgs, march_2026):
    made = []
    for username, enterprise in [("ent_pregene", None), ("liaison_sbip", "ascentawits")]:
        data = {
            "title": "Stability data for the IND",
            "description": "Which batches count?",
            "category": "registration",
            "product_type": "drug",
            "submit": True,
        }
        if enterprise:
            data["enterprise"] = orgs[enterprise].pk
        r = api(username).post("/api/v1/requests/", data, format="json")
        assert r.status_code == 201, r.content
        made.append(r.json()["reference"])
        assert api(username).get(f"/api/v1/requests/{r.json()['id']}/").json()["reference"] == made[-1]
    assert made == ["PS-2026-000001", "PS-2026-000002"]
    # The list finds a request by its reference.
    r = api("liaison_sbip").get("/api/v1/requests/", {"search": made[1].lower()})
    assert [row["reference"] for row in r.json()["results"]] == [made[1]]


def test_references_are_unique(make_request, march_2026):
    references = [make_request("ent_pregene").reference for _ in range(12)]
    assert len(set(references)) == 12
    assert ServiceRequest.objects.values("reference").distinct().count() == ServiceRequest.objects.count()


def test_a_deleted_requests_number_is_never_reused(make_request, march_2026):
    first = make_request("ent_pregene")
    last = make_request("ent_pregene")
    assert parts(last.reference)[2] == parts(first.reference)[2] + 1
    gone = last.reference
    ServiceRequest.objects.filter(pk=last.pk).delete()
    replacement = make_request("ent_pregene")
    assert replacement.reference != gone
    assert parts(replacement.reference)[2] == parts(gone)[2] + 1
    # Even with every request of the year gone, numbering goes on.
    ServiceRequest.objects.all().delete()
    again = make_request("ent_ascentawits")
    assert parts(again.reference)[2] == parts(replacement.reference)[2] + 1


def test_numbering_restarts_each_year(make_request):
    with time_machine.travel(at(2026, 11, 20, 10, 0)):
        late = [make_request("ent_pregene").reference for _ in range(3)]
    assert late == ["PS-2026-000001", "PS-2026-000002", "PS-2026-000003"]
    with time_machine.travel(at(2027, 1, 4, 10, 0)):
        assert make_request("ent_pregene").reference == "PS-2027-000001"
        assert make_request("ent_accel1").reference == "PS-2027-000002"
    # Back in the old year (a clock fixed, a back-dated job): the old year's count goes on.
    with time_machine.travel(at(2026, 12, 30, 10, 0)):
        assert make_request("ent_pregene").reference == "PS-2026-000004"


def test_year_is_the_local_year(make_request):
    """Shanghai is UTC+8: 31 December 17:00 UTC is already New Year's Day locally."""
    with time_machine.travel(datetime(2026, 12, 31, 15, 30, tzinfo=UTC)):  # 23:30 local
        assert parts(make_request("ent_pregene").reference)[1] == 2026
    with time_machine.travel(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)):  # 01:00 local
        assert make_request("ent_pregene").reference == "PS-2027-000001"


def test_haidian_requests_use_their_own_prefix_and_count(make_request, march_2026):
    ps = make_request("ent_pregene")
    hd = make_request("ent_haidian")
    hd2 = make_request("liaison_haidian", enterprise="hd_ent")
    assert ps.reference == "PS-2026-000001"
    assert hd.reference == "HD-2026-000001"
    assert hd2.reference == "HD-2026-000002"
    assert make_request("ent_accel1").reference == "PS-2026-000002"
