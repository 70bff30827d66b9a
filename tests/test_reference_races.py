"""Request references under concurrent creation: eight people filing at the same moment get
eight distinct, consecutive numbers, per district. Real threads, each with its own database
connection; a module of its own, all of it transactional (see `pytest_collection_modifyitems`
in tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.casework.models import ServiceRequest
from apps.organizations.models import User
from tests.test_references import parts

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 60


# --- concurrent creation ------------------------------------------------------------------------
def _create_in_threads(makers: list[Callable[[], tuple[int, dict]]]) -> list:
    barrier = threading.Barrier(len(makers), timeout=TIMEOUT)
    results: list = [None] * len(makers)

    def work(index: int) -> None:
        try:
            go = makers[index]()
            barrier.wait()
            results[index] = go()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            barrier.abort()
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(makers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a creating thread hung"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def _poster(username: str, enterprise_id: int | None, n: int) -> Callable[[], Callable[[], tuple[int, dict]]]:
    def prepare() -> Callable[[], tuple[int, dict]]:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        data = {
            "title": f"Concurrent request {n}",
            "description": "Filed at the same moment as seven others.",
            "category": "clinical_trial",
            "product_type": "biologic",
            "submit": n % 2 == 0,
        }
        if enterprise_id is not None:
            data["enterprise"] = enterprise_id

        def go() -> tuple[int, dict]:
            response = client.post("/api/v1/requests/", data, format="json")
            return response.status_code, response.json()

        return go

    return prepare


PINGSHAN_FILERS = [
    ("ent_pregene", None),
    ("ent_pregene2", None),
    ("ent_ascentawits", None),
    ("ent_wytd", None),
    ("ent_accel1", None),
    ("liaison_sbip", "pregene"),
    ("liaison_sbip2", "ascentawits"),
    ("liaison_accel", "accel2"),
]


@pytest.mark.parametrize("first_of_year", [True, False], ids=["no-sequence-yet", "sequence-exists"])
def test_eight_concurrent_creations_get_distinct_consecutive_numbers(
    users, orgs, make_request, first_of_year
):
    start = 0
    if not first_of_year:
        start = parts(make_request("ent_pregene").reference)[2]
    makers = [
        _poster(username, orgs[ent].pk if ent else None, n)
        for n, (username, ent) in enumerate(PINGSHAN_FILERS)
    ]
    results = _create_in_threads(makers)
    assert [code for code, _body in results] == [201] * 8, results
    references = [body["reference"] for _code, body in results]
    assert len(set(references)) == 8
    year = parts(references[0])[1]
    assert all(parts(r)[:2] == ("PS", year) for r in references), references
    assert sorted(parts(r)[2] for r in references) == list(range(start + 1, start + 9))
    assert ServiceRequest.objects.count() == 8 + (0 if first_of_year else 1)


def test_concurrent_creation_in_two_districts(users, orgs):
    makers = [
        _poster(username, orgs[ent].pk if ent else None, n)
        for n, (username, ent) in enumerate(
            [
                ("ent_pregene", None),
                ("ent_ascentawits", None),
                ("liaison_sbip", "wytd"),
                ("ent_accel1", None),
                ("ent_haidian", None),
                ("liaison_haidian", "hd_ent"),
                ("ent_haidian", None),
                ("liaison_haidian", "hd_ent"),
            ]
        )
    ]
    results = _create_in_threads(makers)
    assert [code for code, _body in results] == [201] * 8, results
    by_prefix: dict[str, list[int]] = {}
    for _code, body in results:
        prefix, _year, number = parts(body["reference"])
        by_prefix.setdefault(prefix, []).append(number)
    assert {prefix: sorted(numbers) for prefix, numbers in by_prefix.items()} == {
        "PS": [1, 2, 3, 4],
        "HD": [1, 2, 3, 4],
    }
