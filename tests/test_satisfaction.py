"""好差评 (SPEC.md, "Satisfaction"): one rating per resolution, the default after the policy's
days, the rectification a bad review opens with the resolving organisation, the appeal and its
decision, each once, on the timeline, told to the right people. Reached through the real
actions and the real scan."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.casework import actions
from apps.casework.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from apps.casework.models import EventKind, ServiceRequest
from apps.deadlines.scan import scan
from apps.notifications.models import Notification
from apps.satisfaction import actions as satisfaction
from apps.satisfaction import ledger
from apps.satisfaction.models import Rating, Rectification, RectificationState, Source
from tests.conftest import fresh

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 28 September 2026, before the National Day week (1–7 October off; Saturday 10 October
# is a make-up working day): five working days later is that Saturday.
MONDAY_BEFORE_NATIONAL_DAY = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
FIVE_WORKING_DAYS_LATER = datetime(2026, 10, 10, 18, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _an_hour_after_the_resolution():
    """The tests act in the hour after the Monday resolution, unless they say otherwise."""
    with time_machine.travel(MONDAY_BEFORE_NATIONAL_DAY + timedelta(hours=1), tick=False):
        yield


@pytest.fixture
def resolved_at_district(make_request, users):
    """A request the park escalated and the Pingshan Market Supervision Bureau resolved."""

    def make(at: datetime = MONDAY_BEFORE_NATIONAL_DAY) -> ServiceRequest:
        with time_machine.travel(at - timedelta(hours=1), tick=False):
            sr = make_request()
            actions.escalate(sr, actor=users["liaison_sbip"], reason="Needs the district.")
        with time_machine.travel(at, tick=False):
            actions.resolve(fresh(sr), actor=users["officer_ps_msb"], resolution="File the amendment.")
        return fresh(sr)

    return make


def kinds(sr: ServiceRequest) -> list[str]:
    return list(sr.events.order_by("created_at", "id").values_list("kind", flat=True))


def told(kind: str, sr: ServiceRequest) -> set[str]:
    return set(
        Notification.objects.filter(request=sr, kind=kind).values_list("recipient__username", flat=True)
    )


def test_a_resolution_asks_its_enterprise_for_a_rating_of_the_tier_that_gave_it(resolved_at_district, users):
    sr = resolved_at_district()
    rating = ledger.current_rating(sr)
    assert rating is not None and not rating.rated
    assert rating.tier == "district"
    assert rating.department.name == "Pingshan Market Supervision Bureau"
    assert rating.resolved_by == users["officer_ps_msb"]
    # The enterprise's notification asks for the rating and leads straight to it.
    note = Notification.objects.get(request=sr, recipient=users["ent_pregene"], kind="rate_request")
    from apps.notifications import services

    assert services.path(note).endswith("#rate")
    assert "Rate it" in services.render(note, "en")


def test_the_enterprise_rates_once_per_resolution(resolved_at_district, users):
    sr = resolved_at_district()
    rating = satisfaction.rate(sr, actor=users["ent_pregene"], score=4, comment="Clear and quick.")
    assert (rating.score, rating.source, rating.rated_by) == (4, Source.ENTERPRISE, users["ent_pregene"])
    with pytest.raises(TransitionNotAllowed):
        satisfaction.rate(fresh(sr), actor=users["ent_pregene2"], score=1)
    assert Rating.objects.get(pk=rating.pk).score == 4
    assert kinds(sr).count(EventKind.RATED) == 1
    # The officer whose answer it rates hears the score, not who gave it.
    [note] = Notification.objects.filter(request=sr, kind=EventKind.RATED, recipient=users["officer_ps_msb"])
    from apps.notifications import services

    text = services.render(note, "en")
    assert "4 – Satisfied" in text and "ent_pregene" not in text


def test_a_rating_on_the_timeline_never_names_its_giver(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=5)
    event = sr.events.get(kind=EventKind.RATED)
    assert event.shown_actor is None
    assert event.actor_name == "The enterprise"
    assert event.display_text == "5 – Very satisfied"


def test_a_liaison_records_a_rating_the_enterprise_gave_by_phone(resolved_at_district, users):
    sr = resolved_at_district()
    rating = satisfaction.rate(sr, actor=users["liaison_sbip"], score=3, comment="Said on the phone.")
    assert (rating.source, rating.rated_by) == (Source.LIAISON, users["liaison_sbip"])
    assert sr.events.get(kind=EventKind.RATED).actor_name == "The enterprise (recorded by the park)"


@pytest.mark.parametrize(
    "who", ["officer_ps_msb", "supervisor_ps", "ent_ascentawits", "liaison_accel", "admin"]
)
def test_nobody_but_the_enterprise_or_its_liaison_rates(resolved_at_district, users, who):
    sr = resolved_at_district()
    with pytest.raises(NotPermitted):
        satisfaction.rate(sr, actor=users[who], score=5)
    assert not ledger.current_rating(sr).rated


@pytest.mark.parametrize("score", [0, 6, -1, "five", None, True, 4.5, ""])
def test_a_score_outside_one_to_five_is_refused_and_nothing_is_saved(resolved_at_district, users, score):
    sr = resolved_at_district()
    with pytest.raises(InvalidInput) as refused:
        satisfaction.rate(sr, actor=users["ent_pregene"], score=score)
    assert "score" in refused.value.fields
    assert not ledger.current_rating(sr).rated
    assert EventKind.RATED not in kinds(sr)


def test_an_open_request_is_not_rated(make_request, users):
    sr = make_request()
    with pytest.raises(TransitionNotAllowed):
        satisfaction.rate(sr, actor=users["ent_pregene"], score=5)


def test_a_reopened_and_re_resolved_request_is_rated_again(resolved_at_district, users):
    sr = resolved_at_district()
    first = satisfaction.rate(sr, actor=users["ent_pregene"], score=2)
    actions.reopen(fresh(sr), actor=users["ent_pregene"], reason="The answer missed the point.")
    with pytest.raises(TransitionNotAllowed):
        satisfaction.rate(fresh(sr), actor=users["ent_pregene"], score=4)
    actions.resolve(fresh(sr), actor=users["officer_ps_msb"], resolution="Here is the full answer.")
    second = satisfaction.rate(fresh(sr), actor=users["ent_pregene"], score=5)
    assert second.pk != first.pk
    assert Rating.objects.get(pk=first.pk).reopened_at is not None  # the resolution rate counts it
    assert list(
        Rating.objects.filter(request=sr).order_by("resolved_at").values_list("score", flat=True)
    ) == [2, 5]


def test_a_bad_review_opens_a_rectification_owned_by_the_resolver_due_in_five_working_days(
    resolved_at_district, users
):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=1, comment="Nobody called back.")
    rectification = Rectification.objects.get(request=sr)
    assert rectification.state == RectificationState.OPEN
    assert rectification.department.name == "Pingshan Market Supervision Bureau"
    # National Day week skipped, the make-up Saturday counted.
    assert rectification.due_at == FIVE_WORKING_DAYS_LATER
    assert kinds(sr)[-2:] == [EventKind.RATED, EventKind.RECTIFICATION_OPENED]
    # The bureau's officers and supervisors, and the district's supervisor, hear of it.
    assert {"officer_ps_msb", "officer_ps_msb2", "supervisor_ps_msb", "supervisor_ps"} <= told(
        EventKind.RECTIFICATION_OPENED, sr
    )
    assert "officer_ps_sti" not in told(EventKind.RECTIFICATION_OPENED, sr)


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_score_of_three_or_more_opens_no_rectification(resolved_at_district, users, score):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=score)
    assert not Rectification.objects.filter(request=sr).exists()


def test_the_scan_defaults_an_unrated_resolution_to_five_after_seven_days_once(resolved_at_district, users):
    sr = resolved_at_district()
    rating = ledger.current_rating(sr)
    assert scan(MONDAY_BEFORE_NATIONAL_DAY + timedelta(days=6, hours=23)).ratings_defaulted == 0
    week_later = MONDAY_BEFORE_NATIONAL_DAY + timedelta(days=7, minutes=1)
    assert scan(week_later).ratings_defaulted == 1
    assert scan(week_later).ratings_defaulted == 0
    rating.refresh_from_db()
    assert (rating.score, rating.source, rating.rated_by) == (5, Source.DEFAULT, None)
    assert kinds(sr).count(EventKind.RATING_DEFAULTED) == 1
    # Defaulted is rated: the enterprise can no longer give its own.
    with pytest.raises(TransitionNotAllowed):
        satisfaction.rate(fresh(sr), actor=users["ent_pregene"], score=1)


def test_a_request_reopened_before_it_was_rated_is_never_defaulted(resolved_at_district, users):
    sr = resolved_at_district()
    actions.reopen(fresh(sr), actor=users["ent_pregene"], reason="Not answered.")
    assert scan(MONDAY_BEFORE_NATIONAL_DAY + timedelta(days=8)).ratings_defaulted == 0


def test_the_owner_rectifies_and_the_enterprise_rates_the_fix(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=2)
    rectification = Rectification.objects.get(request=sr)
    satisfaction.rectify(
        rectification,
        actor=users["officer_ps_msb2"],
        action_taken="Called the enterprise and sent the filing checklist.",
        followed_up_at=MONDAY_BEFORE_NATIONAL_DAY + timedelta(minutes=30),
        follow_up_method="phone",
        follow_up_notes="Satisfied with the checklist.",
    )
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.RECTIFIED and rectification.on_time
    satisfaction.rate_fix(rectification, actor=users["ent_pregene"], score=4, comment="Thanks.")
    assert Rectification.objects.get(pk=rectification.pk).fix_score == 4
    with pytest.raises(TransitionNotAllowed):
        satisfaction.rate_fix(rectification, actor=users["ent_pregene"], score=5)
    assert kinds(sr)[-2:] == [EventKind.RECTIFIED, EventKind.FIX_RATED]
    assert "ent_pregene" in told(EventKind.RECTIFIED, sr)


def test_rectifying_needs_what_was_done_and_a_real_follow_up(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=1)
    rectification = Rectification.objects.get(request=sr)
    good = {
        "action_taken": "Called back.",
        "followed_up_at": "2026-09-28T10:30:00+08:00",
        "follow_up_method": "phone",
        "follow_up_notes": "Fine now.",
    }
    for field, bad in [
        ("action_taken", " "),
        ("followed_up_at", "next week"),
        ("followed_up_at", "2999-01-01T10:00:00+08:00"),
        ("follow_up_method", "pigeon"),
        ("follow_up_notes", ""),
    ]:
        with pytest.raises(InvalidInput) as refused:
            satisfaction.rectify(rectification, actor=users["officer_ps_msb"], **{**good, field: bad})
        assert field in refused.value.fields
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.OPEN


@pytest.mark.parametrize("who", ["officer_ps_sti", "officer_sz_amr", "liaison_sbip", "ent_pregene", "admin"])
def test_only_the_resolving_organisation_rectifies_or_appeals(resolved_at_district, users, who):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=1)
    rectification = Rectification.objects.get(request=sr)
    with pytest.raises(NotPermitted):
        satisfaction.appeal(rectification, actor=users[who], reason="Malicious.")
    with pytest.raises(NotPermitted):
        satisfaction.rectify(
            rectification,
            actor=users[who],
            action_taken="x",
            followed_up_at="2026-09-28T12:00:00+08:00",
            follow_up_method="phone",
            follow_up_notes="x",
        )
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.OPEN


def test_an_appeal_set_aside_marks_the_review_and_stays_internal(resolved_at_district, users):
    sr = resolved_at_district()
    rating = satisfaction.rate(sr, actor=users["ent_pregene"], score=1, comment="Rude!!!")
    rectification = Rectification.objects.get(request=sr)
    satisfaction.appeal(
        rectification, actor=users["officer_ps_msb"], reason="The answer was correct and polite."
    )
    assert "supervisor_ps_msb" in told(EventKind.APPEALED, sr)
    # The officer who appealed cannot rectify meanwhile, nor may a colleague decide.
    with pytest.raises(TransitionNotAllowed):
        satisfaction.appeal(rectification, actor=users["officer_ps_msb2"], reason="Again.")
    with pytest.raises(NotPermitted):
        satisfaction.decide_appeal(
            rectification, actor=users["officer_ps_msb2"], decision="set_aside", reason="x"
        )
    with pytest.raises(InvalidInput):
        satisfaction.decide_appeal(
            rectification, actor=users["supervisor_ps_msb"], decision="maybe", reason="x"
        )
    satisfaction.decide_appeal(
        rectification, actor=users["supervisor_ps_msb"], decision="set_aside", reason="The reply was correct."
    )
    assert Rectification.objects.get(pk=rectification.pk).state == RectificationState.SET_ASIDE
    assert Rating.objects.get(pk=rating.pk).set_aside
    internal = dict(
        sr.events.filter(kind__in=[EventKind.APPEALED, EventKind.APPEAL_DECIDED]).values_list(
            "kind", "internal"
        )
    )
    assert internal == {EventKind.APPEALED: True, EventKind.APPEAL_DECIDED: True}
    assert "ent_pregene" not in told(EventKind.APPEALED, sr) | told(EventKind.APPEAL_DECIDED, sr)
    assert "officer_ps_msb" in told(EventKind.APPEAL_DECIDED, sr)


def test_an_appeal_upheld_sends_the_rectification_back_with_its_deadline(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=2)
    rectification = Rectification.objects.get(request=sr)
    due = rectification.due_at
    satisfaction.appeal(rectification, actor=users["officer_ps_msb"], reason="Mistaken.")
    satisfaction.decide_appeal(
        rectification, actor=users["supervisor_ps"], decision="upheld", reason="It stands."
    )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.due_at) == (RectificationState.OPEN, due)
    assert not rectification.rating.set_aside


def test_a_supervisor_does_not_decide_their_own_appeal(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=1)
    rectification = Rectification.objects.get(request=sr)
    satisfaction.appeal(rectification, actor=users["supervisor_ps_msb"], reason="Mistaken.")
    with pytest.raises(NotPermitted):
        satisfaction.decide_appeal(
            rectification, actor=users["supervisor_ps_msb"], decision="set_aside", reason="x"
        )
    satisfaction.decide_appeal(
        rectification, actor=users["supervisor_ps"], decision="set_aside", reason="Agreed."
    )


def test_a_rectification_past_its_deadline_is_breached_once_and_alerted(resolved_at_district, users):
    sr = resolved_at_district()
    satisfaction.rate(sr, actor=users["ent_pregene"], score=1)
    assert scan(FIVE_WORKING_DAYS_LATER - timedelta(minutes=1)).rectifications_breached == 0
    assert scan(FIVE_WORKING_DAYS_LATER).rectifications_breached == 1
    assert scan(FIVE_WORKING_DAYS_LATER + timedelta(days=1)).rectifications_breached == 0
    assert Rectification.objects.get(request=sr).breached_at == FIVE_WORKING_DAYS_LATER
    breach = sr.events.get(kind=EventKind.RECTIFICATION_BREACHED)
    assert breach.internal
    assert {"officer_ps_msb", "supervisor_ps_msb", "supervisor_ps"} <= told(
        EventKind.RECTIFICATION_BREACHED, sr
    )
    assert "ent_pregene" not in told(EventKind.RECTIFICATION_BREACHED, sr)
    # A late rectification still counts, as late.
    with time_machine.travel(FIVE_WORKING_DAYS_LATER + timedelta(days=2), tick=False):
        satisfaction.rectify(
            Rectification.objects.get(request=sr),
            actor=users["officer_ps_msb"],
            action_taken="Called back.",
            followed_up_at=FIVE_WORKING_DAYS_LATER,
            follow_up_method="phone",
            follow_up_notes="OK.",
        )
    assert Rectification.objects.get(request=sr).on_time is False
