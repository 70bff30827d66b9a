"""The supervisor's figures page and the monthly report (通报): which days a period covers, the
period before it, the targets each unit is read against, and what the page and report show."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict

from apps.casework import actions
from apps.deadlines.scan import scan
from apps.stats.models import ServiceTarget
from apps.stats.targets import Target, target_for
from apps.web.charts import target_chart, wrap_label
from apps.web.figures import chosen_period
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def period(query: str):
    found, form = chosen_period(QueryDict(query))
    return found, form


# Periods: calendar boundaries in Asia/Shanghai, and the period of the same length before.


@time_machine.travel(at("2026-11-18 09:00"), tick=False)  # a Wednesday
@pytest.mark.parametrize(
    ("query", "first", "last", "previous_first", "previous_last"),
    [
        ("period=week", "2026-11-16", "2026-11-22", "2026-11-09", "2026-11-15"),
        ("period=month", "2026-11-01", "2026-11-30", "2026-10-01", "2026-10-31"),
        ("", "2026-11-01", "2026-11-30", "2026-10-01", "2026-10-31"),  # the default: this month
        ("period=quarter", "2026-10-01", "2026-12-31", "2026-07-01", "2026-09-30"),
        # A custom range of ten days is compared with the ten days right before it.
        (
            "period=custom&since=2026-11-01&until=2026-11-10",
            "2026-11-01",
            "2026-11-10",
            "2026-10-22",
            "2026-10-31",
        ),
    ],
)
def test_each_period_choice_covers_its_calendar_days_and_the_one_before(
    query, first, last, previous_first, previous_last
):
    found, form = period(query)
    assert form.is_valid(), form.errors
    assert (found.first, found.last) == (date.fromisoformat(first), date.fromisoformat(last))
    before = found.previous()
    assert (before.first, before.last) == (
        date.fromisoformat(previous_first),
        date.fromisoformat(previous_last),
    )
    # Half-open in China Standard Time: from the first day's midnight to the midnight after the last.
    assert found.since == at(f"{first} 00:00")
    assert found.until - found.since == (found.last - found.first) + (at("2026-01-02") - at("2026-01-01"))


def test_the_quarter_turns_at_midnight_in_shanghai_not_in_utc():
    # 1 October 00:30 in Shanghai is still 30 September in UTC.
    with time_machine.travel(at("2026-10-01 00:30"), tick=False):
        found, _form = period("period=quarter")
    assert (found.first, found.last) == (date(2026, 10, 1), date(2026, 12, 31))
    assert (found.previous().first, found.previous().last) == (date(2026, 7, 1), date(2026, 9, 30))
    with time_machine.travel(at("2026-01-01 08:00"), tick=False):
        found, _form = period("period=quarter")
    assert found.previous().first == date(2025, 10, 1)  # across the year


def test_the_page_shows_the_chosen_period_and_links_its_downloads(browser, users):
    with time_machine.travel(at("2026-10-01 00:30"), tick=False):
        html = browser("supervisor_ps").get("/home/?period=quarter").content.decode()
    assert "Requests that entered a tier from 2026-10-01 to 2026-12-31." in html
    assert "previous period, 2026-07-01 to 2026-09-30" in html
    assert "/api/v1/stats/export.csv?since=2026-10-01&amp;until=2026-12-31" in html
    assert "/figures/report/?month=2026-10" in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("period=custom&since=2026-11-10&until=2026-11-01", "The last day must not be before the first."),
        ("period=custom&since=2026-13-45&until=2026-11-01", "Enter a valid date."),
        ("period=custom&since=2025-01-01&until=2026-11-01", "Choose at most 366 days at a time."),
        ("period=custom&since=2026-11-01", "A custom range needs both its first and its last day."),
        ("period=fortnight", "Select a valid choice."),
    ],
)
def test_a_bad_custom_range_is_a_form_error_and_the_page_shows_this_month(browser, query, error):
    with time_machine.travel(at("2026-11-18 09:00"), tick=False):
        response = browser("supervisor_ps").get(f"/home/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert "That period cannot be shown; these are this month's figures." in html
    assert "Requests that entered a tier from 2026-11-01 to 2026-11-30." in html


def test_dates_typed_without_choosing_custom_mean_that_range():
    found, form = period("since=2026-11-01&until=2026-11-03")
    assert form.is_valid() and (found.kind, found.days) == ("custom", 3)


def test_a_range_of_exactly_366_days_is_allowed():
    found, form = period("period=custom&since=2027-01-01&until=2028-01-01")
    assert form.is_valid() and found.days == 366


# Targets: the organisation's own, else the nearest ancestor's, else the portal's defaults.


def test_targets_fall_back_to_the_ancestor_then_to_the_defaults(orgs, settings):
    settings.PORTAL = {**settings.PORTAL, "TARGET_ON_TIME_PERCENT": 93, "TARGET_SATISFACTION_PERCENT": 88}
    assert target_for(orgs["ps_msb"]) == (93, 88)  # nothing set anywhere above it
    ServiceTarget.objects.create(organization=orgs["sz"], on_time_percent=90, satisfaction_percent=85)
    assert target_for(orgs["ps_msb"]) == (90, 85)  # the municipality's, two levels up
    ServiceTarget.objects.create(organization=orgs["ps"], on_time_percent=97, satisfaction_percent=92)
    assert target_for(orgs["ps_msb"]) == (97, 92)  # the district's, the nearest
    ServiceTarget.objects.create(organization=orgs["ps_msb"], on_time_percent=99, satisfaction_percent=95)
    assert target_for(orgs["ps_msb"]) == (99, 95)  # its own
    assert target_for(orgs["ps_sti"]) == (97, 92)  # the sister department keeps the district's
    assert target_for(orgs["hd"]) == (93, 88)  # another province's district: the defaults
    assert target_for(None) == (93, 88)


# The chart: each bar against its target, in words and a mark as well as colour.


def test_the_chart_marks_a_unit_below_target_in_words_not_only_colour():
    chart = target_chart(
        [
            {"name": "Fast bureau", "response": 0.98, "satisfaction": 0.95, "target": Target(95, 90)},
            {"name": "Slow bureau", "response": 0.5, "satisfaction": None, "target": Target(95, 90)},
        ],
        title="Rates",
    )
    fast, slow = chart["groups"]
    assert [bar["verdict"] for bar in fast["bars"]] == ["✓ met", "✓ met"]
    assert [bar["verdict"] for bar in slow["bars"]] == ["✗ below target", "no ratings yet"]
    assert slow["below"] and not fast["below"]
    # The target line stands at 95 % of the plot, the bar at 50 %.
    bar = slow["bars"][0]
    assert bar["target_x"] == chart["plot_x"] + round(chart["plot_width"] * 0.95, 1)
    assert bar["width"] == chart["plot_width"] * 0.5
    assert [tick["label"] for tick in chart["ticks"]] == ["0%", "25%", "50%", "75%", "100%"]


def test_long_names_wrap_onto_two_lines_and_longer_ones_keep_the_full_name_in_a_title():
    lines, shortened = wrap_label("Beijing Pharmaceutical and Medical Device Innovation Service Station", 300)
    assert len(lines) == 2 and not shortened and " ".join(lines).startswith("Beijing Pharmaceutical")
    lines, shortened = wrap_label("很长的名字" * 30, 300)
    assert len(lines) == 2 and shortened and lines[1].endswith("…")
    chart = target_chart(
        [{"name": "很长的名字" * 30, "response": 1.0, "satisfaction": 1.0, "target": Target(95, 90)}],
        title="t",
    )
    assert chart["groups"][0]["title"].startswith("很长的名字" * 30)


@pytest.fixture
def late_and_on_time(make_request, users):
    """November 2026 at the SBIP park: one request answered on time, one a day late (below any
    response-rate target: 50 %); October: one answered on time (100 %)."""
    liaison = users["liaison_sbip"]
    with time_machine.travel(at("2026-10-20 10:00"), tick=False):
        october = make_request(title="October")
    with time_machine.travel(at("2026-10-20 14:00"), tick=False):
        actions.respond(fresh(october), actor=liaison, body="Answered")
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        on_time = make_request(title="On time")
        late = make_request(title="Late")
    with time_machine.travel(at("2026-11-24 14:00"), tick=False):
        actions.respond(fresh(on_time), actor=liaison, body="Answered")
    scan(at("2026-11-25 18:30"))
    with time_machine.travel(at("2026-11-26 10:00"), tick=False):
        actions.respond(fresh(late), actor=liaison, body="Late answer")


def test_the_page_marks_the_park_below_its_response_target_and_the_fall_since_last_month(
    browser, late_and_on_time
):
    with time_machine.travel(at("2026-11-27 10:00"), tick=False):
        html = browser("supervisor_ps").get("/home/?period=month").content.decode()
    assert "Shenzhen Biomedicine Innovation Industrial Park" in html
    assert "Response rate 50% (target 95%): ✗ below target" in html  # the chart's title, in words
    assert 'class="bar-missed"' in html
    assert "▼ 50.0 pts" in html  # 100 % in October → 50 % in November


def test_the_monthly_report_in_english_and_chinese_for_a_supervisor(browser, late_and_on_time):
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        english = browser("supervisor_ps").get("/figures/report/?month=2026-11")
        chinese = browser("supervisor_ps", "zh-CN").get("/figures/report/?month=2026-11")
    assert english.status_code == chinese.status_code == 200
    html = english.content.decode()
    assert "Pingshan District: service in November 2026" in html
    assert "compared with October 2026" in html
    assert "Shenzhen Biomedicine Innovation Industrial Park" in html and "✗ below target" in html
    assert "css/figures.css" in html and "js/print.js" in html and "data-print" in html
    assert "<script>" not in html  # nothing inline: the Content-Security-Policy forbids it
    html = chinese.content.decode()
    assert "坪山区" in html and "深圳生物医药创新产业园区" in html and "2026年11月" in html
    assert "通报" in html


def test_a_bad_month_is_a_form_error_not_a_failure(browser):
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        response = browser("supervisor_ps").get("/figures/report/?month=2026-13")
    assert response.status_code == 200
    assert "Give the month as YYYY-MM." in response.content.decode()
    assert "service in December 2026" in response.content.decode()


@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip", "officer_ps_msb"])
def test_the_monthly_report_is_refused_to_anyone_but_supervisors(browser, username):
    assert browser(username).get("/figures/report/?month=2026-11").status_code == 403
