"""Where the time of one API request goes: a cProfile of a list and a detail, served in process
through Django's full stack (middleware, token authentication, DRF, the serializer, JSON), on
the database the settings name. Writes bench/profiles/<name>.txt, the functions by cumulative
and by own time.

    DATABASE_URL=sqlite:////path/to/seeded.sqlite3 .venv/bin/python bench/where_time_goes.py [--label before]

bench/profiles/*-before.txt and *-after.txt: issue 19's code before (7a27e61) and after, run on
the same 20,000-request SQLite seed as liaison_sbip (a list 34.4 -> 22.6 ms a call under cProfile,
a detail 11.2 -> 7.0 ms).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
# As the portal is served (bench/run.py sets the same): no debug cursor, no throttle.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("PORTAL_THROTTLE_USER", "none")


def main() -> int:
    import django

    django.setup()
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from apps.organizations.models import User

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--label", default="before")
    parser.add_argument("--user", default="liaison_sbip")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    user = User.objects.get(username=args.user)
    token = Token.objects.get_or_create(user=user)[0].key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    first = client.get("/api/v1/requests/").json()["results"][0]["id"]
    out = ROOT / "bench" / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    for name, path in (("list", "/api/v1/requests/"), ("detail", f"/api/v1/requests/{first}/")):
        for _ in range(20):  # warm: the first calls load what every later one reuses
            assert client.get(path).status_code == 200
        started = time.perf_counter()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.calls):
            client.get(path)
        profile.disable()
        mean = (time.perf_counter() - started) / args.calls * 1000
        text = io.StringIO()
        text.write(
            f"{args.label}: GET {path} as {args.user}, {args.calls} calls, {mean:.2f} ms a call under cProfile\n\n"
        )
        stats = pstats.Stats(profile, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (out / f"{name}-{args.label}.txt").write_text(text.getvalue())
        print(f"{name}: {mean:.2f} ms a call (profiled) -> bench/profiles/{name}-{args.label}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
