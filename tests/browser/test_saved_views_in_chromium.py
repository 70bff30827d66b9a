"""A saved view round trip in Debian's Chromium: choose a filter (the queue redraws by HTMX),
save the view beside it, reload, open its tab and see the filtered queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.desk.models import SavedView

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_liaison_saves_the_filtered_queue_and_opens_it_again_from_its_tab(open_as, make_request):
    make_request(category="clinical_trial", title="Trial amendment in the saved view")
    make_request(category="rnd", title="Research question outside the view")
    page = open_as("liaison_sbip")
    queue = page.locator("#queue")
    tabs = page.get_by_role("navigation", name="Saved views")
    expect(queue).to_contain_text("Research question outside the view")
    expect(tabs.locator("a[aria-current=page]")).to_have_text("Open requests")

    # Choosing a filter redraws the queue (HTMX), and the tabs with it.
    page.locator("form.filters").get_by_label("Category").select_option("clinical_trial")
    expect(queue).not_to_contain_text("Research question outside the view")
    expect(page).to_have_url(re.compile(r"category=clinical_trial"))
    expect(tabs.locator("a[aria-current=page]")).to_have_count(0)

    page.get_by_label("View name").fill("Clinical trials")
    page.get_by_role("button", name="Save this view").click()
    expect(page.locator(".flash")).to_contain_text("View “Clinical trials” saved.")
    view = SavedView.objects.get(name="Clinical trials")
    assert "category=clinical_trial" in view.query

    # Back to the whole queue, reload, and open the view from its tab.
    tabs.get_by_role("link", name="Open requests").click()
    page.reload()
    expect(queue).to_contain_text("Research question outside the view")
    tabs.get_by_role("link", name="Clinical trials").click()
    expect(page).to_have_url(re.compile(rf"view={view.pk}"))
    expect(tabs.locator("a[aria-current=page]")).to_have_text("Clinical trials")
    expect(queue).to_contain_text("Trial amendment in the saved view")
    expect(queue).not_to_contain_text("Research question outside the view")
    expect(page.locator("form.filters").get_by_label("Category")).to_have_value("clinical_trial")

    # A built-in tab lights up when its filters are chosen by hand.
    page.locator("form.filters").get_by_label("Category").select_option("")
    page.locator("form.filters").get_by_label("Green channel").select_option("true")
    expect(tabs.locator("a[aria-current=page]")).to_have_text("Green channel")
