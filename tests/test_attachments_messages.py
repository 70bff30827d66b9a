"""Attachments and messages: files recognised by their bytes, refused when they are not documents
or images, stored privately and read only through the permission-checked download; internal
notes and files never reach enterprise staff by any route."""

from __future__ import annotations

import base64
import contextlib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from apps.casework import uploads
from apps.casework.models import Attachment, Message, RequestEvent, ServiceRequest
from tests.conftest import fresh

# Where the app keeps uploads when no test redirects them (read before any fixture runs).
CONFIGURED_UPLOAD_ROOT = Path(settings.PRIVATE_UPLOAD_ROOT)

# --- files ------------------------------------------------------------------------------------------
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    """A real 1×1 PNG: signature, IHDR, IDAT, IEND, with correct CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# A 1×1 baseline JPEG (SOI, APP0/JFIF, DQT, SOF0, DHT, SOS, EOI).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAB"
    "PxA="
)
CSV_ZH = "企业,问题,产品\n普瑞金,临床试验方案变更,CAR-T\n艾欣达伟,注册资料,小分子药物\n".encode()


def zip_bytes(entries: dict[str, bytes], *, first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first is not None:
            archive.writestr(zipfile.ZipInfo(first), entries[first], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != first:
                archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
DOCX = zip_bytes(
    {
        "[Content_Types].xml": CONTENT_TYPES_XML,
        "word/document.xml": (
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b"<w:body><w:p><w:r><w:t>Protocol</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
)
XLSX = zip_bytes({"[Content_Types].xml": CONTENT_TYPES_XML, "xl/workbook.xml": b"<workbook/>"})
ODT = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
    first="mimetype",
)
PLAIN_ZIP = zip_bytes({"protocol.pdf": PDF, "notes/summary.txt": "摘要".encode()})
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


BOUNDARY = "----portal-test-boundary-7MA4YWxkTrZu0gW"


def raw_multipart(filename: str, content: bytes, **fields: str) -> dict[str, Any]:
    """A multipart body built by hand, so that the file name reaches the server exactly as a
    hostile client would send it (Django's test helpers already strip paths)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={BOUNDARY}"}


def forged_size_zip(declared: int) -> bytes:
    """A tiny archive whose central directory claims its one entry expands to `declared` bytes."""
    data = bytearray(zip_bytes({"big.bin": b"0" * 100}))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared)
    return bytes(data)


# --- fixtures and helpers -----------------------------------------------------------------------------
# Every test stores its files in its own private directory (`upload_root`).
pytestmark = pytest.mark.usefixtures("upload_root")


@pytest.fixture
def sr(make_request) -> ServiceRequest:
    """A Pregene request in SBIP's park review."""
    return make_request()


def url(sr: ServiceRequest, tail: str) -> str:
    return f"/api/v1/requests/{sr.pk}/{tail}"


def post_file(client: Any, sr: ServiceRequest, file: SimpleUploadedFile, **extra: Any) -> Any:
    return client.post(url(sr, "attachments/"), {"file": file, **extra}, format="multipart")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def download(client: Any, download_url: str) -> tuple[Any, bytes]:
    response = client.get(download_url)
    # Reading the stream to its end closes the file (the test client's wrapper does that).
    body = b"".join(response.streaming_content) if response.streaming else b""
    return response, body


def counts(sr: ServiceRequest) -> tuple[int, int, int, int]:
    row = fresh(sr)
    return (
        Attachment.objects.filter(request=row).count(),
        RequestEvent.objects.filter(request=row).count(),
        Message.objects.filter(request=row).count(),
        row.version,
    )


# --- accepted by content --------------------------------------------------------------------------
ACCEPTED = [
    ("protocol.pdf", PDF, "application/pdf"),
    ("scan.png", png_bytes(), "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("问题清单.csv", CSV_ZH, "text/csv"),
    ("notes.txt", "会议纪要：下周一提交补充资料。\n".encode(), "text/plain"),
    ("gbk-notes.txt", "会议纪要：下周一提交补充资料。\n".encode("gb18030"), "text/plain"),
    ("report.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("minutes.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ("bundle.zip", PLAIN_ZIP, "application/zip"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_documents_and_images_are_accepted_and_typed_by_content(
    api, sr, upload_root, name, content, content_type
):
    r = post_file(api("ent_pregene"), sr, upload(name, content))
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "name", "size", "content_type", "download_url"} <= set(body)
    assert body["name"] == name
    assert body["size"] == len(content)
    assert body["content_type"] == content_type
    assert body["internal"] is False
    path = urlparse(body["download_url"]).path
    assert path == f"/api/v1/requests/{sr.pk}/attachments/{body['id']}/download/"
    assert len(stored_files(upload_root)) == 1


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.png", PDF, "application/pdf"),
        ("protocol.pdf", png_bytes(), "image/png"),
        ("report.txt", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("no-extension", JPEG, "image/jpeg"),
    ],
)
def test_the_type_comes_from_the_bytes_not_the_name_or_the_browsers_claim(
    api, sr, name, content, content_type
):
    r = post_file(api("ent_pregene"), sr, upload(name, content, content_type="text/html"))
    assert r.status_code == 201, r.content
    assert r.json()["content_type"] == content_type


# --- refused by content ---------------------------------------------------------------------------
REFUSED = [
    ("report.pdf", ELF, "application/pdf"),
    ("setup.pdf", WINDOWS_EXE, "application/pdf"),
    ("installer.exe", WINDOWS_EXE, "application/x-msdownload"),
    ("notes.txt", b"meeting notes\x00\x01\x02 more", "text/plain"),
    ("data.csv", b"a,b\n1,\x002\n", "text/csv"),
    ("broken.zip", b"PK\x03\x04" + b"\x13\x37" * 64, "application/zip"),
    ("broken.docx", b"PK\x05\x06" + b"\x00" * 10, "application/zip"),
]


@pytest.mark.parametrize(("name", "content", "claimed"), REFUSED, ids=[r[0] for r in REFUSED])
def test_files_that_are_not_documents_or_images_are_refused_400_on_file(
    api, sr, upload_root, name, content, claimed
):
    before = counts(sr)
    r = post_file(api("ent_pregene"), sr, upload(name, content, content_type=claimed))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


def test_an_empty_file_is_refused_400_on_file(api, sr, upload_root):
    before = counts(sr)
    r = post_file(api("ent_pregene"), sr, upload("empty.pdf", b""))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


@pytest.mark.parametrize(
    "data",
    [{}, {"file": "not a file"}, {"internal": "false"}],
    ids=["nothing", "string-instead-of-file", "only-internal"],
)
def test_a_post_without_a_file_is_400_on_file(api, sr, upload_root, data):
    before = counts(sr)
    r = api("ent_pregene").post(url(sr, "attachments/"), data, format="multipart")
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before


def test_a_json_body_instead_of_multipart_is_refused_not_500(api, sr):
    before = counts(sr)
    r = api("ent_pregene").post(url(sr, "attachments/"), {"file": "x"}, format="json")
    assert r.status_code in (400, 415), r.content
    assert counts(sr) == before


@pytest.mark.parametrize("internal", ["maybe", "1", "yes", "null"])
def test_internal_that_is_not_true_or_false_is_400_on_internal(api, sr, upload_root, internal):
    before = counts(sr)
    r = post_file(api("liaison_sbip"), sr, upload("protocol.pdf", PDF), internal=internal)
    assert r.status_code == 400, r.content
    assert r.json()["internal"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


# --- size and archive limits ----------------------------------------------------------------------
@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused_400_and_one_at_the_limit_is_accepted(api, sr, upload_root):
    client = api("ent_pregene")
    at_limit = PDF + b"%" * (1024 - len(PDF))
    over = at_limit + b"%"
    before = counts(sr)
    r = post_file(client, sr, upload("big.pdf", over))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []
    r = post_file(client, sr, upload("fits.pdf", at_limit))
    assert r.status_code == 201, r.content
    assert r.json()["size"] == 1024


def test_the_default_size_limit_is_25_mb():
    assert settings.ATTACHMENT_MAX_BYTES == 25 * 1024 * 1024


def test_an_archive_declaring_a_huge_expansion_is_refused_400(api, sr, upload_root):
    before = counts(sr)
    bomb = forged_size_zip(0xFFFFFFFF)  # claims 4 GB from a few hundred bytes
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 1024**3
    r = post_file(api("ent_pregene"), sr, upload("bundle.zip", bomb))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


def test_an_archive_expanding_beyond_the_limit_is_refused_400(api, sr, upload_root, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_EXPANDED_BYTES", 10_000)
    client = api("ent_pregene")
    r = post_file(client, sr, upload("zeros.zip", zip_bytes({"zeros.bin": b"\x00" * 10_001})))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    r = post_file(client, sr, upload("small.zip", zip_bytes({"zeros.bin": b"\x00" * 10_000})))
    assert r.status_code == 201, r.content


def test_an_archive_with_too_many_entries_is_refused_400(api, sr, upload_root, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_ENTRIES", 5)
    client = api("ent_pregene")
    before = counts(sr)
    six = zip_bytes({f"part-{i}.txt": b"x" for i in range(6)})
    r = post_file(client, sr, upload("parts.zip", six))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    docx_with_six = zip_bytes(
        {"[Content_Types].xml": CONTENT_TYPES_XML, **{f"word/part{i}.xml": b"<x/>" for i in range(5)}}
    )
    r = post_file(client, sr, upload("many.docx", docx_with_six))
    assert r.status_code == 400, r.content
    assert counts(sr) == before
    assert stored_files(upload_root) == []
    five = zip_bytes({f"part-{i}.txt": b"x" for i in range(5)})
    assert post_file(client, sr, upload("parts.zip", five)).status_code == 201


def test_an_archive_over_the_real_entry_limit_is_refused_400(api, sr, upload_root):
    entries = {f"f{i}": b"" for i in range(uploads.MAX_ARCHIVE_ENTRIES + 1)}
    r = post_file(api("ent_pregene"), sr, upload("many.zip", zip_bytes(entries)))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert stored_files(upload_root) == []


def test_a_file_larger_than_the_in_memory_threshold_is_stored_and_downloaded_intact(api, sr, upload_root):
    big = PDF + bytes(range(256)) * (3 * 1024 * 1024 // 256)  # > FILE_UPLOAD_MAX_MEMORY_SIZE
    assert len(big) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    client = api("ent_pregene")
    r = post_file(client, sr, upload("big-scan.pdf", big))
    assert r.status_code == 201, r.content
    assert r.json()["size"] == len(big)
    response, body = download(client, r.json()["download_url"])
    assert response.status_code == 200 and body == big


@override_settings(ATTACHMENT_MAX_BYTES=2 * 1024 * 1024)
def test_a_large_file_over_a_configured_limit_is_refused_400(api, sr, upload_root):
    big = PDF + b"%" * (3 * 1024 * 1024)
    before = counts(sr)
    r = post_file(api("ent_pregene"), sr, upload("big-scan.pdf", big))
    assert r.status_code == 400, r.content
    assert r.json()["file"]
    assert counts(sr) == before
    assert stored_files(upload_root) == []


# --- names and storage ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\li\\Desktop\\方案.pdf", "方案.pdf"),
        ("%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf", None),
        ("&#46;&#46;&#47;secret.pdf", "secret.pdf"),
        ("a\tb\u202egnp.pdf", "abgnp.pdf"),
        ("nul\x00byte.pdf", None),
        ("   ...   ", None),
    ],
)
def test_file_names_are_stripped_of_paths_and_control_characters(api, sr, upload_root, raw, clean):
    r = api("ent_pregene").post(url(sr, "attachments/"), **raw_multipart(raw, PDF))
    if clean is None and r.status_code == 400:
        assert r.json()["file"]  # a name the parser cannot use at all: refused cleanly
        return
    assert r.status_code == 201, r.content
    name = r.json()["name"]
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".")
    if clean is not None:
        assert name == clean
    stored = Attachment.objects.get(pk=r.json()["id"])
    assert Path(stored.file.path).resolve().is_relative_to(upload_root.resolve())
    assert ".." not in stored.file.name
    assert stored_files(upload_root) == [Path(stored.file.path)]


def test_a_file_name_that_is_only_dots_is_refused_or_renamed(api, sr, upload_root):
    r = api("ent_pregene").post(url(sr, "attachments/"), **raw_multipart("..", PDF))
    assert r.status_code in (201, 400), r.content
    if r.status_code == 201:
        assert r.json()["name"] == "attachment"
    else:
        assert r.json()["file"]


def test_a_very_long_file_name_is_shortened_keeping_its_extension(api, sr):
    r = post_file(api("ent_pregene"), sr, upload("长" * 300 + ".pdf", PDF))
    assert r.status_code == 201, r.content
    name = r.json()["name"]
    assert name.endswith(".pdf") and len(name) <= 200


def test_files_are_stored_under_the_private_upload_root_never_under_a_url_path(api, sr, upload_root):
    r = post_file(api("ent_pregene"), sr, upload("../../static/protocol.pdf", PDF))
    assert r.status_code == 201, r.content
    stored = Attachment.objects.get(pk=r.json()["id"])
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(Path(settings.PRIVATE_UPLOAD_ROOT).resolve())
    assert path.read_bytes() == PDF
    # The stored name is ours, not the user's: no way to guess or overwrite another file.
    assert "protocol" not in path.name and path.suffix == ".pdf"
    served = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    if getattr(settings, "MEDIA_ROOT", ""):
        served.append(Path(settings.MEDIA_ROOT))
    for root in served:
        assert not path.is_relative_to(root.resolve()), root
    guesses = [f"/media/{stored.file.name}", f"/static/{stored.file.name}", f"/{stored.file.name}"]
    with contextlib.suppress(ValueError):  # ValueError: the storage has no public URL at all
        guesses.append(urlparse(stored.file.url).path)
    for guess in guesses:
        response = api("ent_pregene").get(guess)
        assert response.status_code != 200 or PDF not in b"".join(
            getattr(response, "streaming_content", [response.content])
        ), guess


def test_the_configured_upload_root_is_outside_every_served_directory():
    root = CONFIGURED_UPLOAD_ROOT.resolve()
    served = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    if getattr(settings, "MEDIA_ROOT", ""):
        served.append(Path(settings.MEDIA_ROOT))
    for directory in served:
        assert not root.is_relative_to(directory.resolve()), directory
        assert not directory.resolve().is_relative_to(root), directory


def test_a_refused_upload_leaves_earlier_attachments_intact(api, sr, upload_root):
    client = api("ent_pregene")
    first = post_file(client, sr, upload("protocol.pdf", PDF)).json()
    before = counts(sr)
    assert post_file(client, sr, upload("evil.pdf", ELF)).status_code == 400
    assert post_file(client, sr, upload("empty.pdf", b"")).status_code == 400
    assert counts(sr) == before
    listed = client.get(url(sr, "attachments/")).json()
    assert [a["id"] for a in listed] == [first["id"]]
    response, body = download(client, first["download_url"])
    assert response.status_code == 200 and body == PDF
    assert len(stored_files(upload_root)) == 1


# --- download -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "username",
    [
        "ent_pregene",
        "ent_pregene2",
        "liaison_sbip",
        "liaison_sbip2",
        "supervisor_sbip",
        "admin",
    ],
)
def test_download_returns_the_bytes_as_an_attachment_to_users_who_see_the_request(api, sr, username):
    r = post_file(api("ent_pregene"), sr, upload("问题清单.csv", CSV_ZH))
    assert r.status_code == 201, r.content
    response, body = download(api(username), r.json()["download_url"])
    assert response.status_code == 200
    assert body == CSV_ZH
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=utf-8''%E9%97%AE%E9%A2%98%E6%B8%85%E5%8D%95.csv" in disposition
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "username",
    [
        "ent_ascentawits",  # another enterprise of the same park
        "ent_accel1",
        "liaison_accel",  # another park's liaison
        "liaison_haidian",  # Beijing
        "ent_haidian",
        "officer_hd_station",
        "officer_ps_msb",  # the district, before the request reached it
        "supervisor_ps",  # its supervisors too: the park's work is theirs as figures only
    ],
)
def test_download_and_listing_are_404_for_users_who_cannot_see_the_request(api, sr, upload_root, username):
    r = post_file(api("ent_pregene"), sr, upload("protocol.pdf", PDF))
    assert r.status_code == 201, r.content
    client = api(username)
    response, body = download(client, r.json()["download_url"])
    assert response.status_code == 404 and body == b""
    assert client.get(url(sr, "attachments/")).status_code == 404
    assert client.get(url(sr, "messages/")).status_code == 404
    before = counts(sr)
    assert post_file(client, sr, upload("mine.pdf", PDF)).status_code == 404
    assert client.post(url(sr, "messages/"), {"body": "hello"}, format="json").status_code == 404
    assert counts(sr) == before
    assert len(stored_files(upload_root)) == 1


def test_download_needs_a_signed_in_user(api, sr):
    r = post_file(api("ent_pregene"), sr, upload("protocol.pdf", PDF))
    response, body = download(api(None), r.json()["download_url"])
    assert response.status_code in (401, 403) and body == b""


def test_an_attachment_is_only_downloadable_through_its_own_request(api, sr, make_request):
    other = make_request("ent_pregene", title="Second request")
    r = post_file(api("ent_pregene"), sr, upload("protocol.pdf", PDF))
    attachment_id = r.json()["id"]
    response, _body = download(api("ent_pregene"), url(other, f"attachments/{attachment_id}/download/"))
    assert response.status_code == 404


# --- internal notes and files -----------------------------------------------------------------------
@pytest.fixture
def internal_things(api, sr) -> dict[str, Any]:
    """A request escalated to the district with a public and an internal message and file each."""
    liaison = api("liaison_sbip")
    public_file = post_file(api("ent_pregene"), sr, upload("public.pdf", PDF)).json()
    internal_file = post_file(liaison, sr, upload("internal-assessment.pdf", PDF), internal="true")
    assert internal_file.status_code == 201, internal_file.content
    public_msg = liaison.post(url(sr, "messages/"), {"body": "We are on it."}, format="json")
    internal_msg = liaison.post(
        url(sr, "messages/"),
        {"body": "SECRET-NOTE: check their GMP history", "internal": True},
        format="json",
    )
    assert public_msg.status_code == 201 and internal_msg.status_code == 201, internal_msg.content
    assert internal_msg.json()["internal"] is True
    escalated = liaison.post(url(sr, "escalate/"), {"reason": "Needs the district"}, format="json")
    assert escalated.status_code == 200, escalated.content
    return {
        "public_file": public_file,
        "internal_file": internal_file.json(),
        "public_msg": public_msg.json(),
        "internal_msg": internal_msg.json(),
    }


@pytest.mark.parametrize("username", ["ent_pregene", "ent_pregene2"])
def test_internal_notes_and_files_are_invisible_to_enterprise_staff_by_every_route(
    api, sr, internal_things, username
):
    client = api(username)
    messages = client.get(url(sr, "messages/"))
    assert messages.status_code == 200
    assert [m["id"] for m in messages.json()] == [internal_things["public_msg"]["id"]]
    files = client.get(url(sr, "attachments/"))
    assert files.status_code == 200
    assert [a["id"] for a in files.json()] == [internal_things["public_file"]["id"]]
    timeline = client.get(url(sr, "timeline/"))
    assert timeline.status_code == 200
    assert all(not e["internal"] for e in timeline.json())
    assert "note" not in {e["kind"] for e in timeline.json()}
    for route in ("messages/", "attachments/", "timeline/", ""):
        text = client.get(url(sr, route)).content.decode()
        assert "SECRET-NOTE" not in text and "internal-assessment" not in text, route
    response, body = download(client, internal_things["internal_file"]["download_url"])
    assert response.status_code == 404 and body == b""
    internal_id = internal_things["internal_file"]["id"]
    response, _body = download(client, url(sr, f"attachments/{internal_id}/download/"))
    assert response.status_code == 404


@pytest.mark.parametrize("username", ["liaison_sbip", "liaison_sbip2", "officer_ps_msb", "supervisor_ps"])
def test_internal_notes_and_files_are_visible_to_liaisons_and_officers(api, sr, internal_things, username):
    client = api(username)
    messages = client.get(url(sr, "messages/")).json()
    assert {m["id"] for m in messages} == {
        internal_things["public_msg"]["id"],
        internal_things["internal_msg"]["id"],
    }
    files = client.get(url(sr, "attachments/")).json()
    assert {a["id"] for a in files} == {
        internal_things["public_file"]["id"],
        internal_things["internal_file"]["id"],
    }
    kinds = [e["kind"] for e in client.get(url(sr, "timeline/")).json()]
    assert "note" in kinds and kinds.count("attachment") == 2
    response, body = download(client, internal_things["internal_file"]["download_url"])
    assert response.status_code == 200 and body == PDF


def test_an_officer_can_add_internal_notes_and_files_the_enterprise_never_sees(api, sr, internal_things):
    officer = api("officer_ps_msb")
    note = officer.post(url(sr, "messages/"), {"body": "DISTRICT-ONLY", "internal": True}, format="json")
    assert note.status_code == 201, note.content
    file = post_file(officer, sr, upload("district-memo.pdf", PDF), internal="True")
    assert file.status_code == 201, file.content
    assert file.json()["internal"] is True
    enterprise = api("ent_pregene")
    for route in ("messages/", "attachments/", "timeline/"):
        text = enterprise.get(url(sr, route)).content.decode()
        assert "DISTRICT-ONLY" not in text and "district-memo" not in text
    assert download(enterprise, file.json()["download_url"])[0].status_code == 404


@pytest.mark.parametrize("internal", [True, "true"])
def test_enterprise_staff_posting_an_internal_note_get_403_and_nothing_is_saved(api, sr, internal):
    before = counts(sr)
    r = api("ent_pregene").post(url(sr, "messages/"), {"body": "psst", "internal": internal}, format="json")
    assert r.status_code == 403, r.content
    assert counts(sr) == before


def test_enterprise_staff_uploading_an_internal_file_get_403_and_nothing_is_stored(api, sr, upload_root):
    before = counts(sr)
    r = post_file(api("ent_pregene"), sr, upload("protocol.pdf", PDF), internal="true")
    assert r.status_code == 403, r.content
    assert counts(sr) == before
    assert stored_files(upload_root) == []


def test_a_public_message_is_201_and_shows_to_everyone_in_order(api, sr):
    enterprise, liaison = api("ent_pregene"), api("liaison_sbip")
    first = enterprise.post(url(sr, "messages/"), {"body": "  有更新吗？  "}, format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert {"id", "author", "body", "internal", "created_at"} <= set(body)
    assert body["body"] == "有更新吗？" and body["internal"] is False
    assert body["author"]["username"] == "ent_pregene"
    second = liaison.post(url(sr, "messages/"), {"body": "Tomorrow.", "internal": False}, format="json")
    assert second.status_code == 201, second.content
    for client in (enterprise, liaison):
        assert [m["body"] for m in client.get(url(sr, "messages/")).json()] == ["有更新吗？", "Tomorrow."]
    kinds = [e["kind"] for e in enterprise.get(url(sr, "timeline/")).json()]
    assert kinds.count("message") == 2


def test_a_message_does_not_bump_the_version_used_by_transitions(api, sr):
    version = fresh(sr).version
    r = api("liaison_sbip").post(url(sr, "messages/"), {"body": "Noted."}, format="json")
    assert r.status_code == 201
    assert fresh(sr).version == version
    escalate = api("liaison_sbip").post(url(sr, "escalate/"), {"reason": "District"}, format="json")
    assert escalate.status_code == 200, escalate.content
