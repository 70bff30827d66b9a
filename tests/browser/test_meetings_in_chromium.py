"""Consultation meetings in a real browser: the bureau's officer publishes a slot on the slots
page and offers it from the request's page; the enterprise books it by clicking the time, and
sees it on its timeline with the invitation to download; in English and in Chinese. Screenshots
of both cards in var/screenshots/ (meetings-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.casework import actions
from apps.deadlines import calendar
from apps.meetings.models import Meeting, Slot
from tests.conftest import fresh

SHOTS = Path(settings.VAR_DIR) / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def shot(page: Page, selector: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SHOTS / f"meetings-{name}.png"))


def working_day_ahead(days: int = 2):
    day = timezone.localdate() + timedelta(days)
    while not calendar.day_of(day).workday:
        day += timedelta(1)
    return day


@pytest.mark.parametrize(("locale", "words"), [("en-US", "en"), ("zh-CN", "zh")])
def test_the_officer_offers_a_slot_and_the_enterprise_books_it(open_as, make_request, users, locale, words):
    sr = make_request(title="Protocol amendment for PRG-1801 phase II")
    actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district.")
    day = working_day_ahead()
    zh = words == "zh"

    officer = open_as("officer_ps_msb", locale=locale)
    officer.get_by_role("link", name=re.compile("Consultation slots|咨询时段")).click()
    form = officer.locator("#publish-slot")
    form.get_by_label(re.compile("^Day$|^日期$")).fill(day.isoformat())
    form.get_by_label(re.compile("^Starts at$|^开始时间$")).fill("14:00")
    form.get_by_label(re.compile("Place or video link|地点或视频会议链接")).fill("Room 301, Pingshan MSB")
    form.get_by_role("button", name=re.compile("^Publish$|^发布$")).click()
    expect(officer.locator(".flash")).to_contain_text(re.compile("Slot published|时段已发布"))
    slot = Slot.objects.get()

    officer.goto(officer.url.split("/slots/")[0] + f"/requests/{sr.pk}/")
    card = officer.locator("#meetings")
    card.locator("summary", has_text=re.compile("Offer a meeting|提供会议")).click()
    card.get_by_label(re.compile(r"14:00–14:30")).check()
    card.get_by_role("button", name=re.compile("Offer the meeting|发出会议邀约")).click()
    expect(officer.locator(".flash")).to_contain_text(re.compile("Meeting offered|会议邀约已发出"))
    shot(officer, "#meetings", f"offered-officer-{words}")

    enterprise = open_as("ent_pregene", locale=locale)
    enterprise.goto(officer.url.split("#")[0])
    card = enterprise.locator("#meetings")
    expect(card).to_contain_text("14:00–14:30")
    card.locator("summary", has_text=re.compile("Book this time|预约此时间")).click()
    card.get_by_label(re.compile(r"14:00–14:30")).check()
    card.get_by_role("button", name=re.compile("Book this time|预约此时间")).click()
    expect(enterprise.locator(".flash")).to_contain_text(re.compile("Meeting booked|会议已预约"))
    expect(card.get_by_role("link", name=re.compile(r"\.ics"))).to_be_visible()
    timeline = enterprise.locator("ol.timeline")
    expect(timeline).to_contain_text("Room 301, Pingshan MSB")
    shot(enterprise, "#meetings", f"booked-enterprise-{words}")

    meeting = Meeting.objects.get()
    assert meeting.state == "booked" and meeting.slot == slot
    assert fresh(sr).feedback_due_at is None, "the booking is the bureau's feedback"
    if zh:
        expect(card).to_contain_text("已预约")

    # The district's supervisor reads the meeting on the figures: this week's meetings, and the
    # days from the request's filing to its meeting.
    supervisor = open_as("supervisor_ps", locale=locale)
    picker = supervisor.locator("form.period-picker")
    picker.get_by_label(re.compile("This week|本周")).check()
    picker.get_by_role("button", name=re.compile("^Show$|^显示$")).click()
    table = supervisor.locator("#meeting-figures")
    bureau = table.locator(
        "tr", has_text=re.compile("Pingshan Market Supervision Bureau|坪山区市场监督管理局")
    )
    days = f"{meeting.wait_hours / 24:.1f}"
    expect(bureau).to_contain_text(f"{days} / {days} {'天' if zh else 'days'}")
    expect(bureau.locator("td").first).to_have_text("1")
    shot(supervisor, "#meetings-figures", f"figures-supervisor-{words}")
