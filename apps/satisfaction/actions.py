"""Every change of a rating or a rectification: one function each, like the request's own
actions (apps/casework/actions.py), whose event writer they share.

Each checks who acts (403), then the state (409), then the input (400), and claims its row with
a conditional update, so that of two people acting at once exactly one wins and the other is
told. The timeline event and its notifications are written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.casework import actions as casework
from apps.casework.errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionNotAllowed
from apps.casework.models import EventKind, ServiceRequest, State
from apps.deadlines import calendar
from apps.organizations.models import Organization, User

from . import ledger, rules
from .models import (
    BAD_REVIEW_MAX,
    AppealDecision,
    FollowUpMethod,
    Rating,
    Rectification,
    RectificationState,
    Source,
)

COMMENT_MAX_LENGTH = 2000


def _refused(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, fields={field: [message]})


def _score(value: Any, field: str = "score") -> int:
    """A whole number from 1 to 5 (a form's "4" too; never a boolean)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _refused(_("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."), field)
    return value


def _comment(value: Any, field: str = "comment") -> str:
    return casework.clean_text(value, field, required=False, max_length=COMMENT_MAX_LENGTH)


def _names(org_id: int) -> dict[str, str]:
    org = Organization.objects.get(pk=org_id)
    return {"en": org.name, "zh": org.name_zh}


def _changed_meanwhile() -> ConcurrentChange:
    return ConcurrentChange(_("Someone else changed this meanwhile. Reload the page and try again."))


# --- rating a resolution --------------------------------------------------------------------
def rate(service_request: ServiceRequest, *, actor: User, score: Any, comment: Any = "") -> Rating:
    """The enterprise rates the answer of its resolved request (or its liaison records the
    rating the enterprise gave): once per resolution. A bad review opens a rectification."""
    source = rules.rating_source(service_request, actor)
    if source is None:
        raise NotPermitted(
            _(
                "Only the enterprise's staff rate its requests; its park's liaison may record a "
                "rating the enterprise gave."
            )
        )
    rating = ledger.current_rating(service_request)
    if service_request.state not in rules.RATED_STATES or rating is None:
        raise TransitionNotAllowed(
            _("Only a resolved request is rated; this one is %(state)s.")
            % {"state": State(service_request.state).label.lower()}
        )
    if rating.rated:
        raise TransitionNotAllowed(
            _("This answer has been rated already: one rating per resolution."), code="already_rated"
        )
    score = _score(score)
    comment = _comment(comment)
    now = timezone.now()
    with transaction.atomic():
        claimed = Rating.objects.filter(pk=rating.pk, score__isnull=True, reopened_at__isnull=True).update(
            score=score, comment=comment, source=source, rated_by=actor, rated_at=now
        )
        if not claimed:
            raise ConcurrentChange(
                _("This answer was rated, or the request reopened, meanwhile. Reload the page."),
                code="already_rated",
            )
        rating.score, rating.comment, rating.source = score, comment, source
        rating.rated_by, rating.rated_at = actor, now
        casework.record_event(
            service_request,
            EventKind.RATED,
            actor,
            now,
            from_state=service_request.state,
            tier=rating.tier,
            text=comment,
            details={"score": score, "comment": comment, "source": source},
        )
        if score <= BAD_REVIEW_MAX:
            _open_rectification(rating, now)
    return rating


def default_rating(rating: Rating, *, now: datetime) -> bool:
    """The scan: a resolution left unrated for the policy's days counts as 5 (`default`),
    once, however many scans run."""
    with transaction.atomic():
        claimed = Rating.objects.filter(
            pk=rating.pk, score__isnull=True, reopened_at__isnull=True, default_at__lte=now
        ).update(score=5, source=Source.DEFAULT, rated_at=now)
        if not claimed:
            return False
        service_request = rating.request
        casework.record_event(
            service_request,
            EventKind.RATING_DEFAULTED,
            None,
            now,
            from_state=service_request.state,
            tier=rating.tier,
            details={"days": calendar.policy().rating_default_after_days},
            notify=False,
        )
    return True


# --- a bad review's rectification -------------------------------------------------------------
def _open_rectification(rating: Rating, now: datetime) -> Rectification:
    due = calendar.working_days_later(now, calendar.policy().rectification_working_days)
    rectification = Rectification.objects.create(
        rating=rating,
        request=rating.request,
        tier=rating.tier,
        authority_id=rating.authority_id,
        department_id=rating.department_id,
        opened_at=now,
        due_at=due,
    )
    _record(
        rectification,
        EventKind.RECTIFICATION_OPENED,
        None,
        now,
        score=rating.score,
        due=due.isoformat(),
        unit=_names(rating.department_id or rating.authority_id),
    )
    return rectification


def _record(
    rectification: Rectification,
    kind: str,
    actor: User | None,
    now: datetime,
    *,
    text: str = "",
    internal: bool = False,
    **details: Any,
) -> None:
    """A step of the rectification on its request's timeline (at the tier whose answer was
    rated), naming the rectification for the notifications."""
    service_request = rectification.request
    casework.record_event(
        service_request,
        kind,
        actor,
        now,
        from_state=service_request.state,
        tier=rectification.tier,
        text=text,
        internal=internal,
        details={"rectification": rectification.pk, **details},
    )


def _check_owner(rectification: Rectification, actor: User) -> None:
    if not rules.owns(rectification, actor):
        raise NotPermitted(
            _("Only the staff of the organisation whose answer was rated work on its rectification.")
        )


def _check_state(rectification: Rectification, *expected: str) -> None:
    if rectification.state not in expected:
        raise TransitionNotAllowed(
            _("This rectification is %(state)s: that is no longer possible.")
            % {"state": RectificationState(rectification.state).label.lower()}
        )


def _claim(rectification: Rectification, expected: str, **values: Any) -> None:
    """Move the rectification on only if it is still in the state it was read in."""
    if not Rectification.objects.filter(pk=rectification.pk, state=expected).update(**values):
        raise _changed_meanwhile()
    for name, value in values.items():
        setattr(rectification, name, value)


def _moment(value: Any, field: str, *, now: datetime) -> datetime:
    moment = (
        value if isinstance(value, datetime) else parse_datetime(value) if isinstance(value, str) else None
    )
    if moment is None:
        raise _refused(_("Give the date and time, e.g. 2026-12-01 15:30."), field)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        raise _refused(_("A follow-up that has not happened yet cannot be recorded."), field)
    return moment


def rectify(
    rectification: Rectification,
    *,
    actor: User,
    action_taken: Any,
    followed_up_at: Any,
    follow_up_method: Any,
    follow_up_notes: Any,
) -> Rectification:
    """The owner records what was done about the bad review and the follow-up with the
    enterprise (回访: when, how, what it said). The enterprise may then rate the fix."""
    _check_owner(rectification, actor)
    _check_state(rectification, RectificationState.OPEN)
    now = timezone.now()
    action_taken = casework.clean_text(action_taken, "action_taken")
    moment = _moment(followed_up_at, "followed_up_at", now=now)
    if follow_up_method not in FollowUpMethod.values:
        raise _refused(_("Choose how the enterprise was followed up."), "follow_up_method")
    notes = casework.clean_text(follow_up_notes, "follow_up_notes")
    with transaction.atomic():
        _claim(
            rectification,
            RectificationState.OPEN,
            state=RectificationState.RECTIFIED,
            action_taken=action_taken,
            followed_up_at=moment,
            follow_up_method=follow_up_method,
            follow_up_notes=notes,
            rectified_at=now,
            rectified_by=actor,
        )
        _record(
            rectification,
            EventKind.RECTIFIED,
            actor,
            now,
            text=action_taken,
            action=action_taken,
            followed_up_at=moment.isoformat(),
            method=follow_up_method,
            notes=notes,
        )
    return rectification


def appeal(rectification: Rectification, *, actor: User, reason: Any) -> Rectification:
    """The owner contests the review (a malicious or mistaken one): a supervisor of the
    organisation decides. Internal: the enterprise does not see the appeal."""
    _check_owner(rectification, actor)
    _check_state(rectification, RectificationState.OPEN)
    reason = casework.clean_text(reason, "reason")
    now = timezone.now()
    with transaction.atomic():
        _claim(
            rectification,
            RectificationState.OPEN,
            state=RectificationState.APPEALED,
            appeal_reason=reason,
            appealed_at=now,
            appealed_by=actor,
        )
        _record(rectification, EventKind.APPEALED, actor, now, text=reason, internal=True)
    return rectification


def decide_appeal(rectification: Rectification, *, actor: User, decision: Any, reason: Any) -> Rectification:
    """A supervisor of the owning organisation upholds the review (the rectification goes on,
    its deadline unchanged) or sets it aside (the figures leave the review out)."""
    if not rules.may_decide_appeal(rectification, actor):
        raise NotPermitted(
            _("An appeal is decided by a supervisor of the organisation, other than the person who appealed.")
        )
    _check_state(rectification, RectificationState.APPEALED)
    if decision not in AppealDecision.values:
        raise _refused(_("Uphold the review or set it aside."), "decision")
    reason = casework.clean_text(reason, "reason")
    now = timezone.now()
    upheld = decision == AppealDecision.UPHELD
    with transaction.atomic():
        _claim(
            rectification,
            RectificationState.APPEALED,
            state=RectificationState.OPEN if upheld else RectificationState.SET_ASIDE,
            decision=decision,
            decision_reason=reason,
            decided_at=now,
            decided_by=actor,
        )
        if not upheld:
            Rating.objects.filter(pk=rectification.rating_id).update(set_aside=True)
        _record(
            rectification,
            EventKind.APPEAL_DECIDED,
            actor,
            now,
            text=reason,
            internal=True,
            decision=decision,
            reason=reason,
        )
    return rectification


def rate_fix(rectification: Rectification, *, actor: User, score: Any, comment: Any = "") -> Rectification:
    """The enterprise rates what was done about its bad review, once."""
    service_request = rectification.request
    if rules.rating_source(service_request, actor) is None:
        raise NotPermitted(
            _("Only the enterprise's staff, or its park's liaison for them, rate a rectification.")
        )
    _check_state(rectification, RectificationState.RECTIFIED)
    if rectification.fix_score is not None:
        raise TransitionNotAllowed(_("This rectification has been rated already."), code="already_rated")
    score = _score(score)
    comment = _comment(comment)
    now = timezone.now()
    with transaction.atomic():
        claimed = Rectification.objects.filter(pk=rectification.pk, fix_score__isnull=True).update(
            fix_score=score, fix_comment=comment, fix_rated_at=now, fix_rated_by=actor
        )
        if not claimed:
            raise _changed_meanwhile()
        rectification.fix_score, rectification.fix_comment = score, comment
        rectification.fix_rated_at, rectification.fix_rated_by = now, actor
        _record(
            rectification,
            EventKind.FIX_RATED,
            actor,
            now,
            text=comment,
            score=score,
            comment=comment,
            source=rules.rating_source(service_request, actor),
        )
    return rectification


def record_rectification_breach(rectification: Rectification, *, now: datetime) -> bool:
    """The scan: an open rectification past its deadline is breached once and alerted like a
    missed tier deadline."""
    with transaction.atomic():
        claimed = Rectification.objects.filter(
            pk=rectification.pk, state=RectificationState.OPEN, breached_at__isnull=True, due_at__lte=now
        ).update(breached_at=now)
        if not claimed:
            return False
        _record(
            rectification,
            EventKind.RECTIFICATION_BREACHED,
            None,
            now,
            internal=True,
            due=rectification.due_at.isoformat(),
        )
    return True
