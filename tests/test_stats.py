"""Service figures computed from tier visits with known answers."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from apps.casework import actions
from apps.deadlines.scan import scan
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def known_visits(make_request, users):
    """Four requests at the SBIP park tier, one of them escalated to the district:

    - A: in Tue 24 Nov 10:00, answered Tue 14:00 → on time, 4 working hours;
    - B: in Tue 24 Nov 10:00, answered Thu 26 Nov 10:00 → late (due Wed 18:00), 18 working hours;
    - C: in Wed 30 Sep 16:00, answered Thu 8 Oct 10:00 across National Day → on time, 3 working hours;
    - D: in Tue 24 Nov 11:00, escalated Tue 12:00 (on time, 1 working hour), then waiting at
      the Pingshan Market Supervision Bureau, due Wed 18:00, never answered → a breach.
    """
    liaison = users["liaison_sbip"]
    with time_machine.travel(at("2026-09-30 16:00"), tick=False):
        c = make_request(title="C")
    with time_machine.travel(at("2026-10-08 10:00"), tick=False):
        actions.respond(fresh(c), actor=liaison, body="Answered after the holiday")
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        a = make_request(title="A")
        b = make_request(title="B")
    with time_machine.travel(at("2026-11-24 11:00"), tick=False):
        d = make_request(title="D")
    with time_machine.travel(at("2026-11-24 12:00"), tick=False):
        actions.escalate(fresh(d), actor=liaison, reason="Needs the bureau")
    with time_machine.travel(at("2026-11-24 14:00"), tick=False):
        actions.respond(fresh(a), actor=liaison, body="Answered")
    scan(at("2026-11-25 18:30"))  # B and D miss Wednesday's deadline
    with time_machine.travel(at("2026-11-26 10:00"), tick=False):
        actions.respond(fresh(b), actor=liaison, body="Late answer")
    return a, b, c, d


def stats(api, username, **params):
    params = {"since": "2026-09-01", "until": "2026-11-30", **params}
    with time_machine.travel(at("2026-11-27 10:00"), tick=False):
        return api(username).get("/api/v1/stats/", params)


def test_park_figures_count_on_time_late_and_across_a_holiday(known_visits, api):
    response = stats(api, "supervisor_sbip")
    assert response.status_code == 200
    (park,) = response.json()["tiers"]
    assert park["tier"] == "park"
    assert (park["received"], park["fed_back"], park["on_time"], park["breaches"]) == (4, 4, 3, 1)
    assert park["on_time_share"] == 0.75
    # Working hours to feedback: 1, 3, 4, 18 → median (nearest rank) 3, 90th percentile 18.
    assert (park["median_working_hours"], park["p90_working_hours"]) == (3.0, 18.0)


def test_district_supervisor_sees_park_and_department_figures_with_backlog(known_visits, api):
    body = stats(api, "supervisor_ps").json()
    tiers = {t["tier"]: t for t in body["tiers"]}
    assert set(tiers) == {"park", "district"}
    district = tiers["district"]
    assert (district["received"], district["fed_back"], district["breaches"]) == (1, 0, 1)
    assert district["on_time_share"] == 0.0
    # D has waited since Tuesday noon: between 1 and 3 days on Friday morning.
    assert district["backlog"]["1_to_3_days"] == 1
    units = {u["organization"]: u for u in body["units"]}
    assert units["Pingshan Market Supervision Bureau"]["received"] == 1
    assert units["Shenzhen Biomedicine Innovation Industrial Park"]["received"] == 4


def test_weekly_trend_groups_visits_by_week(known_visits, api):
    weeks = {w["week_start"]: w for w in stats(api, "supervisor_ps").json()["weeks"]}
    assert weeks["2026-09-28"]["received"] == 1
    assert weeks["2026-11-23"]["received"] == 4  # A, B, D at the park and D at the district
    assert weeks["2026-11-23"]["breaches"] == 2


def test_period_limits_which_visits_count(known_visits, api):
    (park,) = stats(api, "supervisor_sbip", since="2026-11-01").json()["tiers"]
    assert park["received"] == 3


def test_another_parks_supervisor_sees_none_of_these_figures(known_visits, api, users, orgs):
    from apps.organizations.models import User

    User.objects.create_user("supervisor_accel", password="x", role="supervisor", organization=orgs["accel"])
    users["supervisor_accel"] = User.objects.get(username="supervisor_accel")
    body = stats(api, "supervisor_accel").json()
    assert body["tiers"] == [] and body["units"] == []
    assert stats(api, "supervisor_hd").json()["tiers"] == []


def test_department_officer_sees_own_department_only(known_visits, api):
    body = stats(api, "officer_ps_msb").json()
    assert [t["tier"] for t in body["tiers"]] == ["district"]
    assert stats(api, "officer_ps_sti").json()["tiers"] == []


def test_figures_are_refused_to_enterprises_and_liaisons(api):
    assert stats(api, "ent_pregene").status_code == 403
    assert stats(api, "liaison_sbip").status_code == 403


def test_bad_periods_are_a_400(api):
    assert stats(api, "supervisor_ps", since="yesterday").status_code == 400
    assert stats(api, "supervisor_ps", since="2026-11-30", until="2026-11-01").status_code == 400


def test_figures_are_kept_for_a_minute_per_organisation_period_and_language(known_visits, api, make_request):
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    with override_settings(PORTAL={**settings.PORTAL, "FIGURES_CACHE_SECONDS": 60}):
        first = stats(api, "supervisor_sbip").json()
        with time_machine.travel(at("2026-11-25 10:00"), tick=False):
            make_request(title="E")
        # Within the minute the same figures come back; another period is computed afresh.
        assert stats(api, "supervisor_sbip").json() == first
        assert stats(api, "supervisor_sbip", since="2026-10-01").json() != first
        with time_machine.travel(at("2026-11-27 10:00"), tick=False):
            chinese = api("supervisor_sbip").get(
                "/api/v1/stats/",
                {"since": "2026-09-01", "until": "2026-11-30"},
                HTTP_ACCEPT_LANGUAGE="zh-hans",
            )
        assert chinese.json()["units"] != first["units"]  # names in Chinese: not the English copy
    cache.clear()
    assert stats(api, "supervisor_sbip").json() != first
