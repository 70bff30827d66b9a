"""No N+1: the number of queries of a list does not grow with its length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.casework import queues

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> int:
    """The queries of one read, with nothing kept from earlier reads (lists' counts, shares)."""
    queues.kept.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip", "supervisor_ps"])
def test_request_list_queries_do_not_grow_with_the_page(api, make_request, users, username):
    client = api(username)
    for _ in range(3):
        make_request()
    few = queries_for(client, "/api/v1/requests/")
    for _ in range(12):
        make_request(by="liaison_sbip", enterprise="pregene")
    assert queries_for(client, "/api/v1/requests/") == few


def test_detail_timeline_and_notifications_queries_are_bounded(api, make_request, users):
    from apps.casework import actions
    from tests.conftest import fresh

    service_request = make_request()
    client = api("liaison_sbip")
    before = {
        path: queries_for(client, path)
        for path in (
            f"/api/v1/requests/{service_request.pk}/",
            f"/api/v1/requests/{service_request.pk}/timeline/",
            "/api/v1/notifications/",
        )
    }
    for n in range(6):
        actions.add_message(fresh(service_request), actor=users["ent_pregene"], body=f"Follow-up {n}")
    after = {path: queries_for(client, path) for path in before}
    assert after == before


def test_pages_queries_do_not_grow_with_the_queue(make_request, users):
    from django.test import Client

    client = Client()
    client.force_login(users["liaison_sbip"])
    make_request()
    client.get("/home/")
    few = queries_for(client, "/home/")
    for _ in range(10):
        make_request()
    assert queries_for(client, "/home/") == few


def transition_queries(client, service_request, name: str, body: dict) -> int:
    queues.kept.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/api/v1/requests/{service_request.pk}/{name}/", body, format="json")
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize(
    ("name", "body"),
    [("respond", {"body": "Received."}), ("escalate", {"reason": "Needs the district."})],
)
def test_a_transition_does_the_same_bounded_work_however_long_the_history(
    api, make_request, users, name, body
):
    """A transition reads and writes a fixed set of rows: its query count does not grow with the
    request's timeline, messages or earlier notifications, and stays small."""
    from apps.casework import actions
    from tests.conftest import fresh

    client = api("liaison_sbip")
    transition_queries(client, make_request(), name, body)  # fills the per-process caches (policy, types)
    short = make_request()
    long = make_request()
    # Both in the same state (answered once, clock stopped), one with fifteen times the history.
    actions.respond(fresh(short), actor=users["liaison_sbip"], body="First answer")
    for n in range(15):
        actions.add_message(fresh(long), actor=users["ent_pregene"], body=f"Follow-up {n}")
        actions.respond(fresh(long), actor=users["liaison_sbip"], body=f"Answer {n}")
    first = transition_queries(client, short, name, body)
    assert transition_queries(client, long, name, body) == first
    assert first <= 40, f"{name} took {first} queries"


@pytest.mark.parametrize("username", ["ent_pregene", "liaison_sbip", "supervisor_ps"])
def test_list_queries_do_not_grow_with_the_page_size(api, make_request, users, username):
    """Newest first: the same queries for a page of 1 and a page of 100. In work order a page
    reads each of the five segments it spans with one query, so it may take up to four more,
    never one per row."""
    from apps.casework import actions
    from tests.conftest import fresh

    client = api(username)
    for n in range(8):
        made = make_request()
        if n % 2:
            actions.respond(fresh(made), actor=users["liaison_sbip"], body="Answered")  # not waiting
    small = queries_for(client, "/api/v1/requests/?ordering=newest&page_size=1")
    assert queries_for(client, "/api/v1/requests/?ordering=newest&page_size=100") == small
    small = queries_for(client, "/api/v1/requests/?page_size=1")
    assert small <= queries_for(client, "/api/v1/requests/?page_size=100") <= small + 4
