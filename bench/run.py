"""`make bench`: seed N requests into a fresh database, start the portal as `make run` would, and
measure it over HTTP with concurrent clients. Writes bench/RESULTS.md.

    .venv/bin/python bench/run.py --requests 100000            # SQLite (embedded)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/run.py

With DATABASE_URL the benchmark creates (and drops afterwards) a fresh database beside the named
one, so the named database is never touched.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
# The new-request form's suggestions as people type (POST /api/v1/assist/), in both languages.
ASSIST_QUESTIONS = [
    {
        "title": "临床试验伦理审查需要多久",
        "description": "我们计划在园区医院开展二期临床试验，想了解伦理委员会审查的时间和材料。",
    },
    {
        "title": "Import of reagents for R&D",
        "description": "How do we clear customs for research reagents and samples?",
    },
    {"title": "第二类医疗器械注册检验", "description": "产品注册前的检验如何预约，需要准备哪些技术要求？"},
    {
        "title": "GMP inspection before launch",
        "description": "When is the compliance inspection scheduled for a new line?",
    },
]
PERSONAS = {
    "enterprise": "ent_pregene",
    "liaison": "liaison_sbip",
    "district officer": "officer_ps_msb",
    "municipal supervisor": "supervisor_sz",
}


def fresh_database(env: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """A new, empty database for this run: a SQLite file, or a new PostgreSQL database."""
    var = OUT / "var"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env["PORTAL_VAR_DIR"] = str(var)
    url = env.get("DATABASE_URL", "")
    if not url:
        return env, None
    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'portal'}_bench"
    maintenance(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = parsed._replace(path=f"/{name}").geturl()
    return env, name


def drop_database(env: dict[str, str], name: str | None) -> None:
    if name:
        maintenance(env["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def maintenance(url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (creating and dropping databases)."""
    import psycopg2

    parsed = urlparse(url)
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    admin.close()


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


class Client:
    """One keep-alive HTTP connection with an API token, or with a browser's session cookie
    (a `Credentials` string starting with "Cookie:")."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if token and token.startswith("Cookie:"):
            self.headers = {"Cookie": token.removeprefix("Cookie:")}
        else:
            self.headers = {"Authorization": f"Token {token}"} if token else {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the idle keep-alive connection before reading the request (its
            # keep-alive timeout, while other cases ran): once more, on a new connection.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000


def browser_session(port: int, username: str) -> str:
    """Sign in through the login form as a browser does; the session cookie as `Client` takes it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    form = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    csrf_field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if not (csrf_cookie and csrf_field):
        raise RuntimeError("the login page gave no CSRF token")
    body = f"csrfmiddlewaretoken={csrf_field[1]}&username={username}&password=demo12345"
    connection.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Cookie": f"csrftoken={csrf_cookie[1]}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 302 or not session:
        raise RuntimeError(f"signing in as {username} through the form failed: {response.status}")
    return f"Cookie:sessionid={session[1]}; csrftoken={csrf_cookie[1]}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(
    port: int,
    token: str,
    paths: list[tuple[str, str, dict | None]],
    *,
    clients: int,
    rounds: int,
    disjoint: bool = False,
) -> dict:
    """Each client runs through `paths` `rounds` times; latencies and throughput of all calls.
    The clients start at neighbouring paths, or with `disjoint` each at its own stretch of
    `rounds` paths (given `clients × rounds` of them, no path is called twice)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        client = Client(port, token)
        mine: list[float] = []
        start = offset * rounds if disjoint else offset
        for n in range(rounds):
            method, path, body = paths[(n + start) % len(paths)]
            status, data, elapsed = client.call(method, path, body)
            if status >= 400:
                errors.append(f"{method} {path}: {status} {data[:120]!r}")
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "rps": len(latencies) / wall,
        "errors": errors[:3],
    }


def beside_loaded(single: dict, loaded: dict) -> dict:
    """One client's figures with the loaded run's throughput and p95 beside them."""
    return {
        **single,
        "rps_loaded": loaded["rps"],
        "p95_loaded": loaded["p95"],
        "errors": single["errors"] + loaded["errors"],
    }


def measured_alone_and_loaded(port: int, credentials: str, paths: list, args: argparse.Namespace) -> dict:
    """`paths` by one client, then by `args.clients` at once."""
    single = measure(port, credentials, paths, clients=1, rounds=args.rounds)
    loaded = measure(port, credentials, paths, clients=args.clients, rounds=args.rounds)
    return beside_loaded(single, loaded)


def first_computations(first: int, count: int) -> list[tuple[str, str, dict | None]]:
    """`count` calls for the service figures of the last 30 days, each period starting a second
    apart from every other (the `first`-th to the `first + count - 1`-th second before the 30
    days), so that none is answered from the figures cache, which keeps a report per period to
    the second: each call measures the figures computed afresh."""
    start = int(time.time()) - 30 * 86_400 - first
    return [
        (
            "GET",
            "/api/v1/stats/?"
            + urlencode({"since": datetime.fromtimestamp(start - n, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}),
            None,
        )
        for n in range(count)
    ]


def load_in_processes(port: int, token: str, paths: list, args: argparse.Namespace) -> dict:
    """`args.clients` processes, each one keep-alive client going through `paths`."""
    script = (
        "import json,sys;sys.path.insert(0,'bench');from run import measure;"
        f"print(json.dumps(measure({port},{token!r},{paths!r},clients=1,rounds={args.rounds * 2})))"
    )
    procs = [
        subprocess.Popen([PY, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(args.clients)
    ]
    results = [json.loads(p.communicate()[0]) for p in procs]
    return {
        "rps": sum(r["rps"] for r in results),
        "p50": statistics.median(r["p50"] for r in results),
        "p95": max(r["p95"] for r in results),
        "errors": [e for r in results for e in r["errors"]],
    }


def memory_kb(pids: list[int]) -> dict[str, int]:
    """The largest web process: its peak resident size, and now its private (anonymous) memory
    and its file-backed pages (SQLite maps the database file: those pages are the kernel's cache,
    shared and given back under pressure)."""
    largest = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    for pid in pids:
        try:
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if ":" in line
            )
        except OSError:
            continue
        values = {key: int(fields.get(key, "0 kB").split()[0]) for key in largest}
        if values["VmHWM"] > largest["VmHWM"]:
            largest = values
    return largest


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, found)]


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """gunicorn as `make run` and the production image start it, answering /healthz."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            if Client(port).call("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=20)


def working_days_ahead(client: Client, weeks: int, count: int) -> list[str]:
    """`count` working days of the official calendar, `weeks` weeks from today on."""
    first = datetime.now(UTC).date() + timedelta(weeks=weeks)
    query = urlencode(
        {"start": first.isoformat(), "end": (first + timedelta(days=count * 2 + 14)).isoformat()}
    )
    days = json.loads(client.call("GET", f"/api/v1/calendar/?{query}")[1])
    return [day["date"] for day in days if day["workday"]][:count]


def meeting_cases(args: argparse.Namespace, tokens: dict[str, str]) -> list[tuple[str, str, dict]]:
    """Consultation meetings (issue 18): the district officer's week of slots and the
    enterprise's free times, read; then the officer publishes slots eight weeks ahead (clear of
    the seed's), offers each on a distinct request of Pregene's waiting at the bureau, and the
    enterprise books each: every publication, offer and booking timed once."""
    officer, enterprise = (
        Client(args.port, tokens["district officer"]),
        Client(args.port, tokens["enterprise"]),
    )
    week = working_days_ahead(officer, 1, 5)
    reads = {
        ("district officer", "slots, a week"): (
            tokens["district officer"],
            [("GET", f"/api/v1/slots/?{urlencode({'start': week[0], 'end': week[-1]})}", None)],
        ),
        ("enterprise", "slots, free times"): (
            tokens["enterprise"],
            [("GET", "/api/v1/slots/?free=true", None)],
        ),
    }
    rows = []
    for (label, case), (token, paths) in reads.items():
        rows.append((label, case, measured_alone_and_loaded(args.port, token, paths, args)))

    waiting = json.loads(enterprise.call("GET", "/api/v1/requests/?state=district_review&page_size=100")[1])[
        "results"
    ]
    days = working_days_ahead(officer, 8, -(-args.rounds // 8))
    starts = [f"{day}T{8 + n // 4:02d}:{n % 4 * 15:02d}:00+08:00" for day in days for n in range(8)]
    timed: dict[str, list[float]] = {"publish a slot": [], "offer a meeting": [], "book a meeting": []}
    errors: list[str] = []
    for start, candidate in zip(starts, waiting, strict=False):
        status, data, elapsed = officer.call(
            "POST", "/api/v1/slots/", {"start": start, "minutes": 15, "capacity": 1, "place": "Room 301"}
        )
        if status != 201:
            errors.append(f"POST /api/v1/slots/: {status} {data[:120]!r}")
            continue
        timed["publish a slot"].append(elapsed)
        slot = json.loads(data)["id"]
        status, data, elapsed = officer.call(
            "POST", f"/api/v1/requests/{candidate['id']}/meetings/", {"slots": [slot]}
        )
        if status != 201:
            continue  # routed to the other bureau, or a meeting open already: the next one
        timed["offer a meeting"].append(elapsed)
        status, data, elapsed = enterprise.call(
            "POST", f"/api/v1/meetings/{json.loads(data)['id']}/book/", {"slot": slot}
        )
        if status != 200:
            errors.append(f"POST /api/v1/meetings/…/book/: {status} {data[:120]!r}")
            continue
        timed["book a meeting"].append(elapsed)
    if errors and not timed["book a meeting"]:
        raise RuntimeError(f"no meeting could be booked: {errors[:3]}")
    for case, latencies in timed.items():
        if latencies:
            rows.append(
                (
                    "enterprise" if case == "book a meeting" else "district officer",
                    f"{case} ({len(latencies)} times)",
                    {
                        "p50": statistics.median(latencies),
                        "p95": percentile(latencies, 0.95),
                        "p99": percentile(latencies, 0.99),
                        "rps": float("nan"),
                        "rps_loaded": float("nan"),
                        "p95_loaded": float("nan"),
                        "errors": errors[:3] if case == "book a meeting" else [],
                    },
                )
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4, help="Concurrent clients for the throughput runs.")
    parser.add_argument("--rounds", type=int, default=40, help="Calls per client per case.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the machine has 2 cores).")
    parser.add_argument("--output", type=Path, default=RESULTS, help="The Markdown file to write.")
    args = parser.parse_args()

    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings.development",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # The loaded runs send thousands of requests a minute per user: measure the portal, not
        # the API throttles (which would answer most of them 429).
        PORTAL_THROTTLE_USER="none",
        PORTAL_THROTTLE_ANON="none",
        PORTAL_THROTTLE_TOKEN="none",  # noqa: S106 (a rate, not a secret)
    )
    env, pg_name = fresh_database(env)
    vendor = "PostgreSQL" if pg_name else "SQLite"
    rows: list[tuple[str, str, dict]] = []
    server = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        started = time.perf_counter()
        manage(env, "seed_demo", "--requests", str(args.requests))
        seed_seconds = time.perf_counter() - started

        seeded_meetings = manage(
            env,
            "shell",
            "-c",
            "from apps.meetings.models import Meeting, Slot; print(Meeting.objects.count(), Slot.objects.count())",
        ).split()[-2:]
        scan_ms = []
        for _ in range(3):
            started = time.perf_counter()
            manage(env, "scan_deadlines")
            scan_ms.append((time.perf_counter() - started) * 1000)
        # The seed leaves a backlog the scan works off 500 at a time (ratings to default, requests
        # to close): run it until it has nothing to do, then time it with nothing to do.
        catch_up, scan_inprocess = (
            subprocess.run(
                [
                    PY,
                    "-c",
                    "import dataclasses,django,time;django.setup();from django.utils import timezone\n"
                    "from apps.deadlines.scan import scan\n"
                    "for runs in range(1, 1001):\n"
                    "    if not any(dataclasses.astuple(scan(timezone.now()))): break\n"
                    "t=time.perf_counter();scan(timezone.now());print(runs, (time.perf_counter()-t)*1000)",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
            .split()
        )

        server = start_server(env, args.port, args.workers)
        tokens = {}
        for label, username in PERSONAS.items():
            _status, data, _ms = Client(args.port).call(
                "POST", "/api/v1/auth/token/", {"username": username, "password": "demo12345"}
            )
            tokens[label] = json.loads(data)["token"]
        sessions = {label: browser_session(args.port, username) for label, username in PERSONAS.items()}

        first_ids: dict[str, int | None] = {}
        for label, token in tokens.items():
            client = Client(args.port, token)
            listing = json.loads(client.call("GET", "/api/v1/requests/")[1])
            first_id = listing["results"][0]["id"] if listing["results"] else None
            first_ids[label] = first_id
            pages = max(1, -(-listing["count"] // 25))
            cases = {
                "list, first page": [("GET", "/api/v1/requests/", None)],
                "list, page 100": [("GET", f"/api/v1/requests/?page={min(100, pages)}", None)],
                "list, filtered": [
                    ("GET", "/api/v1/requests/?state=district_review&category=clinical_trial", None)
                ],
                "list, search": [("GET", "/api/v1/requests/?search=GMP", None)],
                "saved views": [("GET", "/api/v1/views/", None)],
            }
            # The queue as a person works it: their home page, and the home page opened on their
            # role's "Overdue" view (both with every row's time left); the same view over the API.
            pages = {"page, home": [("GET", "/home/", None)]}
            views = json.loads(client.call("GET", "/api/v1/views/")[1])
            overdue = next((v for v in views if v["key"].endswith("overdue")), None)
            if overdue:
                cases["list, saved view"] = [("GET", overdue["api_url"], None)]
                pages["page, saved view"] = [("GET", overdue["url"], None)]
            if first_id:
                cases["detail"] = [("GET", f"/api/v1/requests/{first_id}/", None)]
                cases["timeline"] = [("GET", f"/api/v1/requests/{first_id}/timeline/", None)]
                # The assistant (issue 16): the request's similar resolved ones and guidance.
                cases["similar"] = [("GET", f"/api/v1/requests/{first_id}/similar/", None)]
                cases["suggested guidance"] = [
                    ("GET", f"/api/v1/requests/{first_id}/suggested-guidance/", None)
                ]
            cases["assist (new-request form)"] = [("POST", "/api/v1/assist/", q) for q in ASSIST_QUESTIONS]
            if label == "municipal supervisor":
                cases["stats"] = [("GET", "/api/v1/stats/", None)]
            measured = [(case, token, paths) for case, paths in cases.items()]
            measured += [(case, sessions[label], paths) for case, paths in pages.items()]
            for case, credentials, paths in measured:
                rows.append((label, case, measured_alone_and_loaded(args.port, credentials, paths, args)))
            if label == "municipal supervisor":
                # The whole city's figures computed afresh, as the first reader of a period meets
                # them ("stats" above is mostly answered from the cache): every call a period of
                # its own, none shared between the single and the loaded run or between clients.
                # Fewer rounds: each call is a full computation.
                rounds = min(args.rounds, 20)
                single = measure(args.port, token, first_computations(0, rounds), clients=1, rounds=rounds)
                loaded = measure(
                    args.port,
                    token,
                    first_computations(rounds, args.clients * rounds),
                    clients=args.clients,
                    rounds=rounds,
                    disjoint=True,
                )
                rows.append((label, "stats, first computation", beside_loaded(single, loaded)))

        # A transition: the park liaison replies to distinct requests of its queue.
        liaison = Client(args.port, tokens["liaison"])
        queue = json.loads(liaison.call("GET", "/api/v1/requests/?state=park_review&page_size=100")[1])[
            "results"
        ]
        replies = [
            ("POST", f"/api/v1/requests/{r['id']}/respond/", {"body": "Received, we are on it."})
            for r in queue
        ]
        if replies:
            rows.append(
                (
                    "liaison",
                    "transition (respond)",
                    {
                        **measure(
                            args.port,
                            tokens["liaison"],
                            replies,
                            clients=1,
                            rounds=min(len(replies), args.rounds),
                        ),
                        "rps_loaded": float("nan"),
                        "p95_loaded": float("nan"),
                    },
                )
            )
        rows += meeting_cases(args, tokens)
        # Bulk escalation: the liaison escalates 100 requests of the park's queue at once (each
        # through its own action), three times over distinct requests.
        bulk_ms: list[float] = []
        bulk_size = 0
        for _ in range(3):
            # A connection of its own: the liaison's above may have been closed by the server's
            # keep-alive timeout while the other cases ran.
            liaison = Client(args.port, tokens["liaison"])
            waiting = json.loads(liaison.call("GET", "/api/v1/requests/?state=park_review&page_size=100")[1])
            ids = [r["id"] for r in waiting["results"]]
            if not ids:
                break
            status, data, elapsed = liaison.call(
                "POST",
                "/api/v1/requests/bulk/",
                {"action": "escalate", "ids": ids, "reason": "Needs the district."},
            )
            done = sum(r["status"] == "done" for r in json.loads(data)["results"]) if status == 200 else 0
            if status != 200 or done != len(ids):
                raise RuntimeError(f"bulk escalation: {status}, {done} of {len(ids)} done: {data[:200]!r}")
            bulk_ms.append(elapsed)
            bulk_size = len(ids)
        memory = memory_kb(children(server.pid))
        stop_server(server)
        server = None

        # Throughput of a mixed read load by the number of web workers, the clients in processes
        # of their own so that the client's interpreter lock is not what is measured.
        mix = [("GET", "/api/v1/requests/", None), ("GET", "/api/v1/requests/?state=park_review", None)]
        if first_ids["liaison"]:
            mix += [("GET", f"/api/v1/requests/{first_ids['liaison']}/", None)]
        scaling = []
        for workers in sorted({1, args.workers}):
            server = start_server(env, args.port, workers)
            scaling.append((workers, load_in_processes(args.port, tokens["liaison"], mix, args)))
            stop_server(server)
            server = None
    finally:
        if server:
            stop_server(server)
        drop_database(env, pg_name)

    heading = f"{vendor}, {args.requests:,} requests"
    before, before_scaling = previous_figures(RESULTS, heading)
    lines = [
        f"## {heading}",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"gunicorn {args.workers} workers × 4 threads, {args.clients} clients for the loaded runs.",
        "",
        f"- seeding: {args.requests / seed_seconds:,.0f} requests/s ({seed_seconds:.0f} s), with "
        f"{int(seeded_meetings[0]):,} consultation meetings on {int(seeded_meetings[1]):,} slots",
        f"- deadline scan with nothing to do: {float(scan_inprocess):.1f} ms in process, once {catch_up} runs "
        f"had worked off the seed's backlog ({min(scan_ms):.0f} ms as a `manage.py scan_deadlines` command, "
        "start-up included, the backlog still there)",
        (
            f"- bulk escalation of {bulk_size} requests by the liaison (one call, each request through its own "
            f"action): {', '.join(f'{ms / 1000:.2f} s' for ms in bulk_ms)}"
            if bulk_ms
            else "- bulk escalation: no request waiting on the park"
        ),
        f"- memory of the largest web process: peak resident {memory['VmHWM'] / 1024:.0f} MiB; at the end "
        f"{memory['RssAnon'] / 1024:.0f} MiB private and {memory['RssFile'] / 1024:.0f} MiB of mapped files"
        + (
            " (SQLite's memory-mapped database: the kernel's page cache, shared between the workers)"
            if vendor == "SQLite"
            else " (the interpreter and libraries)"
        ),
        "",
        "The last two columns compare with the run of the same heading that bench/RESULTS.md held "
        "before this one: its p95, and how many times faster this run's p95 is (throughput: how "
        "many times more requests a second).",
        "",
        "| who | what | p50 ms | p95 ms | p99 ms | req/s (1 client) | req/s (loaded) | p95 ms (loaded) "
        "| p95 ms before | × faster |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, case, r in rows:
        old = before.get((label, case))
        lines.append(
            f"| {label} | {case} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['rps']:.0f} | "
            f"{r['rps_loaded']:.0f} | {r['p95_loaded']:.1f} | {_before(old)} | {_times(old, r['p95'])} |"
        )
    lines += [
        "",
        f"Throughput of a mixed read load (list, filtered list, detail as the liaison), {args.clients} client processes:",
        "",
        "| gunicorn workers | req/s | p50 ms | p95 ms | req/s before | × the throughput |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {w} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {_before(before_scaling.get(w), '.0f')} "
            f"| {_times(r['rps'], before_scaling.get(w))} |"
            for w, r in scaling
        ],
    ]
    problems = [e for _l, _c, r in rows for e in r["errors"]] + [e for _w, r in scaling for e in r["errors"]]
    if problems:
        lines += ["", "Errors seen:", *[f"- `{p}`" for p in problems]]
    section = "\n".join(lines) + "\n"

    previous = (
        args.output.read_text()
        if args.output.exists()
        else "# Benchmark results\n\nWritten by `make bench` (bench/run.py).\n"
    )
    kept = [part for part in previous.split("\n## ") if not part.startswith(f"{vendor}, ")]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n## ".join(kept).rstrip() + "\n\n" + section)
    print(section)
    return 1 if problems else 0


def previous_figures(path: Path, heading: str) -> tuple[dict[tuple[str, str], float], dict[int, float]]:
    """From the section of that heading in a results file: each case's one-client p95 by (who,
    what), and the mixed load's requests a second by the number of workers."""
    text = path.read_text() if path.exists() else ""
    section = next((part for part in text.split("\n## ") if part.startswith(heading + "\n")), "")
    cases: dict[tuple[str, str], float] = {}
    scaling: dict[int, float] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        try:
            if len(cells) >= 8 and cells[0] not in ("who", "---"):
                cases[(cells[0], cells[1])] = float(cells[3])
            elif len(cells) >= 4 and cells[0].isdigit():
                scaling[int(cells[0])] = float(cells[1])
        except ValueError:
            continue
    return cases, scaling


def _before(value: float | None, spec: str = ".1f") -> str:
    return "" if value is None or math.isnan(value) else format(value, spec)


def _times(numerator: float | None, denominator: float | None) -> str:
    """numerator / denominator as "2.1×", blank where either is unknown."""
    if not numerator or not denominator or math.isnan(numerator) or math.isnan(denominator):
        return ""
    return f"{numerator / denominator:.2f}×"


if __name__ == "__main__":
    sys.exit(main())
