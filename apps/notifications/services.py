"""Who hears of what, and how it reaches them.

`notify_event` runs inside the action's transaction: it writes one notification per recipient
and, after the commit, hands their emails to Celery. Internal events never go to enterprise
staff, whatever the rule that picked them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from apps.casework.models import MEETING_KINDS, EventKind, RequestEvent, ServiceRequest
from apps.deadlines.models import TierVisit
from apps.desk import watching
from apps.organizations.models import TIER_ORDER, Role, Tier, User

from .models import EmailState, Notification

logger = logging.getLogger(__name__)

NEW_WORK = "new_work"
REMINDER = "reminder"
# A breach told to the tier above before the request has reached it: its supervisors see the
# lower tiers' work as figures only, so the alert names the tier and the unit, not the request.
BREACH_BELOW = "deadline_breached_below"
# Told to the enterprise when its request is resolved: the notification asks for the rating and
# links straight to it.
RATE_REQUEST = "rate_request"
# Told to the security administrators: the emergency superuser account signed in.
SUPERUSER_USED = "superuser_used"
# Told to the people of a booked consultation meeting, the working day and the hour before.
MEETING_REMINDER = "meeting_reminder"
MAX_EMAIL_ATTEMPTS = 5


def handover_grace() -> timedelta:
    """How long after its creation a pending email counts as lost by the hand-over."""
    return timedelta(seconds=settings.PORTAL["OUTBOX_HANDOVER_GRACE_SECONDS"])


def claim_lease() -> timedelta:
    """How long a claim on an email holds: after that, a worker that claimed it and never
    marked it sent is taken for dead (killed, out of memory) and another one may send it."""
    return timedelta(seconds=settings.PORTAL["EMAIL_CLAIM_LEASE_SECONDS"])


TEXTS: dict[str, Any] = {
    EventKind.SUBMITTED: _("%(reference)s “%(title)s” was submitted to the park."),
    EventKind.RESPONDED: _("%(actor)s replied on %(reference)s: %(snippet)s"),
    EventKind.INFO_REQUESTED: _("%(actor)s asked for more information on %(reference)s: %(snippet)s"),
    EventKind.INFO_PROVIDED: _("%(actor)s provided the information asked for on %(reference)s."),
    EventKind.ESCALATED: _("%(reference)s was escalated to the %(tier)s tier."),
    EventKind.RETURNED: _("%(reference)s was returned to the %(tier)s tier."),
    EventKind.RESOLVED: _("%(reference)s was resolved: %(snippet)s"),
    EventKind.REOPENED: _("%(reference)s was reopened: %(snippet)s"),
    EventKind.CLOSED: _("%(reference)s was closed."),
    EventKind.WITHDRAWN: _("%(reference)s was withdrawn."),
    EventKind.ASSIGNED: _("%(reference)s “%(title)s” was assigned to you."),
    EventKind.GREEN_CHANNEL: _("The green channel of %(reference)s changed: %(snippet)s"),
    EventKind.MESSAGE: _("%(actor)s wrote on %(reference)s: %(snippet)s"),
    EventKind.NOTE: _("%(actor)s added an internal note on %(reference)s: %(snippet)s"),
    EventKind.ATTACHMENT: _("%(actor)s attached “%(snippet)s” to %(reference)s."),
    EventKind.SHARED: _("%(actor)s shared %(reference)s with another department: %(snippet)s"),
    EventKind.DEADLINE_BREACHED: _(
        "Deadline missed: feedback on %(reference)s “%(title)s” at the %(tier)s tier was due "
        "%(due)s and has not been given."
    ),
    RATE_REQUEST: _("%(reference)s was resolved: %(snippet)s — How was the answer? Rate it."),
    EventKind.RATED: _("The answer on %(reference)s was rated %(snippet)s"),
    EventKind.RECTIFICATION_OPENED: _("Bad review on %(reference)s “%(title)s”: %(snippet)s"),
    EventKind.RECTIFIED: _("%(actor)s recorded the rectification of %(reference)s: %(snippet)s"),
    EventKind.APPEALED: _("%(actor)s appealed against the bad review of %(reference)s: %(snippet)s"),
    EventKind.APPEAL_DECIDED: _("%(actor)s decided the appeal on %(reference)s: %(snippet)s"),
    EventKind.FIX_RATED: _("%(snippet)s (%(reference)s)"),
    EventKind.RECTIFICATION_BREACHED: _("Rectification overdue on %(reference)s “%(title)s”: %(snippet)s"),
    EventKind.MEETING_OFFERED: _("%(actor)s offered a consultation meeting on %(reference)s: choose a time."),
    EventKind.MEETING_BOOKED: _("Consultation meeting on %(reference)s booked: %(snippet)s"),
    EventKind.MEETING_ANOTHER_TIME: _("Another time is asked for the meeting on %(reference)s: %(snippet)s"),
    EventKind.MEETING_RESCHEDULED: _("The consultation meeting on %(reference)s was moved: %(snippet)s"),
    EventKind.MEETING_CANCELLED: _("The consultation meeting on %(reference)s was cancelled: %(snippet)s"),
    EventKind.MEETING_HELD: _("Minutes of the consultation meeting on %(reference)s: %(snippet)s"),
    EventKind.MEETING_NO_SHOW: _("The consultation meeting on %(reference)s was recorded as missed."),
    MEETING_REMINDER: _(
        "Reminder: consultation meeting on %(reference)s “%(title)s” at %(time)s, %(place)s."
    ),
    REMINDER: _("Due soon: feedback on %(reference)s “%(title)s” at the %(tier)s tier is due %(due)s."),
    NEW_WORK: _("New in your queue: %(reference)s “%(title)s”."),
    BREACH_BELOW: _(
        "A feedback deadline at the %(tier)s tier (%(unit)s) was missed: due %(due)s. "
        "Your service figures count it."
    ),
    # A request the recipient follows (apps/desk/watching.py): `what` is the event's name.
    watching.WATCHED: _("%(reference)s, which you follow: %(what)s — %(snippet)s"),
    watching.MENTIONED: _("%(actor)s mentioned you on %(reference)s: %(snippet)s"),
    SUPERUSER_USED: _(
        "The emergency superuser account %(username)s signed in (%(via)s) from %(address)s at %(time)s. "
        "Every use of it is in the audit trail."
    ),
}
# How the superuser came in, as SUPERUSER_USED says it.
SIGN_IN_WAYS: dict[str, Any] = {"page": _("sign-in page"), "api": _("API token")}
# The same for an event without words of its own (a claim, a closing).
WATCHED_PLAIN = _("%(reference)s, which you follow: %(what)s.")

# Added to a notification whose event brought files (a filing, the information provided).
FILES_ATTACHED = _("Files attached: %(files)s.")

# What each kind reports, in a word: the timeline's name for the event, or one of the kinds that
# are no single event. The email's subject and the admin's column say it.
KIND_LABELS: dict[str, Any] = {
    **dict(EventKind.choices),
    NEW_WORK: _("New in your queue"),
    RATE_REQUEST: _("Rate the answer"),
    REMINDER: _("Deadline reminder"),
    BREACH_BELOW: _("Deadline missed at a tier below"),
    watching.WATCHED: _("A request you follow"),
    watching.MENTIONED: _("You were mentioned"),
    SUPERUSER_USED: _("Superuser account used"),
    MEETING_REMINDER: _("Meeting reminder"),
}

# How loud each kind is: a missed deadline is not a routine item, a deadline coming up or a
# question waiting for an answer asks for attention, the rest is information.
URGENT, WARNING, INFO = "urgent", "warning", "info"
SEVERITIES: dict[str, str] = {
    EventKind.DEADLINE_BREACHED: URGENT,
    BREACH_BELOW: URGENT,
    SUPERUSER_USED: URGENT,
    EventKind.RECTIFICATION_BREACHED: URGENT,
    EventKind.RECTIFICATION_OPENED: WARNING,
    EventKind.APPEALED: WARNING,
    RATE_REQUEST: WARNING,
    REMINDER: WARNING,
    MEETING_REMINDER: WARNING,
    EventKind.MEETING_OFFERED: WARNING,
    EventKind.INFO_REQUESTED: WARNING,
}
SEVERITY_LABELS: dict[str, Any] = {URGENT: _("Urgent"), WARNING: _("Attention"), INFO: _("Information")}


def severity(notification: Notification) -> str:
    """How loud the notification is: "urgent", "warning" or "info"."""
    return SEVERITIES.get(notification.kind, INFO)


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


# Events that bring a request into a tier's queue.
_ARRIVALS = {
    EventKind.SUBMITTED,
    EventKind.ESCALATED,
    EventKind.RETURNED,
    EventKind.INFO_PROVIDED,
    EventKind.REOPENED,
}
# Events the tier that holds the request wants to hear of when the enterprise side acts.
_FROM_FILER = {EventKind.MESSAGE, EventKind.ATTACHMENT, EventKind.WITHDRAWN}


# --- recipients -----------------------------------------------------------------------------
def _active(query: Q) -> set[int]:
    return set(User.objects.filter(query, is_active=True).values_list("pk", flat=True))


def enterprise_side(service_request: ServiceRequest) -> set[int]:
    """Who filed it: the enterprise's staff, and the liaison who logged it for them."""
    people = _active(Q(organization_id=service_request.enterprise_id, role=Role.ENTERPRISE))
    if service_request.created_by.role == Role.LIAISON:
        people.add(service_request.created_by_id)
    return people


def tier_staff(service_request: ServiceRequest) -> set[int]:
    """Who works the queue the request sits in now."""
    if service_request.assignee_id:
        return {service_request.assignee_id}
    if service_request.tier == Tier.PARK:
        return _active(Q(organization_id=service_request.park_id, role=Role.LIAISON))
    org_id = service_request.department_id or service_request.tier_authority_id
    return _active(Q(organization_id=org_id, role=Role.OFFICER))


def tier_supervisors(service_request: ServiceRequest, tier: str) -> set[int]:
    authority = service_request.authority_id_of(tier)
    orgs = [
        o for o in (authority, service_request.department_id if tier == service_request.tier else None) if o
    ]
    return _active(Q(organization_id__in=orgs, role=Role.SUPERVISOR))


def next_tier_up(service_request: ServiceRequest, tier: str) -> set[int]:
    """The supervisors of the authority above: they oversee what happens below them. Its
    officers see a request only once it reaches them, so they are not told of it before."""
    index = TIER_ORDER.index(tier)
    if index + 1 >= len(TIER_ORDER):
        return set()
    authority = service_request.authority_id_of(TIER_ORDER[index + 1])
    if authority is None:
        return set()
    return _active(Q(organization_id=authority, role=Role.SUPERVISOR))


def _enterprise_staff_ids(user_ids: Iterable[int]) -> set[int]:
    return set(User.objects.filter(pk__in=list(user_ids), role=Role.ENTERPRISE).values_list("pk", flat=True))


# 好差评: who hears of a rating and of what a bad review sets going (apps/satisfaction).
_SATISFACTION_KINDS = {
    EventKind.RATED,
    EventKind.RECTIFICATION_OPENED,
    EventKind.RECTIFIED,
    EventKind.APPEALED,
    EventKind.APPEAL_DECIDED,
    EventKind.FIX_RATED,
    EventKind.RECTIFICATION_BREACHED,
}


def meeting_hosts(meeting_id: int | None) -> set[int]:
    """Who offered the meeting and whose slot it is in."""
    from apps.meetings.models import Meeting

    found = Meeting.objects.filter(pk=meeting_id or 0).values_list("proposed_by_id", "slot__host_id").first()
    return _active(Q(pk__in=[pk for pk in found or () if pk]))


def _owners(authority_id: int, department_id: int | None, *roles: str) -> set[int]:
    """Staff of the organisation whose answer was rated: the park, or the authority and its
    department."""
    return _active(Q(organization_id__in=[o for o in (authority_id, department_id) if o], role__in=roles))


def _satisfaction_recipients(event: RequestEvent, found: dict[int, str]) -> None:
    from apps.satisfaction.models import Rating, Rectification

    details = event.details or {}
    if event.kind == EventKind.RATED:
        rating = Rating.objects.filter(resolution__request=event.request_id).order_by("-resolved_at").first()
        if rating is not None and rating.resolved_by_id:
            found.setdefault(rating.resolved_by_id, event.kind)
        return
    rectification = Rectification.objects.filter(pk=details.get("rectification", 0)).first()
    if rectification is None:
        return
    staff: set[int | None] = set(
        _owners(rectification.authority_id, rectification.department_id, Role.LIAISON, Role.OFFICER)
    )
    supervisors: set[int | None] = set(
        _owners(rectification.authority_id, rectification.department_id, Role.SUPERVISOR)
    )
    if rectification.rating.resolved_by_id:
        staff.add(rectification.rating.resolved_by_id)
    by_kind: dict[str, set[int | None]] = {
        EventKind.RECTIFICATION_OPENED: staff | supervisors,
        EventKind.RECTIFIED: supervisors,
        EventKind.APPEALED: supervisors,
        EventKind.APPEAL_DECIDED: staff | {rectification.appealed_by_id},
        EventKind.FIX_RATED: staff | supervisors,
        EventKind.RECTIFICATION_BREACHED: staff | supervisors,
    }
    for user_id in by_kind[event.kind]:
        if user_id is not None:
            found.setdefault(user_id, event.kind)


def recipients_for_event(event: RequestEvent) -> dict[int, str]:
    """recipient id → notification kind, for one timeline event."""
    service_request = event.request
    filers = enterprise_side(service_request)
    found: dict[int, str] = {}
    if not event.internal and event.kind not in (EventKind.CREATED, EventKind.CLAIMED):
        for user_id in filers:
            found[user_id] = RATE_REQUEST if event.kind == EventKind.RESOLVED else event.kind
    if event.kind in _ARRIVALS:
        for user_id in tier_staff(service_request):
            found[user_id] = NEW_WORK
    elif event.kind in _FROM_FILER or event.kind == EventKind.NOTE:
        if event.actor_id is None or event.kind == EventKind.NOTE or event.actor_id in filers:
            for user_id in tier_staff(service_request):
                found.setdefault(user_id, event.kind)
    elif event.kind == EventKind.ASSIGNED and service_request.assignee_id:
        found[service_request.assignee_id] = event.kind
    elif event.kind in _SATISFACTION_KINDS:
        _satisfaction_recipients(event, found)
    elif event.kind in MEETING_KINDS and event.actor_id in filers:
        # The enterprise's side answered or changed the meeting: its hosts hear of it.
        for user_id in meeting_hosts((event.details or {}).get("meeting")):
            found.setdefault(user_id, event.kind)
    elif event.kind == EventKind.DEADLINE_BREACHED:
        for user_id in tier_staff(service_request) | tier_supervisors(service_request, event.tier):
            found[user_id] = event.kind
        # The tier above sees the request only once it has been there (`selectors`).
        above = TIER_ORDER.index(event.tier) + 1
        for user_id in next_tier_up(service_request, event.tier):
            found.setdefault(user_id, event.kind if service_request.reached_level >= above else BREACH_BELOW)
    watching.add_followers_and_mentions(event, found)
    found.pop(event.actor_id, None)  # type: ignore[arg-type]
    if event.internal:
        for user_id in _enterprise_staff_ids(found):
            del found[user_id]
    return found


# --- writing and handing over -------------------------------------------------------------------
def _params(
    service_request: ServiceRequest,
    *,
    actor: User | None,
    tier: str,
    text: str = "",
    due: datetime | None = None,
) -> dict[str, str]:
    return {
        "reference": service_request.reference,
        "title": service_request.title[:120],
        "actor": (actor.get_full_name() or actor.get_username()) if actor else "",
        "tier": tier,
        "snippet": text[:160] + ("…" if len(text) > 160 else ""),
        "due": due.isoformat() if due else "",
    }


def _create(rows: list[Notification]) -> list[int]:
    if not rows:
        return []
    recipients = {r.recipient_id: r for r in rows}
    with_email = set(
        User.objects.filter(pk__in=list(recipients)).exclude(email="").values_list("pk", flat=True)
    )
    for row in rows:
        row.email_state = EmailState.PENDING if row.recipient_id in with_email else EmailState.NONE
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.email_state == EmailState.PENDING]
    if ids:
        transaction.on_commit(lambda: hand_over(ids))
    return ids


def notify_event(event: RequestEvent) -> None:
    service_request = event.request
    recipients = recipients_for_event(event)
    if not recipients:
        return
    params = _params(
        service_request,
        actor=event.actor,
        tier=event.tier,
        text=event.display_text,
        due=service_request.feedback_due_at,
    )
    params["event"] = event.kind  # what a follower's notification names
    if event.kind in MEETING_KINDS:
        params["meeting"] = str((event.details or {}).get("meeting", ""))  # its .ics goes with the email
    files = (event.details or {}).get("files")
    if files:
        # The files that came with a filing or a reply, named in its notification.
        params["files"] = ", ".join(f"“{name}”" for name in files)
    unit = service_request.park if event.tier == Tier.PARK else service_request.department
    # Figures only: the tier and the unit, never the request's reference, title or link.
    figures_only = {
        "reference": "",
        "title": "",
        "tier": event.tier,
        "unit": unit.display_name if unit else "",
        "due": params["due"],
    }
    _create(
        [
            Notification(
                recipient_id=user_id,
                kind=kind,
                request=None if kind == BREACH_BELOW else service_request,
                event=event,
                params=figures_only if kind == BREACH_BELOW else params,
                created_at=event.created_at,
            )
            for user_id, kind in recipients.items()
        ]
    )


def notify_superuser_used(
    recipients: list[int], *, username: str, address: str, at: datetime, via: str
) -> None:
    params = {"username": username, "address": address, "time": at.isoformat(), "via": via}
    _create(
        [
            Notification(recipient_id=pk, kind=SUPERUSER_USED, params=params, created_at=at)
            for pk in recipients
        ]
    )


def notify_reminder(visit: TierVisit, now: datetime) -> int:
    service_request = visit.request
    recipients = tier_staff(service_request) - _enterprise_staff_ids(tier_staff(service_request))
    params = _params(service_request, actor=None, tier=visit.tier, due=visit.due_at)
    rows = [
        Notification(
            recipient_id=user_id,
            kind=REMINDER,
            request=service_request,
            visit=visit,
            params=params,
            created_at=now,
        )
        for user_id in recipients
    ]
    _create(rows)
    return len(rows)


def notify_meeting_reminder(meeting: Any, now: datetime) -> int:
    """The working day before a booked meeting, and an hour before: the person who booked it,
    the one who offered it and its host."""
    service_request = meeting.request
    people = _active(
        Q(pk__in=[pk for pk in (meeting.booked_by_id, meeting.proposed_by_id, meeting.slot.host_id) if pk])
    )
    params = _params(service_request, actor=None, tier=meeting.tier)
    params.update(time=meeting.starts_at.isoformat(), place=meeting.slot.place, meeting=str(meeting.pk))
    rows = [
        Notification(
            recipient_id=user_id,
            kind=MEETING_REMINDER,
            request=service_request,
            params=params,
            created_at=now,
        )
        for user_id in people
    ]
    _create(rows)
    return len(rows)


# The hand-over runs in the web request that made the change. One attempt and one reconnect
# (for a pooled connection the broker dropped when it restarted), no back-off: the outbox row is
# the real retry, so a sick broker delays the email, not the user.
HANDOVER_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


# The emails of the transactions committed inside `one_hand_over`, waiting to go together.
_batched: ContextVar[list[int] | None] = ContextVar("batched_hand_over", default=None)


@contextmanager
def one_hand_over() -> Iterator[None]:
    """Many transactions in a row (a bulk action, each request in its own): their emails go to
    the broker once, after the last commit, instead of one broker round trip per commit (most of
    a bulk action's time). Each row is in the outbox from its own commit on, so a batch cut
    short loses nothing: the periodic job hands over what never left."""
    if _batched.get() is not None:
        yield
        return
    ids: list[int] = []
    token = _batched.set(ids)
    try:
        yield
    finally:
        _batched.reset(token)
        if ids:
            hand_over(ids)


def hand_over(ids: list[int]) -> None:
    """After commit: queue the emails. A broker that is down costs nothing but a delay."""
    from .tasks import deliver_emails

    batch = _batched.get()
    if batch is not None:
        batch.extend(ids)
        return

    try:
        deliver_emails.apply_async((ids,), retry_policy=HANDOVER_RETRY_POLICY)
    except Exception:
        logger.warning("Broker unavailable: %s email(s) wait in the outbox", len(ids), exc_info=True)


# --- delivering ---------------------------------------------------------------------------------
def render(notification: Notification, language: str | None = None) -> str:
    params = dict(notification.params)
    with translation.override(language or translation.get_language()):
        tier = params.get("tier")
        if tier in Tier.values:
            params["tier"] = str(Tier(tier).label)
        for moment in ("due", "time"):
            if params.get(moment):
                when = datetime.fromisoformat(params[moment])
                params[moment] = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
        if params.get("via") in SIGN_IN_WAYS:
            params["via"] = str(SIGN_IN_WAYS[params["via"]])
        template = TEXTS.get(notification.kind, _("%(reference)s changed."))
        if notification.kind == watching.WATCHED:
            params["what"] = kind_label(params.get("event", ""))
            if not params.get("snippet"):
                template = WATCHED_PLAIN
        try:
            text = str(template) % params
        except (KeyError, ValueError):
            return params.get("reference", "")
        if params.get("files"):
            text += " " + str(FILES_ATTACHED) % {"files": params["files"]}
        return text


def _one_line(text: str, limit: int) -> str:
    """A header-safe line: no line breaks (Django refuses them in a subject), at most `limit`."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def link(notification: Notification) -> str:
    """The address the email points to: the request's page, or the notification centre for an
    alert that names no request. Built on `PORTAL_BASE_URL`, since a worker has no web request
    to take the host from."""
    return settings.PORTAL_BASE_URL + path(notification)


# Where on the request's page a notification leads: the rating form, the rectification.
_ANCHORS: dict[str, str] = {
    RATE_REQUEST: "rate",
    EventKind.RECTIFIED: "rectification",
    MEETING_REMINDER: "meetings",
    **dict.fromkeys(MEETING_KINDS, "meetings"),
    **{kind: "rectification" for kind in _SATISFACTION_KINDS if kind != EventKind.RATED},
}


def path(notification: Notification) -> str:
    """The page a notification opens: its request's (at the part it is about), or the
    notification centre for an alert that names no request."""
    if not notification.request_id:
        return reverse("notifications")
    page = reverse("request-detail", kwargs={"pk": notification.request_id})
    anchor = _ANCHORS.get(notification.kind)
    return f"{page}#{anchor}" if anchor else page


def compose_email(notification: Notification, language: str) -> tuple[str, str]:
    """Subject and body in the recipient's language: the subject says the kind, the reference
    and the title; the body the notification's text and the link to the request."""
    with translation.override(language or settings.LANGUAGE_CODE):
        params = notification.params
        kind = kind_label(notification.kind)
        if params.get("reference"):
            subject = str(_("[Liaison portal] %(kind)s: %(reference)s “%(title)s”")) % {
                "kind": kind,
                "reference": params["reference"],
                "title": _one_line(params.get("title", ""), 80),
            }
        else:
            subject = str(_("[Liaison portal] %(kind)s")) % {"kind": kind}
        lines = [render(notification, language), ""]
        if severity(notification) == URGENT:
            lines.insert(0, str(SEVERITY_LABELS[URGENT]).upper())
        if notification.request_id:
            lines.append(str(_("Open the request: %(link)s")) % {"link": link(notification)})
        else:
            lines.append(str(_("Your notifications: %(link)s")) % {"link": link(notification)})
        lines += [
            "",
            str(_("You receive this email because of your work on the liaison portal.")),
        ]
        return _one_line(subject, 200), "\n".join(lines)


# The notifications whose email carries the meeting's .ics: calendar programs add, move or
# remove the entry from it.
_WITH_INVITATION = {
    EventKind.MEETING_BOOKED,
    EventKind.MEETING_RESCHEDULED,
    EventKind.MEETING_CANCELLED,
    MEETING_REMINDER,
}


def meeting_invitation(notification: Notification, language: str) -> tuple[str, str, str] | None:
    """(file name, content, type) of the .ics for a notification about a booked meeting."""
    if notification.kind not in _WITH_INVITATION and notification.params.get("event") not in _WITH_INVITATION:
        return None
    from apps.meetings import ics
    from apps.meetings.models import Meeting

    meeting = (
        Meeting.objects.filter(pk=int(notification.params.get("meeting") or 0))
        .select_related("request", "slot__host", "organization")
        .first()
    )
    if meeting is None or meeting.slot is None:
        return None
    return ics.filename(meeting), ics.invitation(meeting, language), "text/calendar"


def _claimable(now: datetime) -> Q:
    return Q(email_state=EmailState.PENDING) | Q(
        email_state=EmailState.SENDING, email_claimed_at__lte=now - claim_lease()
    )


def deliver(ids: Iterable[int], now: datetime | None = None) -> int:
    """Send the emails of these notifications, each once.

    A row is claimed with a conditional update before sending (pending, or claimed by someone
    whose lease ran out), so two workers, a task delivered twice, or the hand-over racing the
    scan never send the same email twice while its sender lives. The claim is a lease: a
    worker killed between claiming and marking the row sent leaves it claimed, and after
    `EMAIL_CLAIM_LEASE_SECONDS` the scan's `retry_outbox` claims it again, so it is never
    stuck.

    That makes delivery at-least-once, not exactly-once: a worker killed after the SMTP server
    accepted the message but before the row says `sent` (one UPDATE later) has sent an email the
    database does not know of, and it goes again after the lease. No protocol closes that window
    without the mail server's help; it is a few milliseconds wide, against a lost email
    otherwise. The lease must outlast the longest send (`EMAIL_TIMEOUT` bounds each SMTP step),
    or a slow but living sender would be duplicated.
    """
    sent = 0
    for notification in Notification.objects.filter(pk__in=list(ids)).select_related("recipient"):
        # The clock is read per email: a long batch must not start its later leases in the past.
        claimed_at = now or timezone.now()
        claimed = Notification.objects.filter(_claimable(claimed_at), pk=notification.pk).update(
            email_state=EmailState.SENDING, email_claimed_at=claimed_at
        )
        if not claimed:
            continue
        recipient = notification.recipient
        try:
            subject, body = compose_email(notification, recipient.language)
            message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
            invitation = meeting_invitation(notification, recipient.language)
            if invitation is not None:
                message.attach(*invitation)
            message.send()
        except Exception:
            logger.warning("Email for notification %s failed", notification.pk, exc_info=True)
            attempts = notification.email_attempts + 1
            Notification.objects.filter(pk=notification.pk).update(
                email_state=EmailState.FAILED if attempts >= MAX_EMAIL_ATTEMPTS else EmailState.PENDING,
                email_attempts=attempts,
            )
            continue
        Notification.objects.filter(pk=notification.pk).update(
            email_state=EmailState.SENT,
            email_sent_at=timezone.now(),
            email_attempts=notification.email_attempts + 1,
        )
        sent += 1
    return sent


def retry_outbox(now: datetime) -> int:
    """Send what the hand-over lost: pending past the grace period, or claimed by a sender
    whose lease ran out."""
    ids = list(
        Notification.objects.filter(
            Q(email_state=EmailState.PENDING, created_at__lte=now - handover_grace())
            | Q(email_state=EmailState.SENDING, email_claimed_at__lte=now - claim_lease())
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    return deliver(ids, now) if ids else 0


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: User, notification_id: int) -> Notification:
    from apps.casework.errors import NotVisible

    try:
        notification = Notification.objects.get(pk=notification_id, recipient=user)
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotVisible(str(_("No such notification."))) from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
