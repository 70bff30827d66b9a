"""The lived-in world (apps/casework/lived_in.py): weeks of history played through the real
actions and the real deadline scan, holding what the pages must cope with."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.casework import lived_in
from apps.casework.models import (
    Attachment,
    EventKind,
    Message,
    RequestEvent,
    RequestGroupObjectPermission,
    ServiceRequest,
    State,
)
from apps.casework.selectors import visible_requests
from apps.deadlines.models import TierVisit
from apps.notifications.models import Notification
from apps.organizations.models import Organization, Tier, User


@pytest.fixture
def world(lived_in_world_shared, db):
    # Built once for this module: these tests only read it.
    return lived_in_world_shared


def test_the_world_has_requests_in_every_state_and_tier(world):
    assert 30 <= ServiceRequest.objects.count() <= 50
    assert set(ServiceRequest.objects.values_list("state", flat=True)) == set(State.values)
    assert set(ServiceRequest.objects.values_list("tier", flat=True)) == set(Tier.values)
    assert world["draft"].state == State.DRAFT
    assert world["green_key"].state == State.PROVINCIAL_REVIEW


def test_its_history_lies_in_the_past_and_spans_weeks(world):
    now = timezone.now()
    oldest = ServiceRequest.objects.order_by("created_at").first()
    assert oldest is not None
    assert (now - oldest.created_at).days >= 14
    assert not RequestEvent.objects.filter(created_at__gt=now).exists()
    assert not TierVisit.objects.filter(started_at__gt=now).exists()


def test_the_scan_recorded_breaches_and_reminders_at_their_moments(world):
    breached = TierVisit.objects.get(request=world["breached"], breached_at__isnull=False)
    assert breached.feedback_at is None and breached.due_at < breached.breached_at
    # The scan ran minutes after the deadline, not at the end of the build.
    assert (breached.breached_at - breached.due_at).total_seconds() <= 3600
    event = RequestEvent.objects.get(request=world["breached"], kind=EventKind.DEADLINE_BREACHED)
    assert event.actor is None and event.created_at == breached.breached_at
    assert Notification.objects.filter(event=event).exists()

    reminded = TierVisit.objects.get(request=world["reminded"], tier=Tier.DISTRICT)
    assert reminded.reminded_at is not None and reminded.breached_at is None
    assert reminded.reminded_at < reminded.feedback_at <= reminded.due_at


def test_resolved_requests_were_closed_by_the_scan_a_week_later(world):
    for key in ("auto_closed", "auto_closed_park"):
        sr = world[key]
        assert sr.state == State.CLOSED
        closed = RequestEvent.objects.get(request=sr, kind=EventKind.CLOSED)
        assert closed.actor is None
        assert (closed.created_at - sr.resolved_at).days >= 7
    closed_by_hand = RequestEvent.objects.get(request=world["closed_by_enterprise"], kind=EventKind.CLOSED)
    assert closed_by_hand.actor is not None and closed_by_hand.actor.username == "ent_wytd"


def test_a_request_was_returned_with_a_reason_and_another_reopened(world):
    returned = world["returned"]
    event = RequestEvent.objects.get(request=returned, kind=EventKind.RETURNED)
    assert event.from_state == State.DISTRICT_REVIEW and event.to_state == State.PARK_REVIEW
    assert "property office" in event.text
    # Back at the park it went to the liaison who had it there.
    assert returned.state == State.PARK_REVIEW and returned.assignee.username == "liaison_sbip"
    assert RequestEvent.objects.filter(
        request=world["returned_by_city"], kind=EventKind.RETURNED, tier=Tier.DISTRICT
    ).exists()
    reopened = world["reopened"]
    assert RequestEvent.objects.filter(request=reopened, kind=EventKind.REOPENED).exists()
    assert reopened.state == State.DISTRICT_REVIEW


def test_information_was_asked_for_and_provided(world):
    kinds = list(RequestEvent.objects.filter(request=world["info_provided"]).values_list("kind", flat=True))
    assert kinds.index(EventKind.INFO_REQUESTED) < kinds.index(EventKind.INFO_PROVIDED)
    assert world["info_requested"].state == State.INFO_REQUESTED
    assert world["provincial_info"].state == State.INFO_REQUESTED


def test_conversations_notes_and_attachments_are_there(world):
    assert Message.objects.filter(internal=False).count() >= 10
    notes = Message.objects.filter(internal=True)
    assert notes.count() >= 5
    assert not notes.filter(author__role="enterprise").exists()
    kinds = set(Attachment.objects.values_list("content_type", flat=True))
    assert {"application/pdf", "text/plain", "text/csv"} <= kinds
    pdf = Attachment.objects.filter(content_type="application/pdf").first()
    assert pdf is not None
    with pdf.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_a_request_is_shared_with_another_department(world):
    shared = world["shared"]
    sti = Organization.objects.get(name="Pingshan Science and Technology Innovation Bureau")
    assert shared.district_department.name == "Pingshan Market Supervision Bureau"
    assert RequestGroupObjectPermission.objects.filter(content_object=shared).exists()
    assert RequestEvent.objects.filter(request=shared, kind=EventKind.SHARED, text__startswith=sti.name)
    officer = User.objects.get(username="officer_ps_sti")
    assert visible_requests(officer).filter(pk=shared.pk).exists()


def test_green_channel_by_key_project_and_by_an_officer(world):
    green_key = world["green_key"]
    assert green_key.green_channel and green_key.key_project is not None
    assert green_key.key_project.name == lived_in.KP_WYTD
    set_by_hand = world["green_channel_set"]
    assert set_by_hand.green_channel and set_by_hand.key_project is None
    assert RequestEvent.objects.filter(request=set_by_hand, kind=EventKind.GREEN_CHANNEL).exists()
    # A green-channel visit that missed its same-day deadline.
    assert TierVisit.objects.filter(
        request=world["green_key_breached"], green_channel=True, breached_at__isnull=False
    ).exists()


def test_both_jurisdictions_and_every_shenzhen_enterprise_have_requests(world):
    enterprises = set(ServiceRequest.objects.values_list("enterprise__name", flat=True))
    assert {
        "Shenzhen Pregene Biopharma Co., Ltd.",
        "Ascentawits Pharmaceuticals",
        "WYTD Medical Technology (Shenzhen) Co., Ltd.",
        "Shenzhen Kangtai Device Innovation Co., Ltd.",
        "Beijing Huaxin Cell Therapeutics Co., Ltd.",
    } <= enterprises
    haidian = world["haidian_resolved"]
    assert haidian.district_department.name.startswith("Beijing Pharmaceutical and Medical Device")


def test_every_demo_role_has_work_on_first_sign_in(world):
    for username in (
        "liaison_sbip",
        "liaison_accel",
        "liaison_haidian",
        "officer_ps_msb",
        "officer_ps_sti",
        "officer_sz_amr",
        "officer_gd_mpa",
        "officer_hd_station",
        "ent_pregene",
        "ent_ascentawits",
        "ent_wytd",
        "ent_accel1",
        "ent_haidian",
    ):
        user = User.objects.get(username=username)
        assert visible_requests(user).exclude(state__in=[State.CLOSED, State.WITHDRAWN]).exists(), username


def test_every_request_page_renders_for_its_enterprise_and_its_park(world):
    for sr in ServiceRequest.objects.select_related("created_by"):
        viewers = [
            User.objects.filter(organization_id=org_id, role=role).first()
            for org_id, role in ((sr.enterprise_id, "enterprise"), (sr.park_id, "liaison"))
        ]
        # One demo enterprise has no staff of its own: its liaison filed for it.
        assert viewers[1] is not None
        for user in filter(None, viewers):
            client = Client()
            client.force_login(user)
            response = client.get(f"/requests/{sr.pk}/")
            assert response.status_code == 200, (sr.reference, user.username, response.status_code)
