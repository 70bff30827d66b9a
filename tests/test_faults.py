"""Faults: the system under attack, with its real parts.

1. The broker is down mid-flow (refusing connections, accepting them and never answering, or
   the embedded broker's file locked): the change commits, the user gets 200 quickly, the emails
   wait in the outbox and go out exactly once when the broker is back.

Nothing here mocks the database, the actions or the state machine. Faults come from outside:
a dead or silent port, a lock held by another connection, a trigger, a killed process. Every
test runs on whatever database `DATABASE_URL` names (SQLite by default), and the worker tests on
the broker `CELERY_BROKER_URL` names when it is Redis (else a SQLite broker file of their own).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from kombu import pools as kombu_pools

from apps.casework import actions
from apps.casework.models import Message, RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.notifications import services as notifications
from apps.notifications.models import EmailState, Notification
from portal.celery import app as celery_app
from portal.settings.base import broker_transport_options
from tests.conftest import fresh

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")


# --- helpers --------------------------------------------------------------------------------------
def wait_for(
    predicate: Callable[[], Any], *, timeout: float, what: str | Callable[[], str], every: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"waited {timeout} s for {what() if callable(what) else what}")


def _reset_celery_connections() -> None:
    # kombu keeps its connection and producer pools in global registries keyed by the broker's
    # address: close and forget them all, or the next test gets a closed pool.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@contextlib.contextmanager
def celery_publishing_to(url: str, options: dict[str, Any] | None = None) -> Iterator[None]:
    """Celery in this process as in production: not eager, publishing to `url` with the
    transport options the settings give that URL."""
    conf = celery_app.conf
    saved = [
        (key, conf.get(key)) for key in ("task_always_eager", "broker_write_url", "broker_transport_options")
    ]
    conf.task_always_eager = False
    # The write URL: Celery reads `broker_url` from the environment first (CELERY_BROKER_URL,
    # set when the suite runs on Redis), `broker_write_url` from the configuration first.
    conf.broker_write_url = url
    conf.broker_transport_options = options if options is not None else broker_transport_options(url)
    _reset_celery_connections()
    try:
        yield
    finally:
        for key, value in saved:
            setattr(conf, key, value)
        _reset_celery_connections()


def snapshot(service_request: ServiceRequest) -> dict[str, Any]:
    """Everything an action may write about one request."""
    return {
        "request": ServiceRequest.objects.filter(pk=service_request.pk).values().get(),
        "events": list(RequestEvent.objects.filter(request=service_request).order_by("pk").values()),
        "visits": list(TierVisit.objects.filter(request=service_request).order_by("pk").values()),
        "notifications": list(Notification.objects.filter(request=service_request).order_by("pk").values()),
        "messages": list(Message.objects.filter(request=service_request).order_by("pk").values()),
    }


@pytest.fixture
def at_district(users, make_request) -> ServiceRequest:
    """A request the park escalated: in district review at the Market Supervision Bureau."""
    service_request = make_request("ent_pregene")
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="Needs the bureau")
    mail.outbox.clear()
    return fresh(service_request)


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


@pytest.mark.django_db
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
    later = timezone.now() + notifications.HANDOVER_GRACE + timedelta(seconds=1)
    assert notifications.retry_outbox(later) == len(ids)
    notifications.hand_over(ids)
    assert notifications.retry_outbox(later) == 0
    notifications.hand_over(ids)
    recipients = Counter(message.to[0] for message in mail.outbox)
    assert set(recipients.values()) == {1}, recipients
    assert set(recipients) == set(owed.values_list("recipient__email", flat=True))
    assert set(owed.values_list("email_state", "email_attempts")) == {(EmailState.SENT, 1)}


@pytest.mark.django_db
def test_healthz_answers_quickly_with_the_broker_silent(client, tmp_path):
    with broker_outage("silent", tmp_path) as url, celery_publishing_to(url):
        started = time.monotonic()
        response = client.get("/healthz")
        seconds = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unavailable"}
    assert seconds < 5, seconds
