"""The three rates of Beijing's 接诉即办 and the 好差评 figures (SPEC.md, "Satisfaction"), read
off the service figures, their CSV and their XLSX. Every state is reached through the real
actions and the real scan; the expected numbers are counted from the requests the test made,
as it made them (`Ledger`), never copied from the output."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.casework import actions
from apps.casework.models import ServiceRequest
from apps.deadlines.scan import scan
from apps.satisfaction import actions as satisfaction
from apps.satisfaction.models import Rectification
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

PERIOD = {"since": "2026-11-02", "until": "2026-11-28"}
ASKED_AT = datetime(2026, 11, 27, 10, 0, tzinfo=SH)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def monday_of(moment: datetime) -> date:
    day = moment.astimezone(SH).date()
    return day - timedelta(days=day.weekday())


@dataclass
class Resolution:
    tier: str
    request: int
    week: date
    kept: bool = True
    score: int | None = None
    default: bool = False
    set_aside: bool = False


@dataclass
class Ledger:
    """What the test did, in the terms of the figures: each tier visit's feedback (on time or
    not, by the request's own deadline), each resolution, its rating and its fate."""

    users: dict
    make_request: object
    visits: list[tuple[str, bool]] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)

    def _feedback(self, sr: ServiceRequest, act, *args, **kwargs) -> ServiceRequest:
        sr = fresh(sr)
        from django.utils import timezone

        self.visits.append((sr.tier, timezone.now() <= sr.feedback_due_at))
        act(sr, *args, **kwargs)
        return fresh(sr)

    def file(self, tier: str, when: datetime) -> ServiceRequest:
        """A request filed two hours before `when`; a district one escalated an hour before."""
        with time_machine.travel(when - timedelta(hours=2), tick=False):
            sr = self.make_request()
        if tier == "district":
            with time_machine.travel(when - timedelta(hours=1), tick=False):
                sr = self._feedback(
                    sr, actions.escalate, actor=self.users["liaison_sbip"], reason="Needs the bureau."
                )
        return sr

    def resolve(self, sr: ServiceRequest, when: datetime) -> ServiceRequest:
        actor = self.users["liaison_sbip" if fresh(sr).tier == "park" else "officer_ps_msb"]
        with time_machine.travel(when, tick=False):
            tier = fresh(sr).tier
            sr = self._feedback(sr, actions.resolve, actor=actor, resolution="The answer.")
        self.resolutions.append(Resolution(tier, sr.pk, monday_of(when)))
        return sr

    def resolved(self, tier: str, when: datetime) -> ServiceRequest:
        return self.resolve(self.file(tier, when), when)

    def latest(self, sr: ServiceRequest) -> Resolution:
        return [r for r in self.resolutions if r.request == sr.pk][-1]

    def rate(self, sr: ServiceRequest, score: int, when: datetime, *, by: str = "ent_pregene") -> None:
        with time_machine.travel(when, tick=False):
            satisfaction.rate(fresh(sr), actor=self.users[by], score=score)
        self.latest(sr).score = score

    def reopen(self, sr: ServiceRequest, when: datetime) -> ServiceRequest:
        with time_machine.travel(when, tick=False):
            actions.reopen(fresh(sr), actor=self.users["ent_pregene"], reason="That did not answer it.")
        self.latest(sr).kept = False
        return fresh(sr)

    def defaults(self, when: datetime) -> None:
        """The scan defaults every resolution still unrated and not reopened to 5."""
        scan(when)
        for resolution in self.resolutions:
            if resolution.score is None and resolution.kept:
                resolution.score, resolution.default = 5, True

    def set_aside(self, sr: ServiceRequest) -> None:
        self.latest(sr).set_aside = True

    # What the figures should say, counted from the above.
    def expected(self, tier: str | None = None) -> dict:
        visits = [on_time for t, on_time in self.visits if tier in (None, t)]
        resolutions = [r for r in self.resolutions if tier in (None, r.tier)]
        rated = [r for r in resolutions if r.score is not None and not r.set_aside]
        given = [r for r in rated if not r.default]

        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {
            "response_rate": share(sum(visits), len(visits)),
            "resolved": len(resolutions),
            "resolved_kept": sum(r.kept for r in resolutions),
            "resolution_rate": share(sum(r.kept for r in resolutions), len(resolutions)),
            "ratings": len(rated),
            "ratings_default": sum(r.default for r in rated),
            "satisfied": sum(r.score >= 4 for r in rated),
            "satisfied_default": sum(r.score >= 4 and r.default for r in rated),
            "satisfaction_rate": share(sum(r.score >= 4 for r in rated), len(rated)),
            "satisfaction_rate_given": share(sum(r.score >= 4 for r in given), len(given)),
            "average_score": round(sum(r.score for r in rated) / len(rated), 2) if rated else None,
            "bad_reviews": sum(r.score <= 2 for r in rated),
        }


@pytest.fixture
def ledger(users, make_request) -> Ledger:
    return Ledger(users, make_request)


def stats(api, username: str = "supervisor_ps", **headers) -> dict:
    with time_machine.travel(ASKED_AT, tick=False):
        response = api(username).get("/api/v1/stats/", PERIOD, **headers)
    assert response.status_code == 200
    return response.json()


def figures_of(body: dict, tier: str) -> dict:
    return next(t for t in body["tiers"] if t["tier"] == tier)


def picked(figures: dict, expected: dict) -> dict:
    return {key: figures[key] for key in expected}


def rectification_of(sr: ServiceRequest) -> Rectification:
    return Rectification.objects.get(request=sr)


def rectify(users, sr: ServiceRequest, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        satisfaction.rectify(
            rectification_of(sr),
            actor=users["officer_ps_msb"],
            action_taken="Called the enterprise and sent the checklist.",
            followed_up_at=when - timedelta(minutes=5),
            follow_up_method="phone",
            follow_up_notes="The enterprise has what it needs.",
        )


def test_the_three_rates_of_each_tier_agree_with_the_requests_behind_them(ledger, users, api):
    """Response rate, resolution rate and satisfaction rate (with defaults shown apart), and the
    average score and bad reviews, at the park and at the district."""
    monday = at("2026-11-02 12:00")
    kept = ledger.resolved("park", monday)
    ledger.rate(kept, 5, monday + timedelta(hours=1))
    # Reopened before anybody rated it, answered again the next day and rated then.
    twice = ledger.reopen(ledger.resolved("park", monday), monday + timedelta(hours=2))
    ledger.resolve(twice, monday + timedelta(days=1))
    ledger.rate(twice, 4, monday + timedelta(days=1, hours=1))
    ledger.resolved("park", monday)  # never rated: the scan defaults it
    # Left past the park's deadline, answered late, rated 3.
    late = ledger.file("park", monday)
    ledger.resolve(late, monday + timedelta(days=3))
    ledger.rate(late, 3, monday + timedelta(days=3, hours=1))
    # Recorded by the liaison from a phone call.
    by_phone = ledger.resolved("park", monday)
    ledger.rate(by_phone, 4, monday + timedelta(hours=1), by="liaison_sbip")
    for score in (1, 2, 3, 5):
        ledger.rate(ledger.resolved("district", monday), score, monday + timedelta(hours=1))
    ledger.defaults(monday + timedelta(days=8))

    body = stats(api)
    for tier in ("park", "district"):
        expected = ledger.expected(tier)
        assert picked(figures_of(body, tier), expected) == expected, tier
        assert figures_of(body, tier)["response_rate"] == figures_of(body, tier)["on_time_share"]
    # One department and one park: each unit is its tier; the whole is both tiers together.
    for unit in body["units"]:
        assert picked(unit, ledger.expected(unit["tier"])) == ledger.expected(unit["tier"])
    assert picked(body["total"], ledger.expected()) == ledger.expected()
    # The numbers the test set out to show are really there.
    park = figures_of(body, "park")
    assert park["resolution_rate"] < 1 and park["response_rate"] < 1
    assert park["ratings_default"] == 1 and park["satisfaction_rate"] != park["satisfaction_rate_given"]


def test_a_default_counts_in_the_satisfaction_rate_but_not_in_the_rate_of_ratings_given(ledger, api):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 3, monday + timedelta(hours=1))
    ledger.resolved("district", monday)
    ledger.defaults(monday + timedelta(days=7, minutes=1))
    district = figures_of(stats(api), "district")
    assert (district["ratings"], district["ratings_default"]) == (2, 1)
    assert district["satisfaction_rate"] == 0.5  # the default 5 is satisfied
    assert district["satisfaction_rate_given"] == 0.0  # the one rating given was a 3
    assert district["average_score"] == 4.0


def test_an_appeal_set_aside_leaves_the_figures_without_that_bad_review(ledger, users, api):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 5, monday + timedelta(hours=1))
    contested = ledger.resolved("district", monday)
    ledger.rate(contested, 1, monday + timedelta(hours=1))
    before = figures_of(stats(api), "district")
    assert (before["bad_reviews"], before["rectifications"], before["satisfaction_rate"]) == (1, 1, 0.5)
    with time_machine.travel(monday + timedelta(hours=2), tick=False):
        satisfaction.appeal(rectification_of(contested), actor=users["officer_ps_msb"], reason="Malicious.")
    pending = figures_of(stats(api), "district")
    assert (pending["appeals"], pending["appeals_pending"], pending["rectifications_open"]) == (1, 1, 1)
    with time_machine.travel(monday + timedelta(hours=3), tick=False):
        satisfaction.decide_appeal(
            rectification_of(contested),
            actor=users["supervisor_ps_msb"],
            decision="set_aside",
            reason="Agreed.",
        )
    ledger.set_aside(contested)
    after = figures_of(stats(api), "district")
    assert picked(after, ledger.expected("district")) == ledger.expected("district")
    assert (after["bad_reviews"], after["ratings"], after["satisfaction_rate"]) == (0, 1, 1.0)
    assert (after["rectifications"], after["rectifications_open"], after["rectifications_late"]) == (0, 0, 0)
    # The appeal itself stays counted, as set aside.
    assert (after["appeals"], after["appeals_set_aside"], after["appeals_pending"]) == (1, 1, 0)
    assert after["resolved"] == before["resolved"] == 2  # the resolution itself still counts


def test_rectifications_on_time_late_or_overdue_and_appeals_upheld(ledger, users, api):
    monday = at("2026-11-02 12:00")
    reviews = []
    for _ in range(4):
        sr = ledger.resolved("district", monday)
        ledger.rate(sr, 2, monday + timedelta(hours=1))
        reviews.append(sr)
    on_time, _overdue, upheld_then_late, pending = reviews
    due = rectification_of(on_time).due_at
    rectify(users, on_time, monday + timedelta(days=1))
    with time_machine.travel(monday + timedelta(hours=2), tick=False):
        for sr in (upheld_then_late, pending):
            satisfaction.appeal(rectification_of(sr), actor=users["officer_ps_msb"], reason="Mistaken.")
    with time_machine.travel(monday + timedelta(hours=3), tick=False):
        satisfaction.decide_appeal(
            rectification_of(upheld_then_late),
            actor=users["supervisor_ps_msb"],
            decision="upheld",
            reason="Stands.",
        )
    scan(due + timedelta(minutes=1))  # the overdue one and the upheld one miss the deadline
    rectify(users, upheld_then_late, due + timedelta(days=1))
    rows = {sr.pk: rectification_of(sr) for sr in reviews}
    district = figures_of(stats(api), "district")
    assert district["rectifications"] == len(rows)
    assert (
        district["rectifications_on_time"]
        == sum(r.rectified_at is not None and r.rectified_at <= r.due_at for r in rows.values())
        == 1
    )
    assert (
        district["rectifications_late"]
        == sum((r.rectified_at or r.breached_at or r.due_at) > r.due_at for r in rows.values())
        == 2
    )
    assert district["rectifications_open"] == sum(r.state in ("open", "appealed") for r in rows.values()) == 2
    assert (district["appeals"], district["appeals_upheld"], district["appeals_pending"]) == (2, 1, 1)
    assert district["appeals_set_aside"] == 0
    assert district["bad_reviews"] == 4


def test_a_reopened_resolution_lowers_the_resolution_rate(ledger, api):
    monday = at("2026-11-02 12:00")
    sr = ledger.resolved("district", monday)
    ledger.resolved("district", monday)
    assert figures_of(stats(api), "district")["resolution_rate"] == 1.0
    sr = ledger.reopen(sr, monday + timedelta(hours=2))
    # Reopening sends it back to the district's bureau, which answers again.
    ledger.resolve(sr, monday + timedelta(days=1))
    district = figures_of(stats(api), "district")
    assert (district["resolved"], district["resolved_kept"]) == (3, 2)
    assert district["resolution_rate"] == ledger.expected("district")["resolution_rate"] == round(2 / 3, 4)


def test_the_weekly_trend_gives_the_satisfaction_of_each_beijing_week(ledger, api):
    """By the Monday (Beijing time) of the resolution: Sunday 23:30 belongs to the week before,
    Monday 00:30 (still Sunday in UTC) to its own."""
    sunday_night, monday_night = at("2026-11-08 23:30"), at("2026-11-09 00:30")
    ledger.rate(ledger.resolved("park", at("2026-11-03 12:00")), 5, at("2026-11-03 13:00"))
    ledger.rate(ledger.resolved("park", sunday_night), 1, sunday_night + timedelta(minutes=10))
    ledger.rate(ledger.resolved("park", monday_night), 4, monday_night + timedelta(minutes=10))
    weeks = {w["week_start"]: w for w in stats(api)["weeks"]}
    for monday in {r.week for r in ledger.resolutions}:
        rated = [r for r in ledger.resolutions if r.week == monday]
        assert weeks[monday.isoformat()]["ratings"] == len(rated)
        assert weeks[monday.isoformat()]["satisfaction_rate"] == round(
            sum(r.score >= 4 for r in rated) / len(rated), 4
        )
    assert weeks["2026-11-02"]["satisfaction_rate"] == 0.5
    assert weeks["2026-11-09"]["satisfaction_rate"] == 1.0


def figures_queries(users) -> int:
    from apps.stats.figures import service_figures

    with time_machine.travel(ASKED_AT, tick=False), CaptureQueriesContext(connection) as captured:
        service_figures(users["supervisor_ps"], since=at("2026-11-02 00:00"), until=at("2026-11-28 00:00"))
    return len(captured)


def test_the_figures_take_the_same_few_queries_however_many_requests_ratings_and_weeks(ledger, users):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 1, monday + timedelta(hours=1))
    few = figures_queries(users)
    for week in range(3):
        for score in (1, 4):
            sr = ledger.resolved("park" if score == 4 else "district", monday + timedelta(weeks=week))
            ledger.rate(sr, score, monday + timedelta(weeks=week, hours=1))
    with time_machine.travel(monday + timedelta(hours=2), tick=False):
        satisfaction.appeal(
            Rectification.objects.filter(state="open").first(),
            actor=users["officer_ps_msb"],
            reason="Mistaken.",
        )
    assert figures_queries(users) == few
    # Tier visits (counts, minutes, backlog), ratings, rectifications, meetings (counts, days),
    # slots, names, the assistant's feedback; and the walk down the district's tree to its scope
    # (a query a level).
    assert few <= 10 + 3


def test_the_csv_has_the_new_columns_and_the_whole_organisation_first(ledger, api):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 2, monday + timedelta(hours=1))
    with time_machine.travel(ASKED_AT, tick=False):
        response = api("supervisor_ps").get("/api/v1/stats/export.csv", PERIOD)
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    new = {
        "response_rate",
        "resolved",
        "resolved_kept",
        "resolution_rate",
        "ratings",
        "ratings_default",
        "satisfied",
        "satisfied_default",
        "satisfaction_rate",
        "satisfaction_rate_given",
        "average_score",
        "bad_reviews",
        "rectifications",
        "rectifications_on_time",
        "rectifications_late",
        "rectifications_open",
        "appeals",
        "appeals_upheld",
        "appeals_set_aside",
        "appeals_pending",
    }
    assert new <= set(rows[0])
    assert rows[0]["tier"] == "all"
    district = next(row for row in rows if row["tier"] == "district" and row["organization"] == "(all)")
    assert (district["bad_reviews"], district["rectifications"], district["satisfaction_rate"]) == (
        "1",
        "1",
        "0.0",
    )


def read_xlsx(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_xlsx_has_the_csv_rows_for_people_in_english(ledger, api):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 5, monday + timedelta(hours=1))
    ledger.rate(ledger.resolved("park", monday), 2, monday + timedelta(hours=1), by="liaison_sbip")
    with time_machine.travel(ASKED_AT, tick=False):
        client = api("supervisor_ps")
        sheet = read_xlsx(client.get("/api/v1/stats/export.xlsx", PERIOD)).active
        csv_body = b"".join(client.get("/api/v1/stats/export.csv", PERIOD).streaming_content).decode()
    csv_rows = list(csv.DictReader(io.StringIO(csv_body.lstrip("\ufeff"))))
    assert "Period: 2026-11-02 to 2026-11-28" in sheet["A2"].value
    header = [cell.value for cell in sheet[3]]
    assert {"Response rate", "Resolution rate", "Satisfaction rate", "Bad reviews", "Appeals pending"} <= set(
        header
    )
    assert sheet.freeze_panes == "C4"
    rows = [dict(zip(header, (cell for cell in row), strict=True)) for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == len(csv_rows)
    # The same rows in the same order: the units by the same names.
    assert [row["Department or park"].value for row in rows][3:] == [r["organization"] for r in csv_rows][3:]
    district = next(row for row in rows if row["Tier"].value == "District")
    assert district["Satisfaction rate"].value == 1.0
    assert district["Satisfaction rate"].number_format.endswith("%")
    assert rows[0]["Tier"].value == "All tiers"
    # Columns wide enough for their header.
    width = sheet.column_dimensions["A"].width
    assert width >= len("All tiers")


def test_the_xlsx_speaks_chinese_to_a_chinese_reader_by_header_or_by_session(ledger, api, users):
    monday = at("2026-11-02 12:00")
    ledger.rate(ledger.resolved("district", monday), 4, monday + timedelta(hours=1))
    with time_machine.travel(ASKED_AT, tick=False):
        by_header = read_xlsx(
            api("supervisor_ps").get("/api/v1/stats/export.xlsx", PERIOD, HTTP_ACCEPT_LANGUAGE="zh-hans")
        )
        browser = Client()
        browser.force_login(users["supervisor_ps"])
        browser.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
        by_session = read_xlsx(browser.get("/api/v1/stats/export.xlsx", PERIOD))
    for book in (by_header, by_session):
        sheet = book.active
        header = [cell.value for cell in sheet[3]]
        assert not any(label.isascii() for label in header), header
        assert {"响应率", "解决率", "满意率"} <= set(header)
        names = [row[1].value for row in sheet.iter_rows(min_row=4)]
        tiers = {row[0].value for row in sheet.iter_rows(min_row=4)}
        assert "区级" in tiers and "园区" in tiers
        assert all(not name.isascii() for name in names), names
        assert "2026-11-02" in sheet["A2"].value and sheet["A2"].value.isascii() is False


def test_the_xlsx_is_for_the_same_people_as_the_figures(api):
    assert api("ent_pregene").get("/api/v1/stats/export.xlsx").status_code == 403
    assert api("liaison_sbip").get("/api/v1/stats/export.xlsx").status_code == 403
    assert api(None).get("/api/v1/stats/export.xlsx").status_code in (401, 403)
    assert api("supervisor_ps").get("/api/v1/stats/export.xlsx", {"since": "yesterday"}).status_code == 400
