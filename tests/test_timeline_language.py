"""What the portal itself writes on a timeline (a missed deadline, the green channel switched, an
automatic close, a share) reads in the reader's language, whatever language the person acting
or the scan had: it is kept as data and put in words when shown."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from apps.casework import actions
from apps.deadlines import scan
from apps.organizations.models import Organization
from tests.conftest import fresh

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def chinese_timeline(client_user, service_request) -> tuple[str, list[dict]]:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(client_user)
    page = client.get(f"/requests/{service_request.pk}/").content.decode()
    api = client.get(f"/api/v1/requests/{service_request.pk}/timeline/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    return page, api.json()


def test_system_events_written_in_english_read_in_chinese(make_request, users):
    with (
        time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=SH), tick=False),
        translation.override("en"),
    ):
        service_request = make_request()  # due Wednesday 25 November 18:00
        actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the bureau.")
        service_request = fresh(service_request)
        actions.set_green_channel(
            service_request, actor=users["officer_ps_msb"], green_channel=True, reason="Key product."
        )
        sti = Organization.objects.get(name="Pingshan Science and Technology Innovation Bureau")
        actions.share_with_department(
            fresh(service_request), actor=users["officer_ps_msb"], department=sti, reason="Subsidy question."
        )
    with translation.override("en"):
        scan.scan(datetime(2026, 11, 26, 10, 0, tzinfo=SH))  # the green-channel deadline has passed

    page, events = chinese_timeline(users["officer_ps_msb"], service_request)
    assert "纳入绿色通道: Key product." in page
    assert "反馈时限为 2026-11-24 18:00，已超时。" in page
    assert f"{sti.name_zh}: Subsidy question." in page
    assert "Green channel on" not in page and "Feedback was due" not in page
    texts = [event["text"] for event in events]
    assert "反馈时限为 2026-11-24 18:00，已超时。" in texts


def test_an_automatic_close_reads_in_the_readers_language(make_request, users):
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=SH), tick=False):
        service_request = make_request()
        actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Answered from the guide.")
    with translation.override("en"):
        scan.scan(datetime(2026, 11, 24, 10, 0, tzinfo=SH) + timedelta(days=10))
    assert fresh(service_request).state == "closed"
    page, _events = chinese_timeline(users["ent_pregene"], service_request)
    assert "办结后在规定期限内未重新办理，已自动关闭。" in page
    assert "Closed automatically" not in page
