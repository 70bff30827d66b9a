"""The reply-template picker in a real browser (Chromium, live server): choosing a template fills
the reply's text box with the template rendered for the request (static/js/reply_templates.js,
through the API, under the portal's Content-Security-Policy), in the language chosen; the person
edits the text and the reply is sent through the real action."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.casework import actions
from apps.casework.models import EventKind, ServiceRequest
from apps.desk import replies

pytestmark = pytest.mark.django_db(transaction=True)


def test_choosing_a_template_fills_the_reply_and_the_edited_text_is_sent(
    chromium, live_server, make_request, users
):
    service_request = make_request()
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the district.")
    replies.save_template(
        users["supervisor_ps"],
        name="Acknowledge",
        body_en="Dear {enterprise}, we answer {reference} by {due}. {officer}",
        body_zh="{enterprise}：我们将于 {due} 前答复 {reference}。{officer}",
    )
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("officer_ps_msb")
        page.get_by_label("Password").fill("demo12345")
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/home/"))
        page.goto(f"{live_server.url}/requests/{service_request.pk}/")

        page.locator("details.action summary", has_text="Reply").click()
        box = page.locator("#id_respond-body")
        page.locator("#id_respond-tpl-template").select_option(label="Acknowledge")
        expect(box).to_have_value(re.compile(r"^Dear Shenzhen Pregene Biopharma Co\., Ltd\., we answer PS-"))
        # Another language, the text not yet edited: the same template in Chinese.
        page.locator("#id_respond-tpl-language").select_option("zh-hans")
        expect(box).to_have_value(re.compile(r"^深圳普瑞金生物药业股份有限公司：我们将于"))
        box.fill(box.input_value() + "\n已收到。")
        page.locator("form[action$='/act/respond/'] button.primary").click()
        page.wait_for_url(re.compile(rf"/requests/{service_request.pk}/$"))
    finally:
        context.close()
    assert not problems, problems
    event = ServiceRequest.objects.get(pk=service_request.pk).events.get(kind=EventKind.RESPONDED)
    assert event.text.startswith("深圳普瑞金生物药业股份有限公司：我们将于") and event.text.endswith(
        "已收到。"
    )
