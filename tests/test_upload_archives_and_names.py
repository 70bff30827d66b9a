"""Archives that cannot be read safely and names that do not match their content (issue 13).

- Every read of an archive member is bounded: a `mimetype` entry declaring hundreds of MiB (a
  deflated run of zeros in a ~300 KB upload) is refused quickly without being inflated, and even
  when let through it is read for a few hundred bytes only.
- An archive the standard library cannot read is a 400 naming the reason, never a 500: encrypted
  entries (we cannot check what they hold, so encrypted archives are refused), unknown
  compression methods, a damaged deflate stream.
- A download is named with the extension its content check found: the uploader's stem stays,
  `x.hta` holding text is `x.txt`; an extension naming the type stays (`a.jpeg`), none gets one.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.casework import uploads
from apps.casework.errors import InvalidInput
from apps.casework.models import Attachment, ServiceRequest
from tests.test_attachments_messages import (
    DOCX,
    JPEG,
    ODT,
    PDF,
    counts,
    download,
    post_file,
    stored_files,
    upload,
    url,
    zip_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_root")]

MiB = 1024 * 1024
BOMB_MIB = 320


def _zip_of(entries: list[tuple[str, int, int, int, bytes]]) -> bytes:
    """An archive written header by header: (name, method, CRC-32, size, bytes as stored)."""
    local, central = bytearray(), bytearray()
    for name, method, crc, size, data in entries:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0
        )
        local += encoded + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    return bytes(local + central + end)


@pytest.fixture(scope="module")
def mimetype_bomb() -> bytes:
    """An OpenDocument-looking archive whose deflated `mimetype` entry declares (and really
    expands to) 320 MiB of zeros, in about 330 KB: one MiB of zeros deflated and flushed, so
    that the same bytes inflate to it again and again."""
    zeros = b"\x00" * MiB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block * BOMB_MIB + compressor.flush()
    crc = 0
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(zeros, crc)
    content = b"<office:document-content/>"
    data = _zip_of(
        [
            ("mimetype", zipfile.ZIP_DEFLATED, crc, BOMB_MIB * MiB, stream),
            ("content.xml", zipfile.ZIP_STORED, zlib.crc32(content), len(content), content),
        ]
    )
    assert len(data) < 600 * 1024
    declared = {i.filename: i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert declared["mimetype"] == BOMB_MIB * MiB
    inflater, inflated, rest = zlib.decompressobj(-15), 0, stream
    while rest and not inflater.eof:  # it really inflates that far (a MiB at a time)
        inflated += len(inflater.decompress(rest, MiB))
        rest = inflater.unconsumed_tail
    assert inflated == BOMB_MIB * MiB and inflater.eof
    return data


def _patch_entry(data: bytes, name: str, *, flags: int = 0, method: int | None = None) -> bytes:
    """`data` with the local and central headers of entry `name` given extra general-purpose
    flag bits (0x1: encrypted) or another compression method (zipfile cannot write either)."""
    patched = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30), (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (at := patched.find(signature, start)) != -1:
            start = at + 4
            if patched[at + name_at : at + name_at + len(encoded)] != encoded:
                continue
            (old_flags,) = struct.unpack_from("<H", patched, at + flag_at)
            struct.pack_into("<H", patched, at + flag_at, old_flags | flags)
            if method is not None:
                struct.pack_into("<H", patched, at + method_at, method)
    return bytes(patched)


def _corrupt_deflate(data: bytes, name: str) -> bytes:
    """`data` with the deflated bytes of entry `name` replaced by an invalid block type."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    local = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    patched = bytearray(data)
    patched[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(patched)


ODT_DEFLATED = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"}
)
PLAIN = zip_bytes({"protocol.pdf": PDF, "notes.txt": b"minutes " * 50})

UNREADABLE = [
    ("encrypted-mimetype.odt", _patch_entry(ODT, "mimetype", flags=0x1), "encrypted"),
    ("encrypted-entry.zip", _patch_entry(PLAIN, "notes.txt", flags=0x1), "encrypted"),
    ("aes-mimetype.odt", _patch_entry(ODT, "mimetype", method=99), "encrypted"),
    ("unknown-method-mimetype.odt", _patch_entry(ODT, "mimetype", method=93), "compression"),
    ("unknown-method-entry.zip", _patch_entry(PLAIN, "notes.txt", method=77), "compression"),
    ("damaged-deflate.odt", _corrupt_deflate(ODT_DEFLATED, "mimetype"), "damaged"),
]


def _peak_while(check: Any) -> tuple[Any, int, float]:
    tracemalloc.start()
    started = time.monotonic()
    try:
        outcome = check()
    except InvalidInput as error:
        outcome = error
    finally:
        elapsed = time.monotonic() - started
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, peak, elapsed


def _post(client: Any, sr: ServiceRequest, file: SimpleUploadedFile, language: str) -> Any:
    return client.post(
        url(sr, "attachments/"), {"file": file}, format="multipart", HTTP_ACCEPT_LANGUAGE=language
    )


# --- bounded reads --------------------------------------------------------------------------------
def test_a_mimetype_bomb_is_refused_quickly_with_bounded_memory(mimetype_bomb):
    outcome, peak, elapsed = _peak_while(
        lambda: uploads.sniff(SimpleUploadedFile("minutes.odt", mimetype_bomb), "minutes.odt")
    )
    assert isinstance(outcome, InvalidInput), outcome
    assert "expands" in outcome.message
    assert peak < 20 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert elapsed < 2


def test_a_mimetype_entry_is_read_for_a_few_hundred_bytes_whatever_it_declares(mimetype_bomb, monkeypatch):
    """With the expansion limits out of the way, the entry is still never inflated whole."""
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_RATIO", 10**9)
    outcome, peak, elapsed = _peak_while(
        lambda: uploads.sniff(SimpleUploadedFile("minutes.odt", mimetype_bomb), "minutes.odt")
    )
    assert outcome == ("application/zip", ".zip")  # zeros are no OpenDocument type
    assert peak < 20 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert elapsed < 2


def test_the_mimetype_bomb_through_the_api_is_400_on_file_and_stores_nothing(
    api, sr, upload_root, mimetype_bomb
):
    before = counts(sr)
    started = time.monotonic()
    r = post_file(api("ent_pregene"), sr, upload("minutes.odt", mimetype_bomb))
    assert time.monotonic() - started < 5
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


def test_an_archive_expanding_a_hundred_times_its_size_beyond_16_mib_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "ARCHIVE_RATIO_FREE_BYTES", 1000)
    zeros = zip_bytes({"zeros.bin": b"\x00" * 200_000})  # ~200 bytes expanding 1000 times
    with pytest.raises(InvalidInput, match="expands"):
        uploads.sniff(SimpleUploadedFile("zeros.zip", zeros), "zeros.zip")
    monkeypatch.setattr(uploads, "ARCHIVE_RATIO_FREE_BYTES", 16 * MiB)
    assert uploads.sniff(SimpleUploadedFile("zeros.zip", zeros), "zeros.zip") == ("application/zip", ".zip")


def test_central_directory_records_are_counted_before_the_archive_is_parsed(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_ENTRIES", 5)
    six = zip_bytes({f"part-{i}.txt": b"x" for i in range(6)})

    def never_parsed(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the archive library parsed an archive with too many records")

    monkeypatch.setattr(uploads.zipfile, "ZipFile", never_parsed)
    with pytest.raises(InvalidInput, match="too many files"):
        uploads.sniff(SimpleUploadedFile("parts.zip", six), "parts.zip")


def test_a_signature_split_across_read_chunks_is_counted(monkeypatch):
    monkeypatch.setattr(uploads, "_SCAN_CHUNK", 7)
    data = b"....PK\x01\x02..PK\x01\x02PK\x01\x02"
    assert uploads._central_entries_at_most(SimpleUploadedFile("x.zip", data), 3)
    assert not uploads._central_entries_at_most(SimpleUploadedFile("x.zip", data), 2)


# --- unreadable archives: 400, never 500 ---------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "reason"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_an_archive_the_library_cannot_read_is_refused_400_through_the_api(
    api, sr, upload_root, name, content, reason
):
    before = counts(sr)
    r = _post(api("ent_pregene"), sr, upload(name, content), "en")
    assert r.status_code == 400, r.content
    message = " ".join(r.json()["file"])
    assert reason in message, message
    assert counts(sr) == before
    assert stored_files(upload_root) == []


@pytest.fixture
def browser(users):
    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(users[username])
        return client

    return sign_in


@pytest.mark.parametrize(("name", "content", "reason"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_an_archive_the_library_cannot_read_is_a_form_error_on_the_page(
    browser, sr, upload_root, name, content, reason
):
    before = counts(sr)
    page = browser("ent_pregene").post(
        f"/requests/{sr.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400
    assert "This archive is" in page.content.decode()
    assert counts(sr) == before
    assert stored_files(upload_root) == []


def test_the_unreadable_archive_messages_are_translated(api, sr):
    client = api("ent_pregene")
    for content, expected in [
        (_patch_entry(ODT, "mimetype", flags=0x1), "压缩包已加密"),
        (_patch_entry(ODT, "mimetype", method=93), "压缩包已损坏或使用了无法读取的压缩方式"),
    ]:
        r = _post(client, sr, upload("minutes.odt", content), "zh-hans")
        assert r.status_code == 400
        assert expected in " ".join(r.json()["file"])


def test_readable_archives_still_pass(api, sr):
    client = api("ent_pregene")
    for name, content, content_type in [
        ("minutes.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("minutes-deflated.odt", ODT_DEFLATED, "application/vnd.oasis.opendocument.text"),
        ("bundle.zip", PLAIN, "application/zip"),
        ("report.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]:
        r = post_file(client, sr, upload(name, content))
        assert r.status_code == 201, r.content
        assert r.json()["content_type"] == content_type


# --- names follow the checked type ------------------------------------------------------------------
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
RENAMED = [
    ("x.hta", b'<script>new ActiveXObject("WScript.Shell").Run("calc")</script>', "x.txt"),
    ("run.bat", b"@echo off\r\ndel /q C:\\*\r\n", "run.txt"),
    ("payload.js", b"WScript.Echo('hi');\n", "payload.txt"),
    ("logo.svg", SVG, "logo.txt"),
    ("page.html", b"<html><body><script>alert(1)</script></body></html>", "page.txt"),
    ("notes", "会议纪要\n".encode(), "notes.txt"),
    ("scan.png", PDF, "scan.pdf"),
    ("report.txt", DOCX, "report.docx"),
    ("photo", JPEG, "photo.jpg"),
]
KEPT = [
    ("report.pdf", PDF),
    ("photo.jpeg", JPEG),
    ("photo.JPG", JPEG),
    ("data.csv", b"a,b\n1,2\n"),
    ("readme.md", b"# Notes\n"),
    ("minutes.odt", ODT),
    ("notes.TXT", b"plain words\n"),
]


def _disposition_name(response: Any) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    return disposition.split('filename="', 1)[1].rstrip('"')


@pytest.mark.parametrize(("name", "content", "renamed"), RENAMED, ids=[r[0] for r in RENAMED])
def test_an_upload_is_named_with_the_extension_its_content_showed(api, sr, name, content, renamed):
    client = api("ent_pregene")
    r = post_file(client, sr, upload(name, content))
    assert r.status_code == 201, r.content
    assert r.json()["name"] == renamed
    assert Attachment.objects.get(pk=r.json()["id"]).name == renamed
    response, body = download(client, r.json()["download_url"])
    assert response.status_code == 200 and body == content
    assert _disposition_name(response) == renamed
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("name", "content"), KEPT, ids=[k[0] for k in KEPT])
def test_an_extension_that_names_the_checked_type_is_kept(api, sr, name, content):
    client = api("ent_pregene")
    r = post_file(client, sr, upload(name, content))
    assert r.status_code == 201, r.content
    assert r.json()["name"] == name
    response, _body = download(client, r.json()["download_url"])
    assert _disposition_name(response) == name


def test_a_renamed_upload_keeps_a_long_name_within_200_characters(api, sr):
    r = post_file(api("ent_pregene"), sr, upload("长" * 300, b"text\n"))
    assert r.status_code == 201, r.content
    name = r.json()["name"]
    assert name.endswith(".txt") and len(name) <= 200


def test_the_timeline_and_the_page_show_the_renamed_file(api, browser, sr):
    r = post_file(api("ent_pregene"), sr, upload("x.hta", b"plain words\n"))
    assert r.status_code == 201, r.content
    timeline = api("ent_pregene").get(url(sr, "timeline/")).content.decode()
    assert "x.txt" in timeline and "x.hta" not in timeline
    page = browser("ent_pregene").get(f"/requests/{sr.pk}/").content.decode()
    assert "x.txt" in page and "x.hta" not in page


def test_a_page_upload_downloads_under_the_checked_extension(browser, sr):
    client = browser("ent_pregene")
    posted = client.post(
        f"/requests/{sr.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("x.hta", b"<script>alert(1)</script>")},
    )
    assert posted.status_code == 302
    attachment = sr.attachments.get()
    assert attachment.name == "x.txt"
    response = client.get(f"/requests/{sr.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert _disposition_name(response) == "x.txt"
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("stored_name", "stored_type", "served_name", "served_type"),
    [
        ("legacy.hta", "text/plain", "legacy.txt", "text/plain"),
        ("legacy.svg", "text/plain", "legacy.txt", "text/plain"),
        ("legacy.bat", "application/pdf", "legacy.pdf", "application/pdf"),
        ("legacy.html", "text/html", "legacy.bin", "application/octet-stream"),
    ],
)
def test_rows_stored_with_a_bad_extension_still_download_under_the_checked_one(
    api, browser, sr, stored_name, stored_type, served_name, served_type
):
    client = api("ent_pregene")
    r = post_file(client, sr, upload("legacy.txt", b"stored before the fix\n"))
    assert r.status_code == 201, r.content
    Attachment.objects.filter(pk=r.json()["id"]).update(name=stored_name, content_type=stored_type)
    for response in (
        download(client, r.json()["download_url"])[0],
        download(browser("ent_pregene"), f"/requests/{sr.pk}/attachments/{r.json()['id']}/")[0],
    ):
        assert response.status_code == 200
        assert _disposition_name(response) == served_name
        assert response["Content-Type"].startswith(served_type)
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def sr(make_request) -> ServiceRequest:
    return make_request()
