"""Backups: one archive with the database and every uploaded file; a restore puts both back
exactly, and refuses (changing nothing) without confirmation over data, or a damaged or foreign
archive.

These tests write real archives of the test database and restore them over it: they run with
committed data (`transaction=True`: a backup reads the database through its own connection and
cannot see a test's open transaction), and every archive was made from this very test database
in this very test, so restoring over it never brings in anything foreign; Django empties the
tables after each test as usual. With DATABASE_URL on PostgreSQL the same tests go through
pg_dump and pg_restore.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from apps.backups import archive
from apps.casework import actions
from apps.casework.models import Attachment, ServiceRequest, State
from apps.organizations.models import Organization, OrgKind
from tests.test_attachments_messages import PDF, stored_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("upload_root")]

ON_POSTGRES = connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="PostgreSQL only: run with DATABASE_URL=postgres://… (CI runs the suite again on PostgreSQL)",
)
needs_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: the suite runs on PostgreSQL now")


@pytest.fixture
def backups(tmp_path: Path, settings) -> Path:
    directory = tmp_path / "backups"
    settings.BACKUP_ROOT = directory
    return directory


@pytest.fixture
def files(upload_root):
    return upload_root


def attach(sr: ServiceRequest, user: Any, name: str, content: bytes) -> Attachment:
    return actions.add_attachment(
        sr, actor=user, upload=SimpleUploadedFile(name, content, content_type="application/octet-stream")
    )


def snapshot() -> dict[str, Any]:
    return {
        "requests": list(
            ServiceRequest.objects.order_by("pk").values("pk", "reference", "state", "title", "version")
        ),
        "attachments": list(Attachment.objects.order_by("pk").values("pk", "name", "size", "file")),
        "organizations": Organization.objects.count(),
    }


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def rewrite(source: Path, target: Path, change: Any) -> Path:
    """A copy of an archive with its members passed through `change(info, data) -> (info, data)`
    (or None to drop a member)."""
    with tarfile.open(source) as original, tarfile.open(target, "w") as copy:
        for info in original:
            data = original.extractfile(info).read() if info.isfile() else b""  # type: ignore[union-attr]
            changed = change(info, data)
            if changed is None:
                continue
            info, data = changed
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def world(users, make_request, files):
    """A request with an attachment, committed: what a backup must carry."""
    sr = make_request()
    attachment = attach(sr, users["ent_pregene"], "protocol.pdf", PDF)
    return {"sr": sr, "attachment": attachment, "bytes": PDF}


def test_round_trip_puts_back_the_request_and_its_file_exactly(world, users, make_request, backups, files):
    sr, attachment = world["sr"], world["attachment"]
    before = snapshot()
    file_path = Path(attachment.file.path)
    out = run("backup_portal")
    [made] = list(backups.glob("portal-*.tar"))
    assert str(made) in out
    assert re.fullmatch(r"portal-\d{8}T\d{6}Z\.tar", made.name)
    assert made.stat().st_mode & 0o077 == 0  # the archive holds everything: owner only

    # Life goes on, then something goes wrong.
    actions.withdraw(sr, actor=users["ent_pregene"], reason="Filed by mistake")
    later = make_request(title="Filed after the backup")
    extra = attach(later, users["ent_pregene"], "later.pdf", PDF + b"%later")
    file_path.unlink()
    assert snapshot() != before

    out = run("restore_portal", str(made), "--yes")
    assert "Restored" in out
    assert snapshot() == before
    restored = ServiceRequest.objects.get(pk=sr.pk)
    assert restored.state == State.PARK_REVIEW
    assert file_path.read_bytes() == world["bytes"]
    assert Attachment.objects.get(pk=attachment.pk).file.read() == world["bytes"]
    assert not ServiceRequest.objects.filter(pk=later.pk).exists()
    assert not Path(extra.file.path).exists()
    assert sorted(stored_files(files)) == [file_path]


def test_the_manifest_describes_the_archive(world, backups):
    path, manifest = archive.create_backup()
    assert path.parent == backups
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert names[0] == archive.MANIFEST and names[-1] == archive.CHECKSUMS
    assert manifest == archive.read_manifest(path)
    assert manifest["format"] == archive.FORMAT and manifest["version"] == archive.FORMAT_VERSION
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["counts"]["casework.ServiceRequest"] == 1
    assert manifest["counts"]["casework.Attachment"] == 1
    assert manifest["counts"]["organizations.User"] > 10
    assert manifest["uploads"] == {"files": 1, "bytes": len(PDF)}
    assert manifest["migrations"]["casework"]
    assert f"uploads/{world['attachment'].file.name}" in names


@needs_sqlite
def test_sqlite_archives_hold_a_compressed_online_copy(world, backups):
    _path, manifest = archive.create_backup()
    assert manifest["database"]["member"] == "database.sqlite3.gz"


@needs_postgres
def test_postgresql_archives_hold_a_custom_format_dump_and_restore_with_pg_restore(
    world, users, backups, files
):
    before = snapshot()
    path, manifest = archive.create_backup()
    assert manifest["database"]["member"] == "database.pgdump"
    with tarfile.open(path) as tar:
        dump = tar.extractfile("database.pgdump").read(5)  # type: ignore[union-attr]
    assert dump == b"PGDMP"  # pg_dump's custom format
    actions.withdraw(world["sr"], actor=users["ent_pregene"], reason="Mistake")
    result = archive.restore_backup(path, confirmed=True)
    assert result.mismatches == {}
    assert snapshot() == before


def test_a_backup_runs_while_somebody_is_writing_and_holds_only_committed_data(world, backups):
    """Online: a writer's open transaction neither blocks the backup nor leaks into it."""
    inside = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    class Rollback(Exception):
        pass

    def writer() -> None:
        try:
            with transaction.atomic():
                Organization.objects.create(kind=OrgKind.PROVINCIAL, name="Uncommitted Authority")
                inside.set()
                release.wait(60)
                raise Rollback
        except Rollback:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(exc)
            inside.set()
        finally:
            connection.close()

    organizations = Organization.objects.count()
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        assert inside.wait(60)
        _path, manifest = archive.create_backup()
    finally:
        release.set()
        thread.join(60)
    assert not failure, failure
    assert manifest["counts"]["organizations.Organization"] == organizations


def test_restore_over_data_needs_yes_and_changes_nothing_without_it(world, users, backups, files):
    path, _manifest = archive.create_backup()
    actions.withdraw(world["sr"], actor=users["ent_pregene"], reason="Mistake")
    after = snapshot()
    on_disk = sorted(stored_files(files))
    with pytest.raises(CommandError, match=r"not empty.*--yes"):
        run("restore_portal", str(path))
    assert snapshot() == after
    assert sorted(stored_files(files)) == on_disk


def test_check_reads_the_whole_archive_and_changes_nothing(world, users, backups):
    path, _manifest = archive.create_backup()
    actions.withdraw(world["sr"], actor=users["ent_pregene"], reason="Mistake")
    after = snapshot()
    assert "every checksum matches" in run("restore_portal", str(path), "--check")
    assert snapshot() == after


def _refused(path: Path, message: str, files: Path) -> None:
    after = snapshot()
    on_disk = {p: p.read_bytes() for p in stored_files(files)}
    with pytest.raises(CommandError, match=message):
        run("restore_portal", str(path), "--yes")
    assert snapshot() == after
    assert {p: p.read_bytes() for p in stored_files(files)} == on_disk
    assert not [p for p in files.iterdir() if p.name.startswith(".restore-")]


@pytest.fixture
def made(world, users, backups) -> Path:
    path, _manifest = archive.create_backup()
    # Something changed since: a refused restore must leave it as it is.
    actions.withdraw(world["sr"], actor=users["ent_pregene"], reason="Mistake")
    return path


def test_a_truncated_archive_is_refused(made, tmp_path, files):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    _refused(cut, "damaged or incomplete", files)


def test_an_archive_with_a_changed_file_is_refused(made, tmp_path, files):
    def flip(info: tarfile.TarInfo, data: bytes) -> Any:
        if info.name.startswith("uploads/"):
            data = data.replace(b"%PDF", b"%PDX")
        return info, data

    _refused(rewrite(made, tmp_path / "flipped.tar", flip), "damaged or incomplete", files)


def test_an_archive_with_a_changed_database_is_refused(made, tmp_path, files):
    def flip(info: tarfile.TarInfo, data: bytes) -> Any:
        if info.name.startswith("database."):
            data = data[:-10] + bytes(10)
        return info, data

    _refused(rewrite(made, tmp_path / "flipped.tar", flip), "damaged or incomplete", files)


def test_an_archive_without_its_checksums_is_refused(made, tmp_path, files):
    def drop(info: tarfile.TarInfo, data: bytes) -> Any:
        return None if info.name == archive.CHECKSUMS else (info, data)

    _refused(rewrite(made, tmp_path / "short.tar", drop), "damaged or incomplete", files)


def test_an_archive_that_would_write_outside_the_upload_root_is_refused(made, tmp_path, files):
    def escape(info: tarfile.TarInfo, data: bytes) -> Any:
        if info.name.startswith("uploads/"):
            info.name = "uploads/../../escaped.pdf"
        return info, data

    _refused(rewrite(made, tmp_path / "escape.tar", escape), "damaged or incomplete", files)
    assert not (files.parent / "escaped.pdf").exists()
    assert not (tmp_path / "escaped.pdf").exists()


@pytest.mark.parametrize("kind", ["random bytes", "empty", "another tar", "another manifest", "newer format"])
def test_a_foreign_archive_is_refused(world, tmp_path, files, kind):
    path = tmp_path / "foreign.tar"
    if kind == "random bytes":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        with tarfile.open(path, "w") as tar:
            if kind == "another tar":
                data = b"SELECT 1;"
                name = "dump.sql"
            else:
                manifest = {"format": "something-else", "version": 1}
                if kind == "newer format":
                    manifest = {"format": archive.FORMAT, "version": archive.FORMAT_VERSION + 1}
                data = json.dumps(manifest).encode()
                name = archive.MANIFEST
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    message = "newer portal" if kind == "newer format" else "not a liaison portal backup"
    _refused(path, message, files)


def test_a_backup_of_another_database_vendor_is_refused(made, tmp_path, files):
    other, member = (
        ("postgresql", "database.pgdump") if not ON_POSTGRES else ("sqlite", "database.sqlite3.gz")
    )

    def relabel(info: tarfile.TarInfo, data: bytes) -> Any:
        if info.name == archive.MANIFEST:
            manifest = json.loads(data)
            manifest["database"].update(vendor=other, member=member)
            data = json.dumps(manifest).encode()
        elif info.name.startswith("database."):
            info.name = member
        return info, data

    _refused(rewrite(made, tmp_path / "other.tar", relabel), f"holds a {other} database", files)


def test_a_missing_archive_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no backup file"):
        run("restore_portal", str(tmp_path / "nope.tar"), "--yes")


def test_restore_into_an_empty_database_needs_no_confirmation(world, backups, monkeypatch):
    path, _manifest = archive.create_backup()
    monkeypatch.setattr(archive, "database_is_empty", lambda: True)
    assert "Restored" in run("restore_portal", str(path))


@pytest.fixture
def open_umask():
    """umask 0: every file and folder the code does not make private itself is world-readable."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_an_archive_is_never_readable_by_others_not_even_for_a_moment(
    world, backups, open_umask, monkeypatch
):
    """Rule: a backup (password hashes, API tokens, uploads) is created 0600 from its first byte,
    in a backups folder of mode 0700, and renamed into place only complete and already 0600."""
    seen: dict[str, int] = {}
    add_bytes, replace = archive._add_bytes, os.replace

    def spying_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        assert tar.fileobj is not None
        seen.setdefault("while written", stat.S_IMODE(os.fstat(tar.fileobj.fileno()).st_mode))
        add_bytes(tar, name, data)

    def spying_replace(source: Any, target: Any) -> None:
        if Path(target).suffix == ".tar":
            seen["when renamed"] = stat.S_IMODE(Path(source).stat().st_mode)
            seen["folder"] = stat.S_IMODE(Path(target).parent.stat().st_mode)
        replace(source, target)

    monkeypatch.setattr(archive, "_add_bytes", spying_add_bytes)
    monkeypatch.setattr(archive.os, "replace", spying_replace)
    path, _manifest = archive.create_backup()

    assert seen == {"while written": 0o600, "when renamed": 0o600, "folder": 0o700}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700


def test_the_backups_folder_is_narrowed_to_owner_only(world, backups, open_umask):
    backups.mkdir(mode=0o755)
    backups.chmod(0o755)
    path, _manifest = archive.create_backup()
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_output_dir_of_the_operators_keeps_its_mode_and_gets_a_private_archive(
    world, tmp_path, open_umask
):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    made = Path(run("backup_portal", "--output-dir", str(shared)).split("Backup written: ")[1].split(" (")[0])
    assert made.parent == shared
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # not ours to change
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    fresh = tmp_path / "new" / "backups"
    path, _manifest = archive.create_backup(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
