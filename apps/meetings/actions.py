"""Every change of a consultation meeting: one function each, like the request's own actions
(apps/casework/actions.py), whose timeline writer they share.

Each checks who acts (403), then the meeting's state (409), then the input (400), and claims
the meeting with a conditional update on its state, so that of two people acting at once
exactly one wins. A place in a slot is taken the same way (`slots.take_place`): of two
enterprises booking the last place, one wins and the other is told at once, with the next
free times of that organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.casework import actions as casework
from apps.casework import rules as casework_rules
from apps.casework.errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionNotAllowed
from apps.casework.models import REVIEW_STATES, EventKind, ServiceRequest, State
from apps.deadlines import calendar, visits
from apps.organizations.models import Tier, User

from . import slots as slot_rules
from .models import OPEN_STATES, Meeting, MeetingState, Outcome, Slot

MAX_SLOTS_OFFERED = 5
NOTE_MAX_LENGTH = 2000


class SlotFull(ConcurrentChange):
    """The slot's last place went to someone else (or it was cancelled, or it began) before
    this booking: 409, with the next free times of the same organisation to choose from."""

    code = "slot_full"

    def __init__(self, message: Any, *, next_free: list[Slot]) -> None:
        super().__init__(message)
        self.next_free = next_free


def change_notice() -> timedelta:
    """How long before a booked meeting either side may still cancel or move it."""
    return timedelta(hours=settings.PORTAL["MEETING_CHANGE_NOTICE_HOURS"])


def hour_before(starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=1)


def _refused(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={field: [message]})


def holding_units(service_request: ServiceRequest) -> tuple[int, ...]:
    """The organisations whose slots the tier holding the request may offer: the park at the
    park tier; the tier's authority and the department the request was routed to above it."""
    if service_request.tier == Tier.PARK:
        return (service_request.park_id,)
    units = [service_request.tier_authority_id, service_request.department_id]
    return tuple(unit for unit in units if unit)


def is_holder(meeting: Meeting, user: User) -> bool:
    """The meeting's own side: staff of the organisation whose slot it is, or of its authority
    (they keep it after the request moves on, to hold it and write its minutes)."""
    if user.is_superuser:
        return True
    return user.role in slot_rules.HOSTS and user.organization_id in (
        meeting.organization_id,
        meeting.authority_id,
    )


def is_guest(meeting: Meeting, user: User) -> bool:
    """The enterprise's side: its staff, or its park's liaison booking for it."""
    return casework_rules.may_file(meeting.request, user)


def _details(meeting: Meeting, slot: Slot | None = None, **more: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"meeting": meeting.pk}
    if slot is not None:
        details.update(start=slot.start.isoformat(), end=slot.end.isoformat(), place=slot.place)
    details.update(more)
    return details


def _record(
    meeting: Meeting,
    kind: str,
    actor: User | None,
    now: datetime,
    *,
    text: str = "",
    internal: bool = False,
    details: dict[str, Any],
) -> None:
    service_request = meeting.request
    casework.record_event(
        service_request,
        kind,
        actor,
        now,
        from_state=service_request.state,
        tier=meeting.tier,
        text=text,
        internal=internal,
        details=details,
    )


def _claim(meeting: Meeting, expected: Iterable[str], **values: Any) -> None:
    """Move the meeting on if it is still in one of the states it was read in."""
    claimed = Meeting.objects.filter(pk=meeting.pk, state__in=list(expected)).update(
        **values, sequence=F("sequence") + 1
    )
    if claimed != 1:
        raise ConcurrentChange(_("This meeting changed meanwhile. Reload the page and try again."))
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.sequence += 1


def _close(meeting: Meeting, expected: str, state: str, actor: User, now: datetime, reason: str) -> None:
    """End the meeting (another time asked for, cancelled, missed): who, when and why."""
    _claim(meeting, [expected], state=state, reason=reason, closed_by=actor, closed_at=now)


def _state_refusal(meeting: Meeting, what: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("This meeting is %(state)s: it cannot be %(what)s.")
        % {"state": MeetingState(meeting.state).label.lower(), "what": what}
    )


# --- offering ------------------------------------------------------------------------------------
def _offered_slots(service_request: ServiceRequest, actor: User, ids: Any, next_free: bool) -> list[Slot]:
    units = holding_units(service_request)
    if next_free:
        own = actor.organization_id if actor.organization_id in units else units[-1]
        found = slot_rules.free_slots(own, limit=1)
        if not found:
            raise _refused(
                "slots",
                _("Your organisation has no free consultation slot ahead: publish one first."),
            )
        return found
    if not isinstance(ids, (list, tuple)) or not ids:
        raise _refused("slots", _("Choose at least one time to offer."))
    if len(ids) > MAX_SLOTS_OFFERED:
        raise _refused("slots", _("Offer at most %(count)d times.") % {"count": MAX_SLOTS_OFFERED})
    if any(isinstance(pk, bool) or not isinstance(pk, int) for pk in ids):
        raise _refused("slots", _("Slots are given by their ids."))
    found = list(Slot.objects.filter(pk__in=ids, organization_id__in=units))
    if len(found) != len(set(ids)):
        raise _refused(
            "slots",
            _("Offer your own organisation's slots (one of those given is not, or does not exist)."),
        )
    now = timezone.now()
    for slot in found:
        if slot.cancelled_at is not None or slot.start <= now or slot.free == 0:
            raise _refused(
                "slots",
                _("The slot of %(start)s is cancelled, begun or full: choose another.")
                % {"start": timezone.localtime(slot.start).strftime("%Y-%m-%d %H:%M")},
            )
    if len({slot.organization_id for slot in found}) > 1:
        raise _refused("slots", _("Offer the slots of one organisation in one meeting."))
    return sorted(found, key=lambda slot: (slot.start, slot.pk))


def offer(
    service_request: ServiceRequest,
    *,
    actor: User,
    slots: Any = (),
    next_free: bool = False,
    note: Any = "",
) -> Meeting:
    """The tier holding the request offers a meeting: a few of its free slots for the
    enterprise to choose from, or its next free slot."""
    if not casework_rules.may_act_for_tier(service_request, actor):
        raise NotPermitted(_("Only the staff of the tier holding the request offer a meeting on it."))
    if service_request.state not in REVIEW_STATES:
        raise TransitionNotAllowed(
            _("A meeting is offered on a request under review; this one is %(state)s.")
            % {"state": State(service_request.state).label.lower()}
        )
    if Meeting.objects.filter(request=service_request, state__in=OPEN_STATES).exists():
        raise TransitionNotAllowed(
            _("A meeting is already offered or booked on this request: cancel it before offering another."),
            code="meeting_open",
        )
    note = casework.clean_text(note, "note", required=False, max_length=NOTE_MAX_LENGTH)
    offered = _offered_slots(service_request, actor, slots, bool(next_free))
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            request=service_request,
            tier=service_request.tier,
            authority_id=service_request.tier_authority_id,  # type: ignore[misc]
            organization_id=offered[0].organization_id,
            proposed_by=actor,
            proposed_at=now,
            note=note,
        )
        meeting.slots.set(offered)
        _record(
            meeting,
            EventKind.MEETING_OFFERED,
            actor,
            now,
            text=note,
            details=_details(
                meeting,
                times=[
                    {"start": s.start.isoformat(), "end": s.end.isoformat(), "place": s.place}
                    for s in offered
                ],
                note=note,
            ),
        )
    return meeting


# --- booking -------------------------------------------------------------------------------------
def _chosen_slot(meeting: Meeting, slot: Any) -> Slot:
    """A slot the meeting may be booked in: one offered, or any slot of the same organisation
    (the next free times shown after a lost race)."""
    pk = slot.pk if isinstance(slot, Slot) else slot
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise _refused("slot", _("Choose one of the times offered."))
    found = Slot.objects.filter(pk=pk, organization_id=meeting.organization_id).first()
    if found is None:
        raise _refused("slot", _("Choose one of the times offered (that slot is not one of them)."))
    return found


def _full(slot: Slot, meeting: Meeting) -> SlotFull:
    return SlotFull(
        _("Someone else has just taken the last place of %(start)s. Choose one of the next free times.")
        % {"start": timezone.localtime(slot.start).strftime("%Y-%m-%d %H:%M")},
        next_free=slot_rules.free_slots(meeting.organization_id),
    )


def wait_hours(filed: datetime, starts_at: datetime) -> int:
    return max(int((starts_at - filed).total_seconds() // 3600), 0)


def _booked_values(meeting: Meeting, slot: Slot, now: datetime) -> dict[str, Any]:
    day_before = calendar.start_of_working_day_before(slot.start)
    return {
        "slot": slot,
        "starts_at": slot.start,
        "ends_at": slot.end,
        "wait_hours": wait_hours(visits.filed_at(meeting.request), slot.start),
        # A meeting booked after the day-before reminder's time hears only the hour before.
        "remind_day_at": day_before,
        "reminded_day_at": None if day_before > now else now,
        "remind_hour_at": hour_before(slot.start),
        "reminded_hour_at": None,
    }


def book(meeting: Meeting, *, actor: User, slot: Any) -> Meeting:
    """The enterprise (or its liaison) books one of the times offered. The booking is the
    tier's feedback: the clock of its visit stops."""
    if not is_guest(meeting, actor):
        raise NotPermitted(_("The enterprise's staff, or its park's liaison, book the meeting."))
    if meeting.state != MeetingState.PROPOSED:
        raise _state_refusal(meeting, _("booked"))
    chosen = _chosen_slot(meeting, slot)
    now = timezone.now()
    if chosen.cancelled_at is not None or chosen.start <= now:
        raise _refused("slot", _("That time is cancelled or past: choose another."))
    with transaction.atomic():
        # The place first: a lost race leaves the meeting as it was, in memory too.
        if not slot_rules.take_place(chosen):
            raise _full(chosen, meeting)
        _claim(  # a meeting booked meanwhile rolls the place back with the transaction
            meeting,
            [MeetingState.PROPOSED],
            state=MeetingState.BOOKED,
            booked_by=actor,
            booked_at=now,
            **_booked_values(meeting, chosen, now),
        )
        _record(meeting, EventKind.MEETING_BOOKED, actor, now, details=_details(meeting, chosen))
        casework.record_feedback(meeting.request, tier=meeting.tier, now=now)
    return meeting


def ask_another_time(meeting: Meeting, *, actor: User, reason: Any) -> Meeting:
    """None of the times suits the enterprise: it says why, and the tier offers again."""
    if not is_guest(meeting, actor):
        raise NotPermitted(_("The enterprise's staff, or its park's liaison, answer the offer."))
    if meeting.state != MeetingState.PROPOSED:
        raise _state_refusal(meeting, _("answered"))
    reason = casework.clean_text(reason, "reason", max_length=NOTE_MAX_LENGTH)
    now = timezone.now()
    with transaction.atomic():
        _close(meeting, MeetingState.PROPOSED, MeetingState.ANOTHER_TIME, actor, now, reason)
        _record(meeting, EventKind.MEETING_ANOTHER_TIME, actor, now, text=reason, details=_details(meeting))
    return meeting


def _check_may_change(meeting: Meeting, actor: User, now: datetime, what: str) -> None:
    if not (is_guest(meeting, actor) or is_holder(meeting, actor)):
        raise NotPermitted(_("Only the enterprise's side and the meeting's hosts change a meeting."))
    if meeting.state not in OPEN_STATES:
        raise _state_refusal(meeting, what)
    starts_at = meeting.starts_at
    if meeting.state == MeetingState.BOOKED and starts_at is not None and starts_at - change_notice() < now:
        raise TransitionNotAllowed(
            _(
                "This meeting starts within %(hours)d hours: it can no longer be %(what)s. "
                "Record it as held or missed instead."
            )
            % {"hours": settings.PORTAL["MEETING_CHANGE_NOTICE_HOURS"], "what": what},
            code="too_late",
        )


def cancel(meeting: Meeting, *, actor: User, reason: Any) -> Meeting:
    """Either side calls the meeting off, with a reason, up to the notice before it starts.
    A booked place goes back to the slot."""
    now = timezone.now()
    _check_may_change(meeting, actor, now, _("cancelled"))
    reason = casework.clean_text(reason, "reason", max_length=NOTE_MAX_LENGTH)
    slot = meeting.slot
    with transaction.atomic():
        _close(meeting, meeting.state, MeetingState.CANCELLED, actor, now, reason)
        if slot is not None:
            slot_rules.give_back_place(slot)
        _record(
            meeting, EventKind.MEETING_CANCELLED, actor, now, text=reason, details=_details(meeting, slot)
        )
    return meeting


def reschedule(meeting: Meeting, *, actor: User, slot: Any, reason: Any) -> Meeting:
    """Either side moves a booked meeting to another free time of the same organisation, with
    a reason, up to the notice before it starts."""
    now = timezone.now()
    _check_may_change(meeting, actor, now, _("moved"))
    if meeting.state != MeetingState.BOOKED:
        raise _state_refusal(meeting, _("moved"))
    reason = casework.clean_text(reason, "reason", max_length=NOTE_MAX_LENGTH)
    chosen = _chosen_slot(meeting, slot)
    previous = meeting.slot
    if previous is not None and chosen.pk == previous.pk:
        raise _refused("slot", _("That is the meeting's time already: choose another."))
    if chosen.cancelled_at is not None or chosen.start <= now:
        raise _refused("slot", _("That time is cancelled or past: choose another."))
    with transaction.atomic():
        if not slot_rules.take_place(chosen):
            raise _full(chosen, meeting)
        _claim(meeting, [MeetingState.BOOKED], **_booked_values(meeting, chosen, now))
        if previous is not None:
            slot_rules.give_back_place(previous)
        _record(
            meeting,
            EventKind.MEETING_RESCHEDULED,
            actor,
            now,
            text=reason,
            details=_details(meeting, chosen, reason=reason),
        )
    return meeting


# --- after the meeting ---------------------------------------------------------------------------
def _check_after_start(meeting: Meeting, actor: User, what: str) -> datetime:
    if not is_holder(meeting, actor):
        raise NotPermitted(
            _("Only the meeting's hosts (the organisation that offered it) record %(what)s.") % {"what": what}
        )
    if meeting.state != MeetingState.BOOKED:
        raise _state_refusal(meeting, _("recorded"))
    now = timezone.now()
    if meeting.starts_at is None or now < meeting.starts_at:
        raise TransitionNotAllowed(_("The meeting has not started yet."), code="not_started")
    return now


def record_minutes(
    meeting: Meeting, *, actor: User, body: Any, outcome: Any, internal: bool = False
) -> Meeting:
    """The minutes (会议纪要) and outcome of a meeting held, on the request's timeline; the
    enterprise sees them unless marked internal."""
    now = _check_after_start(meeting, actor, _("the minutes"))
    body = casework.clean_text(body, "body")
    if not isinstance(outcome, str) or outcome not in Outcome.values:
        raise _refused(
            "outcome", _("Choose the outcome: %(choices)s.") % {"choices": ", ".join(Outcome.values)}
        )
    internal = bool(internal)
    with transaction.atomic():
        _claim(
            meeting,
            [MeetingState.BOOKED],
            state=MeetingState.HELD,
            minutes=body,
            outcome=outcome,
            minutes_internal=internal,
            minutes_by=actor,
            minutes_at=now,
        )
        _record(
            meeting,
            EventKind.MEETING_HELD,
            actor,
            now,
            text=body,
            internal=internal,
            details=_details(meeting, meeting.slot, outcome=outcome, minutes=body),
        )
    return meeting


def record_no_show(meeting: Meeting, *, actor: User, note: Any = "") -> Meeting:
    """Nobody came for the enterprise: the hosts record it."""
    now = _check_after_start(meeting, actor, _("a missed meeting"))
    note = casework.clean_text(note, "note", required=False, max_length=NOTE_MAX_LENGTH)
    with transaction.atomic():
        _close(meeting, MeetingState.BOOKED, MeetingState.NO_SHOW, actor, now, note)
        _record(
            meeting,
            EventKind.MEETING_NO_SHOW,
            actor,
            now,
            text=note,
            details=_details(meeting, meeting.slot, note=note),
        )
    return meeting


# --- reminders (the deadline scan) ---------------------------------------------------------------
def send_reminder(meeting: Meeting, *, now: datetime, which: str) -> bool:
    """One reminder, `day` or `hour`, to the people of the meeting: claimed with a conditional
    update, so that it goes once however many scans run. One whose meeting has begun by the
    time the scan comes (the scan stopped for a while) is claimed and not sent."""
    from apps.notifications import services as notifications

    sent_field, due_field = f"reminded_{which}_at", f"remind_{which}_at"
    with transaction.atomic():
        claimed = Meeting.objects.filter(
            **{"pk": meeting.pk, "state": MeetingState.BOOKED, sent_field: None, f"{due_field}__lte": now}
        ).update(**{sent_field: now})
        if not claimed or meeting.starts_at is None or meeting.starts_at <= now:
            return False
        notifications.notify_meeting_reminder(meeting, now)
    return True
