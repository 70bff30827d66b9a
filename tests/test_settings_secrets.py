"""Settings fail closed: production refuses to start without a secret key of its own and never
runs in DEBUG; development gets a per-machine key kept owner-only in var/; nothing defaults to
DEBUG; the Docker image carries no var/ (database, secret key, tokens, uploads, backups) and no
.venv/, and runs as a user of its own.

The settings are read in fresh processes, as the entry points (wsgi, asgi, celery, manage.py)
read them."""

from __future__ import annotations

import itertools
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.secret_key import development_secret_key, insecure_reason

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "kV3q-9zPm_TtR2xYwL8nA0bC5dE7fG1hJ4kM6oQ9sU2vW5yZ8aB1cD3eF5gH7jK"
OLD_PUBLIC_DEFAULT = "dev-only-insecure-key-change-me-in-production"


def _python(code: str, *, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, with none of this process's settings or secret."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "PORTAL_VAR_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"


# --- production -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   ", "is not set"),
        ("short-key", "is too short"),
        (OLD_PUBLIC_DEFAULT, "is a well-known placeholder"),
        ("build-only", "is a well-known placeholder"),
        ("django-insecure-" + GOOD_KEY, "is a well-known placeholder"),
        ("x" * 60, "has fewer than 5 different characters"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key, reason):
    """Rule: production settings refuse to start without a secret (missing, empty, short, public)."""
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.production"}
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    done = _python(SHOW, tmp_path=tmp_path, **env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY " + reason), last
    assert "refuse to start" in last and "secrets.token_urlsafe" in last


@pytest.mark.parametrize("entry_point", ["portal.wsgi", "portal.asgi"])
def test_web_entry_points_default_to_production_and_fail_closed(tmp_path, entry_point):
    """Rule: a deployment that forgets DJANGO_SETTINGS_MODULE gets production, which will not
    start without a secret key (and never serves with the development key)."""
    done = _python(f"import {entry_point}", tmp_path=tmp_path)
    assert done.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in done.stderr
    assert not (tmp_path / "var" / "secret_key").exists()

    done = _python(
        f"import {entry_point}; from django.conf import settings as s; print(s.SETTINGS_MODULE, s.DEBUG)",
        tmp_path=tmp_path,
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_DEBUG="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["portal.settings.production", "False"]


def test_celery_defaults_to_production(tmp_path):
    done = _python("import os, portal.celery; print(os.environ['DJANGO_SETTINGS_MODULE'])", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "portal.settings.production"


def test_production_never_runs_in_debug_whatever_the_environment_says(tmp_path):
    done = _python(
        SHOW,
        tmp_path=tmp_path,
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_DEBUG="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", GOOD_KEY]


def test_insecure_reason_accepts_a_generated_key_only():
    import secrets

    assert insecure_reason(secrets.token_urlsafe(64)) is None
    assert insecure_reason(GOOD_KEY) is None
    assert insecure_reason("a" * 49 + "bcde") is None  # long enough, five different characters
    assert insecure_reason("abcd" * 20) == "has fewer than 5 different characters"


# --- base and development -------------------------------------------------------------------------
def test_base_settings_have_no_usable_secret_key_and_no_debug(tmp_path):
    """Rule: no public secret key in the source; DEBUG is off unless DJANGO_DEBUG=1."""
    done = _python(
        "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG); s.SECRET_KEY",
        tmp_path=tmp_path,
        DJANGO_SETTINGS_MODULE="portal.settings.base",
    )
    assert done.returncode != 0
    assert done.stdout.split() == ["False"]
    assert "The SECRET_KEY setting must not be empty" in done.stderr
    assert OLD_PUBLIC_DEFAULT not in (ROOT / "portal" / "settings" / "base.py").read_text()


def test_development_makes_a_private_key_once_and_keeps_it(tmp_path):
    """Rule: development's secret is made per machine, stored 0600 in var/, and reused."""
    umask = "import os; os.umask(0); "  # the file is private because it is made so, not by luck
    dev = {"DJANGO_SETTINGS_MODULE": "portal.settings.development"}
    first = _python(umask + SHOW, tmp_path=tmp_path, **dev)
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "False"
    assert insecure_reason(key) is None
    stored = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_text().strip() == key
    assert [p.name for p in stored.parent.iterdir() if p.name.startswith(".secret_key")] == []

    again = _python(umask + SHOW, tmp_path=tmp_path, DJANGO_DEBUG="1", **dev)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["True", key]  # a developer who asks gets DEBUG, same key

    given = _python(SHOW, tmp_path=tmp_path, DJANGO_SECRET_KEY=GOOD_KEY, **dev)
    assert given.stdout.split() == ["False", GOOD_KEY]


def test_manage_py_defaults_to_development(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SETTINGS_MODULE)",
        ],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")
            },
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "portal.settings.development"
    assert (tmp_path / "var" / "secret_key").is_file()


def test_development_key_is_the_same_for_processes_starting_at_once(tmp_path):
    """`make run` starts web, worker and beat together: they must agree on one key."""
    path = tmp_path / "var" / "secret_key"
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(development_secret_key(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_a_loose_or_broken_development_key_file_is_mended_or_refused(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text(GOOD_KEY + "\n")
    path.chmod(0o644)
    assert development_secret_key(path) == GOOD_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("\n")
    with pytest.raises(ImproperlyConfigured, match="delete it"):
        development_secret_key(path)


# --- the image ------------------------------------------------------------------------------------
def _dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as Docker reads it: one pattern a line, `#` comments, `!` exceptions, `**`
    any number of folders, `*` within one name; a pattern that matches a folder excludes what is
    inside it; the last matching line wins."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        text = line[1:] if negated else line
        text = os.path.normpath(text.strip("/"))
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", text):
            if part == "**/":
                regex += "(?:.*/)?"
            elif part == "**":
                regex += ".*"
            elif part == "*":
                regex += "[^/]*"
            elif part == "?":
                regex += "[^/]"
            else:
                regex += re.escape(part)
        patterns.append((negated, re.compile(regex + "(?:/.*)?")))
    return patterns


def _excluded(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    excluded = False
    for negated, pattern in patterns:
        if pattern.fullmatch(path):
            excluded = not negated
    return excluded


def test_the_image_holds_no_var_and_no_virtualenv():
    """Rule: the image holds no var/ (database, secret key, tokens, uploads, backups), no .venv/."""
    patterns = _dockerignore_patterns()
    never = [
        "var/portal.sqlite3",
        "var/portal.sqlite3-wal",
        "var/secret_key",
        "var/uploads/requests/2026/protocol.pdf",
        "var/backups/portal-20260101T020000Z.tar",
        "var/cache/abc.djcache",
        "var/celery-broker.sqlite3",
        ".venv/bin/python",
        ".venv/lib/python3.11/site-packages/django/__init__.py",
        "bench/out/var/portal.sqlite3",
        "staticfiles/css/portal.css",
        ".git/config",
        ".env",
        ".pytest_cache/v/cache/nodeid",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/CACHEDIR.TAG",
        "node_modules/x/index.js",
        "apps/web/__pycache__/views.cpython-311.pyc",
        "db.sqlite3",
        "deploy/tls/portal.key",
        "deploy/tls/fullchain.pem",
    ]
    assert [p for p in never if not _excluded(p, patterns)] == []
    # What the Dockerfile's build needs is sent.
    needed = [
        "pyproject.toml",
        "manage.py",
        "gunicorn.conf.py",
        "portal/settings/production.py",
        "portal/wsgi.py",
        "apps/casework/models.py",
        "templates/base.html",
        "static/css/portal.css",
        "locale/zh_hans/LC_MESSAGES/django.mo",
    ]
    assert [p for p in needed if _excluded(p, patterns)] == []
    # And what is really in this checkout's var/ and .venv/ (if anything) stays out.
    for top in ("var", ".venv"):
        for found in itertools.islice((ROOT / top).rglob("*"), 500):
            assert _excluded(found.relative_to(ROOT).as_posix(), patterns), found


def test_dockerignore_matcher_follows_dockers_rules():
    patterns = [
        (False, re.compile(r"var(?:/.*)?")),
        (True, re.compile(r"var/keep(?:/.*)?")),
    ]
    assert _excluded("var/x", patterns) and not _excluded("var/keep", patterns)
    assert not _excluded("variable.py", patterns)


def test_the_image_runs_as_its_own_user_and_bakes_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "DJANGO_SECRET_KEY=build-only" not in dockerfile
    assert not re.search(r"^ENV\s.*DJANGO_SECRET_KEY", dockerfile, re.MULTILINE)
    assert "DJANGO_SETTINGS_MODULE=portal.settings.production" in dockerfile
