"""Faults: the system under attack, with its real parts.

1. The broker is down mid-flow (refusing connections, accepting them and never answering, or
   the embedded broker's file locked): the change commits, the user gets 200 quickly, the emails
   wait in the outbox and go out exactly once when the broker is back.
2. A Celery worker is killed mid-send (a real `celery worker` process, SIGKILL): the task runs
   again and every email goes out exactly once overall.
3. The database refuses a write mid-action (a full disk) or times it out (a lock held by
   another connection): a clear 503 in the API and on the page, nothing half-saved.
4. Sixteen clients race on one request over HTTP: the winners the state machine allows, 409 for
   the losers, a timeline without gaps.

Nothing here mocks the database, the actions or the state machine. Faults come from outside:
a dead or silent port, a lock held by another connection, a trigger, a killed process. Every
test runs on whatever database `DATABASE_URL` names (SQLite by default), and the worker tests on
the broker `CELERY_BROKER_URL` names when it is Redis (else a SQLite broker file of their own).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import pools as kombu_pools
from rest_framework.authtoken.models import Token

from apps.casework.models import Message, RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.notifications.models import EmailState, Notification
from apps.organizations.models import User
from portal.celery import app as celery_app
from portal.settings.base import broker_transport_options
from tests import faults_worker_settings
from tests.conftest import fresh
from tests.test_race import run_together

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


# --- 2. a worker killed mid-task --------------------------------------------------------------
def _database_url() -> str:
    """The test database, as a URL the worker process's settings read."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(settings_dict["USER"] or "")
        if settings_dict["PASSWORD"]:
            credentials += ":" + quote(settings_dict["PASSWORD"])
        host = settings_dict["HOST"] or "127.0.0.1"
        return f"postgres://{credentials}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    pytest.skip(f"no worker test on {connection.vendor}")


def _broker_for_worker(tmp_path: Path) -> str:
    """Redis when the run is configured with it (and it answers), else a SQLite broker file
    of this test's own."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("redis://"):
        import redis

        try:
            redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            pytest.skip(f"CELERY_BROKER_URL is {url}, which does not answer: {exc}")
        return url
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


class Worker:
    """`celery -A portal worker` as a process of its own: one prefork child, on the test
    database and the test's broker, with the gated file email backend."""

    def __init__(self, tmp_path: Path) -> None:
        self.broker_url = _broker_for_worker(tmp_path)
        self.key_prefix = f"faults-{uuid.uuid4().hex[:12]}:"  # this test's Redis keys only
        self.mail_dir = tmp_path / "mail"
        self.mail_dir.mkdir()
        self.gate = tmp_path / "gate"
        self.held = tmp_path / "gate.held"
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults_worker_settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "FAULTS_KEY_PREFIX": self.key_prefix,
            "FAULTS_MAIL_DIR": str(self.mail_dir),
            "FAULTS_MAIL_GATE": str(self.gate),
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
        }

    @property
    def on_redis(self) -> bool:
        return self.broker_url.startswith("redis")

    def publishing(self) -> contextlib.AbstractContextManager[None]:
        """This process publishes where the worker consumes."""
        return celery_publishing_to(
            self.broker_url, faults_worker_settings.transport_options(self.broker_url, self.key_prefix)
        )

    def start(self) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.processes)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "portal",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    f"--hostname=faults-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its children
            )
        self.processes.append(process)

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            return " ready." in log.read_text()

        wait_for(ready, timeout=60, what="the worker to start")
        return process

    def log(self) -> str:
        return "".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def held_by(self) -> tuple[int, str]:
        """The process stuck in the gated send, and the address it was sending to."""
        text = wait_for(
            lambda: self.held.exists() and self.held.read_text(), timeout=30, what="a send to start"
        )
        pid, to = text.split(" ", 1)
        return int(pid), to

    def emails(self) -> Counter[str]:
        """Recipient → how many emails the backend let through."""
        found: Counter[str] = Counter()
        for path in self.mail_dir.glob("*.eml"):
            for line in path.read_text().splitlines():
                if line.startswith("To: "):
                    found[line[4:].strip()] += 1
        return found

    def forget_redis_keys(self) -> None:
        if self.on_redis:
            import redis

            client = redis.Redis.from_url(self.broker_url, socket_timeout=2)
            keys = list(client.scan_iter(match=f"{self.key_prefix}*"))
            if keys:
                client.delete(*keys)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def worker(users, tmp_path) -> Iterator[Worker]:
    if connection.vendor == "sqlite" and "mode=memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("the worker needs the test database in a file")
    started = Worker(tmp_path)
    try:
        yield started
    finally:
        started.stop()  # before the test database is flushed
        started.forget_redis_keys()


def _owed_for(service_request: ServiceRequest, kind: str) -> list[Notification]:
    event = RequestEvent.objects.get(request=service_request, kind=kind)
    owed = list(Notification.objects.filter(event=event).exclude(email_state=EmailState.NONE))
    assert len(owed) >= 2, "the test needs a task with several emails"
    return owed


def _states(owed: list[Notification]) -> Counter[str]:
    return Counter(
        Notification.objects.filter(pk__in=[n.pk for n in owed]).values_list("email_state", flat=True)
    )


def _each_sent_once(worker: Worker, owed: list[Notification]) -> None:
    addresses = {n.recipient.email for n in owed}
    assert worker.emails() == Counter(dict.fromkeys(addresses, 1)), worker.emails()
    rows = Notification.objects.filter(pk__in=[n.pk for n in owed])
    assert set(rows.values_list("email_state", "email_attempts")) == {(EmailState.SENT, 1)}


def _scan_until_sent(worker: Worker, owed: list[Notification]) -> None:
    """Run the periodic scan (the task beat sends every minute) through the worker until the
    outbox is empty."""
    from apps.deadlines.tasks import scan_deadlines

    def sent() -> bool:
        if _states(owed)[EmailState.SENT] == len(owed):
            return True
        with worker.publishing():
            scan_deadlines.delay()
        return False

    wait_for(sent, timeout=30, what="the scan to send the outbox", every=1.0)


def _task_id(worker: Worker) -> str:
    found = re.search(r"notifications\.deliver_emails\[([0-9a-f-]+)\] received", worker.log())
    assert found, worker.log()[-3000:]
    return found.group(1)


def _resolve_with_a_send_stuck(worker: Worker, service_request: ServiceRequest, api) -> tuple[list, int, str]:
    """Resolve the request with the worker consuming; its first send hangs. Return the emails
    owed, and the process and address of the stuck send."""
    worker.gate.touch()
    with worker.publishing():
        response = api("officer_ps_msb").post(
            f"/api/v1/requests/{service_request.pk}/resolve/", {"resolution": "Filed as a notification."}
        )
    assert response.status_code == 200
    owed = _owed_for(service_request, "resolved")
    pid, address = worker.held_by()
    assert _states(owed) == {EmailState.SENDING: 1, EmailState.PENDING: len(owed) - 1}
    assert worker.emails() == Counter()
    return owed, pid, address


@pytest.mark.subprocess
def test_worker_process_killed_mid_send_task_runs_again_each_email_once(worker, at_district, api):
    """The pool's child process dies in the middle of a send: its parent gives the task back
    to the queue (acks late, reject on worker lost) and a new child runs it again. The emails
    not yet claimed go then; the one the dead child had claimed goes once its lease ran out
    (by the rerun, or by the scan's retry when the lease still held at the rerun)."""
    main = worker.start()
    owed, child, stuck_address = _resolve_with_a_send_stuck(worker, at_district, api)
    assert child != main.pid, "the send runs in the pool's child process"
    os.kill(child, signal.SIGKILL)
    worker.held.unlink()

    task = _task_id(worker)
    wait_for(
        lambda: worker.log().count(f"[{task}] received") >= 2 and f"[{task}] succeeded" in worker.log(),
        timeout=30,
        what=lambda: f"the task to run again\n{worker.log()[-3000:]}",
    )
    assert "WorkerLostError" in worker.log()
    stuck = next(n for n in owed if n.recipient.email == stuck_address)
    others = [n for n in owed if n.pk != stuck.pk]
    assert _states(others) == {EmailState.SENT: len(others)}
    stuck.refresh_from_db()
    if stuck.email_state == EmailState.SENDING:
        # The dead child's claim still held at the rerun, which left the email alone.
        assert stuck_address not in worker.emails()

    _scan_until_sent(worker, owed)
    _each_sent_once(worker, owed)


@pytest.mark.subprocess
def test_whole_worker_killed_mid_send_emails_go_once_after_restart(worker, at_district, api):
    """The whole worker (parent and child) is killed mid-send and another one starts. On Redis
    the unacknowledged task comes back after the visibility timeout and runs again; the
    embedded SQLite broker cannot give a dead consumer's message back. Either way the periodic
    scan's retry sends what is still owed once the claim's lease ran out: each email once."""
    first = worker.start()
    owed, _pid, _address = _resolve_with_a_send_stuck(worker, at_district, api)
    task = _task_id(worker)
    worker.kill(first)
    worker.held.unlink()

    worker.start()
    if worker.on_redis:
        wait_for(
            lambda: worker.log().count(f"[{task}] received") >= 2,
            timeout=30,
            what=lambda: f"Redis to redeliver the dead worker's task\n{worker.log()[-3000:]}",
        )
    _scan_until_sent(worker, owed)
    _each_sent_once(worker, owed)


# --- 3. the database refuses or times out a write ----------------------------------------------
@contextlib.contextmanager
def disk_full_at_event_insert() -> Iterator[None]:
    """The next timeline event cannot be written, as on a full disk, after the action has
    already written the request and its tier visits in the same transaction.

    SQLite: this connection may grow the file by 64 pages only, and a trigger on the event
    table writes a megabyte first (SQLITE_FULL). PostgreSQL: a trigger raises `disk_full`
    (SQLSTATE 53100), as PostgreSQL does when it cannot extend a file."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("CREATE TABLE faults_ballast (b BLOB)")
            cursor.execute(
                "CREATE TRIGGER faults_full BEFORE INSERT ON casework_requestevent "
                "BEGIN INSERT INTO faults_ballast VALUES (zeroblob(1048576)); END"
            )
            cursor.execute("PRAGMA page_count")
            cursor.execute(f"PRAGMA max_page_count = {cursor.fetchone()[0] + 64}")
        else:
            cursor.execute(
                "CREATE FUNCTION faults_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' "
                "USING ERRCODE = 'disk_full'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER faults_full BEFORE INSERT ON casework_requestevent "
                "FOR EACH ROW EXECUTE FUNCTION faults_full()"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER faults_full")
                cursor.execute("DROP TABLE faults_ballast")
            else:
                cursor.execute("DROP TRIGGER faults_full ON casework_requestevent")
                cursor.execute("DROP FUNCTION faults_full()")
        connection.close()  # the next connection has the normal limits again


@contextlib.contextmanager
def locked_by_another_connection(service_request: ServiceRequest) -> Iterator[None]:
    """Another connection holds the lock the action needs, longer than this connection waits.

    SQLite: it holds the database's write lock (`database is locked` after the busy timeout,
    shortened from 30 s to 0.3 s here). PostgreSQL: it holds the request's row (`lock_timeout`
    0.3 s), which the action reaches after writing the tier visits."""
    if connection.vendor == "sqlite":
        other: Any = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        wait = "PRAGMA busy_timeout = 300"
    else:
        other = connection.get_new_connection(connection.get_connection_params())
        other.cursor().execute(
            f"SELECT id FROM {ServiceRequest._meta.db_table} WHERE id = %s FOR UPDATE", [service_request.pk]
        )
        wait = "SET lock_timeout = '300ms'"
    with connection.cursor() as cursor:
        cursor.execute(wait)
    try:
        yield
    finally:
        other.rollback()
        other.close()
        connection.close()  # the next connection waits as long as the settings say


FAULTS = {"disk_full": disk_full_at_event_insert, "locked": locked_by_another_connection}


def _fault(name: str, service_request: ServiceRequest) -> contextlib.AbstractContextManager[None]:
    return FAULTS[name](service_request) if name == "locked" else FAULTS[name]()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_database_fault_is_a_clear_503_in_api_and_page_and_nothing_half_saved(
    fault, at_district, users, api, client, caplog
):
    """The answer is 503 Service Unavailable with Retry-After: the database, not the input, said
    no, the action's transaction rolled back, and the same request may well work a few seconds
    later. The API says so in `detail`; the page is a readable one, in the reader's language."""
    officer = api("officer_ps_msb")
    api_path = f"/api/v1/requests/{at_district.pk}/escalate/"
    client.force_login(users["officer_ps_msb"])
    detail = f"/requests/{at_district.pk}/"
    page_path = f"{detail}act/escalate/"
    form = {"escalate-reason": "Needs the municipal administration", "version": at_district.version}
    before = snapshot(at_district)

    with caplog.at_level(logging.ERROR, logger="portal.database"), _fault(fault, at_district):
        answer = officer.post(api_path, {"reason": "Needs the municipal administration"}, format="json")
        page = client.post(page_path, form, HTTP_REFERER=f"http://testserver{detail}")
        chinese = client.post(page_path, form, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert answer.status_code == 503, answer.content
    assert answer["Retry-After"] == "5"
    body = answer.json()
    assert body["code"] == "unavailable"
    assert "nothing was saved" in body["detail"] and "try again" in body["detail"]

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    html = page.content.decode()
    assert "nothing was saved" in html and "try again" in html
    assert f'href="http://testserver{detail}"' in html  # back to the request
    assert "Traceback" not in html and "Server Error" not in html
    assert chinese.status_code == 503
    assert 'lang="zh-hans"' in chinese.content.decode() and "未保存" in chinese.content.decode()

    # State, version, timeline, tier visits, outbox, messages: as they were.
    assert snapshot(at_district) == before
    logged = [r for r in caplog.records if r.name == "portal.database" and r.levelname == "ERROR"]
    assert len(logged) == 3, logged

    # Once the database accepts the write again, the same form goes through.
    assert client.post(page_path, form).status_code == 302
    assert fresh(at_district).state == "municipal_review"


# --- 4. many clients race on one request ------------------------------------------------------
# Sixteen district staff, each trying one transition on a request in district review.
RACE = [
    ("officer_ps_msb", "respond"),
    ("officer_ps_msb2", "claim"),
    ("supervisor_ps_msb", "escalate"),
    ("supervisor_ps", "resolve"),
    *[
        (f"officer_ps_msb_crowd_{i}", transition)
        for i, transition in enumerate(
            [
                *("respond", "request_info", "claim", "escalate", "resolve", "respond"),
                *("request_info", "claim", "escalate", "resolve", "respond", "request_info"),
            ]
        )
    ],
]
INPUT = {
    "respond": {"body": "We are reading the protocol."},
    "request_info": {"body": "Which batch is this?"},
    "escalate": {"reason": "The municipal administration decides this."},
    "resolve": {"resolution": "File it as a notification."},
    "claim": {},
}
EVENT_OF = {
    "respond": "responded",
    "request_info": "info_requested",
    "escalate": "escalated",
    "resolve": "resolved",
    "claim": "claimed",
}
# The transitions that take the request out of the district's hands.
LEAVING = {"escalated", "resolved", "info_requested"}
REVIEW = {"park_review", "district_review", "municipal_review", "provincial_review"}


@pytest.fixture
def crowd(orgs, users) -> dict[str, str]:
    """username → API token, for every racer."""
    for username, _transition in RACE:
        if username not in users:
            users[username] = User.objects.create_user(
                username=username, password="crowd-12345", role="officer", organization=orgs["ps_msb"]
            )
    return {username: Token.objects.get_or_create(user=users[username])[0].key for username, _ in RACE}


def _post_over_http(base: str, path: str, token: str, data: dict[str, Any]) -> int:
    request = urllib.request.Request(  # noqa: S310 - the live test server
        base + path,
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _race(live_server, crowd, service_request: ServiceRequest, *, gate: bool) -> list[tuple[str, str, int]]:
    def job(username: str, transition: str) -> Callable[[], Callable[[], tuple[str, str, int]]]:
        path = f"/api/v1/requests/{service_request.pk}/{transition}/"

        def prepare() -> Callable[[], tuple[str, str, int]]:
            return lambda: (
                username,
                transition,
                _post_over_http(live_server.url, path, crowd[username], INPUT[transition]),
            )

        return prepare

    results = run_together(
        [job(username, transition) for username, transition in RACE], gate=service_request if gate else None
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def _new_events(service_request: ServiceRequest, before: dict[str, Any]) -> list[RequestEvent]:
    known = {e["id"] for e in before["events"]}
    return [
        e for e in RequestEvent.objects.filter(request=service_request).order_by("pk") if e.pk not in known
    ]


def _assert_timeline_consistent(
    service_request: ServiceRequest, before: dict[str, Any], winners: list[tuple[str, str]]
) -> list[RequestEvent]:
    """One event per winner, by that winner, chaining from the state before to the state now
    without a gap; one version per change; one message per reply or question."""
    after = fresh(service_request)
    events = _new_events(service_request, before)
    assert Counter((e.actor.username, e.kind) for e in events) == Counter(
        (username, EVENT_OF[transition]) for username, transition in winners
    )
    state = before["request"]["state"]
    for event in events:
        assert event.from_state == state, [(e.kind, e.from_state, e.to_state) for e in events]
        state = event.to_state
    assert after.state == state
    assert after.version == before["request"]["version"] + len(winners)
    replies = sum(transition in ("respond", "request_info") for _user, transition in winners)
    assert Message.objects.filter(request=service_request).count() == len(before["messages"]) + replies
    open_visits = TierVisit.objects.filter(request=service_request, ended_at__isnull=True).count()
    assert open_visits == (1 if after.state in REVIEW else 0)
    return events


def test_sixteen_clients_on_one_version_one_wins_fifteen_conflicts(live_server, crowd, at_district):
    """All sixteen read the same version before any writes (the test holds the request's lock
    until every racer waits for it): the compare-and-swap lets exactly one through."""
    before = snapshot(at_district)
    results = _race(live_server, crowd, at_district, gate=True)
    assert Counter(code for _u, _t, code in results) == {200: 1, 409: 15}, results
    winners = [(username, transition) for username, transition, code in results if code == 200]
    events = _assert_timeline_consistent(at_district, before, winners)
    assert len(events) == 1


def test_sixteen_clients_at_once_winners_follow_the_state_machine(live_server, crowd, at_district):
    """Released together without a gate, racers read whatever state the last winner left, so
    several may win in turn: replies and a claim keep the request in the district, and the first
    escalation, resolution or request for information ends the district's turn. Every loser is
    told the request changed or the transition is not allowed from its state (409), or, after
    an escalation, that the district may see but no longer act (403); nobody gets a 500."""
    before = snapshot(at_district)
    results = _race(live_server, crowd, at_district, gate=False)
    codes = Counter(code for _u, _t, code in results)
    assert set(codes) <= {200, 409, 403}, results
    winners = [(username, transition) for username, transition, code in results if code == 200]
    assert winners, results
    events = _assert_timeline_consistent(at_district, before, winners)

    kinds = [e.kind for e in events]
    assert kinds.count("claimed") <= 1  # a claim needs an unassigned request
    leaving = [i for i, kind in enumerate(kinds) if kind in LEAVING]
    assert leaving in ([], [len(kinds) - 1]), kinds  # at most one, and nothing after it
    if codes[403]:
        assert kinds[-1] == "escalated", results
    after = fresh(at_district)
    district_visit = TierVisit.objects.get(request=at_district, tier="district")
    if any(kind != "claimed" for kind in kinds):
        assert district_visit.feedback_at is not None  # any public answer stops the clock
    if "escalated" in kinds:
        assert TierVisit.objects.filter(request=at_district, tier="municipal").count() == 1
        assert after.tier == "municipal"
