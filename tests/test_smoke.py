from tests.conftest import fresh


def test_full_path_park_to_provincial_and_back(api, make_request, users):
    sr = make_request()
    assert sr.state == "park_review" and sr.reference.startswith("PS-")
    liaison = api("liaison_sbip")
    r = liaison.post(f"/api/v1/requests/{sr.pk}/escalate/", {"reason": "Needs the district"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "district_review"
    assert r.json()["department_name"] == "Pingshan Market Supervision Bureau"
    r = api("officer_ps_msb").post(f"/api/v1/requests/{sr.pk}/escalate/", {"reason": "City"}, format="json")
    assert r.status_code == 200, r.content
    r = api("officer_sz_amr").post(
        f"/api/v1/requests/{sr.pk}/escalate/", {"reason": "Province"}, format="json"
    )
    assert r.status_code == 200, r.content
    r = api("officer_gd_mpa").post(
        f"/api/v1/requests/{sr.pk}/resolve/", {"resolution": "Done"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert fresh(sr).state == "resolved"
    r = api("ent_pregene").get(f"/api/v1/requests/{sr.pk}/timeline/")
    assert [e["kind"] for e in r.json()] == [
        "created",
        "submitted",
        "escalated",
        "escalated",
        "escalated",
        "resolved",
    ]
