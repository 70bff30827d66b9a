"""The work order of queues and lists, read segment by segment from indexes, and the bounded
count of large lists (apps/casework/queues.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from apps.casework import actions, queues, selectors
from tests.conftest import fresh

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST = "/api/v1/requests/"
# Tuesday 2025-06-03 to Thursday 2025-06-05 are ordinary working days.
TUESDAY_10 = datetime(2025, 6, 3, 10, 0, tzinfo=SHANGHAI)
THURSDAY_10 = datetime(2025, 6, 5, 10, 0, tzinfo=SHANGHAI)
THURSDAY_12 = datetime(2025, 6, 5, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def queue(make_request, users):
    """Seven SBIP requests, one for each place in the work order, seen on Thursday at noon."""
    made = {}
    with time_machine.travel(TUESDAY_10, tick=False):
        made["overdue"] = make_request("ent_wytd", title="overdue since Wednesday 18:00")
        made["overdue_green"] = make_request("ent_pregene", title="overdue since Tuesday 18:00")
        actions.set_green_channel(
            made["overdue_green"], actor=users["liaison_sbip"], green_channel=True, reason="Key project"
        )
        made["resolved"] = make_request("ent_pregene", title="answered on Tuesday")
        actions.resolve(made["resolved"], actor=users["liaison_sbip"], resolution="Done.")
    with time_machine.travel(THURSDAY_10, tick=False):
        made["waiting"] = make_request("ent_ascentawits", title="due Friday 18:00")
        made["green"] = make_request("ent_wytd", title="due Thursday 18:00")
        actions.set_green_channel(
            made["green"], actor=users["liaison_sbip"], green_channel=True, reason="Key project"
        )
    with time_machine.travel(datetime(2025, 6, 5, 11, 0, tzinfo=SHANGHAI), tick=False):
        made["answered"] = make_request("ent_pregene", title="replied to, not waiting")
        actions.respond(made["answered"], actor=users["liaison_sbip"], body="We are on it.")
    with time_machine.travel(datetime(2025, 6, 5, 11, 30, tzinfo=SHANGHAI), tick=False):
        made["draft"] = make_request("ent_pregene", submit=False, title="draft")
    return {name: fresh(r) for name, r in made.items()}


WORK_ORDER = ["overdue_green", "overdue", "green", "waiting", "draft", "answered", "resolved"]


def names(queue, rows) -> list[str]:
    by_id = {r.pk: name for name, r in queue.items()}
    return [by_id[row.pk if hasattr(row, "pk") else row["id"]] for row in rows]


def test_work_order_is_overdue_then_green_then_deadline_then_newest(queue, users):
    with time_machine.travel(THURSDAY_12, tick=False):
        listing = queues.WorkOrder(selectors.request_list(users["liaison_sbip"]))
        assert listing.count() == 7 and listing.count_exact
        assert names(queue, listing[0:7]) == WORK_ORDER


@pytest.mark.parametrize("page_size", [1, 2, 3, 4])
def test_work_order_pages_cross_segments_without_gaps_or_repeats(queue, api, page_size):
    client = api("liaison_sbip")
    seen = []
    with time_machine.travel(THURSDAY_12, tick=False):
        url = f"{LIST}?page_size={page_size}"
        while url:
            body = client.get(url).json()
            assert body["count"] == 7
            seen += names(queue, body["results"])
            url = body["next"]
    assert seen == WORK_ORDER


def test_work_order_follows_the_clock(queue, users):
    """On Wednesday at noon the request due at 18:00 is not overdue yet: the green channel
    request due on Thursday goes before it."""
    with time_machine.travel(datetime(2025, 6, 4, 12, 0, tzinfo=SHANGHAI), tick=False):
        listing = queues.WorkOrder(selectors.request_list(users["liaison_sbip"]))
        assert names(queue, listing[0:4]) == ["overdue_green", "green", "overdue", "waiting"]
        assert listing.sizes()[:4] == [1, 0, 1, 2]


def test_filters_apply_inside_every_segment(queue, api):
    with time_machine.travel(THURSDAY_12, tick=False):
        body = api("liaison_sbip").get(f"{LIST}?green_channel=true").json()
    assert names(queue, body["results"]) == ["overdue_green", "green"] and body["count"] == 2


def test_newest_first_on_request(queue, api):
    body = api("liaison_sbip").get(f"{LIST}?ordering=newest").json()
    created = [r["created_at"] for r in body["results"]]
    assert created == sorted(created, reverse=True) and body["count"] == 7


@pytest.mark.parametrize("ordering", ["work", "newest"])
def test_large_lists_count_from_the_cache_and_say_so(queue, api, make_request, ordering):
    cache.clear()
    client = api("liaison_sbip")
    with override_settings(PORTAL={**_portal(), "LIST_COUNT_EXACT_UP_TO": 3}):
        first = client.get(f"{LIST}?ordering={ordering}").json()
        assert first["count"] == 7 and first["count_exact"] is False
        make_request("ent_pregene", title="one more")
        # Within the cache period the count stays as it was; a small, filtered list is exact.
        assert client.get(f"{LIST}?ordering={ordering}").json()["count"] == 7
        drafts = client.get(f"{LIST}?ordering={ordering}&state=draft").json()
        assert drafts["count"] == 1 and drafts["count_exact"] is True
        cache.clear()
        assert client.get(f"{LIST}?ordering={ordering}").json()["count"] == 8


def test_the_web_queue_uses_the_same_work_order(queue, client, users):
    client.force_login(users["liaison_sbip"])
    with time_machine.travel(THURSDAY_12, tick=False):
        page = client.get(reverse("home")).context["page"]
    # The liaison's queue is open work: the resolved request is not in it.
    assert names(queue, page.object_list) == [n for n in WORK_ORDER if n != "resolved"]


def _portal():
    from django.conf import settings

    return settings.PORTAL


def test_a_search_counts_its_matches_up_to_a_limit_and_says_when_more_matched(queue, api):
    client = api("liaison_sbip")
    with override_settings(PORTAL={**_portal(), "SEARCH_COUNT_UP_TO": 2}):
        many = client.get(LIST, {"search": "due"}).json()  # "due Friday", "due Thursday"... and more
        assert many["count"] == 2 and many["count_exact"] is False
        one = client.get(LIST, {"search": "draft"}).json()
        assert one["count"] == 1 and one["count_exact"] is True


def test_search_results_are_newest_first_unless_the_work_order_is_asked_for(queue, api):
    client = api("liaison_sbip")
    with time_machine.travel(THURSDAY_12, tick=False):
        newest = client.get(LIST, {"search": "o"}).json()["results"]
        worked = client.get(LIST, {"search": "o", "ordering": "work"}).json()["results"]
    created = [r["created_at"] for r in newest]
    assert created == sorted(created, reverse=True)
    assert names(queue, worked)[:2] == ["overdue_green", "overdue"]


# --- the work order's counts, kept between writes (queues.WorkOrder, queues.lists_changed) -------
def test_kept_counts_are_never_another_personas(queue, api, make_request, users):
    """Counts are kept per list (scope and filters): one enterprise's list, read first, never
    lends its counts to another's, nor a park's to its enterprises."""
    make_request("ent_ascentawits")
    with time_machine.travel(THURSDAY_12, tick=False):
        counts = {
            username: api(username).get(LIST).json()["count"]
            for username in ["liaison_sbip", "ent_pregene", "ent_ascentawits", "ent_wytd", "liaison_accel"]
        }
        again = {username: api(username).get(LIST).json()["count"] for username in counts}
    assert (
        counts
        == again
        == {username: selectors.visible_requests(users[username]).count() for username in counts}
    )
    sbip = ["ent_pregene", "ent_ascentawits", "ent_wytd"]
    assert counts["liaison_sbip"] == sum(counts[username] for username in sbip) == 8
    assert counts["ent_pregene"] != counts["ent_ascentawits"] and counts["liaison_accel"] == 0


def test_a_change_shows_in_the_counts_at_once(queue, api, users):
    """The liaison's list is counted and kept; filing a request, answering one (it leaves the
    waiting segments) and withdrawing one show in the very next read of the list."""
    client = api("liaison_sbip")

    def segments() -> tuple[int, list[str]]:
        body = client.get(f"{LIST}?page_size=100").json()
        return body["count"], names_or_new(body["results"])

    def names_or_new(rows) -> list[str]:
        by_id = {r.pk: name for name, r in queue.items()}
        return [by_id.get(row["id"], "new") for row in rows]

    with time_machine.travel(THURSDAY_12, tick=False):
        assert segments() == (7, WORK_ORDER)
        made = client.post(
            LIST,
            {
                "title": "Cold chain",
                "description": "Storage.",
                "category": "rnd",
                "product_type": "drug",
                "enterprise": queue["waiting"].enterprise_id,
                "submit": True,
            },
            format="json",
        )
        assert made.status_code == 201
        count, order = segments()
        assert count == 8 and order.count("new") == 1
        assert (
            client.post(
                f"{LIST}{queue['overdue'].pk}/respond/", {"body": "Answered."}, format="json"
            ).status_code
            == 200
        )
        count, order = segments()
        # Answered: no longer waiting, it goes to the newest-first rest.
        assert count == 8 and order.index("overdue") > order.index("waiting")
        actions.withdraw(fresh(queue["green"]), actor=users["liaison_sbip"], reason="Filed twice.")
        count, order = segments()
        assert count == 8 and order.index("green") > order.index("waiting")


def test_kept_counts_go_stale_with_the_clock_not_the_cache(queue, users):
    """Counts kept on Thursday are not read on Wednesday, nor a minute later."""
    liaison = users["liaison_sbip"]
    with time_machine.travel(THURSDAY_12, tick=False):
        assert queues.WorkOrder(selectors.request_list(liaison)).sizes()[:4] == [1, 1, 1, 1]
        assert queues.WorkOrder(selectors.request_list(liaison)).now == THURSDAY_12
    with time_machine.travel(datetime(2025, 6, 4, 12, 0, tzinfo=SHANGHAI), tick=False):
        assert queues.WorkOrder(selectors.request_list(liaison)).sizes()[:4] == [1, 0, 1, 2]
    later = THURSDAY_12 + queues.KEPT_FOR
    with time_machine.travel(later, tick=False):
        assert queues.WorkOrder(selectors.request_list(liaison)).now == later
