"""Time left to a tier's feedback deadline, in working time on the official calendar: the same
seconds and words in the API, the queue rows, the request page and the enterprise's cards."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from apps.deadlines.models import CalendarOverride
from apps.deadlines.time_left import OVERDUE, SOON, time_left

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def left(due: str, now: str):
    with translation.override("en"):
        return time_left(at(due), now=at(now))


def test_due_today_says_the_hour_and_the_working_time_left():
    result = left("2026-11-24 18:00", "2026-11-24 14:40")
    assert result.label == "due today 18:00 · 3 h 20 min left"
    assert result.seconds == 3 * 3600 + 20 * 60
    assert not result.overdue


def test_due_tomorrow_counts_tonight_as_no_working_time():
    result = left("2026-11-25 18:00", "2026-11-24 10:00")
    assert result.label == "due tomorrow 18:00"
    assert result.seconds == (8 + 9) * 3600  # 10:00–18:00 today, 09:00–18:00 tomorrow


def test_within_the_reminder_window_the_tone_warns():
    assert left("2026-11-24 18:00", "2026-11-24 16:30").tone == SOON


def test_a_later_deadline_names_its_day():
    # Friday 27 November → due Monday 30 November.
    assert left("2026-11-30 18:00", "2026-11-27 10:00").label == "due Mon November 30 18:00"


def test_a_holiday_week_after_the_deadline_is_not_days_overdue():
    # Due on the eve of National Day; 1–7 October are off: on the 8th at 10:00 one working hour
    # has passed, not eight days.
    result = left("2026-09-30 18:00", "2026-10-08 10:00")
    assert result.tone == OVERDUE
    assert result.seconds == -3600
    assert result.label == "overdue by 1 h"


def test_overdue_by_working_days_counts_whole_business_days():
    result = left("2026-09-30 18:00", "2026-10-09 12:00")  # 9 h on the 8th + 3 h on the 9th
    assert result.seconds == -12 * 3600
    assert result.label == "overdue by 1 working day"


def test_past_the_deadline_with_no_working_time_since_says_since_when():
    # Friday 18:00 passed; Saturday noon is no working time later.
    result = left("2026-11-27 18:00", "2026-11-28 12:00")
    assert result.overdue and result.seconds == 0
    assert result.label == "overdue since November 27 18:00"


def test_an_admin_day_off_is_not_working_time_left():
    CalendarOverride.objects.create(date=at("2026-11-25 00:00").date(), workday=False, name="Typhoon")
    # Tuesday 10:00 until Thursday 18:00 with Wednesday off: 8 h + 9 h.
    assert left("2026-11-26 18:00", "2026-11-24 10:00").seconds == 17 * 3600


def test_the_words_are_chinese_on_chinese_pages():
    with translation.override("zh-hans"):
        today = time_left(at("2026-11-24 18:00"), now=at("2026-11-24 14:40"))
        late = time_left(at("2026-09-30 18:00"), now=at("2026-10-09 12:00"))
    assert today.label == "今天 18:00 前反馈 · 还剩 3 小时 20 分钟"
    assert late.label == "已逾期 1 个工作日"


@time_machine.travel(at("2026-11-24 14:40"), tick=False)
def test_the_api_gives_working_seconds_left_and_the_words(make_request, api):
    service_request = make_request()  # filed Tuesday 14:40: due Wednesday 18:00
    body = api("liaison_sbip").get(f"/api/v1/requests/{service_request.pk}/").json()
    assert body["feedback_due_in"] == (3 * 3600 + 20 * 60) + 9 * 3600
    assert body["feedback_due_label"] == "due tomorrow 18:00"
    listed = api("liaison_sbip").get("/api/v1/requests/").json()["results"][0]
    assert listed["feedback_due_in"] == body["feedback_due_in"]


def test_the_api_has_no_time_left_when_no_feedback_is_due(make_request, api):
    draft = make_request(submit=False)
    body = api("ent_pregene").get(f"/api/v1/requests/{draft.pk}/").json()
    assert body["feedback_due_in"] is None and body["feedback_due_label"] is None


def test_queue_row_request_page_and_enterprise_card_say_how_late(make_request, users):
    with time_machine.travel(at("2026-09-30 10:00"), tick=False):
        service_request = make_request()  # due 8 October 18:00, after the holiday
    with time_machine.travel(at("2026-10-12 10:00"), tick=False):
        # 8th, 9th and Saturday 10th (make-up day) are working days after the deadline; the
        # 11th is off: overdue by 2 working days and an hour, not four days.
        pages = {}
        for username, path in (
            ("liaison_sbip", "/"),
            ("liaison_sbip", f"/requests/{service_request.pk}/"),
            ("ent_pregene", "/"),
        ):
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            client.force_login(users[username])
            pages[(username, path)] = client.get(path, follow=True).content.decode()
        chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
        chinese.force_login(users["liaison_sbip"])
        chinese_home = chinese.get("/", follow=True).content.decode()
    for html in pages.values():
        assert "overdue by 2 working days" in html
        assert 'class="due overdue"' in html  # the colour goes with the words
    assert "已逾期 2 个工作日" in chinese_home
