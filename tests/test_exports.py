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
        exported = read_csv(client.get(f"/api/v1/requests/export.csv{query}"))
        assert [row["reference"] for row in exported] == [r["reference"] for r in listed], query
    rows = read_csv(client.get("/api/v1/requests/export.csv?search=基因"))
    assert rows[0]["title"] == "基因治疗产品的研发补贴"


def test_export_shows_only_what_the_caller_may_see(api, make_request):
    make_request()
    make_request(by="ent_ascentawits")
    rows = read_csv(api("ent_pregene").get("/api/v1/requests/export.csv"))
    assert {row["enterprise"] for row in rows} == {"Shenzhen Pregene Biopharma Co., Ltd."}
    assert read_csv(api("liaison_haidian").get("/api/v1/requests/export.csv")) == []


def test_export_refuses_bad_filters_and_strangers(api):
    assert api("liaison_sbip").get("/api/v1/requests/export.csv?state=bogus").status_code == 400
    assert api(None).get("/api/v1/requests/export.csv").status_code in (401, 403)


def test_cells_that_look_like_formulas_stay_text(api, make_request):
    make_request(title='=HYPERLINK("http://evil")')
    (row,) = read_csv(api("ent_pregene").get("/api/v1/requests/export.csv"))
    assert row["title"].startswith("'=")


def test_figures_export_as_csv_for_supervisors(api, make_request):
    make_request()
    response = api("supervisor_ps").get("/api/v1/stats/export.csv")
    rows = read_csv(response)
    assert rows and {"tier", "organization", "on_time_share", "over_7_days"} <= set(rows[0])
    assert api("ent_pregene").get("/api/v1/stats/export.csv").status_code == 403
