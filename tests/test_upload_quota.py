"""Each organisation's users may upload so much in all (PORTAL["ORG_UPLOAD_QUOTA_BYTES"]): a
file that would go beyond is refused with a clear message on the API and the page, and nothing
is kept of it, neither a row nor bytes on disk. Other organisations are unaffected."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.casework import actions, uploads
from apps.casework.models import Attachment, RequestEvent, ServiceRequest
from tests.test_attachments_messages import PDF, stored_files

SIZE = len(PDF)
# Every test stores its files in its own private directory.
pytestmark = pytest.mark.usefixtures("upload_root")


@pytest.fixture
def private_root(upload_root):
    return upload_root


@pytest.fixture
def sr(make_request) -> ServiceRequest:
    return make_request()


def pdf(name: str = "protocol.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def api_upload(api: Any, username: str, sr: ServiceRequest, **extra: Any) -> Any:
    return api(username).post(
        f"/api/v1/requests/{sr.pk}/attachments/", {"file": pdf(), **extra}, format="multipart"
    )


def page_upload(users: Any, username: str, sr: ServiceRequest) -> Any:
    client = Client()
    client.force_login(users[username])
    return client.post(f"/requests/{sr.pk}/attachments/", {"attachment-file": pdf()})


def state(sr: ServiceRequest) -> tuple[int, int]:
    return Attachment.objects.filter(request=sr).count(), RequestEvent.objects.filter(request=sr).count()


def test_the_default_quota_is_two_gibibytes():
    assert django_settings.PORTAL["ORG_UPLOAD_QUOTA_BYTES"] == 2 * 1024**3
    assert uploads.org_upload_quota() == 2 * 1024**3


def test_api_under_and_at_the_quota_is_accepted_and_over_it_is_400_with_nothing_kept(
    api, sr, quota, private_root
):
    quota(3 * SIZE)
    assert api_upload(api, "ent_pregene", sr).status_code == 201  # under
    assert api_upload(api, "ent_pregene", sr, internal="false").status_code == 201
    assert api_upload(api, "ent_pregene", sr).status_code == 201  # exactly at the quota
    before = state(sr)
    files_before = sorted(stored_files(private_root))
    r = api_upload(api, "ent_pregene", sr)
    assert r.status_code == 400, r.content
    message = r.json()["file"][0]
    assert "quota" in message and "does not fit" in message
    assert state(sr) == before
    assert sorted(stored_files(private_root)) == files_before
    assert uploads.organization_upload_bytes(sr.enterprise_id) == 3 * SIZE


def test_page_over_the_quota_shows_a_form_error_and_keeps_nothing(users, sr, quota, private_root):
    quota(SIZE)
    good = page_upload(users, "ent_pregene", sr)  # exactly the quota
    assert good.status_code == 302
    before = state(sr)
    bad = page_upload(users, "ent_pregene2", sr)  # a colleague: the same organisation
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "upload quota" in body and "does not fit" in body
    assert 'id="files"' in body or "attachment-file" in body  # the upload form, with its error
    assert state(sr) == before
    assert len(stored_files(private_root)) == 1


def test_the_quota_is_per_organisation(api, users, make_request, quota, private_root):
    quota(SIZE)
    pregene = make_request("ent_pregene")
    ascentawits = make_request("ent_ascentawits")
    assert api_upload(api, "ent_pregene", pregene).status_code == 201
    # Pregene is full, for every one of its users...
    assert api_upload(api, "ent_pregene", pregene).status_code == 400
    assert api_upload(api, "ent_pregene2", pregene).status_code == 400
    # ...but another enterprise, and the park's liaison (the park's own quota), are not.
    assert api_upload(api, "ent_ascentawits", ascentawits).status_code == 201
    assert api_upload(api, "liaison_sbip", pregene).status_code == 201
    assert uploads.organization_upload_bytes(users["liaison_sbip"].organization_id) == SIZE
    # The liaison's park is full now; Pregene did not get more room from it.
    assert api_upload(api, "liaison_sbip2", pregene).status_code == 400
    assert api_upload(api, "ent_pregene", pregene).status_code == 400


def test_internal_files_count_towards_the_quota(api, sr, quota):
    quota(SIZE)
    assert api_upload(api, "liaison_sbip", sr, internal="true").status_code == 201
    assert api_upload(api, "liaison_sbip", sr).status_code == 400


def test_no_quota_when_set_to_none(api, sr, quota):
    quota(None)
    assert api_upload(api, "ent_pregene", sr).status_code == 201


def test_a_refusal_under_the_lock_removes_the_file_already_written(
    users, sr, quota, private_root, monkeypatch
):
    """The early check passed (somebody else's file landed meanwhile): the authoritative check
    inside the transaction refuses, and the bytes written in between are removed."""
    quota(SIZE)
    real_check = uploads.check_quota

    def early_check_sees_room(uploader: Any, size: int, *, lock: bool = False) -> None:
        if lock:
            real_check(uploader, size, lock=True)

    actions.add_attachment(sr, actor=users["ent_pregene"], upload=pdf())
    monkeypatch.setattr(uploads, "check_quota", early_check_sees_room)
    before = state(sr)
    with pytest.raises(Exception, match="does not fit"):
        actions.add_attachment(sr, actor=users["ent_pregene2"], upload=pdf())
    assert state(sr) == before
    assert len(stored_files(private_root)) == 1


# --- the other upload rules, through the pages (the API's are in test_attachments_messages) ----------
def test_page_downloads_are_attachments_never_sniffed_and_only_for_those_who_see_the_request(users, sr):
    html_as_text = b"<html><script>alert(document.cookie)</script></html>\n"
    actions.add_attachment(
        sr,
        actor=users["ent_pregene"],
        upload=SimpleUploadedFile("..\\..\\evil\x07.html", html_as_text, content_type="text/html"),
    )
    attachment = Attachment.objects.get(request=sr)
    # The name takes the extension of the type its content showed: text, so `.txt` (issue 13).
    assert attachment.name == "evil.txt" and attachment.content_type == "text/plain"
    url = f"/requests/{sr.pk}/attachments/{attachment.pk}/"
    client = Client()
    client.force_login(users["ent_pregene"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == html_as_text
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="evil.txt"' in response["Content-Disposition"]
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"
    outsider = Client()
    outsider.force_login(users["ent_haidian"])
    assert outsider.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
