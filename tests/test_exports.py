"""CSV exports: the same rows as the list, readable by spreadsheet programs."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "a BOM, so that Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_export_rows_equal_the_list_rows_for_the_same_filters(api, make_request):
    make_request(category="clinical_trial")
    make_request(category="rnd", title="基因治疗产品的研发补贴")
    make_request(by="ent_ascentawits", category="rnd")
    client = api("liaison_sbip")
    for query in ("", "?category=rnd", "?search=基因", "?state=park_review&product_type=biologic"):
        listed = client.get(f"/api/v1/requests/{query}").json()["results"]
        exported = read_csv(client.get(f"/api/v1/requests/export.csv{query or '?'}&labels=0"))
        assert [row["reference"] for row in exported] == [r["reference"] for r in listed], query
    rows = read_csv(client.get("/api/v1/requests/export.csv?search=基因&labels=0"))
    assert rows[0]["title"] == "基因治疗产品的研发补贴"


def test_export_shows_only_what_the_caller_may_see(api, make_request):
    make_request()
    make_request(by="ent_ascentawits")
    rows = read_csv(api("ent_pregene").get("/api/v1/requests/export.csv?labels=0"))
    assert {row["enterprise"] for row in rows} == {"Shenzhen Pregene Biopharma Co., Ltd."}
    assert read_csv(api("liaison_haidian").get("/api/v1/requests/export.csv")) == []


def test_export_refuses_bad_filters_and_strangers(api):
    assert api("liaison_sbip").get("/api/v1/requests/export.csv?state=bogus").status_code == 400
    refused = api("liaison_sbip").get("/api/v1/requests/export.csv?labels=maybe")
    assert refused.status_code == 400 and "labels" in refused.json()
    assert api(None).get("/api/v1/requests/export.csv").status_code in (401, 403)


def test_cells_that_look_like_formulas_stay_text(api, make_request):
    make_request(title='=HYPERLINK("http://evil")')
    (row,) = read_csv(api("ent_pregene").get("/api/v1/requests/export.csv?labels=0"))
    assert row["title"].startswith("'=")


def test_figures_export_as_csv_for_supervisors(api, make_request):
    make_request()
    response = api("supervisor_ps").get("/api/v1/stats/export.csv")
    rows = read_csv(response)
    assert rows and {"tier", "organization", "on_time_share", "over_7_days"} <= set(rows[0])
    assert api("ent_pregene").get("/api/v1/stats/export.csv").status_code == 403


def test_export_speaks_the_readers_language_by_default(api, make_request):
    """A person opening the file reads labels, not codes; labels=0 keeps the codes."""
    make_request(category="clinical_trial")
    client = api("liaison_sbip")
    (english,) = read_csv(client.get("/api/v1/requests/export.csv"))
    assert english["State"] == "Park review" and english["Category"] == "Clinical trial"
    assert english["Green channel"] == "No"
    assert english["Enterprise"] == "Shenzhen Pregene Biopharma Co., Ltd."
    (chinese,) = read_csv(client.get("/api/v1/requests/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "park_review" not in chinese.values() and "clinical_trial" not in chinese.values()
    assert not any(header.isascii() for header in chinese), "headers in Chinese"
    assert any("园区" in value for value in chinese.values()), "the park's Chinese name"
    (coded,) = read_csv(client.get("/api/v1/requests/export.csv?labels=0"))
    assert coded["state"] == "park_review" and coded["category"] == "clinical_trial"


def test_an_empty_filter_parameter_means_no_filter(api, make_request):
    """What a form's "All" option sends (`category=`) filters nothing, in the list and the CSV."""
    make_request(category="clinical_trial")
    make_request(category="rnd")
    client = api("liaison_sbip")
    empty = "state=&category=&product_type=&due=&assignee=&green_channel=&overdue=&search="
    listed = client.get(f"/api/v1/requests/?{empty}")
    assert listed.status_code == 200 and listed.json()["count"] == 2
    assert len(read_csv(client.get(f"/api/v1/requests/export.csv?{empty}"))) == 2
