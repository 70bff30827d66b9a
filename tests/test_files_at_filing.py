"""Files where they belong (issue 14): attachments at filing and with the information provided,
checked like every upload and saved with the change or not at all; and the enterprise's home
card, which says plainly when a request waits on them, with what was asked and the reply box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.casework import actions, queues
from apps.casework.models import Attachment, EventKind, Message, RequestEvent, ServiceRequest, State
from apps.notifications import services as notifications
from apps.notifications.models import Notification
from tests.conftest import fresh
from tests.page_forms import Form, forms_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_root")]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# A Windows program: binary (NUL bytes), no document or image.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
ASKED = "Please send the amended protocol and the investigator's CV."


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pdf(name: str = "protocol.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def text_file(name: str = "notes.hta") -> SimpleUploadedFile:
    # Text named like a program: attached as the text it is, named for it.
    return SimpleUploadedFile(name, "给审评员的说明\nDose change notes.\n".encode(), content_type="text/html")


def exe(name: str = "setup.exe") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EXE, content_type="application/octet-stream")


def signed_in(users: dict[str, Any], username: str) -> Client:
    client = Client()
    client.force_login(users[username])
    return client


def the_form(html: str, action_ends: str) -> Form:
    found = [form for form in forms_in(html) if form.action.endswith(action_ends)]
    assert found, f"no form posting to …{action_ends}"
    return found[0]


def filing_form(client: Client) -> Form:
    page = client.get("/requests/new/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    form = next(f for f in forms_in(page.content.decode()) if f.method == "post" and f.action == "")
    assert form.attrs.get("enctype") == "multipart/form-data"
    return form


def filed(**typed: str) -> dict[str, str]:
    return {
        "title": "Phase II protocol amendment with attachments",
        "description": "The amended protocol and notes are attached.",
        "category": "clinical_trial",
        "product_type": "biologic",
        **typed,
    }


@pytest.fixture
def asked(make_request, users) -> ServiceRequest:
    """A Pregene request on which the park asked for more information."""
    service_request = make_request()
    return actions.request_info(fresh(service_request), actor=users["liaison_sbip"], body=ASKED)


# --- filing with files ------------------------------------------------------------------------
def test_filing_page_takes_several_files_each_checked_and_named_by_content(users, upload_root):
    """Rule: attachments can be added in the new-request form, through the same upload check
    and attachment action as the files card; a name follows the content (`.hta` of text: .txt)."""
    client = signed_in(users, "ent_pregene")
    form = filing_form(client)
    data = {**form.data(**filed()), "file": [pdf(), text_file()]}
    response = client.post("/requests/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ServiceRequest.objects.get(title="Phase II protocol amendment with attachments")
    assert created.state == State.PARK_REVIEW
    files = list(created.attachments.order_by("id"))
    assert [(a.name, a.content_type, a.internal) for a in files] == [
        ("protocol.pdf", "application/pdf", False),
        ("notes.txt", "text/plain", False),
    ]
    assert len(stored_files(upload_root)) == 2
    kinds = list(created.events.order_by("created_at", "id").values_list("kind", "text"))
    assert (EventKind.ATTACHMENT, "protocol.pdf") in kinds and (EventKind.ATTACHMENT, "notes.txt") in kinds
    # The park hears of the new request once, and of its files in the same notification.
    told = Notification.objects.filter(request=created, recipient=users["liaison_sbip"])
    assert told.count() == 1
    text = notifications.render(told.get(), "en")
    assert "“protocol.pdf”" in text and "“notes.txt”" in text
    detail = client.get(f"/requests/{created.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "protocol.pdf" in detail and "notes.txt" in detail


def test_a_refused_file_files_nothing_and_the_form_keeps_the_text(users, upload_root):
    """Rule: nothing half-done: a file the check refuses is the file field's error, the typed
    text comes back, and no request, attachment or stored file is left."""
    client = signed_in(users, "ent_pregene")
    form = filing_form(client)
    requests_before = ServiceRequest.objects.count()
    data = {**form.data(**filed(title="Kept title with a bad file")), "file": [pdf(), exe()]}
    response = client.post("/requests/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "“setup.exe”: Only documents and images can be attached" in html
    assert 'value="Kept title with a bad file"' in html
    assert "The amended protocol and notes are attached." in html
    assert ServiceRequest.objects.count() == requests_before
    assert not Attachment.objects.exists()
    assert stored_files(upload_root) == []


def test_at_most_five_files_at_filing(users):
    client = signed_in(users, "ent_pregene")
    form = filing_form(client)
    data = {**form.data(**filed()), "file": [pdf(f"p{n}.pdf") for n in range(6)]}
    response = client.post("/requests/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Attach at most 5 files at once." in response.content.decode()
    assert not ServiceRequest.objects.filter(title=filed()["title"]).exists()


def test_api_files_at_filing_with_multipart_and_lists_them(api, upload_root):
    """Rule: POST /api/v1/requests/ takes multipart with `file` (repeated) besides JSON; the
    response lists the attachments."""
    client = api("ent_pregene")
    response = client.post(
        "/api/v1/requests/", {**filed(submit="true"), "file": [pdf(), text_file()]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == State.PARK_REVIEW
    assert [(a["name"], a["content_type"]) for a in body["attachments"]] == [
        ("protocol.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
    ]
    downloaded = client.get(body["attachments"][0]["download_url"])
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PDF


def test_api_json_filing_still_works(api):
    response = api("ent_pregene").post("/api/v1/requests/", filed(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["attachments"] == [] and response.json()["state"] == State.DRAFT


def test_api_a_refused_file_at_filing_is_a_400_and_files_nothing(api, upload_root):
    before = ServiceRequest.objects.count()
    response = api("ent_pregene").post(
        "/api/v1/requests/", {**filed(), "file": [pdf(), exe()]}, format="multipart"
    )
    assert response.status_code == 400
    assert "“setup.exe”: Only documents and images" in response.json()["file"][0]
    assert ServiceRequest.objects.count() == before
    assert not Attachment.objects.exists() and stored_files(upload_root) == []


def test_api_files_must_be_files(api):
    """A `file` in JSON that is no upload is a clear 400, never a 500."""
    response = api("ent_pregene").post("/api/v1/requests/", {**filed(), "file": ["x", "y"]}, format="json")
    assert response.status_code == 400
    # Field messages as for every field: a list of words, each naming the file by its place.
    messages = response.json()["file"]
    assert isinstance(messages, list) and len(messages) == 2
    assert messages[0].startswith("File 1: ") and messages[1].startswith("File 2: ")


# --- provide_info with files ------------------------------------------------------------------
def test_api_provide_info_with_a_file(api, asked, users):
    """Rule: a file with provide_info (multipart `body` + `file`): reply and file in one change;
    the timeline shows the file and the tier's notification names it."""
    response = api("ent_pregene").post(
        f"/api/v1/requests/{asked.pk}/provide_info/",
        {
            "body": "Attached the amended protocol.",
            "file": [pdf("amended.pdf")],
            "version": str(asked.version),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == State.PARK_REVIEW
    assert [a["name"] for a in body["attachments"]] == ["amended.pdf"]
    timeline = api("liaison_sbip").get(f"/api/v1/requests/{asked.pk}/timeline/").json()
    assert [(e["kind"], e["text"]) for e in timeline[-2:]] == [
        (EventKind.INFO_PROVIDED, "Attached the amended protocol."),
        (EventKind.ATTACHMENT, "amended.pdf"),
    ]
    told = Notification.objects.filter(request=asked, recipient=users["liaison_sbip"]).latest("id")
    assert "“amended.pdf”" in notifications.render(told, "en")
    assert "附件" in notifications.render(told, "zh-hans")


def test_api_provide_info_with_a_refused_file_sends_nothing(api, asked, upload_root):
    messages_before = Message.objects.filter(request=asked).count()
    response = api("ent_pregene").post(
        f"/api/v1/requests/{asked.pk}/provide_info/",
        {"body": "Here it is.", "file": [exe()]},
        format="multipart",
    )
    assert response.status_code == 400 and "setup.exe" in str(response.json())
    assert fresh(asked).state == State.INFO_REQUESTED
    assert Message.objects.filter(request=asked).count() == messages_before
    assert not Attachment.objects.exists() and stored_files(upload_root) == []


def test_api_provide_info_as_json_still_works(api, asked):
    response = api("ent_pregene").post(
        f"/api/v1/requests/{asked.pk}/provide_info/", {"body": "No files needed."}, format="json"
    )
    assert response.status_code == 200 and response.json()["attachments"] == []


def test_liaison_provides_info_with_a_file_on_the_request_page(users, asked):
    """The liaison may provide the information too, from the request page's form."""
    client = signed_in(users, "liaison_sbip")
    page = client.get(f"/requests/{asked.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = the_form(page, "/act/provide_info/")
    assert form.attrs.get("enctype") == "multipart/form-data"
    data = {
        **form.data(**{"provide_info-body": "Sent on the enterprise's behalf."}),
        "provide_info-file": [pdf()],
    }
    response = client.post(form.action, data)
    assert response.status_code == 302
    assert fresh(asked).state == State.PARK_REVIEW
    assert list(asked.attachments.values_list("name", flat=True)) == ["protocol.pdf"]


# --- the enterprise's card --------------------------------------------------------------------
def test_the_card_says_the_request_waits_on_them_with_what_was_asked(users, asked):
    """Rule: the enterprise's card says plainly when the request waits on them: which tier
    asked, what it asked, and the reply box with a file field right there."""
    html = signed_in(users, "ent_pregene").get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for you: the park asked for more information" in html
    assert ASKED.replace("'", "&#x27;") in html
    form = the_form(html, f"/requests/{asked.pk}/act/provide_info/")
    assert form.attrs.get("enctype") == "multipart/form-data"
    assert form.values["version"] == [str(asked.version)] and form.values["next"] == ["/home/"]
    assert 'type="file" name="provide_info-file"' in html and 'name="provide_info-body"' in html


def test_the_enterprise_replies_from_the_card_with_a_file(users, asked):
    client = signed_in(users, "ent_pregene")
    html = client.get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = the_form(html, f"/requests/{asked.pk}/act/provide_info/")
    data = {**form.data(**{"provide_info-body": "Protocol attached."}), "provide_info-file": [pdf("v2.pdf")]}
    response = client.post(form.action, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [("/home/", 302)]
    page = response.content.decode()
    assert f"Information sent: {asked.reference} is back with" in page
    assert "Waiting for you" not in page
    after = fresh(asked)
    assert after.state == State.PARK_REVIEW
    assert list(after.attachments.values_list("name", flat=True)) == ["v2.pdf"]
    detail = client.get(f"/requests/{asked.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Protocol attached." in detail and "v2.pdf" in detail
    told = Notification.objects.filter(request=asked, recipient=users["liaison_sbip"]).latest("id")
    assert "“v2.pdf”" in notifications.render(told, "en")


def test_a_refused_file_from_the_card_keeps_the_reply(users, asked):
    client = signed_in(users, "ent_pregene")
    form = the_form(client.get("/home/").content.decode(), f"/requests/{asked.pk}/act/provide_info/")
    data = {**form.data(**{"provide_info-body": "My kept reply"}), "provide_info-file": [exe()]}
    response = client.post(form.action, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "My kept reply" in html and "“setup.exe”: Only documents and images" in html
    assert fresh(asked).state == State.INFO_REQUESTED and not Attachment.objects.exists()


def test_internal_notes_never_show_on_the_card(users, asked):
    """Rule: internal notes and files never reach enterprise staff, the card included."""
    liaison = users["liaison_sbip"]
    actions.add_message(fresh(asked), actor=liaison, body="Internal: they are late again", internal=True)
    actions.add_attachment(fresh(asked), actor=liaison, upload=pdf("internal-assessment.pdf"), internal=True)
    html = signed_in(users, "ent_pregene").get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for you" in html
    assert "they are late again" not in html and "internal-assessment" not in html


def test_the_card_shows_the_latest_question(users, asked):
    actions.provide_info(fresh(asked), actor=users["ent_pregene"], body="First answer")
    actions.request_info(fresh(asked), actor=users["liaison_sbip"], body="One more thing: the batch records.")
    html = signed_in(users, "ent_pregene").get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "One more thing: the batch records." in html and ASKED not in html


def test_the_card_in_chinese(users, asked):
    html = (
        signed_in(users, "ent_pregene").get("/home/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    )
    assert "等待您回复：园区要求补充材料" in html
    assert "发送补充材料" in html


def test_a_stale_card_form_keeps_the_text_and_says_what_changed(users, asked):
    """Rule: a form sent on a request changed since (here the liaison provided the information
    meanwhile) is refused, says who did what, and keeps the typed text."""
    client = signed_in(users, "ent_pregene")
    form = the_form(client.get("/home/").content.decode(), f"/requests/{asked.pk}/act/provide_info/")
    actions.provide_info(fresh(asked), actor=users["liaison_sbip"], body="Liaison answered first.")
    data = {**form.data(**{"provide_info-body": "My answer typed on the card"}), "provide_info-file": [pdf()]}
    response = client.post(form.action, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    html = response.content.decode()
    assert "provided the information asked for" in html
    assert "My answer typed on the card" in html
    assert not Attachment.objects.exists()
    assert RequestEvent.objects.filter(request=asked, kind=EventKind.INFO_PROVIDED).count() == 1


def test_the_enterprise_home_asks_once_for_the_latest_questions(users, make_request):
    """Rule: no N+1: one query for the latest asks, however many cards wait on the enterprise."""
    client = signed_in(users, "ent_pregene")

    def ask_one() -> None:
        service_request = make_request()
        actions.request_info(fresh(service_request), actor=users["liaison_sbip"], body="Which site?")

    def queries() -> int:
        queues.kept.clear()  # counted afresh each time, as after any change
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/home/")
        assert response.status_code == 200
        return len(captured)

    ask_one()
    client.get("/home/")
    few = queries()
    for _ in range(4):
        ask_one()
    assert queries() == few
    assert client.get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode().count("Waiting for you") == 5
