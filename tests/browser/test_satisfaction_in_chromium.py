"""好差评 in a real browser: the enterprise clicks a score on its resolved request and sends it;
the bad review reaches the bureau's officer on their home, who opens the rectification. At
desktop width and at 390 px, with screenshots of both cards as each of them sees them in
var/screenshots/ (satisfaction-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.casework import actions
from apps.satisfaction.models import Rectification
from tests.conftest import fresh

SHOTS = Path(settings.VAR_DIR) / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def card_shot(page: Page, selector: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SHOTS / f"satisfaction-{name}.png"))


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_the_enterprise_rates_badly_and_the_officer_opens_the_rectification(
    open_as, make_request, users, width
):
    sr = make_request(title="Protocol amendment for PRG-1801 phase II")
    actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district.")
    actions.resolve(fresh(sr), actor=users["officer_ps_msb"], resolution="File the amendment with the CDE.")

    enterprise = open_as("ent_pregene", width=width)
    enterprise.get_by_role("link", name="Rate the answer").click()
    enterprise.wait_for_url(re.compile(rf"/requests/{sr.pk}/#rate$"))
    rating = enterprise.locator("#rate")
    expect(rating).to_be_in_viewport()
    fits(enterprise, width)
    card_shot(enterprise, "#rate", f"rate-form-enterprise-{width}")
    rating.get_by_label("1 – Very dissatisfied").check()
    rating.get_by_label("Comment (optional)").fill("Nobody called us back about the filing.")
    card_shot(enterprise, "#rate", f"rate-form-chosen-enterprise-{width}")
    rating.get_by_role("button", name="Send the rating").click()
    expect(enterprise.locator(".flash")).to_contain_text("Rating recorded: 1 – Very dissatisfied.")
    expect(enterprise.locator("#rate .score")).to_have_text("1 – Very dissatisfied")
    expect(enterprise.locator("#rectification")).to_contain_text("Being rectified")
    fits(enterprise, width)
    card_shot(enterprise, "#rate", f"rated-enterprise-{width}")
    card_shot(enterprise, "#rectification", f"rectification-enterprise-{width}")
    rectification = Rectification.objects.get(request=sr)

    officer = open_as("officer_ps_msb", width=width)
    panel = officer.locator("#rectifications-due")
    expect(panel).to_contain_text(sr.reference)
    expect(panel.locator(".due")).to_be_visible()
    fits(officer, width)
    card_shot(officer, "#rectifications-due", f"home-panel-officer-{width}")
    panel.get_by_role("link", name=sr.reference).click()
    officer.wait_for_url(re.compile(rf"/requests/{sr.pk}/#rectification$"))
    card = officer.locator(f"#rectification-{rectification.pk}")
    expect(card).to_contain_text("Nobody called us back about the filing.")
    expect(card.get_by_role("button", name="Record the rectification")).to_be_visible()
    expect(officer.locator("#rate")).not_to_contain_text(users["ent_pregene"].display_name)
    fits(officer, width)
    card_shot(officer, "#rate", f"rated-officer-{width}")
    card_shot(officer, "#rectification", f"rectification-officer-{width}")
    officer.locator("#rectification summary", has_text="Appeal against the review").click()
    card_shot(officer, "#rectification", f"rectification-officer-appeal-open-{width}")
