"""Files where they belong, in Debian's Chromium: the enterprise sees on its home card that a
request waits on it, reads what was asked, and replies right there with a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.casework import actions
from apps.casework.models import EventKind, State
from tests.conftest import fresh

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("upload_root")]

SHOTS = Path(settings.VAR_DIR) / "screenshots"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_the_enterprise_replies_from_its_home_card_with_a_file(open_as, make_request, users, tmp_path):
    service_request = make_request(title="Dose change for PRG-1801")
    actions.request_info(
        fresh(service_request), actor=users["liaison_sbip"], body="Send the amended protocol, please."
    )
    protocol = tmp_path / "amended-protocol.pdf"
    protocol.write_bytes(PDF)

    page = open_as("ent_pregene")
    card = page.locator("article.request-card", has_text="Dose change for PRG-1801")
    expect(card).to_contain_text("Waiting for you: the park asked for more information")
    expect(card).to_contain_text("Send the amended protocol, please.")
    card.get_by_label("The information asked for").fill("The amended protocol is attached.")
    card.get_by_label("Files").set_input_files(str(protocol))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home-ent_pregene-waiting-on-you.png"), full_page=True)
    card.get_by_role("button", name="Send the information").click()

    page.wait_for_url(re.compile(r"/home/$"))
    expect(page.locator(".flash")).to_contain_text(f"Information sent: {service_request.reference}")
    expect(page.locator("body")).not_to_contain_text("Waiting for you")
    after = fresh(service_request)
    assert after.state == State.PARK_REVIEW
    assert list(after.attachments.values_list("name", flat=True)) == ["amended-protocol.pdf"]
    assert after.events.filter(kind=EventKind.ATTACHMENT, text="amended-protocol.pdf").exists()
