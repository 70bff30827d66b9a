"""Bulk actions (issue 14): one action on selected requests, each acted on alone — its own guard,
compare-and-swap, timeline event and notifications — with one result per request and one
summary line; bad input refused as a whole (400, nothing done); an id the caller may not see
answered exactly like one that does not exist. Through the API, the domain function and the
queue page's own form."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from apps.casework import actions, bulk, queues
from apps.casework.models import EventKind, RequestEvent, ServiceRequest, State
from apps.desk.models import ReplyTemplate
from apps.notifications.models import Notification
from tests.conftest import fresh
from tests.page_forms import forms_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/bulk/"
REASON = "Needs the municipal administration's ruling."


def at_district(make_request, users, **extra: Any) -> ServiceRequest:
    """A request the park escalated to Pingshan District (routed to the Market Supervision
    Bureau), unassigned there."""
    service_request = make_request(**extra)
    actions.escalate(service_request, actor=users["liaison_sbip"], reason="Needs the district.")
    return fresh(service_request)


def at_provincial(make_request, users) -> ServiceRequest:
    service_request = at_district(make_request, users)
    actions.escalate(service_request, actor=users["officer_ps_msb"], reason="Up to the city.")
    actions.escalate(fresh(service_request), actor=users["officer_sz_amr"], reason="Up to the province.")
    return fresh(service_request)


def beijing_request(users, orgs) -> ServiceRequest:
    return actions.create_request(
        actor=users["liaison_haidian"],
        title="Haidian question",
        description="A Beijing enterprise's question.",
        category="rnd",
        product_type="drug",
        enterprise=orgs["hd_ent"],
        submit=True,
    )


def post(api, username: str, data: dict[str, Any], language: str = "en") -> Any:
    return api(username).post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE=language)


def by_id(response: Any) -> dict[int, dict[str, Any]]:
    return {line["id"]: line for line in response.json()["results"]}


# --- bad input: 400 with field messages, nothing done ---------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "escalate", "ids": list(range(1, 102)), "reason": REASON}, "ids"),
        ({"action": "delete", "ids": [1], "reason": REASON}, "action"),
        ({"action": "escalate", "ids": [1]}, "reason"),
        ({"action": "escalate", "ids": [1], "reason": "   "}, "reason"),
        ({"action": "escalate", "ids": ["one"], "reason": REASON}, "ids"),
        ({"action": "escalate", "ids": [True], "reason": REASON}, "ids"),
        ({"action": "escalate", "ids": [-3], "reason": REASON}, "ids"),
        ({"action": "escalate", "ids": [2**70], "reason": REASON}, "ids"),
        ({"action": "escalate", "ids": [], "reason": REASON}, "ids"),
        ({"action": "escalate", "ids": 5, "reason": REASON}, "ids"),
        ({"action": "respond", "ids": [1]}, "body"),
        ({"action": "assign", "ids": [1]}, "assignee"),
        ({"action": "assign", "ids": [1], "assignee": "nobody"}, "assignee"),
        ({"action": "respond", "ids": [1], "template": 999999}, "template"),
        ({"action": "escalate", "ids": [1], "reason": REASON, "versions": {"1": "x"}}, "versions"),
    ],
)
def test_bad_input_is_a_400_with_field_messages_and_nothing_is_done(api, make_request, users, data, field):
    """Rule: bulk with more than 100 ids, an unknown action, a missing reason (or any other bad
    input) is refused as a whole — 400 with a message for the field — before any request is
    touched."""
    service_request = at_district(make_request, users)
    if isinstance(data["ids"], list):  # 1 stands for the request (True is not 1 here)
        data = {**data, "ids": [service_request.pk if type(i) is int and i == 1 else i for i in data["ids"]]}
    events, notes = RequestEvent.objects.count(), Notification.objects.count()
    response = post(api, "supervisor_ps", data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert response.json()[field][0]
    assert (RequestEvent.objects.count(), Notification.objects.count()) == (events, notes)
    assert fresh(service_request).version == service_request.version


def test_several_problems_are_all_named_at_once(api):
    response = post(api, "officer_ps_msb", {"action": "escalate", "ids": list(range(1, 200))})
    assert response.status_code == 400
    assert {"ids", "reason"} <= set(response.json())


def test_enterprise_staff_take_no_bulk_actions(api, make_request):
    service_request = make_request()
    response = post(api, "ent_pregene", {"action": "claim", "ids": [service_request.pk]})
    assert response.status_code == 403
    assert fresh(service_request).version == service_request.version


# --- escalation: each alone, one changed meanwhile, one at the top ---------------------------------
def test_a_bulk_escalation_with_one_request_changed_meanwhile(api, make_request, users):
    """Rule: each request goes through the same action as alone; the one written since the
    caller read it (the version it sent) is skipped as changed meanwhile, the others are
    escalated, each with its own timeline event and its own notifications."""
    requests = [at_district(make_request, users, title=f"Question {n}") for n in range(4)]
    changed = requests[2]
    read_version = changed.version
    # Somebody else acts on it after the caller's page was drawn.
    actions.claim(fresh(changed), actor=users["officer_ps_msb2"])
    events_before = {r.pk: r.events.count() for r in requests}
    notified_before = {r.pk: Notification.objects.filter(request=r).count() for r in requests}

    response = post(
        api,
        "officer_ps_msb",
        {
            "action": "escalate",
            "ids": [r.pk for r in requests],
            "reason": REASON,
            "versions": {str(r.pk): r.version if r != changed else read_version for r in requests},
        },
    )
    assert response.status_code == 200, response.content
    results = by_id(response)
    assert [line["id"] for line in response.json()["results"]] == [r.pk for r in requests]
    assert results[changed.pk] == {
        "id": changed.pk,
        "status": "skipped",
        "detail": "changed meanwhile",
        "reference": changed.reference,
    }
    assert response.json()["summary"] == "3 escalated; 1 skipped: changed meanwhile"
    for r in requests:
        now = fresh(r)
        if r == changed:
            assert now.state == State.DISTRICT_REVIEW
            assert now.events.count() == events_before[r.pk]  # nothing since the claim
            continue
        assert results[r.pk]["status"] == "done" and results[r.pk]["detail"] == "escalated"
        assert now.state == State.MUNICIPAL_REVIEW
        assert now.events.count() == events_before[r.pk] + 1
        event = now.events.order_by("-id").first()
        assert event is not None and event.kind == EventKind.ESCALATED and event.text == REASON
        assert event.actor == users["officer_ps_msb"]
        assert Notification.objects.filter(request=r, event=event).exists()
        assert Notification.objects.filter(request=r).count() > notified_before[r.pk]


def test_a_request_changed_between_the_read_and_its_own_write_loses_the_swap(make_request, users):
    """Rule: the compare-and-swap of each action decides. Another officer claims the last request
    after the batch read its requests (a real write, on the database, through the real action)
    and before the batch reaches it: that one is skipped, the others go ahead."""
    requests = [at_district(make_request, users, title=f"Race {n}") for n in range(3)]
    target = requests[-1]
    read, fired = [], []

    def claim_after_the_read(execute, sql, params, many, context):
        # The first query after the batch's one read of its requests (all its rows fetched).
        if read and not fired:
            fired.append(sql)
            actions.claim(fresh(target), actor=users["officer_ps_msb2"])
        if not read and sql.lstrip().upper().startswith("SELECT") and '"casework_request"."id" IN' in sql:
            read.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(claim_after_the_read):
        outcomes = bulk.run_bulk(users["officer_ps_msb"], "escalate", [r.pk for r in requests], reason=REASON)
    assert fired, "the batch never read its requests in one query"
    assert [(o.id, o.status) for o in outcomes] == [
        (requests[0].pk, "done"),
        (requests[1].pk, "done"),
        (target.pk, "skipped"),
    ]
    assert fresh(target).state == State.DISTRICT_REVIEW
    assert fresh(target).assignee == users["officer_ps_msb2"]
    assert not fresh(target).events.filter(kind=EventKind.ESCALATED, actor=users["officer_ps_msb"]).exists()


def test_a_request_at_the_provincial_tier_is_not_allowed_to_go_higher(api, make_request, users):
    top = at_provincial(make_request, users)
    other = at_district(make_request, users)
    response = post(
        api, "officer_ps_msb", {"action": "escalate", "ids": [other.pk, top.pk], "reason": REASON}
    )
    assert response.status_code == 200
    assert by_id(response)[top.pk]["status"] == "not_allowed"
    assert by_id(response)[top.pk]["detail"] == "not allowed: already at the provincial tier"
    assert response.json()["summary"] == "1 escalated; 1 not allowed: already at the provincial tier"
    assert fresh(top).version == top.version


def test_an_invisible_id_is_reported_exactly_like_an_unknown_one(api, make_request, users, orgs):
    """Rule: an id the caller may not see is reported exactly like one that does not exist."""
    hidden = beijing_request(users, orgs)
    unknown = ServiceRequest.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000  # type: ignore[operator]
    mine = at_district(make_request, users)
    response = post(
        api, "officer_ps_msb", {"action": "escalate", "ids": [hidden.pk, unknown, mine.pk], "reason": REASON}
    )
    results = by_id(response)
    strip = lambda line: {k: v for k, v in line.items() if k != "id"}  # noqa: E731
    assert (
        strip(results[hidden.pk])
        == strip(results[unknown])
        == {
            "status": "not_found",
            "detail": "not found",
            "reference": None,
        }
    )
    assert hidden.reference not in response.content.decode()
    assert fresh(hidden).version == hidden.version
    assert response.json()["summary"] == "1 escalated; 2 not found"


def test_repeated_ids_count_once_in_the_order_first_given(api, make_request, users):
    first, second = at_district(make_request, users), at_district(make_request, users)
    response = post(
        api,
        "officer_ps_msb",
        {"action": "escalate", "ids": [second.pk, first.pk, second.pk], "reason": REASON},
    )
    assert [line["id"] for line in response.json()["results"]] == [second.pk, first.pk]
    assert fresh(second).events.filter(kind=EventKind.ESCALATED).count() == 2  # park's and this one


def test_a_colleague_of_another_tier_may_see_but_not_act(api, make_request, users):
    moved_on = at_district(make_request, users)
    actions.escalate(moved_on, actor=users["officer_ps_msb"], reason="Up to the city.")
    response = post(api, "officer_ps_msb", {"action": "return", "ids": [moved_on.pk], "reason": "Back"})
    line = by_id(response)[moved_on.pk]
    assert line["status"] == "forbidden"
    assert line["detail"] == "not permitted: another tier holds it"


# --- claim, assign, return, respond ---------------------------------------------------------------
def test_bulk_claim(api, make_request, users):
    free = [at_district(make_request, users) for _ in range(2)]
    taken = at_district(make_request, users)
    actions.claim(taken, actor=users["officer_ps_msb2"])
    response = post(api, "officer_ps_msb", {"action": "claim", "ids": [*[r.pk for r in free], taken.pk]})
    assert response.json()["summary"] == "2 claimed; 1 not allowed: already assigned"
    assert all(fresh(r).assignee == users["officer_ps_msb"] for r in free)
    assert fresh(taken).assignee == users["officer_ps_msb2"]
    assert all(fresh(r).events.filter(kind=EventKind.CLAIMED).count() == 1 for r in free)


def test_bulk_assign_by_a_supervisor(api, make_request, users):
    requests = [at_district(make_request, users) for _ in range(2)]
    at_park = make_request()
    response = post(
        api,
        "supervisor_ps",
        {"action": "assign", "ids": [*[r.pk for r in requests]], "assignee": users["officer_ps_msb2"].pk},
    )
    assert response.json()["summary"] == "2 assigned", response.json()
    assert all(fresh(r).assignee == users["officer_ps_msb2"] for r in requests)
    # Somebody outside the supervisor's organisation is no choice (nor named).
    refused = post(
        api,
        "supervisor_ps",
        {"action": "assign", "ids": [requests[0].pk], "assignee": users["officer_hd_station"].pk},
    )
    assert refused.status_code == 400 and "assignee" in refused.json()
    assert "Liang" not in refused.content.decode()
    # An officer may not assign: each request says so.
    officer = post(
        api,
        "officer_ps_msb",
        {"action": "assign", "ids": [requests[0].pk], "assignee": users["officer_ps_msb"].pk},
    )
    assert by_id(officer)[requests[0].pk]["status"] == "forbidden"
    # The park does not see the district's staff as its own: the park liaison's request is not the
    # district supervisor's to see at all.
    assert (
        by_id(post(api, "supervisor_ps", {"action": "claim", "ids": [at_park.pk]}))[at_park.pk]["status"]
        == "not_found"
    )


def test_bulk_return_to_the_park(api, make_request, users):
    requests = [at_district(make_request, users) for _ in range(2)]
    response = post(
        api,
        "officer_ps_msb",
        {"action": "return", "ids": [r.pk for r in requests], "reason": "The park can answer."},
    )
    assert response.json()["summary"] == "2 returned"
    assert all(fresh(r).state == State.PARK_REVIEW for r in requests)
    assert all(fresh(r).events.filter(kind=EventKind.RETURNED).count() == 1 for r in requests)
    again = post(api, "liaison_sbip", {"action": "return", "ids": [requests[0].pk], "reason": "Lower?"})
    assert by_id(again)[requests[0].pk]["detail"] == "not allowed: already at the park tier"


def test_bulk_respond_with_a_body_and_with_a_template(api, make_request, users, orgs):
    requests = [at_district(make_request, users) for _ in range(2)]
    response = post(
        api, "officer_ps_msb", {"action": "respond", "ids": [r.pk for r in requests], "body": "Noted."}
    )
    assert response.json()["summary"] == "2 answered"
    assert all(fresh(r).messages.filter(body="Noted.").exists() for r in requests)

    template = ReplyTemplate.objects.create(
        organization=orgs["ps_msb"], name="Received", body_en="Dear {enterprise}, {reference} is with us."
    )
    response = post(
        api, "officer_ps_msb", {"action": "respond", "ids": [r.pk for r in requests], "template": template.pk}
    )
    assert response.json()["summary"] == "2 answered"
    for r in requests:
        assert (
            fresh(r)
            .messages.filter(body=f"Dear {r.enterprise.display_name}, {r.reference} is with us.")
            .exists()
        )
    # Another organisation's template is no choice.
    foreign = ReplyTemplate.objects.create(organization=orgs["hd_station"], name="Theirs", body_en="Hello")
    refused = post(
        api, "officer_ps_msb", {"action": "respond", "ids": [requests[0].pk], "template": foreign.pk}
    )
    assert refused.status_code == 400 and "template" in refused.json()


# --- words --------------------------------------------------------------------------------------
def test_the_summary_and_details_are_in_chinese_for_a_chinese_reader(api, make_request, users):
    top = at_provincial(make_request, users)
    others = [at_district(make_request, users) for _ in range(2)]
    response = post(
        api,
        "officer_ps_msb",
        {"action": "escalate", "ids": [*[r.pk for r in others], top.pk, 99999999], "reason": REASON},
        language="zh-hans",
    )
    body = response.json()
    assert body["summary"] == "已上报 2 件；1 件不允许：已在省级；1 件未找到"
    assert by_id(response)[top.pk]["detail"] == "不允许：已在省级"
    assert by_id(response)[others[0].pk]["detail"] == "已上报"


def test_summary_groups_by_status_then_reason_with_plurals():
    outcomes = [
        bulk.Outcome(1, bulk.DONE, "escalated"),
        bulk.Outcome(2, bulk.NOT_ALLOWED, "not allowed: it is resolved", "R-2", "it is resolved"),
        bulk.Outcome(3, bulk.SKIPPED, "changed meanwhile", "R-3", "changed meanwhile"),
        bulk.Outcome(4, bulk.DONE, "escalated"),
        bulk.Outcome(5, bulk.SKIPPED, "changed meanwhile", "R-5", "changed meanwhile"),
        bulk.Outcome(
            6,
            bulk.NOT_ALLOWED,
            "not allowed: already at the provincial tier",
            "R-6",
            "already at the provincial tier",
        ),
    ]
    with translation.override("en"):
        assert bulk.summary("escalate", outcomes) == (
            "2 escalated; 2 skipped: changed meanwhile; 1 not allowed: it is resolved; "
            "1 not allowed: already at the provincial tier"
        )


# --- the queue page -----------------------------------------------------------------------------
def signed_in(users, username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(users[username])
    return client


def bulk_form(html: str):
    found = [form for form in forms_in(html) if form.attrs.get("id") == "bulk-form"]
    assert found, "no bulk form on the page"
    return found[0]


def test_the_queue_page_selects_rows_and_shows_the_summary(make_request, users):
    """Rule: on the queue, each row has a checkbox of the bulk form; the form posts the rows
    chosen with the version each row showed, and the page comes back (PRG) with the summary and
    one line per request."""
    requests = [at_district(make_request, users, title=f"Page {n}") for n in range(3)]
    changed = requests[1]
    client = signed_in(users, "officer_ps_msb")
    html = client.get("/home/").content.decode()
    form = bulk_form(html)
    assert form.method == "post"
    assert 'data-select-all="bulk-form"' in html
    for r in requests:
        assert f'name="ids" value="{r.pk}" form="bulk-form"' in html
    # Somebody else acts on one of them while the page is open.
    actions.claim(fresh(changed), actor=users["officer_ps_msb2"])

    sent = form.data(action="escalate", text=REASON)
    sent["ids"] = [str(r.pk) for r in requests]  # the person ticks every row
    response = client.post(form.action, sent)
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    page = client.get(response["Location"]).content.decode()
    assert "2 escalated; 1 skipped: changed meanwhile" in page
    for r in requests:
        detail = "changed meanwhile" if r == changed else "escalated"
        assert f"{r.reference}</a>: {detail}" in page
    assert fresh(changed).state == State.DISTRICT_REVIEW
    assert all(fresh(r).state == State.MUNICIPAL_REVIEW for r in requests if r != changed)
    # The lines are shown once.
    assert "What happened to each request" not in client.get("/home/").content.decode()


def test_the_page_refuses_bad_input_with_a_message_and_does_nothing(make_request, users):
    service_request = at_district(make_request, users)
    client = signed_in(users, "officer_ps_msb")
    form = bulk_form(client.get("/home/").content.decode())
    sent = form.data(action="escalate", text="")
    sent["ids"] = [str(service_request.pk)]
    response = client.post(form.action, sent, follow=True)
    assert response.status_code == 200
    assert "Nothing was done" in response.content.decode()
    assert fresh(service_request).version == service_request.version


def test_the_chinese_page_says_it_in_chinese(make_request, users):
    service_request = at_district(make_request, users)
    client = signed_in(users, "officer_ps_msb", "zh-hans")
    form = bulk_form(client.get("/home/").content.decode())
    sent = form.data(action="claim")
    sent["ids"] = [str(service_request.pk)]
    page = client.post(form.action, sent, follow=True).content.decode()
    assert "已认领 1 件" in page


def test_the_supervisor_is_offered_assign_with_the_staff_and_enterprise_staff_no_bar(make_request, users):
    at_district(make_request, users)
    supervisor = bulk_form(signed_in(users, "supervisor_ps").get("/home/").content.decode())
    assert "assign" in supervisor.options["action"]
    assert str(users["officer_ps_msb2"].pk) in supervisor.options["assignee"]
    assert str(users["officer_hd_station"].pk) not in supervisor.options["assignee"]
    officer = bulk_form(signed_in(users, "officer_ps_msb").get("/home/").content.decode())
    assert "assign" not in officer.options["action"]
    enterprise = signed_in(users, "ent_pregene")
    assert "bulk-form" not in enterprise.get("/requests/").content.decode()
    assert enterprise.post("/requests/bulk/", {"action": "claim", "ids": ["1"]}).status_code == 403


def test_the_bulk_bar_adds_no_query_per_row(make_request, users):
    from django.test.utils import CaptureQueriesContext

    client = signed_in(users, "supervisor_ps")
    at_district(make_request, users)
    client.get("/home/")
    queues.kept.clear()  # each read below counts afresh, as after any change
    with CaptureQueriesContext(connection) as few:
        client.get("/home/")
    for _ in range(5):
        at_district(make_request, users)
    queues.kept.clear()
    with CaptureQueriesContext(connection) as more:
        page = client.get("/home/").content.decode()
    assert page.count('form="bulk-form"') >= 12  # six rows: a checkbox and a version each
    assert len(more) == len(few)
