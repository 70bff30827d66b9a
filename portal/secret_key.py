"""Where the portal's SECRET_KEY comes from.

Production (`portal.settings.production`) takes it from `DJANGO_SECRET_KEY` and refuses to start
without a real one (`insecure_reason`). Development (`portal.settings.development`: `make run`,
`manage.py`, `make bench`) makes one per machine the first time and keeps it in `var/secret_key`,
readable by its owner only (`development_secret_key`). There is no shared default anybody could
read in the source and use to forge sessions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50  # Django's own deployment check (security.W009) asks for as much
MIN_UNIQUE_CHARACTERS = 5
# Values that were once in this repository, in examples, or that people type as a placeholder.
KNOWN_INSECURE = frozenset(
    {
        "dev-only-insecure-key-change-me-in-production",
        "build-only",
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "your-secret-key",
    }
)
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"


def insecure_reason(value: str | None) -> str | None:
    """Why `value` cannot be a production secret key, or None when it can."""
    if value is None or not value.strip():
        return "is not set"
    if value.strip().lower() in KNOWN_INSECURE or value.startswith("django-insecure-"):
        return "is a well-known placeholder"
    if len(value) < MIN_LENGTH:
        return f"is too short ({len(value)} characters; at least {MIN_LENGTH})"
    if len(set(value)) < MIN_UNIQUE_CHARACTERS:
        return f"has fewer than {MIN_UNIQUE_CHARACTERS} different characters"
    return None


def require_production_secret_key(value: str | None) -> str:
    """`value` if it is a usable secret; otherwise ImproperlyConfigured, saying what to do."""
    reason = insecure_reason(value)
    if reason is not None:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY {reason}: the production settings (portal.settings.production) "
            f"refuse to start without a secret key of their own, at least {MIN_LENGTH} random "
            f"characters. Generate one with {GENERATE_HINT} and set it in the environment."
        )
    assert value is not None
    return value


def development_secret_key(path: Path) -> str:
    """The machine's development key, kept in `path` (mode 0600); made the first time.

    Several processes start at once (`make run`: web, worker, beat); each writes a complete
    candidate to a private temporary file and links it into place, which succeeds for exactly one
    of them, so that all of them read the same key and none reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = secrets.token_urlsafe(64) + "\n"
        fd, candidate = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass  # another process was first: use its key
            except OSError:
                # A file system without hard links: create the file exclusively, owner only.
                with contextlib.suppress(FileExistsError):
                    created = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(created, "w") as handle:
                        handle.write(key)
        finally:
            os.unlink(candidate)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    value = path.read_text().strip()
    if insecure_reason(value) is not None:
        raise ImproperlyConfigured(
            f"{path} does not hold a usable secret key: delete it and a new one is made."
        )
    return value
