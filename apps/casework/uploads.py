"""What may be attached to a request: documents and images, recognised by their content, within
the uploader's organisation's quota.

The name a browser sends says nothing about a file, so each upload is identified from its
bytes: PDF, Office (legacy and OOXML), OpenDocument, plain text and CSV, PNG, JPEG and ZIP.
Archives are opened (without extracting) and refused when they would expand beyond reason;
the few bytes read from inside one are bounded, and an archive the standard library cannot read
(damaged, encrypted, an unknown compression method) is refused, never answered with a 500.

A download is named after what the content check found, not what the uploader called it: the
stem stays, the extension becomes the type's own (`x.hta` holding text downloads as `x.txt`).
"""

from __future__ import annotations

import lzma
import os
import struct
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from apps.organizations.models import Organization, User

from .errors import InvalidInput

DEFAULT_ORG_UPLOAD_QUOTA_BYTES = 2 * 1024**3
MAX_ARCHIVE_ENTRIES = 10_000
MAX_ARCHIVE_EXPANDED_BYTES = 500 * 1024 * 1024
# Beyond its first 16 MiB, an archive may expand to at most 100 times its own size: documents
# compress by 2 to 20 times, a run of zeros by 1000 (a 500 KB bomb declaring hundreds of MiB).
MAX_ARCHIVE_RATIO = 100
ARCHIVE_RATIO_FREE_BYTES = 16 * 1024 * 1024
_SNIFF_BYTES = 8192
# The most read from inside an archive: an OpenDocument `mimetype` is a short line of ASCII,
# whatever size its entry claims (a deflated run of zeros can claim hundreds of MiB).
_MIMETYPE_BYTES = 256
_ZIP_CENTRAL_SIGNATURE = b"PK\x01\x02"
_SCAN_CHUNK = 1024 * 1024
# Compression methods the standard library reads: anything else (and WinZip's AES, 99) is refused.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
_ZIP_ENCRYPTED_FLAG = 0x1
_ZIP_AES_METHOD = 99
# What the archive library raises on bytes it cannot read (besides BadZipFile).
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,  # "File is encrypted, password required for extraction"
    NotImplementedError,  # "That compression method is not supported"
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,  # also bz2's errors
    ValueError,  # also UnicodeDecodeError of an entry's name
    struct.error,
)

OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
ODF_EXTENSIONS = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
# Every type `sniff` answers, so every type a download can have (the API schema lists them).
CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    *(content_type for content_type, _extension in OOXML.values()),
    *ODF_EXTENSIONS,
    "application/zip",
    "text/plain",
    "text/csv",
)
# The extension a download of each type gets, then others that name the same type and may stay.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
    **{content_type: (extension,) for content_type, extension in OOXML.values()},
    **{content_type: (extension,) for content_type, extension in ODF_EXTENSIONS.items()},
    "application/zip": (".zip",),
    "text/plain": (".txt", ".text", ".log", ".md"),
    "text/csv": (".csv",),
}
# A stored type outside the list (none is written today) downloads as opaque bytes.
_UNKNOWN = ("application/octet-stream", ".bin")


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    size: int
    content_type: str
    storage_name: str


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": [message]})


def clean_filename(raw: str) -> str:
    """The name as the user knows it, without paths, control characters or excess length."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        name = "attachment"
    stem, ext = os.path.splitext(name)
    return stem[: 200 - len(ext[:20])] + ext[:20]


def name_for_type(name: str, content_type: str) -> str:
    """`name` with the extension of the type its content showed: one that names that type stays
    (`a.jpeg`), any other is replaced (`x.hta` of text is `x.txt`), none is added (`notes`)."""
    extensions = EXTENSIONS.get(content_type, _UNKNOWN[1:])
    stem, ext = os.path.splitext(name)
    if ext.lower() in extensions:
        return name
    return (stem or "attachment")[: 200 - len(extensions[0])] + extensions[0]


def _central_entries_at_most(upload: UploadedFile, limit: int) -> bool:
    """Whether the file holds at most `limit` central-directory records, counted without parsing
    them (the archive library builds an object for every record before its list can be counted:
    a 25 MB upload of empty entries would cost seconds and ~160 MB). The count is an upper bound:
    every record starts with the signature, stored content rarely does."""
    upload.seek(0)
    found = 0
    tail = b""
    while chunk := upload.read(_SCAN_CHUNK):
        window = tail + chunk
        found += window.count(_ZIP_CENTRAL_SIGNATURE)
        if found > limit:
            return False
        # The last three bytes again, for a signature split across chunks (never a whole one).
        tail = window[-3:]
    return True


def _damaged() -> InvalidInput:
    return _refuse(
        _(
            "This archive is damaged or uses a compression method we cannot read, so its "
            "content cannot be checked. Pack it again as a standard ZIP."
        )
    )


def _zip_kind(upload: UploadedFile) -> tuple[str, str]:
    """What an archive is (OpenDocument, OOXML or a plain ZIP), from its list of entries and at
    most `_MIMETYPE_BYTES` of one of them. Nothing is extracted: the sizes entries declare are
    checked, but never trusted to bound a read."""
    if not _central_entries_at_most(upload, MAX_ARCHIVE_ENTRIES):
        raise _refuse(_("This archive holds too many files."))
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ARCHIVE_ENTRIES:
                raise _refuse(_("This archive holds too many files."))
            expanded = sum(entry.file_size for entry in entries)
            if expanded > MAX_ARCHIVE_EXPANDED_BYTES or (
                expanded > ARCHIVE_RATIO_FREE_BYTES and expanded > MAX_ARCHIVE_RATIO * (upload.size or 0)
            ):
                raise _refuse(_("This archive expands to more than we accept."))
            if any(
                entry.flag_bits & _ZIP_ENCRYPTED_FLAG or entry.compress_type == _ZIP_AES_METHOD
                for entry in entries
            ):
                raise _refuse(
                    _(
                        "This archive is encrypted: its content cannot be checked, so it cannot be "
                        "attached. Attach the files without a password."
                    )
                )
            if any(entry.compress_type not in _ZIP_METHODS for entry in entries):
                raise _damaged()
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    head = member.read(_MIMETYPE_BYTES)
                mimetype = head.decode("ascii", "replace").strip()
                if mimetype in ODF_EXTENSIONS:
                    return mimetype, ODF_EXTENSIONS[mimetype]
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except _ZIP_ERRORS:
        raise _damaged() from None
    finally:
        upload.seek(0)
    return "application/zip", ".zip"


def _text_kind(head: bytes, name: str) -> tuple[str, str] | None:
    if b"\x00" in head:
        return None
    # The sniffed head may cut a multi-byte character in half at its end.
    sample = head if len(head) < _SNIFF_BYTES else head[:-4]
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if name.lower().endswith(".csv"):
            return "text/csv", ".csv"
        return "text/plain", ".txt"
    return None


def sniff(upload: UploadedFile, name: str) -> tuple[str, str] | None:
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        lower = name.lower()
        if lower.endswith(".xls"):
            return "application/vnd.ms-excel", ".xls"
        if lower.endswith(".ppt"):
            return "application/vnd.ms-powerpoint", ".ppt"
        return "application/msword", ".doc"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(upload)
    return _text_kind(head, name)


def check_upload(upload: UploadedFile) -> CheckedUpload:
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("The file is empty."))
    if size > limit:
        raise _refuse(_("The file is larger than %(limit)s MB.") % {"limit": round(limit / 1024 / 1024, 1)})
    name = clean_filename(upload.name or "")
    kind = sniff(upload, name)
    if kind is None:
        raise _refuse(
            _(
                "Only documents and images can be attached: PDF, Office, OpenDocument, text, CSV, "
                "PNG, JPEG or ZIP."
            )
        )
    content_type, extension = kind
    return CheckedUpload(
        name=name_for_type(name, content_type),
        size=size,
        content_type=content_type,
        storage_name=uuid.uuid4().hex + extension,
    )


def org_upload_quota() -> int | None:
    """Bytes one organisation's users may upload in all; None: no limit."""
    quota = settings.PORTAL.get("ORG_UPLOAD_QUOTA_BYTES", DEFAULT_ORG_UPLOAD_QUOTA_BYTES)
    return None if quota is None else int(quota)


def organization_upload_bytes(organization_id: int) -> int:
    """What the organisation's users have attached so far: one aggregate over their uploads
    (the uploader foreign key is indexed, and so are users by organisation)."""
    from .models import Attachment

    total = Attachment.objects.filter(uploaded_by__organization_id=organization_id).aggregate(
        total=Sum("size")
    )["total"]
    return int(total or 0)


def check_quota(uploader: User, size: int, *, lock: bool = False) -> None:
    """Refuse an upload that would take the uploader's organisation beyond its quota.

    With `lock` (inside the transaction that inserts the attachment) concurrent uploads of one
    organisation are serialised on its row, so that two files near the limit cannot both slip
    in: PostgreSQL takes `FOR NO KEY UPDATE` on the organisation (which leaves rows that merely
    reference it free to be written), SQLite's IMMEDIATE transactions hold the write lock already.
    Users without an organisation (superusers) have no quota."""
    quota = org_upload_quota()
    organization_id = uploader.organization_id
    if quota is None or organization_id is None:
        return
    if lock:
        list(
            Organization.objects.select_for_update(no_key=True)
            .filter(pk=organization_id)
            .values_list("pk", flat=True)
        )
    used = organization_upload_bytes(organization_id)
    if used + size > quota:
        raise _refuse(
            _(
                "Your organisation's upload quota is %(quota)s and %(used)s of it is used: "
                "this file (%(size)s) does not fit. Ask an administrator for more room."
            )
            % {"quota": filesizeformat(quota), "used": filesizeformat(used), "size": filesizeformat(size)}
        )


def download_response(attachment: Any) -> FileResponse:
    """An attachment as a download: never shown inline, never sniffed into something else, and
    named with the extension of its checked type (rows stored before names followed the type
    download safely too)."""
    content_type = attachment.content_type if attachment.content_type in EXTENSIONS else _UNKNOWN[0]
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=name_for_type(attachment.name, content_type),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
