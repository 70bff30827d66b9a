"""The working-day calendar: next-working-day deadlines on the official Chinese calendar."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.deadlines import calendar
from apps.deadlines.models import CalendarOverride, DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def due(text: str, *, green: bool = False) -> str:
    return calendar.feedback_deadline(at(text), green_channel=green).strftime("%Y-%m-%d %H:%M")


def test_deadline_is_end_of_business_of_the_next_working_day():
    assert due("2026-11-24 10:00") == "2026-11-25 18:00"  # Tuesday → Wednesday


def test_deadline_skips_the_weekend():
    assert due("2026-11-27 16:00") == "2026-11-30 18:00"  # Friday → Monday


def test_request_received_on_a_day_off_counts_from_the_next_working_day():
    # Saturday counts as received Monday morning: due Tuesday.
    assert due("2026-11-28 11:00") == "2026-12-01 18:00"


def test_deadline_skips_national_day_golden_week():
    # 30 September 2026 (Wednesday): 1–7 October are off, the 8th is the next working day.
    assert due("2026-09-30 09:30") == "2026-10-08 18:00"


def test_deadline_skips_spring_festival():
    # Friday 13 February 2026; Saturday the 14th is a make-up working day.
    assert due("2026-02-13 10:00") == "2026-02-14 18:00"
    # The 14th (make-up Saturday) → the holiday runs 15–23 February → due the 24th.
    assert due("2026-02-14 10:00") == "2026-02-24 18:00"


def test_make_up_saturday_is_a_working_day():
    # Friday 9 October 2026 → Saturday 10 October is a make-up working day.
    assert due("2026-10-09 15:00") == "2026-10-10 18:00"
    day = calendar.days_between(date(2026, 10, 10), date(2026, 10, 10))[0]
    assert day.workday and day.name == "National Day" and day.source == "official"


def test_green_channel_before_noon_is_due_the_same_working_day():
    assert due("2026-11-24 11:59", green=True) == "2026-11-24 18:00"


def test_green_channel_after_noon_is_due_next_working_day_at_noon():
    assert due("2026-11-24 12:00", green=True) == "2026-11-25 12:00"
    assert due("2026-11-27 15:00", green=True) == "2026-11-30 12:00"  # Friday → Monday noon


def test_green_channel_on_a_day_off_counts_from_the_next_morning():
    # Received on National Day: counts as 8 October 09:00, before noon → due the 8th.
    assert due("2026-10-03 20:00", green=True) == "2026-10-08 18:00"


def test_deadline_times_are_configurable_in_the_policy():
    policy = DeadlinePolicy.defaults()
    policy.end_of_business = time(17, 30)
    policy.save()
    assert due("2026-11-24 10:00") == "2026-11-25 17:30"


def test_year_beyond_the_library_falls_back_to_weekdays(caplog):
    # 1 January 2027 is a Friday; the library stops at 2026, so it counts as a working day.
    day = calendar.days_between(date(2027, 1, 1), date(2027, 1, 1))[0]
    assert day.workday and day.source == "fallback"
    assert due("2026-12-31 10:00") == "2027-01-01 18:00"


def test_admin_override_of_a_date_beyond_the_library():
    CalendarOverride.objects.create(date=date(2027, 1, 1), workday=False, name="New Year's Day")
    day = calendar.days_between(date(2027, 1, 1), date(2027, 1, 1))[0]
    assert (day.workday, day.name, day.source) == (False, "New Year's Day", "override")
    assert due("2026-12-31 10:00") == "2027-01-04 18:00"  # Friday off, weekend → Monday


def test_override_beats_the_official_calendar():
    CalendarOverride.objects.create(date=date(2026, 11, 25), workday=False, name="Typhoon closure")
    assert due("2026-11-24 10:00") == "2026-11-26 18:00"


def test_working_hours_between_count_only_business_hours_on_working_days():
    # Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday.
    assert calendar.working_seconds_between(at("2026-11-27 17:00"), at("2026-11-30 10:00")) == 2 * 3600
    # Across National Day: 30 Sep 17:00 → 8 Oct 10:00 is two working hours.
    assert calendar.working_seconds_between(at("2026-09-30 17:00"), at("2026-10-08 10:00")) == 2 * 3600


def test_reminder_is_two_working_hours_before_the_deadline():
    # Due Monday 10:00 → reminder Friday 17:00.
    assert calendar.subtract_working_seconds(at("2026-11-30 10:00"), 2 * 3600) == at("2026-11-27 17:00")


def test_calendar_api_lists_days_with_names_and_sources(api):
    r = api("ent_pregene").get("/api/v1/calendar/?start=2026-10-07&end=2026-10-10")
    assert r.status_code == 200
    assert r.json() == [
        {"date": "2026-10-07", "workday": False, "name": "National Day", "source": "official"},
        {"date": "2026-10-08", "workday": True, "name": "", "source": "official"},
        {"date": "2026-10-09", "workday": True, "name": "", "source": "official"},
        {"date": "2026-10-10", "workday": True, "name": "National Day", "source": "official"},
    ]


def test_calendar_api_refuses_bad_ranges(api):
    client = api("ent_pregene")
    assert client.get("/api/v1/calendar/?start=2026-10-10&end=2026-10-01").status_code == 400
    assert client.get("/api/v1/calendar/?start=2026-01-01&end=2028-01-01").status_code == 400
    assert "start" in client.get("/api/v1/calendar/?start=tomorrow&end=2026-10-01").json()


def test_calendar_api_needs_a_signed_in_user(api):
    assert api(None).get("/api/v1/calendar/?start=2026-10-07&end=2026-10-10").status_code in (401, 403)


def test_deadline_api_answers_the_deadline_of_a_request_entering_now(api):
    client = api("liaison_sbip")
    r = client.get(
        "/api/v1/calendar/deadline/", {"received_at": "2026-09-30T10:00:00+08:00", "green_channel": "false"}
    )
    assert r.status_code == 200 and r.json() == {"due_at": "2026-10-08T18:00:00+08:00"}
    r = client.get(
        "/api/v1/calendar/deadline/", {"received_at": "2026-11-24T02:00:00Z", "green_channel": "true"}
    )
    assert r.json() == {"due_at": "2026-11-24T18:00:00+08:00"}  # 10:00 in Shanghai, before noon
    assert client.get("/api/v1/calendar/deadline/", {"received_at": "soon"}).status_code == 400


def test_working_days_counted_from_running_totals_agree_with_walking_each_day():
    # Spans within a year, across years and across the library's last covered year, with admin
    # overrides in them: the quick count must equal the day-by-day one.
    CalendarOverride.objects.create(date=date(2026, 11, 25), workday=False, name="Typhoon closure")
    CalendarOverride.objects.create(date=date(2026, 11, 28), workday=True, name="Make-up Saturday")
    cal = calendar.Calendar(date(2025, 1, 1), date(2027, 12, 31))
    spans = [
        (date(2026, 11, 20), date(2026, 12, 2)),
        (date(2025, 12, 20), date(2026, 2, 28)),
        (date(2025, 3, 1), date(2027, 3, 1)),
        (date(2026, 11, 25), date(2026, 11, 26)),
        (date(2026, 5, 5), date(2026, 5, 5)),
    ]
    for first, stop in spans:
        walked = sum(1 for n in range((stop - first).days) if cal.day(first + timedelta(n)).workday)
        assert cal.workdays(first, stop) == walked, (first, stop)


def test_working_time_over_months_counts_whole_days_between():
    # From Monday 2 November 18:00 to Tuesday 1 December 10:00, 2026: the whole working days
    # between (3–30 November, 20 of them) plus one hour on the 1st.
    seconds = calendar.working_seconds_between(at("2026-11-02 18:00"), at("2026-12-01 10:00"))
    assert seconds == 20 * 9 * 3600 + 3600
