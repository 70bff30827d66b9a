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
from apps.satisfaction import selectors as satisfaction_selectors
from apps.satisfaction.models import AppealDecision, Rating, Rectification, RectificationState, Source


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


# --- 好差评 -----------------------------------------------------------------------------------
def _kinds(sr: ServiceRequest) -> list[str]:
    return list(RequestEvent.objects.filter(request=sr).values_list("kind", flat=True))


def test_every_resolution_asked_for_a_rating_and_every_bad_review_opened_a_rectification(world):
    assert Rating.objects.count() == RequestEvent.objects.filter(kind=EventKind.RESOLVED).count()
    bad = Rating.objects.filter(score__lte=2)
    assert bad.count() >= 4
    assert Rectification.objects.filter(rating__in=bad).count() == bad.count()
    # Defaults are the scan's and name nobody.
    assert not Rating.objects.filter(source=Source.DEFAULT, rated_by__isnull=False).exists()


def test_the_enterprise_rated_one_answer_and_the_liaison_recorded_another(world):
    rating = Rating.objects.get(request=world["rated_five"])
    assert rating.score == 5 and rating.source == Source.ENTERPRISE and rating.comment
    assert (
        rating.rated_by.username == "ent_pregene"
        and rating.department.name == "Pingshan Market Supervision Bureau"
    )
    event = RequestEvent.objects.get(request=world["rated_five"], kind=EventKind.RATED)
    assert event.details["score"] == 5 and event.shown_actor is None
    recorded = Rating.objects.get(request=world["rated_by_liaison"])
    assert (recorded.score, recorded.source, recorded.tier) == (4, Source.LIAISON, Tier.PARK)
    assert recorded.rated_by.username == "liaison_sbip"


def test_an_unrated_answer_counted_as_5_by_the_scan_and_a_recent_one_still_waits(world):
    defaulted = Rating.objects.get(request=world["auto_closed"])
    assert (defaulted.score, defaulted.source, defaulted.rated_by) == (5, Source.DEFAULT, None)
    event = RequestEvent.objects.get(request=world["auto_closed"], kind=EventKind.RATING_DEFAULTED)
    assert event.actor is None and event.created_at == defaulted.rated_at >= defaulted.default_at
    waiting = Rating.objects.get(request=world["resolved_park"])
    assert waiting.score is None and waiting.reopened_at is None and waiting.default_at > timezone.now()
    assert world["resolved_park"].state == State.RESOLVED


def test_a_bad_review_was_rectified_with_a_follow_up_and_the_fix_rated(world):
    sr = world["bad_review_rectified"]
    rectification = Rectification.objects.get(request=sr)
    assert rectification.rating.score == 1
    assert rectification.state == RectificationState.RECTIFIED and rectification.on_time
    assert rectification.follow_up_method == "phone" and rectification.follow_up_notes
    assert rectification.followed_up_at <= rectification.rectified_at
    assert rectification.fix_score == 4 and rectification.fix_rated_by.username == "ent_ascentawits"
    kinds = _kinds(sr)
    order = [EventKind.RATED, EventKind.RECTIFICATION_OPENED, EventKind.RECTIFIED, EventKind.FIX_RATED]
    assert [kinds.index(kind) for kind in order] == sorted(kinds.index(kind) for kind in order)


def test_one_appeal_set_the_review_aside_and_another_was_upheld_then_rectified(world):
    aside = Rectification.objects.get(request=world["appeal_set_aside"])
    assert aside.state == RectificationState.SET_ASIDE and aside.decision == AppealDecision.SET_ASIDE
    assert aside.rating.score == 2 and aside.rating.set_aside
    assert (aside.appealed_by.username, aside.decided_by.username) == ("officer_ps_msb", "supervisor_ps_msb")
    assert RequestEvent.objects.get(request=world["appeal_set_aside"], kind=EventKind.APPEALED).internal
    upheld = Rectification.objects.get(request=world["appeal_upheld"])
    assert upheld.decision == AppealDecision.UPHELD and upheld.state == RectificationState.RECTIFIED
    assert not upheld.rating.set_aside and upheld.decided_by.username == "supervisor_ps"
    assert upheld.department.name == "Pingshan Science and Technology Innovation Bureau"
    kinds = _kinds(world["appeal_upheld"])
    assert (
        kinds.index(EventKind.APPEALED)
        < kinds.index(EventKind.APPEAL_DECIDED)
        < kinds.index(EventKind.RECTIFIED)
    )


def test_an_overdue_rectification_was_breached_by_the_scan_and_is_on_the_officers_list(world):
    sr = world["rectification_overdue"]
    late = Rectification.objects.get(request=sr)
    assert late.state == RectificationState.OPEN and late.breached_at is not None
    assert late.department.name == "Pingshan Market Supervision Bureau"
    # The scan ran soon after the deadline, not at the end of the build.
    assert 0 <= (late.breached_at - late.due_at).total_seconds() <= 6 * 3600
    event = RequestEvent.objects.get(request=sr, kind=EventKind.RECTIFICATION_BREACHED)
    assert event.actor is None and event.internal and event.created_at == late.breached_at
    officer = User.objects.get(username="officer_ps_msb")
    assert satisfaction_selectors.work_list(officer).filter(pk=late.pk).exists()


def test_a_reopened_request_resolved_again_was_rated_twice(world):
    sr = world["reopened_rated_twice"]
    first, second = Rating.objects.filter(request=sr).order_by("resolved_at")
    assert first.score == 3 and first.reopened_at is not None
    assert second.score == 5 and second.reopened_at is None and second.resolved_at > first.reopened_at
    assert _kinds(sr).count(EventKind.RATED) == 2
    assert not Rectification.objects.filter(request=sr).exists()
