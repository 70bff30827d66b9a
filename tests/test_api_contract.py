"""The API keeps to its OpenAPI schema: what the fuzz tests (`test_fuzz_api.py`) found, pinned
down one by one, and the standard error answers the schema documents on every operation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.casework import actions, uploads
from apps.casework.models import Attachment

pytestmark = pytest.mark.django_db

DEADLINE = "/api/v1/calendar/deadline/"


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", {"format": "json"}).json()


def operations(openapi: dict[str, Any]):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_a_request_without_a_department_says_null_as_the_schema_allows(api, make_request, openapi):
    draft = make_request(submit=False)
    client = api("ent_pregene")
    detail = client.get(f"/api/v1/requests/{draft.pk}/").json()
    (listed,) = client.get("/api/v1/requests/").json()["results"]
    assert detail["department"] is None and detail["department_name"] is None
    assert listed["department_name"] is None
    for name in ("Request", "RequestDetail"):
        assert openapi["components"]["schemas"][name]["properties"]["department_name"]["nullable"] is True


@pytest.mark.parametrize(
    "received_at",
    [
        # Before 1901 Shanghai's offset was +08:05:43, which an RFC 3339 date-time cannot write.
        "0088-01-11T11:18:58-20:51",
        "1900-06-01T10:00:00+08:00",
        # The next working day after this one is past what dates can hold.
        "9999-12-31T10:00:00+08:00",
    ],
)
def test_a_deadline_far_outside_the_calendar_is_refused_not_misanswered(api, users, received_at):
    response = api("ent_pregene").get(DEADLINE, {"received_at": received_at})
    assert response.status_code == 400
    assert "received_at" in response.json()


def test_a_deadline_within_the_supported_years_is_answered(api, users):
    response = api("ent_pregene").get(DEADLINE, {"received_at": "1970-01-05T10:00:00+08:00"})
    assert response.status_code == 200
    assert response.json()["due_at"] == "1970-01-06T18:00:00+08:00"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "0001-01-01", "until": "0001-01-03"},
        {"until": "9999-12-31"},
        {"since": "1900-01-01T00:00:00+08:00", "until": "1900-02-01"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/stats/", "/api/v1/stats/export.csv"])
def test_service_figures_for_a_period_outside_the_supported_years_are_a_400(api, users, path, params):
    response = api("supervisor_ps").get(path, params)
    assert response.status_code == 400
    assert set(response.json()) & {"since", "until"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/requests/abc/"),
        ("get", "/api/v1/requests/%C3%A6J/timeline/"),
        ("post", "/api/v1/notifications/x/read/"),
        ("get", "/api/v1/no-such-collection/"),
    ],
)
def test_an_api_address_that_matches_no_view_is_a_json_404(api, users, method, path):
    response = getattr(api("ent_pregene"), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_page_address_that_matches_nothing_is_still_a_page(users):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/requests/", "/api/v1/requests/export.csv"])
@pytest.mark.parametrize("query", ["overdue=-6924", "overdue=maybe", "green_channel=sometimes"])
def test_a_yes_or_no_filter_refuses_anything_but_true_or_false(api, make_request, path, query):
    # It used to be read as "no filter", so the answer listed everything.
    make_request()
    response = api("liaison_sbip").get(f"{path}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize("value", ["true", "false", "True", "1", "0", ""])
def test_a_yes_or_no_filter_still_reads_true_and_false(api, make_request, value):
    make_request()
    for path in ("/api/v1/requests/", "/api/v1/requests/export.csv"):
        assert api("liaison_sbip").get(path, {"overdue": value, "green_channel": value}).status_code == 200


def test_the_request_page_shows_a_bad_yes_or_no_filter_as_a_form_error(users, make_request):
    make_request()
    client = Client()
    client.force_login(users["liaison_sbip"])
    good = client.get("/requests/", {"green_channel": "true"})
    assert good.status_code == 200 and b'role="alert"' not in good.content
    bad = client.get("/requests/", {"green_channel": "sometimes"})
    assert bad.status_code == 200 and b'role="alert"' in bad.content


@pytest.mark.parametrize("path", ["/api/v1/requests/", "/api/v1/notifications/", "/api/v1/guidance/"])
@pytest.mark.parametrize("page_size", ["null", "abc", "0", "-5", "", "2.5"])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_a_400(api, users, path, page_size):
    # DRF quietly used the default, so the client got pages of another size than it asked for.
    response = api("liaison_sbip").get(path, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/requests/", "/api/v1/notifications/", "/api/v1/guidance/"])
def test_an_empty_page_number_is_an_invalid_page_like_any_other(api, users, path):
    # DRF read `page=` as the first page.
    client = api("liaison_sbip")
    assert client.get(path, {"page": ""}).status_code == 404
    assert client.get(path, {"page": "abc"}).status_code == 404
    assert client.get(path, {"page": "1"}).status_code == 200
    assert client.get(path).status_code == 200


def test_a_page_size_within_bounds_is_used_and_a_larger_one_gets_the_maximum(api, make_request, openapi):
    for _n in range(3):
        make_request()
    client = api("liaison_sbip")
    assert len(client.get("/api/v1/requests/", {"page_size": "2"}).json()["results"]) == 2
    assert len(client.get("/api/v1/requests/", {"page_size": str(10**30)}).json()["results"]) == 3
    (page_size,) = (
        p for p in openapi["paths"]["/api/v1/requests/"]["get"]["parameters"] if p["name"] == "page_size"
    )
    assert page_size["schema"] == {"type": "integer", "minimum": 1}


def test_a_body_in_a_format_no_parser_reads_is_a_documented_415(api, make_request, openapi):
    service_request = make_request()
    response = api("liaison_sbip").post(
        f"/api/v1/requests/{service_request.pk}/messages/", b"body=hello", content_type="text/x-unknown"
    )
    assert response.status_code == 415
    assert "415" in openapi["paths"]["/api/v1/requests/{id}/messages/"]["post"]["responses"]


@pytest.mark.parametrize("path", ["/api/v1/requests/export.csv", "/api/v1/stats/export.csv"])
def test_a_csv_export_answers_a_client_that_accepts_only_csv(api, make_request, path):
    # DRF knows no CSV renderer, so `Accept: text/csv` was a 406 Not Acceptable.
    make_request()
    response = api("supervisor_ps").get(path, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_an_export_error_is_json_whatever_the_client_accepts(api, users):
    for accept in ("text/csv", "text/html"):
        refused = api("ent_pregene").get("/api/v1/stats/export.csv", HTTP_ACCEPT=accept)
        assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
        bad = api("ent_pregene").get("/api/v1/requests/export.csv?overdue=x", HTTP_ACCEPT=accept)
        assert bad.status_code == 400 and bad["Content-Type"] == "application/json"


def test_an_attachment_downloads_whatever_the_client_accepts_as_a_documented_type(
    api, make_request, openapi, settings, tmp_path
):
    settings.PRIVATE_UPLOAD_ROOT = tmp_path
    storage_field = Attachment._meta.get_field("file")
    configured = storage_field.storage
    storage_field.storage = storage_field._storage_callable()
    try:
        service_request = make_request()
        attachment = actions.add_attachment(
            service_request,
            actor=service_request.created_by,
            upload=SimpleUploadedFile("notes.txt", b"Minutes.\n", content_type="application/pdf"),
        )
        url = f"/api/v1/requests/{service_request.pk}/attachments/{attachment.pk}/download/"
        for accept in ("text/plain", "application/pdf", "*/*"):
            response = api("ent_pregene").get(url, HTTP_ACCEPT=accept)
            assert response.status_code == 200, accept
            assert response["Content-Type"] == "text/plain"
    finally:
        storage_field.storage = configured
    documented = openapi["paths"]["/api/v1/requests/{id}/attachments/{attachment_id}/download/"]["get"]
    assert "text/plain" in documented["responses"]["200"]["content"]


def test_every_type_an_upload_is_recognised_as_is_documented_for_its_download(openapi):
    documented = openapi["paths"]["/api/v1/requests/{id}/attachments/{attachment_id}/download/"]["get"]
    assert set(documented["responses"]["200"]["content"]) == set(uploads.CONTENT_TYPES)
    samples = {
        "a.pdf": b"%PDF-1.4\n",
        "a.png": b"\x89PNG\r\n\x1a\n" + b"0" * 16,
        "a.jpg": b"\xff\xd8\xff\xe0" + b"0" * 16,
        "a.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 16,
        "a.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 16,
        "a.ppt": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 16,
        "a.txt": "说明".encode(),
        "a.csv": b"a,b\n1,2\n",
    }
    for name, content in samples.items():
        kind = uploads.sniff(SimpleUploadedFile(name, content), name)
        assert kind is not None and kind[0] in uploads.CONTENT_TYPES, name


def test_a_json_operation_documents_406_for_an_accept_it_cannot_answer(api, users, openapi):
    response = api("ent_pregene").get("/api/v1/requests/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406
    assert "406" in openapi["paths"]["/api/v1/requests/"]["get"]["responses"]
    for path in ("/api/v1/requests/export.csv", "/api/v1/stats/export.csv"):
        assert "406" not in openapi["paths"][path]["get"]["responses"]


def test_every_operation_documents_the_errors_it_can_answer_with(openapi):
    schemas = openapi["components"]["schemas"]
    assert {"Error", "ValidationError"} <= set(schemas)
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        assert "429" in responses, label
        assert "Retry-After" in responses["429"]["headers"], label
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), label
        if "{" in path:
            assert "404" in responses, label
        if method == "post":
            assert {"400", "415"} <= set(responses), label
        for code, response in responses.items():
            if code.startswith("4"):
                assert response["description"], (label, code)
                (content,) = response["content"].values()
                expected = "ValidationError" if code == "400" else "Error"
                assert content["schema"]["$ref"] == f"#/components/schemas/{expected}", (label, code)
    # Signing in needs no credentials; its 401 is the second factor's code, missing or wrong.
    token = openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "code" in token["401"]["description"] and "second factor" in token["401"]["description"]


def test_a_view_keeps_its_own_description_of_an_error(openapi):
    escalate = openapi["paths"]["/api/v1/requests/{id}/escalate/"]["post"]["responses"]
    assert escalate["409"]["description"].startswith("Not allowed from the request's current state")
    assert escalate["404"]["description"] == "No such request, or not visible to you."
