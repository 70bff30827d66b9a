"""Faults tested inside the test's own transaction, which never commits (the rest are in
tests/test_faults.py, transactional throughout: see `pytest_collection_modifyitems` in
tests/conftest.py).

1. The broker is down mid-flow (refusing connections, accepting them and never answering, or
   the embedded broker's file locked): the change commits, the user gets 200 quickly, the emails
   wait in the outbox and go out exactly once when the broker is back; /healthz still answers.
2. A database error outside any view (in another middleware) gets the 503 page too.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from apps.notifications import services as notifications
from apps.notifications.models import EmailState, Notification
from portal import unavailable
from tests.conftest import fresh
from tests.test_faults import celery_publishing_to

pytestmark = pytest.mark.django_db


# --- 1. the broker down mid-flow ------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def broker_outage(kind: str, tmp_path: Path) -> Iterator[str]:
    """A broker URL that fails the way `kind` says."""
    if kind == "refused":  # the broker is not running: the connection is refused at once
        yield f"redis://127.0.0.1:{_closed_port()}/0"
    elif kind == "silent":  # it accepts connections and never answers (a stuck proxy, a
        # half-open connection after a failover): only a socket timeout ends the wait
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(64)
            yield f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    elif kind == "embedded-locked":  # the embedded SQLite broker's file is locked by a writer
        path = tmp_path / "broker.sqlite3"
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield f"sqla+sqlite:///{path}"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        raise AssertionError(kind)


# How long the user may wait for the answer while the broker is down: the request itself (under
# a second here, emails included), plus the hand-over's attempt and single reconnect, each cut
# off by the 1 s socket or busy timeout (portal/settings/base.py). Before those timeouts, a
# silent broker held the request forever and a locked embedded broker for 10 s.
BROKER_DOWN_BUDGET = {"refused": 2.0, "silent": 4.0, "embedded-locked": 6.0}


@contextlib.contextmanager
def at_most(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM), so that a hang fails the test instead of
    hanging the suite."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("outage", list(BROKER_DOWN_BUDGET))
def test_broker_down_change_commits_quickly_and_each_email_goes_once_later(
    outage, at_district, api, tmp_path, django_capture_on_commit_callbacks
):
    # What was owed before the outage goes first (this test's transaction never commits).
    notifications.retry_outbox(timezone.now() + timedelta(days=1))
    mail.outbox.clear()
    before = fresh(at_district)
    client = api("officer_ps_msb")
    assert client.get(f"/api/v1/requests/{at_district.pk}/").status_code == 200  # warm, for the timing

    with broker_outage(outage, tmp_path) as url, celery_publishing_to(url), at_most(20):
        started = time.monotonic()
        # The request and then its after-commit hand-over, as one web request runs them.
        with django_capture_on_commit_callbacks(execute=True) as handed_over:
            response = client.post(
                f"/api/v1/requests/{at_district.pk}/resolve/",
                {"resolution": "The amendment can be filed as a notification."},
                format="json",
            )
        seconds = time.monotonic() - started
    print(f"broker {outage}: the request answered in {seconds:.2f} s")
    assert response.status_code == 200, response.content
    assert handed_over, "the hand-over ran"
    assert seconds < BROKER_DOWN_BUDGET[outage], f"{seconds:.2f} s with the broker {outage}"

    # The change is saved, its notifications exist in-app, their emails wait.
    after = fresh(at_district)
    assert (after.state, after.version) == ("resolved", before.version + 1)
    owed = Notification.objects.filter(event__request=at_district, event__kind="resolved")
    assert owed.count() >= 2  # the filer's colleagues
    assert set(owed.values_list("email_state", flat=True)) == {EmailState.PENDING}
    assert mail.outbox == []

    # The broker is back (eager Celery stands for broker and worker): the scan's retry and a
    # late hand-over, each twice, send every owed email exactly once.
    ids = list(owed.values_list("pk", flat=True))
    later = timezone.now() + notifications.handover_grace() + timedelta(seconds=1)
    assert notifications.retry_outbox(later) == len(ids)
    notifications.hand_over(ids)
    assert notifications.retry_outbox(later) == 0
    notifications.hand_over(ids)
    recipients = Counter(message.to[0] for message in mail.outbox)
    assert set(recipients.values()) == {1}, recipients
    assert set(recipients) == set(owed.values_list("recipient__email", flat=True))
    assert set(owed.values_list("email_state", "email_attempts")) == {(EmailState.SENT, 1)}


def test_healthz_answers_quickly_with_the_broker_silent(client, tmp_path):
    with broker_outage("silent", tmp_path) as url, celery_publishing_to(url):
        started = time.monotonic()
        response = client.get("/healthz")
        seconds = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unavailable"}
    assert seconds < 5, seconds


# --- 2. a database error outside any view ----------------------------------------------------------
def test_a_database_error_outside_any_view_gets_the_same_page(rf):
    """`handler500` sees what the middleware cannot: a database error in another middleware
    (saving the session, say) becomes the 503 page too; any other error the plain 500 page."""
    request = rf.post("/requests/1/act/escalate/", HTTP_REFERER="http://testserver/requests/1/")
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = unavailable.server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "nothing was saved" in response.content.decode()
    try:
        raise ValueError("a bug")
    except ValueError:
        response = unavailable.server_error(request)
    assert response.status_code == 500
    assert "The error was logged" in response.content.decode()
