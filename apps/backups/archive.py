"""Backups of the whole portal as one file: the database and every uploaded file.

An archive is an uncompressed tar (uploads are mostly PDFs and images that do not compress),
`portal-<UTC time>.tar`, with these members in this order:

- `manifest.json`: format and version, time, database vendor, row counts of the main tables,
  the number and size of the uploaded files, the database member's SHA-256;
- the database: `database.sqlite3.gz` (an online, consistent copy made with SQLite's backup API,
  which readers and writers of a WAL database do not notice) or `database.pgdump`
  (`pg_dump --format=custom`, taken in the same snapshot as the manifest's counts);
- `uploads/…`: every file under `PRIVATE_UPLOAD_ROOT` (request attachments and guidance files);
- `uploads.sha256`: the SHA-256 of each of them, last because it is computed while writing.

The database is copied first and the files after: an attachment row is committed only after its
file is on disk, so every row in the copy finds its file in the archive (a file uploaded in
between is carried along unreferenced, which is harmless).

Restoring unpacks and checks the whole archive into a scratch directory inside the upload root
before it touches anything; a damaged or foreign archive is refused and nothing changes. Then the database
is replaced (SQLite: the backup API again, atomically; PostgreSQL: `pg_restore --clean
--if-exists --single-transaction`) and the upload directory is swapped for the archived one.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils.translation import gettext as _

FORMAT = "liaison-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3.gz"
POSTGRES_MEMBER = "database.pgdump"
UPLOADS = "uploads"
CHECKSUMS = "uploads.sha256"
_CHUNK = 1024 * 1024
_SCRATCH_PREFIX = ".restore-"

# The tables whose row counts the manifest records (and a restore compares), by model label.
COUNTED = [
    "organizations.Organization",
    "organizations.User",
    "casework.ServiceRequest",
    "casework.RequestEvent",
    "casework.Message",
    "casework.Attachment",
    "guidance.Guidance",
    "auditlog.LogEntry",
]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    counts: dict[str, int]
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)


# --- helpers ---------------------------------------------------------------------------------------
def upload_root() -> Path:
    return Path(settings.PRIVATE_UPLOAD_ROOT)


def backup_root() -> Path:
    return Path(getattr(settings, "BACKUP_ROOT", Path(settings.VAR_DIR) / "backups"))


def _tables() -> dict[str, str]:
    from django.apps import apps

    return {label: apps.get_model(label)._meta.db_table for label in COUNTED}


def _count_rows(cursor: Any, quote: Any) -> dict[str, int]:
    counts = {}
    for label, table in _tables().items():
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[label] = int(cursor.fetchone()[0])
    return counts


def live_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _count_rows(cursor, connection.ops.quote_name)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads a file through, hashing what passes (so that each upload is read once)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _upload_files(root: Path) -> list[tuple[Path, str, int]]:
    """Regular files under the root (symbolic links are not followed), with their archive name
    and size, in a stable order."""
    found: list[tuple[Path, str, int]] = []
    if not root.is_dir():
        return found
    for directory, dirnames, filenames in os.walk(root):
        # A restore's scratch directory lives in the root for the time of the restore.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(_SCRATCH_PREFIX))
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            found.append((path, f"{UPLOADS}/{relative}", path.stat().st_size))
    return found


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _applied_migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name")
    ):
        latest[app] = name
    return latest


# --- the database, per vendor ------------------------------------------------------------------
def _sqlite_path() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("An in-memory SQLite database cannot be backed up."))
    return name


def _dump_sqlite(workdir: Path) -> tuple[Path, dict[str, int]]:
    """A consistent copy through SQLite's online backup API, compressed; counts from the copy."""
    live = _sqlite_path()
    if not Path(live).is_file():
        raise BackupError(_("There is no database at %(path)s: nothing to back up.") % {"path": live})
    copy = workdir / "database.sqlite3"
    source = sqlite3.connect(live, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        counts = _count_rows(target.cursor(), lambda table: f'"{table}"')
    except sqlite3.Error as error:
        raise BackupError(_("Could not copy the database: %(error)s") % {"error": error}) from None
    finally:
        target.close()
        source.close()
    packed = workdir / SQLITE_MEMBER
    with copy.open("rb") as raw, gzip.open(packed, "wb", compresslevel=6) as out:
        shutil.copyfileobj(raw, out, _CHUNK)
    copy.unlink()
    return packed, counts


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the portal's database: the password never shows in a process list."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if params.get(key):
            env[variable] = str(params[key])
    options = params.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def _run_pg(tool: str, arguments: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            _("%(tool)s is not installed here: install the PostgreSQL client programs (postgresql-client).")
            % {"tool": tool}
        )
    result = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        [executable, *arguments], env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": tool, "error": result.stderr.strip()[-2000:]}
        )


def _dump_postgres(workdir: Path) -> tuple[Path, dict[str, int]]:
    """`pg_dump --format=custom` in the snapshot the counts were read in, so that the manifest
    describes exactly what the dump holds."""
    dump = workdir / POSTGRES_MEMBER
    arguments = ["--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"]
    if connection.in_atomic_block:
        # Inside somebody else's transaction the snapshot cannot be chosen: counts are read
        # beside the dump instead.
        _run_pg("pg_dump", arguments)
        return dump, live_counts()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor, connection.ops.quote_name)
        _run_pg("pg_dump", [*arguments, f"--snapshot={snapshot}"])
    return dump, counts


def _dump_database(workdir: Path) -> tuple[str, Path, dict[str, int]]:
    if connection.vendor == "sqlite":
        return (SQLITE_MEMBER, *_dump_sqlite(workdir))
    if connection.vendor == "postgresql":
        return (POSTGRES_MEMBER, *_dump_postgres(workdir))
    raise BackupError(
        _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": connection.vendor}
    )


# --- backing up ------------------------------------------------------------------------------------
def _private_directory(directory: Path, *, force: bool) -> None:
    """Make `directory` (mode 0700, whatever the umask); an existing one is narrowed to 0700
    only when `force` (the portal's own backup folder, never a folder an operator named)."""
    existed = directory.is_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if force or not existed:
        directory.chmod(0o700)


def _private_file(path: Path) -> IO[bytes]:
    """A new file open for writing, readable by its owner only from its first moment (O_EXCL:
    never an existing file or a link planted in its place)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def create_backup(directory: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write one archive into `directory` (default `settings.BACKUP_ROOT`); return its path and
    manifest. The archive appears under its final name only once complete.

    The archive holds password hashes and API tokens: it is created mode 0600 (never more open,
    not even for a moment) in a folder of mode 0700, and renamed into place already complete."""
    if directory is None:
        directory = backup_root()
        _private_directory(directory, force=True)
    else:
        directory = Path(directory)
        _private_directory(directory, force=False)
    created = datetime.now(UTC)
    stem = f"portal-{created:%Y%m%dT%H%M%SZ}"
    target = directory / f"{stem}.tar"
    suffix = 1
    while target.exists():
        target = directory / f"{stem}-{suffix}.tar"
        suffix += 1
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        workdir = Path(work)
        member, dumped, counts = _dump_database(workdir)
        files = _upload_files(upload_root())
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "database": {
                "vendor": connection.vendor,
                "member": member,
                "size": dumped.stat().st_size,
                "sha256": _sha256_file(dumped),
            },
            "counts": counts,
            "migrations": _applied_migrations(),
            "uploads": {"files": len(files), "bytes": sum(size for _path, _name, size in files)},
        }
        partial = workdir / "archive.tar"
        with (
            _private_file(partial) as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive,
        ):
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
            archive.add(dumped, arcname=member, recursive=False)
            sums = []
            for path, name, _size in files:
                try:
                    handle = path.open("rb")
                except FileNotFoundError:
                    continue  # a refused upload's file, removed since the listing
                with handle:
                    info = archive.gettarinfo(fileobj=handle, arcname=name)
                    reader = _HashingReader(handle)
                    archive.addfile(info, reader)
                sums.append(f"{reader.digest.hexdigest()}  {name}")
            _add_bytes(archive, CHECKSUMS, ("\n".join(sums) + "\n").encode())
        os.replace(partial, target)
    return target, manifest


# --- reading an archive ---------------------------------------------------------------------------
def _damaged(path: Path, detail: str) -> BackupError:
    return BackupError(
        _("%(path)s is damaged or incomplete (%(detail)s): nothing was restored.")
        % {"path": path, "detail": detail}
    )


def _foreign(path: Path) -> BackupError:
    return BackupError(
        _(
            "%(path)s is not a liaison portal backup (made by `manage.py backup_portal`): nothing was restored."
        )
        % {"path": path}
    )


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest, refusing anything that is not one of our archives."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no backup file at %(path)s.") % {"path": path})
    try:
        with tarfile.open(path, "r:") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _foreign(path)
            handle = archive.extractfile(first)
            manifest = json.loads(handle.read(1024 * 1024)) if handle else None
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, ValueError):
        raise _foreign(path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _foreign(path)
    if not isinstance(manifest.get("version"), int) or manifest["version"] > FORMAT_VERSION:
        raise BackupError(
            _("%(path)s was written by a newer portal (backup format %(version)s): upgrade first.")
            % {"path": path, "version": manifest.get("version")}
        )
    database = manifest.get("database")
    expected_member = {"sqlite": SQLITE_MEMBER, "postgresql": POSTGRES_MEMBER}
    if (
        not isinstance(database, dict)
        or expected_member.get(str(database.get("vendor"))) != database.get("member")
        or not isinstance(database.get("sha256"), str)
        or not isinstance(manifest.get("counts"), dict)
        or not isinstance(manifest.get("uploads"), dict)
    ):
        raise _foreign(path)
    return manifest


def _safe_upload_path(name: str, root: Path) -> Path | None:
    """Where an archived upload goes under `root`; None for a name that would escape it."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or pure.parts[:1] != (UPLOADS,) or len(pure.parts) < 2:
        return None
    return root.joinpath(*pure.parts[1:])


@dataclass
class _Staged:
    directory: Path
    database: Path
    uploads: Path


def _stage(path: Path, manifest: dict[str, Any], directory: Path) -> _Staged:
    """Unpack the archive into `directory`, checking every byte against its checksum."""
    uploads = directory / UPLOADS
    uploads.mkdir()
    database_member = manifest["database"]["member"]
    database = directory / database_member
    seen_database = False
    hashes: dict[str, str] = {}
    listed: dict[str, str] | None = None
    try:
        with tarfile.open(path, "r:") as archive:
            for info in archive:
                if info.name == MANIFEST:
                    continue
                if not info.isfile():
                    if info.isdir():
                        continue
                    raise _damaged(path, _("unexpected member %(name)s") % {"name": info.name})
                source = archive.extractfile(info)
                assert source is not None
                if info.name == database_member:
                    destination = database
                    seen_database = True
                elif info.name == CHECKSUMS:
                    listed = {}
                    for line in source.read().decode("utf-8").splitlines():
                        if line.strip():
                            listed_digest, listed_name = line.split("  ", 1)
                            listed[listed_name] = listed_digest
                    continue
                else:
                    target = _safe_upload_path(info.name, uploads)
                    if target is None:
                        raise _damaged(path, _("unsafe member name %(name)s") % {"name": info.name})
                    destination = target
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with destination.open("xb") as out:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[info.name] = digest.hexdigest()
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, ValueError, zlib.error) as error:
        raise _damaged(path, str(error) or type(error).__name__) from None
    if not seen_database or hashes.get(database_member) != manifest["database"]["sha256"]:
        raise _damaged(path, _("the database copy does not match its checksum"))
    if listed is None:
        raise _damaged(path, _("the list of file checksums is missing"))
    stored = {name: digest for name, digest in hashes.items() if name != database_member}
    if stored != listed:
        raise _damaged(path, _("uploaded files do not match their checksums"))
    return _Staged(directory, database, uploads)


def verify_backup(path: Path) -> dict[str, Any]:
    """Read the whole archive and check every checksum, changing nothing."""
    manifest = read_manifest(path)
    with tempfile.TemporaryDirectory(prefix=".backup-check-") as work:
        _stage(Path(path), manifest, Path(work))
    return manifest


# --- restoring --------------------------------------------------------------------------------------
def database_is_empty() -> bool:
    """True when the portal's database holds no organisation, user or request (or no tables)."""
    from apps.casework.models import ServiceRequest
    from apps.organizations.models import Organization, User

    try:
        return not any(model.objects.exists() for model in (Organization, User, ServiceRequest))
    except DatabaseError:
        return True


def _restore_sqlite(staged: _Staged) -> None:
    plain = staged.directory / "database.sqlite3"
    with gzip.open(staged.database, "rb") as packed, plain.open("wb") as out:
        shutil.copyfileobj(packed, out, _CHUNK)
    source = sqlite3.connect(plain)
    try:
        problems = source.execute("PRAGMA quick_check").fetchall()
        if problems != [("ok",)]:
            raise BackupError(_("The archived database fails SQLite's check: nothing was restored."))
        live = _sqlite_path()
        connections.close_all()
        target = sqlite3.connect(live, timeout=60)
        try:
            # One step (all pages at once) is atomic for everybody else using the file.
            source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(
                _("Could not write the database (is the portal still running?): %(error)s") % {"error": error}
            ) from None
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgres(staged: _Staged) -> None:
    connections.close_all()
    _run_pg(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(staged.database),
        ],
    )


@contextmanager
def _staging_area(root: Path) -> Iterator[Path]:
    """A scratch directory inside the upload root, removed afterwards whatever happens. Inside,
    not beside: the root may be a mount point of its own (a Docker volume), and only within one
    file system do the restored files move into place by renaming."""
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=_SCRATCH_PREFIX))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _swap_uploads(staged: _Staged, root: Path) -> None:
    """Put the archived files in the place of the current ones (which go into the scratch
    directory, removed with it)."""
    previous = staged.directory / "previous"
    previous.mkdir()
    for child in list(root.iterdir()):
        if child != staged.directory:
            child.rename(previous / child.name)
    for child in list(staged.uploads.iterdir()):
        child.rename(root / child.name)


def restore_backup(path: Path, *, confirmed: bool) -> RestoreResult:
    """Replace the database and the uploaded files with the archive's.

    Refuses (changing nothing) a foreign or damaged archive, one made from another database
    vendor, and — unless `confirmed` — a database that already holds data."""
    path = Path(path)
    manifest = read_manifest(path)
    vendor = manifest.get("database", {}).get("vendor")
    if vendor != connection.vendor:
        raise BackupError(
            _(
                "%(path)s holds a %(archived)s database but this portal runs on %(current)s: "
                "restore it on a portal with the same database."
            )
            % {"path": path, "archived": vendor, "current": connection.vendor}
        )
    if not confirmed and not database_is_empty():
        raise BackupError(
            _(
                "The database is not empty: restoring replaces everything in it and every uploaded "
                "file. Run again with --yes to confirm."
            )
        )
    root = upload_root()
    with _staging_area(root) as work:
        staged = _stage(path, manifest, work)
        if vendor == "sqlite":
            _restore_sqlite(staged)
        else:
            _restore_postgres(staged)
        _swap_uploads(staged, root)
    counts = live_counts()
    expected = manifest.get("counts", {})
    mismatches = {
        label: (int(expected[label]), counts[label])
        for label in counts
        if label in expected and int(expected[label]) != counts[label]
    }
    return RestoreResult(manifest=manifest, counts=counts, mismatches=mismatches)
