"""Two (or six) people acting on the same request at once: exactly one wins, the others are told
the request changed (409), and the request, its timeline and its tier visits show exactly one
change. Real threads, each with its own database connection, against a real database file
(SQLite) or server (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from apps.casework import actions
from apps.casework.errors import ConcurrentChange
from apps.casework.models import RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.organizations.models import User
from tests.conftest import fresh

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 60
# How long the gate keeps its lock after the racers were released, on a database where we
# cannot see who is waiting (SQLite). Each racer needs a few milliseconds to read the request.
SETTLE_SECONDS = 1.5


def run_together(jobs: list[Callable[[], Any]], *, gate: ServiceRequest | None = None) -> list[Any]:
    """Run each job in its own thread, all released at the same moment by a barrier; return
    what each returned (or the exception it raised), in order. Each thread closes its own
    database connection at the end.

    A job is a factory: called before the barrier to prepare (its own client, its own copy of
    the user), it returns the callable that races once everybody is ready.

    With `gate`, the test's own connection holds the write lock on that request (SQLite: the
    database's write lock; PostgreSQL: the row) while the racers start, and lets go only once
    every racer has read the request and waits to write it. That makes "at once" exact: every
    racer acts on the same version, so the compare-and-swap alone decides, instead of a late
    racer finding the winner's result (which may answer 403 rather than 409: a park liaison
    may not escalate a request the district holds).
    """
    parties = len(jobs) + (1 if gate is not None else 0)
    barrier = threading.Barrier(parties, timeout=TIMEOUT)
    results: list[Any] = [None] * len(jobs)

    def work(index: int, job: Callable[[], Any]) -> None:
        try:
            try:
                go = job()
            except BaseException:
                barrier.abort()
                raise
            barrier.wait()
            results[index] = go()
        except BaseException as exc:  # noqa: BLE001 - the outcome under test, or a failure to report
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    if gate is None:
        for thread in threads:
            thread.start()
    else:
        with transaction.atomic():
            ServiceRequest.objects.select_for_update().get(pk=gate.pk)
            for thread in threads:
                thread.start()
            barrier.wait()
            _wait_for_waiters(len(jobs))
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a racing thread hung"
    return results


def _wait_for_waiters(count: int) -> None:
    """Return once `count` other sessions wait for a lock (PostgreSQL), or after a pause long
    enough for every racer to read and reach its write (SQLite, where waiting is invisible)."""
    if connection.vendor != "postgresql":
        time.sleep(SETTLE_SECONDS)
        return
    deadline = time.monotonic() + TIMEOUT / 2
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    pytest.fail(f"the racers did not all reach their write within {TIMEOUT / 2} seconds")


def api_post(username: str, path: str, data: dict[str, Any]) -> Callable[[], Callable[[], tuple[str, int]]]:
    def prepare() -> Callable[[], tuple[str, int]]:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))

        def go() -> tuple[str, int]:
            response = client.post(path, data, format="json")
            return username, response.status_code

        return go

    return prepare


def statuses(results: list[Any]) -> list[tuple[str, int]]:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def extra_staff(orgs, org_key: str, role: str, count: int, prefix: str) -> list[str]:
    names = []
    for i in range(count):
        username = f"{prefix}_{i}"
        User.objects.create_user(
            username=username, password="race-demo-12345", role=role, organization=orgs[org_key]
        )
        names.append(username)
    return names


def events_of(sr: ServiceRequest, kind: str) -> int:
    return RequestEvent.objects.filter(request=sr, kind=kind).count()


# --- over the API -----------------------------------------------------------------------------
@pytest.mark.parametrize("gated", [True, False], ids=["same-version", "barrier-only"])
def test_six_park_staff_escalate_at_once(orgs, users, make_request, gated):
    """Same version: five conflicts. Barrier only, a racer may read the request after the
    winner's escalation; for it the park no longer holds the request, and the answer may be
    403 (it may see but not escalate) instead of 409. Either way exactly one wins."""
    sr = make_request("ent_pregene")
    racers = [
        "liaison_sbip",
        "liaison_sbip2",
        "supervisor_sbip",
        *extra_staff(orgs, "sbip", "liaison", 3, "liaison_sbip_race"),
    ]
    before = fresh(sr)
    path = f"/api/v1/requests/{sr.pk}/escalate/"
    results = statuses(
        run_together(
            [api_post(name, path, {"reason": f"{name}: needs the district"}) for name in racers],
            gate=sr if gated else None,
        )
    )

    codes = Counter(code for _name, code in results)
    if gated:
        assert codes == {200: 1, 409: 5}, results
    else:
        assert codes[200] == 1 and codes[409] + codes[403] == 5, results
    after = fresh(sr)
    assert after.state == "district_review"
    assert after.version == before.version + 1
    assert events_of(sr, "escalated") == 1
    winner = next(name for name, code in results if code == 200)
    assert RequestEvent.objects.get(request=sr, kind="escalated").actor.username == winner
    # One district visit was opened and the park visit closed once.
    assert TierVisit.objects.filter(request=sr, tier="district").count() == 1
    assert TierVisit.objects.filter(request=sr, tier="park", ended_at__isnull=False).count() == 1
    assert TierVisit.objects.filter(request=sr, ended_at__isnull=True).count() == 1


@pytest.mark.parametrize("gated", [True, False], ids=["same-version", "barrier-only"])
def test_six_district_officers_claim_at_once(orgs, users, make_request, gated):
    sr = make_request("ent_pregene")
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="needs the district")
    racers = [
        "officer_ps_msb",
        "officer_ps_msb2",
        "supervisor_ps_msb",
        *extra_staff(orgs, "ps_msb", "officer", 3, "officer_ps_msb_race"),
    ]
    before = fresh(sr)
    assert before.department.name == "Pingshan Market Supervision Bureau"
    assert before.assignee_id is None
    path = f"/api/v1/requests/{sr.pk}/claim/"
    results = statuses(
        run_together([api_post(name, path, {}) for name in racers], gate=sr if gated else None)
    )

    codes = Counter(code for _name, code in results)
    assert codes == {200: 1, 409: 5}, results
    winner = next(name for name, code in results if code == 200)
    after = fresh(sr)
    assert after.assignee.username == winner
    assert after.version == before.version + 1
    assert after.state == "district_review"
    assert events_of(sr, "claimed") == 1
    visit = TierVisit.objects.get(request=sr, ended_at__isnull=True)
    assert visit.assignee.username == winner


@pytest.mark.parametrize("gated", [True, False], ids=["same-version", "barrier-only"])
def test_six_district_staff_resolve_at_once(orgs, users, make_request, gated):
    """Everyone may resolve; only one resolution is recorded."""
    sr = make_request("ent_accel1")
    actions.escalate(fresh(sr), actor=users["liaison_accel"], reason="needs the district")
    racers = [
        "officer_ps_msb",
        "officer_ps_msb2",
        "supervisor_ps_msb",
        "supervisor_ps",
        *extra_staff(orgs, "ps", "officer", 2, "officer_ps_race"),
    ]
    before = fresh(sr)
    path = f"/api/v1/requests/{sr.pk}/resolve/"
    results = statuses(
        run_together(
            [api_post(name, path, {"resolution": f"answer from {name}"}) for name in racers],
            gate=sr if gated else None,
        )
    )

    assert Counter(code for _name, code in results) == {200: 1, 409: 5}, results
    winner = next(name for name, code in results if code == 200)
    after = fresh(sr)
    assert after.state == "resolved"
    assert after.resolution == f"answer from {winner}"
    assert after.version == before.version + 1
    assert events_of(sr, "resolved") == 1


def test_mixed_transitions_at_once_one_wins(orgs, users, make_request):
    """Escalate, resolve and request information on one request at once, each by two of the
    park's staff: only one of the state changes happens."""
    sr = make_request("ent_pregene")
    extra = extra_staff(orgs, "sbip", "liaison", 3, "liaison_sbip_mixed")
    path = f"/api/v1/requests/{sr.pk}/"
    jobs = [
        api_post("liaison_sbip", f"{path}escalate/", {"reason": "up"}),
        api_post(extra[0], f"{path}escalate/", {"reason": "up too"}),
        api_post("liaison_sbip2", f"{path}resolve/", {"resolution": "done"}),
        api_post(extra[1], f"{path}resolve/", {"resolution": "done too"}),
        api_post("supervisor_sbip", f"{path}request_info/", {"body": "which batch?"}),
        api_post(extra[2], f"{path}request_info/", {"body": "which lot?"}),
    ]
    before = fresh(sr)
    results = statuses(run_together(jobs, gate=sr))
    codes = Counter(code for _name, code in results)
    assert codes == {200: 1, 409: 5}, results
    after = fresh(sr)
    assert after.version == before.version + 1
    changes = RequestEvent.objects.filter(request=sr, kind__in=["escalated", "resolved", "info_requested"])
    assert changes.count() == 1


# --- on the action layer ---------------------------------------------------------------------
def _loaded_twice(sr: ServiceRequest) -> tuple[ServiceRequest, ServiceRequest]:
    first, second = fresh(sr), fresh(sr)
    assert first.version == second.version
    return first, second


def test_resolve_and_escalate_same_version_threads(users, make_request):
    sr = make_request("ent_pregene")
    first, second = _loaded_twice(sr)
    liaison, liaison2 = users["liaison_sbip"], users["liaison_sbip2"]

    def resolve() -> Callable[[], str]:
        return lambda: actions.resolve(first, actor=liaison, resolution="answered at the park").state

    def escalate() -> Callable[[], str]:
        return lambda: actions.escalate(second, actor=liaison2, reason="needs the district").state

    results = run_together([resolve, escalate])
    wins = [r for r in results if isinstance(r, str)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ConcurrentChange), results
    after = fresh(sr)
    assert after.version == sr.version + 1
    assert after.state == wins[0]
    kinds = set(RequestEvent.objects.filter(request=sr).values_list("kind", flat=True))
    if wins[0] == "resolved":
        assert "escalated" not in kinds and "resolved" in kinds
        assert after.tier == "park"
        assert not TierVisit.objects.filter(request=sr, tier="district").exists()
        assert not TierVisit.objects.filter(request=sr, ended_at__isnull=True).exists()
    else:
        assert wins[0] == "district_review"
        assert "resolved" not in kinds and "escalated" in kinds
        assert after.resolution == "" and after.resolved_at is None
        assert TierVisit.objects.filter(request=sr, tier="district", ended_at__isnull=True).count() == 1
    assert TierVisit.objects.filter(request=sr).count() == (1 if wins[0] == "resolved" else 2)


@pytest.mark.parametrize("repeat", range(5))
def test_resolve_and_escalate_same_version_repeatedly(users, make_request, repeat):
    """The same race again on fresh requests: never two winners, never a lost loser."""
    sr = make_request("ent_pregene")
    first, second = _loaded_twice(sr)
    results = run_together(
        [
            lambda: lambda: actions.resolve(first, actor=users["liaison_sbip"], resolution="answered"),
            lambda: lambda: actions.escalate(second, actor=users["supervisor_sbip"], reason="up"),
        ]
    )
    assert sum(isinstance(r, ServiceRequest) for r in results) == 1, results
    assert sum(isinstance(r, ConcurrentChange) for r in results) == 1, results
    after = fresh(sr)
    assert after.version == sr.version + 1
    assert RequestEvent.objects.filter(request=sr, kind__in=["resolved", "escalated"]).count() == 1


def test_stale_instance_loses_and_changes_nothing(users, make_request):
    """Sequentially: an action on a copy loaded before someone else's change is refused with
    ConcurrentChange, and leaves no event, visit or field behind."""
    sr = make_request("ent_pregene")
    first, second = _loaded_twice(sr)
    actions.resolve(first, actor=users["liaison_sbip"], resolution="answered")
    snapshot = fresh(sr)
    events = RequestEvent.objects.filter(request=sr).count()
    visits = list(TierVisit.objects.filter(request=sr).values())
    with pytest.raises(ConcurrentChange):
        actions.escalate(second, actor=users["liaison_sbip2"], reason="up")
    after = fresh(sr)
    assert (after.state, after.tier, after.version, after.resolution) == (
        snapshot.state,
        snapshot.tier,
        snapshot.version,
        snapshot.resolution,
    )
    assert RequestEvent.objects.filter(request=sr).count() == events
    assert list(TierVisit.objects.filter(request=sr).values()) == visits


def test_two_claims_on_same_version_threads(users, make_request):
    sr = make_request("ent_pregene")
    actions.escalate(fresh(sr), actor=users["liaison_sbip"], reason="district")
    first, second = _loaded_twice(sr)
    results = run_together(
        [
            lambda: lambda: actions.claim(first, actor=users["officer_ps_msb"]),
            lambda: lambda: actions.claim(second, actor=users["officer_ps_msb2"]),
        ]
    )
    winners = [r for r in results if isinstance(r, ServiceRequest)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, ConcurrentChange) for r in results) == 1, results
    after = fresh(sr)
    assert after.assignee_id == winners[0].assignee_id
    assert events_of(sr, "claimed") == 1
    assert TierVisit.objects.get(request=sr, ended_at__isnull=True).assignee_id == after.assignee_id


def test_audit_records_written_at_once_stay_one_unbroken_chain(users):
    """Six writers appending to the audit trail together: every record gets its own number, in
    one chain that verifies (the head row is taken in turn)."""
    from apps.audit import trail
    from apps.audit.models import AuditRecord

    def writer(n: int) -> Callable[[], Any]:
        def go() -> int:
            for i in range(10):
                trail.record("change", actor=users["sysadmin"], detail={"writer": n, "i": i})
            return n

        return lambda: go

    before = AuditRecord.objects.count()
    results = run_together([writer(n) for n in range(6)])
    assert results == list(range(6))
    assert AuditRecord.objects.count() == before + 60
    checked, breaks = trail.verify()
    assert breaks == [] and checked == before + 60
