"""What may be attached to a request: documents and images, recognised by their content, within
the uploader's organisation's quota.

The name a browser sends says nothing about a file, so each upload is identified from its
bytes: PDF, Office (legacy and OOXML), OpenDocument, plain text and CSV, PNG, JPEG and ZIP.
Archives are opened (without extracting) and refused when they would expand beyond reason.
"""

from __future__ import annotations

import os
import unicodedata
import uuid
import zipfile
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
_SNIFF_BYTES = 8192

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


def _zip_kind(upload: UploadedFile) -> tuple[str, str]:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ARCHIVE_ENTRIES:
                raise _refuse(_("This archive holds too many files."))
            if sum(entry.file_size for entry in entries) > MAX_ARCHIVE_EXPANDED_BYTES:
                raise _refuse(_("This archive expands to more than we accept."))
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype in ODF_EXTENSIONS:
                    return mimetype, ODF_EXTENSIONS[mimetype]
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except zipfile.BadZipFile:
        raise _refuse(_("This archive is damaged.")) from None
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
        name=name, size=size, content_type=content_type, storage_name=uuid.uuid4().hex + extension
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
    """An attachment as a download: never shown inline, never sniffed into something else."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
