"""The synthetic seed's 好差评 (apps/casework/synthetic.py): every resolution it writes has its
rating, every bad review its rectification, consistent with the rules of
apps/satisfaction/actions.py, so that the figures and pages have ratings at any scale."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from apps.casework import synthetic
from apps.casework.models import SATISFACTION_KINDS, EventKind, RequestEvent, ServiceRequest, State
from apps.organizations.models import Role, User
from apps.satisfaction.models import (
    BAD_REVIEW_MAX,
    AppealDecision,
    Rating,
    Rectification,
    RectificationState,
    Source,
)

pytestmark = pytest.mark.django_db

REQUESTS = 2500


@pytest.fixture(params=[False, True], ids=["indexes kept", "indexes rebuilt after"])
def seeded(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(synthetic, "DEFER_INDEXES_FROM", 1)
    call_command("seed_demo", "--bare", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", "--requests", str(REQUESTS), stdout=open("/dev/null", "w"))  # noqa: SIM115
    return request.param


def test_every_resolved_or_closed_request_has_exactly_the_rating_of_its_resolution(seeded):
    answered = ServiceRequest.objects.filter(state__in=[State.RESOLVED, State.CLOSED])
    assert answered.count() > REQUESTS * 0.7
    assert Rating.objects.count() == answered.count()
    assert not answered.annotate(n=Count("ratings")).exclude(n=1).exists()
    # The rating names the resolution's event and the tier and unit that answered.
    mismatched = Rating.objects.exclude(
        resolution__kind=EventKind.RESOLVED,
        resolution__request=F("request"),
        resolved_at=F("request__resolved_at"),
        tier=F("request__tier"),
    )
    assert not mismatched.exists()
    pairs = Rating.objects.values_list("department_id", "request__department_id")
    assert all(mine == theirs for mine, theirs in pairs)
    assert not Rating.objects.filter(reopened_at__isnull=False).exists()  # the seed has no reopens


def test_most_answers_are_rated_some_defaulted_and_this_weeks_may_still_wait(seeded):
    total = Rating.objects.count()
    by_source = Counter(Rating.objects.values_list("source", flat=True))
    rated = by_source[Source.ENTERPRISE] + by_source[Source.LIAISON]
    assert 0.78 <= rated / total <= 0.93
    assert 0.05 <= by_source[Source.DEFAULT] / total <= 0.16
    assert by_source[Source.LIAISON] > 0
    now = timezone.now()
    # A default is 5, given by nobody, once the week was out.
    defaults = Rating.objects.filter(source=Source.DEFAULT)
    assert not defaults.exclude(score=5).exists() and not defaults.filter(rated_by__isnull=False).exists()
    assert not defaults.filter(rated_at__lt=F("default_at")).exists()
    # What waits was resolved this week, and nothing is rated in the future.
    waiting = Rating.objects.filter(score__isnull=True)
    assert waiting.exists() and not waiting.filter(default_at__lte=now).exists()
    assert not waiting.exclude(source="").exists()
    assert not Rating.objects.filter(rated_at__gt=now).exists()
    assert not Rating.objects.filter(rated_at__lt=F("resolved_at")).exists()
    # The enterprise's own staff rate; its park's liaison records.
    for rating in (
        Rating.objects.filter(score__isnull=False)
        .exclude(source=Source.DEFAULT)
        .select_related("rated_by", "request")[:200]
    ):
        expected = (
            (Role.ENTERPRISE, rating.request.enterprise_id)
            if rating.source == Source.ENTERPRISE
            else (Role.LIAISON, rating.request.park_id)
        )
        assert (rating.rated_by.role, rating.rated_by.organization_id) == expected
    scores = Counter(Rating.objects.exclude(source=Source.DEFAULT).values_list("score", flat=True))
    assert scores[5] + scores[4] > 0.8 * rated
    assert 0.01 <= (scores[1] + scores[2]) / rated <= 0.08


def test_every_bad_review_has_its_rectification_and_a_set_aside_one_leaves_the_figures(seeded):
    bad = Rating.objects.filter(score__lte=BAD_REVIEW_MAX)
    assert bad.count() >= 20
    assert Rectification.objects.count() == bad.count()
    assert not bad.filter(rectification__isnull=True).exists()
    assert not Rectification.objects.exclude(
        request=F("rating__request"),
        tier=F("rating__tier"),
        authority=F("rating__authority"),
        opened_at=F("rating__rated_at"),
    ).exists()
    aside = Rectification.objects.filter(state=RectificationState.SET_ASIDE)
    assert set(Rating.objects.filter(set_aside=True).values_list("pk", flat=True)) == set(
        aside.values_list("rating_id", flat=True)
    )
    assert not aside.exclude(decision=AppealDecision.SET_ASIDE).exists()


def test_rectifications_are_mostly_on_time_some_late_or_breached_about_a_fifth_appealed(seeded):
    now = timezone.now()
    everything = list(Rectification.objects.all())
    states = Counter(item.state for item in everything)
    assert states[RectificationState.RECTIFIED] > len(everything) / 2
    appealed = [item for item in everything if item.appealed_at is not None]
    assert 0.05 <= len(appealed) / len(everything) <= 0.4
    for item in everything:
        assert item.due_at > item.opened_at
        if item.state == RectificationState.RECTIFIED:
            assert item.opened_at <= item.followed_up_at <= item.rectified_at <= now
            assert item.action_taken and item.follow_up_method
            # By the owner's staff (nobody named where the owner has no staff, as the seed's
            # resolutions name nobody).
            if item.rectified_by_id is not None:
                rectifier = User.objects.get(pk=item.rectified_by_id)
                assert rectifier.organization_id in (item.authority_id, item.department_id)
            # Rectified late: the scan recorded the breach first.
            assert (item.breached_at is not None) == (item.rectified_at > item.due_at)
        if item.state == RectificationState.OPEN:
            assert (item.breached_at is not None) == (item.due_at < now)
        if item.breached_at is not None:
            assert item.due_at <= item.breached_at <= now
        if item.decision:
            assert item.appealed_at <= item.decided_at <= now and item.decided_by_id is not None
            decider = User.objects.get(pk=item.decided_by_id)
            assert decider.role == Role.SUPERVISOR
            assert decider.organization_id in (item.authority_id, item.department_id)
        if item.state == RectificationState.APPEALED:
            assert not item.decision and item.breached_at is None
        if item.fix_score is not None:
            assert item.state == RectificationState.RECTIFIED and item.fix_rated_at >= item.rectified_at
    assert any(item.on_time for item in everything) and any(item.on_time is False for item in everything)


def test_the_timeline_tells_the_same_story_and_reads_in_both_languages(seeded):
    counts = Counter(
        RequestEvent.objects.filter(kind__in=SATISFACTION_KINDS | {EventKind.APPEALED}).values_list(
            "kind", flat=True
        )
    )
    assert (
        counts[EventKind.RATED]
        == Rating.objects.filter(source__in=[Source.ENTERPRISE, Source.LIAISON]).count()
    )
    assert counts[EventKind.RATING_DEFAULTED] == Rating.objects.filter(source=Source.DEFAULT).count()
    assert counts[EventKind.RECTIFICATION_OPENED] == Rectification.objects.count()
    assert counts[EventKind.RECTIFIED] == Rectification.objects.filter(rectified_at__isnull=False).count()
    assert counts[EventKind.APPEALED] == Rectification.objects.filter(appealed_at__isnull=False).count()
    assert counts[EventKind.APPEAL_DECIDED] == Rectification.objects.exclude(decision="").count()
    assert (
        counts[EventKind.RECTIFICATION_BREACHED]
        == Rectification.objects.filter(breached_at__isnull=False).count()
    )
    assert counts[EventKind.FIX_RATED] == Rectification.objects.filter(fix_score__isnull=False).count()
    assert not RequestEvent.objects.filter(created_at__gt=timezone.now()).exists()
    from django.utils import translation

    for kind in counts:
        event = RequestEvent.objects.filter(kind=kind).first()
        for language in ("en", "zh-hans"):
            with translation.override(language):
                assert event.display_text, (kind, language)
    assert not RequestEvent.objects.filter(kind=EventKind.APPEALED, internal=False).exists()


def test_the_new_tables_indexes_are_back_after_the_seed(seeded):
    with connection.cursor() as cursor:
        for model in (Rating, Rectification):
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert {index.name for index in model._meta.indexes} <= set(present)
    # A second run continues the numbering of ratings and rectifications.
    before = Rating.objects.count()
    call_command("seed_demo", "--requests", "200", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Rating.objects.count() > before
    assert (
        not ServiceRequest.objects.filter(state__in=[State.RESOLVED, State.CLOSED])
        .annotate(n=Count("ratings"))
        .exclude(n=1)
        .exists()
    )
