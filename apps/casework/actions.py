"""Every change to a request is one function here, called alike by the API, the pages, the
admin and the jobs.

Each action checks its guard (django-fsm: the state the request is in, then who may act),
runs the transition, writes the request with a compare-and-swap on its version (so that of two
people acting at once exactly one wins), records the timeline event and moves the tier-visit
clock, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from guardian.shortcuts import assign_perm

from apps.assist import index as assist_index
from apps.deadlines import calendar, visits
from apps.deadlines.models import TierVisit
from apps.notifications import services as notifications
from apps.organizations import routing
from apps.organizations.models import (
    KeyProject,
    Organization,
    OrgKind,
    Role,
    Tier,
    User,
    organization_group,
)
from apps.satisfaction import ledger

from . import queues, rules, selectors, uploads
from .errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionNotAllowed
from .models import (
    REVIEW_STATES,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Category,
    EventKind,
    Message,
    ProductType,
    RequestEvent,
    ServiceRequest,
    State,
)
from .references import next_reference

# The columns an action may change; written together by the compare-and-swap.
_MUTABLE_FIELDS = [
    "state",
    "tier",
    "reached_level",
    "department_id",
    "district_department_id",
    "municipal_department_id",
    "provincial_department_id",
    "assignee_id",
    "feedback_due_at",
    "green_channel",
    "resolution",
    "resolved_at",
    "closed_at",
]

_ACTION_NAMES = {
    "submit": gettext_lazy("submit"),
    "respond": gettext_lazy("respond to"),
    "request_info": gettext_lazy("request information on"),
    "provide_info": gettext_lazy("provide information on"),
    "escalate": gettext_lazy("escalate"),
    "return_to_lower_tier": gettext_lazy("return"),
    "resolve": gettext_lazy("resolve"),
    "reopen": gettext_lazy("reopen"),
    "close": gettext_lazy("close"),
    "withdraw": gettext_lazy("withdraw"),
    "assign": gettext_lazy("assign"),
    "claim": gettext_lazy("claim"),
    "set_green_channel": gettext_lazy("change the green channel of"),
}


# --- guards and the write -----------------------------------------------------------------------
def _refusal(service_request: ServiceRequest, name: str) -> str:
    if name == "reopen" and service_request.state == State.RESOLVED:
        return _("A request can only be reopened within %(days)s days of its resolution.") % {
            "days": _reopen_days()
        }
    if name == "claim" and service_request.assignee_id is not None:
        return _("This request is already assigned; ask a supervisor to reassign it.")
    if name == "escalate" and service_request.state in (
        State.PARK_REVIEW,
        State.DISTRICT_REVIEW,
        State.MUNICIPAL_REVIEW,
    ):
        return _("There is no higher tier to escalate this request to.")
    return _("You cannot %(action)s a request that is %(state)s.") % {
        "action": _ACTION_NAMES.get(name, name),
        "state": State(service_request.state).label.lower(),
    }


def _reopen_days() -> int:
    return calendar.policy().reopen_within_days


def _guard(service_request: ServiceRequest, name: str, actor: User | None) -> Callable[[], Any]:
    """Refuse with 409 when the state does not allow the transition and with 403 when this
    user may not take it; return the bound transition otherwise."""
    method = getattr(service_request, name)
    meta = method._django_fsm
    state = service_request.state
    if not meta.has_transition(state):
        raise TransitionNotAllowed(_refusal(service_request, name))
    if not meta.has_transition_perm(service_request, state, actor):
        raise NotPermitted(
            _("You may see this request but not %(action)s it.") % {"action": _ACTION_NAMES.get(name, name)}
        )
    if not can_proceed(method):
        raise TransitionNotAllowed(_refusal(service_request, name))
    return method  # type: ignore[no-any-return]


def check_transition(service_request: ServiceRequest, name: str, actor: User) -> None:
    """Refuse now (409, 403) what the transition would refuse, before its input is read: whoever
    may not assign learns nothing about the ids they send (`assign` checks the rest itself)."""
    _guard(service_request, _MODEL_TRANSITIONS.get(name, name), actor)


# The API's names of model transitions that differ from the method's.
_MODEL_TRANSITIONS = {"return": "return_to_lower_tier", "green_channel": "set_green_channel"}


def _write(service_request: ServiceRequest, now: datetime) -> None:
    """Write the changed columns if, and only if, nobody wrote the request since it was read
    (so that the columns left out are as they were read)."""
    expected = service_request.version
    read = getattr(service_request, "as_read", {})
    values = {
        field: getattr(service_request, field)
        for field in _MUTABLE_FIELDS
        if field not in read or read[field] != getattr(service_request, field)
    }
    updated = ServiceRequest.objects.filter(pk=service_request.pk, version=expected).update(
        **values, version=expected + 1, updated_at=now
    )
    if updated != 1:
        raise ConcurrentChange(_("Someone else changed this request meanwhile. Reload it and try again."))
    service_request.version = expected + 1
    service_request.updated_at = now
    read.update(values, version=expected + 1, updated_at=now)
    queues.lists_changed()


def expect_version(service_request: ServiceRequest, version: int | None) -> ServiceRequest:
    """Act on the request only as the caller last read it (the API's `version` or `If-Match`).

    The action's compare-and-swap (`_write`) writes only if the request still has the version
    it was read with; here that version is the caller's: a request written since the caller
    read it is refused now (409, nothing changed), and one written between this check and the
    write loses the swap. `None`: the caller acts on whatever the request is now."""
    if version is not None and version != service_request.version:
        raise ConcurrentChange(
            _(
                "Someone else changed this request meanwhile: you read version %(yours)s, it is now "
                "at version %(now)s. Reload it, check what changed and try again."
            )
            % {"yours": version, "now": service_request.version},
            code="changed",
        )
    return service_request


def _record(
    service_request: ServiceRequest,
    kind: str,
    actor: User | None,
    now: datetime,
    *,
    from_state: str = "",
    text: str = "",
    internal: bool = False,
    tier: str | None = None,
    details: dict[str, Any] | None = None,
    notify: bool = True,
) -> RequestEvent:
    """Append the timeline event and notify whoever should hear of it (in this transaction;
    the emails leave after the commit). `notify=False`: an event another one reports (the
    files of a filing or a reply, which its own notification names)."""
    event = RequestEvent.objects.create(
        request=service_request,
        kind=kind,
        actor=actor,
        created_at=now,
        from_state=from_state,
        to_state=service_request.state,
        tier=tier or service_request.tier,
        text=text,
        internal=internal,
        details=details or {},
    )
    if notify:
        notifications.notify_event(event)
    return event


def _text(value: Any, field: str, *, required: bool = True, max_length: int = TEXT_MAX_LENGTH) -> str:
    """Clean one free-text input: a string, no NUL bytes, within length, present if required."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Not a valid string."), fields={field: [_("Not a valid string.")]})
    if "\x00" in value:
        message = _("Null characters are not allowed.")
        raise InvalidInput(message, fields={field: [message]})
    value = value.strip()
    if required and not value:
        message = _("This field is required.")
        raise InvalidInput(message, fields={field: [message]})
    if len(value) > max_length:
        message = _("Ensure this field has no more than %(max)s characters.") % {"max": max_length}
        raise InvalidInput(message, fields={field: [message]})
    return value


# The satisfaction actions (apps/satisfaction/actions.py) write their timeline events and clean
# their text the same way.
record_event = _record
clean_text = _text


def _returning_assignee(service_request: ServiceRequest) -> int | None:
    """Who had the request when it was last in its current tier (a request that comes back
    after a return, the information asked for or a reopening goes back to them), if they may
    still be given it; None on a first visit."""
    previous = (
        TierVisit.objects.filter(request=service_request, tier=service_request.tier)
        .order_by("-started_at", "-id")
        .values_list("assignee_id", flat=True)
        .first()
    )
    if previous is None:
        return None
    person = User.objects.filter(pk=previous).select_related("organization").first()
    if person is None or not rules.may_be_assigned(service_request, person):
        return None
    return person.pk


def _enter_tier(service_request: ServiceRequest, now: datetime) -> None:
    """The request arrives in its current tier: route it to a department, give it back to whoever
    had it there before (nobody on a first visit) and start the clock."""
    if service_request.tier == Tier.PARK:
        service_request.department_id = None
    else:
        column = f"{service_request.tier}_department_id"
        department_id = getattr(service_request, column) or routing.department_for(
            service_request.tier_authority_id,  # type: ignore[arg-type]
            service_request.category,
        )
        setattr(service_request, column, department_id)
        service_request.department_id = department_id
    service_request.assignee_id = _returning_assignee(service_request)
    visits.start_visit(service_request, now)


def _leave_with_feedback(service_request: ServiceRequest, now: datetime) -> None:
    visits.record_feedback(visits.current_visit(service_request), now, leaving=True)
    service_request.feedback_due_at = None


def record_feedback(service_request: ServiceRequest, *, tier: str, now: datetime) -> bool:
    """Feedback the tier gave without a transition (a meeting booked with it, apps/meetings):
    the clock of its visit stops and the request's deadline clears, if the request is still in
    that tier's review and its clock still runs. The version moves on, so an action prepared on
    the deadline before is told the request changed."""
    if service_request.state not in REVIEW_STATES or service_request.tier != tier:
        return False
    if service_request.feedback_due_at is None:
        return False
    visits.record_feedback(visits.current_visit(service_request), now, leaving=False)
    service_request.feedback_due_at = None
    _write(service_request, now)
    return True


# --- creating -------------------------------------------------------------------------------
def _choice(value: Any, field: str, choices: type[Category] | type[ProductType]) -> str:
    if not isinstance(value, str) or value not in choices.values:
        message = _("“%(value)s” is not a valid choice.") % {"value": value}
        raise InvalidInput(message, fields={field: [message]})
    return value


def check_may_file(actor: User) -> None:
    """Only enterprise staff, park liaisons and admins file requests (refused before the input
    is read, so that nobody else learns anything from the ids they send)."""
    if not (actor.is_superuser or actor.role in (Role.ENTERPRISE, Role.LIAISON)):
        raise NotPermitted(_("Only enterprise staff and park liaisons file requests."))


def create_request(
    *,
    actor: User,
    title: Any,
    description: Any,
    category: Any,
    product_type: Any,
    enterprise: Organization | None = None,
    key_project: KeyProject | None = None,
    submit: bool = False,
    files: Sequence[UploadedFile] = (),
) -> ServiceRequest:
    """File a new request (a draft, or straight into park review with `submit`), with its
    `files` attached: all of it or nothing (a refused file files no request)."""
    check_may_file(actor)
    if actor.role == Role.ENTERPRISE and not actor.is_superuser:
        if enterprise is not None and enterprise.pk != actor.organization_id:
            message = _("Enterprise staff file requests for their own enterprise only.")
            raise InvalidInput(message, fields={"enterprise": [message]})
        enterprise = actor.organization
    elif actor.role == Role.LIAISON or actor.is_superuser:
        if enterprise is None:
            message = _("Choose the enterprise this request is for.")
            raise InvalidInput(message, fields={"enterprise": [message]})
        if enterprise.kind != OrgKind.ENTERPRISE or (
            not actor.is_superuser and enterprise.parent_id != actor.organization_id
        ):
            message = _("Choose one of your park's enterprises.")
            raise InvalidInput(message, fields={"enterprise": [message]})
    assert enterprise is not None

    fields = {
        "title": _text(title, "title", max_length=TITLE_MAX_LENGTH),
        "description": _text(description, "description"),
        "category": _choice(category, "category", Category),
        "product_type": _choice(product_type, "product_type", ProductType),
    }
    if key_project is not None and key_project.enterprise_id != enterprise.pk:
        message = _("This key project belongs to another enterprise.")
        raise InvalidInput(message, fields={"key_project": [message]})

    park = enterprise.parent
    district = park.parent if park else None
    if park is None or district is None:
        raise InvalidInput(_("This enterprise is not registered in a park of a district."))
    municipal = district.parent
    provincial = municipal.parent if municipal else None
    checked = _checked_files(actor, files)
    now = timezone.now()
    # The files are written once the request has its id (their folder), inside the transaction.
    with _files_removed_unless_saved() as written, transaction.atomic():
        service_request = ServiceRequest.objects.create(
            reference=next_reference(district.code or "REQ", timezone.localdate(now).year),
            enterprise=enterprise,
            park=park,
            district=district,
            municipal=municipal,
            provincial=provincial,
            key_project=key_project,
            green_channel=key_project is not None and key_project.status == KeyProject.Status.ACTIVE,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **fields,
        )
        _record(service_request, EventKind.CREATED, actor, now, text=service_request.title)
        attached = _store_files(service_request, actor, checked, now, written)
        _insert_attachments(service_request, actor, attached, now)
        if submit:
            _submit(service_request, actor, details=_files_details(attached))
    return service_request


# --- the lifecycle --------------------------------------------------------------------------
def submit_request(service_request: ServiceRequest, *, actor: User) -> ServiceRequest:
    return _submit(service_request, actor)


def _submit(
    service_request: ServiceRequest, actor: User, *, details: dict[str, Any] | None = None
) -> ServiceRequest:
    transition = _guard(service_request, "submit", actor)
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        _enter_tier(service_request, now)
        _write(service_request, now)
        _record(service_request, EventKind.SUBMITTED, actor, now, from_state=from_state, details=details)
    return service_request


def _public_reply(service_request: ServiceRequest, actor: User | None, body: str, now: datetime) -> None:
    if actor is not None:
        Message.objects.create(request=service_request, author=actor, body=body, created_at=now)


def respond(service_request: ServiceRequest, *, actor: User, body: Any) -> ServiceRequest:
    transition = _guard(service_request, "respond", actor)
    body = _text(body, "body")
    now = timezone.now()
    with transaction.atomic():
        transition()
        visits.record_feedback(visits.current_visit(service_request), now, leaving=False)
        service_request.feedback_due_at = None
        _write(service_request, now)
        _public_reply(service_request, actor, body, now)
        _record(service_request, EventKind.RESPONDED, actor, now, from_state=service_request.state, text=body)
    return service_request


def request_info(service_request: ServiceRequest, *, actor: User, body: Any) -> ServiceRequest:
    transition = _guard(service_request, "request_info", actor)
    body = _text(body, "body")
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        _leave_with_feedback(service_request, now)
        _write(service_request, now)
        _public_reply(service_request, actor, body, now)
        _record(service_request, EventKind.INFO_REQUESTED, actor, now, from_state=from_state, text=body)
    return service_request


def provide_info(
    service_request: ServiceRequest, *, actor: User, body: Any, files: Sequence[UploadedFile] = ()
) -> ServiceRequest:
    """The information asked for, with its `files`: the reply, the files and the request's
    return to the tier are one change (a refused file sends nothing)."""
    transition = _guard(service_request, "provide_info", actor)
    body = _text(body, "body")
    checked = _checked_files(actor, files)
    now = timezone.now()
    with _files_removed_unless_saved() as written:
        attached = _store_files(service_request, actor, checked, now, written)
        with transaction.atomic():
            from_state = service_request.state
            transition()
            _enter_tier(service_request, now)
            _write(service_request, now)
            _public_reply(service_request, actor, body, now)
            _record(
                service_request,
                EventKind.INFO_PROVIDED,
                actor,
                now,
                from_state=from_state,
                text=body,
                details=_files_details(attached),
            )
            _insert_attachments(service_request, actor, attached, now)
    return service_request


def _move_to_another_tier(
    service_request: ServiceRequest, name: str, kind: str, *, actor: User, reason: Any
) -> ServiceRequest:
    """Escalate or return: the tier left gets its feedback, the tier reached starts its clock."""
    transition = _guard(service_request, name, actor)
    reason = _text(reason, "reason")
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        _leave_with_feedback(service_request, now)
        transition()
        _enter_tier(service_request, now)
        _write(service_request, now)
        _record(service_request, kind, actor, now, from_state=from_state, text=reason)
    return service_request


def escalate(service_request: ServiceRequest, *, actor: User, reason: Any) -> ServiceRequest:
    return _move_to_another_tier(service_request, "escalate", EventKind.ESCALATED, actor=actor, reason=reason)


def return_to_lower_tier(service_request: ServiceRequest, *, actor: User, reason: Any) -> ServiceRequest:
    return _move_to_another_tier(
        service_request, "return_to_lower_tier", EventKind.RETURNED, actor=actor, reason=reason
    )


def resolve(service_request: ServiceRequest, *, actor: User, resolution: Any) -> ServiceRequest:
    transition = _guard(service_request, "resolve", actor)
    resolution = _text(resolution, "resolution")
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        service_request.resolution = resolution
        _leave_with_feedback(service_request, now)
        _write(service_request, now)
        event = _record(
            service_request, EventKind.RESOLVED, actor, now, from_state=from_state, text=resolution
        )
        ledger.ask_for_rating(service_request, event, actor=actor, now=now)
        assist_index.index_request(service_request)
    return service_request


def reopen(service_request: ServiceRequest, *, actor: User, reason: Any) -> ServiceRequest:
    transition = _guard(service_request, "reopen", actor)
    reason = _text(reason, "reason")
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        _enter_tier(service_request, now)
        _write(service_request, now)
        ledger.mark_reopened(service_request, now)
        assist_index.forget_request(service_request)
        _record(service_request, EventKind.REOPENED, actor, now, from_state=from_state, text=reason)
    return service_request


def close(
    service_request: ServiceRequest, *, actor: User | None, now: datetime | None = None
) -> ServiceRequest:
    """Close a resolved request: its enterprise, or the system (`actor=None`, at the scan's
    `now`) once the resolution has stood long enough."""
    transition = _guard(service_request, "close", actor)
    now = now or timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        service_request.closed_at = now
        _write(service_request, now)
        text = "" if actor is not None else _("Closed automatically after the resolution stood.")
        _record(
            service_request,
            EventKind.CLOSED,
            actor,
            now,
            from_state=from_state,
            text=text,
            details={"automatic": True} if actor is None else None,
        )
    return service_request


def withdraw(service_request: ServiceRequest, *, actor: User, reason: Any = "") -> ServiceRequest:
    transition = _guard(service_request, "withdraw", actor)
    reason = _text(reason, "reason", required=False)
    now = timezone.now()
    with transaction.atomic():
        from_state = service_request.state
        transition()
        visits.end_visit(visits.current_visit(service_request), now)
        service_request.feedback_due_at = None
        _write(service_request, now)
        _record(service_request, EventKind.WITHDRAWN, actor, now, from_state=from_state, text=reason)
    return service_request


def _hand_to(service_request: ServiceRequest, assignee: User, now: datetime) -> None:
    service_request.assignee_id = assignee.pk
    visit = visits.current_visit(service_request)
    if visit is not None:
        visit.assignee_id = assignee.pk
        visit.save(update_fields=["assignee"])


def assign(service_request: ServiceRequest, *, actor: User, assignee: User) -> ServiceRequest:
    transition = _guard(service_request, "assign", actor)
    if not rules.may_be_assigned(service_request, assignee):
        # Not naming them: any user id can be sent, and who works where is not for everyone.
        message = _("The person chosen does not work for the tier that holds this request.")
        raise InvalidInput(message, fields={"assignee": [message]})
    now = timezone.now()
    with transaction.atomic():
        transition()
        _hand_to(service_request, assignee, now)
        _write(service_request, now)
        _record(
            service_request,
            EventKind.ASSIGNED,
            actor,
            now,
            from_state=service_request.state,
            text=assignee.get_full_name() or assignee.get_username(),
            internal=True,
        )
    return service_request


def claim(service_request: ServiceRequest, *, actor: User) -> ServiceRequest:
    transition = _guard(service_request, "claim", actor)
    now = timezone.now()
    with transaction.atomic():
        transition()
        _hand_to(service_request, actor, now)
        _write(service_request, now)
        _record(
            service_request, EventKind.CLAIMED, actor, now, from_state=service_request.state, internal=True
        )
    return service_request


def set_green_channel(
    service_request: ServiceRequest, *, actor: User, green_channel: bool, reason: Any
) -> ServiceRequest:
    transition = _guard(service_request, "set_green_channel", actor)
    reason = _text(reason, "reason")
    if not isinstance(green_channel, bool):
        raise InvalidInput(
            _("Must be true or false."), fields={"green_channel": [_("Must be true or false.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        transition()
        service_request.green_channel = green_channel
        visits.reschedule_visit(visits.current_visit(service_request), service_request)
        _write(service_request, now)
        label = _("Green channel on") if green_channel else _("Green channel off")
        _record(
            service_request,
            EventKind.GREEN_CHANNEL,
            actor,
            now,
            from_state=service_request.state,
            text=f"{label}: {reason}",
            details={"green_channel": green_channel, "reason": reason},
        )
    return service_request


# --- conversation, files, sharing ---------------------------------------------------------------
def _touch(service_request: ServiceRequest, now: datetime) -> None:
    # Messages and files do not race with transitions, so they do not bump the version.
    ServiceRequest.objects.filter(pk=service_request.pk).update(updated_at=now)
    service_request.updated_at = now


def _refuse_when_finished(service_request: ServiceRequest) -> None:
    """A closed or withdrawn request takes no more messages or files: the matter is raised
    again with a new request."""
    if service_request.state in (State.CLOSED, State.WITHDRAWN):
        raise TransitionNotAllowed(
            _("This request is %(state)s: it takes no more messages or files. File a new request instead.")
            % {"state": State(service_request.state).label.lower()}
        )


def add_message(
    service_request: ServiceRequest, *, actor: User, body: Any, internal: bool = False
) -> Message:
    _refuse_when_finished(service_request)
    if internal and not rules.may_write_internal(actor):
        raise NotPermitted(_("Enterprise staff cannot write internal notes."))
    body = _text(body, "body")
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            request=service_request, author=actor, body=body, internal=internal, created_at=now
        )
        _record(
            service_request,
            EventKind.NOTE if internal else EventKind.MESSAGE,
            actor,
            now,
            from_state=service_request.state,
            text=body,
            internal=internal,
        )
        _touch(service_request, now)
    return message


# The most files one filing or one reply takes (the attachments card takes one at a time).
MAX_FILES_AT_ONCE = 5


def _checked_files(
    actor: User, files: Sequence[UploadedFile], *, named: bool = True
) -> list[tuple[UploadedFile, uploads.CheckedUpload]]:
    """Each file through the content check, and all of them through the quota, before anything
    is written. `named`: a refusal names the file it is about (one of several)."""
    files = list(files or ())
    if len(files) > MAX_FILES_AT_ONCE:
        message = _("Attach at most %(count)s files at once.") % {"count": MAX_FILES_AT_ONCE}
        raise InvalidInput(message, fields={"file": [message]})
    checked = []
    for upload in files:
        try:
            checked.append((upload, uploads.check_upload(upload)))
        except InvalidInput as error:
            if not named:
                raise
            message = _("“%(name)s”: %(problem)s") % {
                "name": uploads.clean_filename(upload.name or ""),
                "problem": error.message,
            }
            raise InvalidInput(message, fields={"file": [message]}) from None
    if checked:
        # Refused early when they cannot fit, before the bytes are written to disk; checked
        # again under the organisation's lock (`_insert_attachments`), where it counts.
        uploads.check_quota(actor, sum(found.size for _upload, found in checked))
    return checked


@contextmanager
def _files_removed_unless_saved() -> Iterator[list[Attachment]]:
    """Collects the files written for a change; if the change fails, no row points at them,
    so they are deleted."""
    written: list[Attachment] = []
    try:
        yield written
    except BaseException:
        for attachment in written:
            attachment.file.delete(save=False)
        raise


def _store_files(
    service_request: ServiceRequest,
    actor: User,
    checked: list[tuple[UploadedFile, uploads.CheckedUpload]],
    now: datetime,
    written: list[Attachment],
    *,
    internal: bool = False,
) -> list[Attachment]:
    """Write the checked files to private storage: their rows, not yet saved."""
    attachments = []
    for upload, found in checked:
        attachment = Attachment(
            request=service_request,
            uploaded_by=actor,
            name=found.name,
            size=found.size,
            content_type=found.content_type,
            internal=internal,
            created_at=now,
        )
        attachment.file.save(found.storage_name, upload, save=False)
        written.append(attachment)
        attachments.append(attachment)
    return attachments


def _insert_attachments(
    service_request: ServiceRequest,
    actor: User,
    attachments: list[Attachment],
    now: datetime,
    *,
    notify: bool = False,
) -> None:
    """In the change's transaction: the quota under the organisation's lock, each row and its
    timeline event. Without `notify` the change's own notification names the files."""
    if not attachments:
        return
    uploads.check_quota(actor, sum(attachment.size for attachment in attachments), lock=True)
    for attachment in attachments:
        attachment.save()
        _record(
            service_request,
            EventKind.ATTACHMENT,
            actor,
            now,
            from_state=service_request.state,
            text=attachment.name,
            internal=attachment.internal,
            notify=notify,
        )


def _files_details(attachments: list[Attachment]) -> dict[str, Any] | None:
    """What an event records of the files that came with it (its notification names them)."""
    return {"files": [attachment.name for attachment in attachments]} if attachments else None


def add_attachment(
    service_request: ServiceRequest, *, actor: User, upload: UploadedFile, internal: bool = False
) -> Attachment:
    _refuse_when_finished(service_request)
    if internal and not rules.may_write_internal(actor):
        raise NotPermitted(_("Enterprise staff cannot add internal files."))
    checked = _checked_files(actor, [upload], named=False)
    now = timezone.now()
    with _files_removed_unless_saved() as written:
        [attachment] = _store_files(service_request, actor, checked, now, written, internal=internal)
        with transaction.atomic():
            _insert_attachments(service_request, actor, [attachment], now, notify=True)
            _touch(service_request, now)
    return attachment


# A department off the request's chain is answered like one that does not exist: the same
# words whatever the id names (the API's `department` field says it too).
SHARE_DEPARTMENT_REFUSED = gettext_lazy(
    "Choose one of the departments of this request's district, municipal or provincial "
    "authority, other than the one holding it."
)


def check_may_share(service_request: ServiceRequest, actor: User) -> None:
    """Sharing is the holding tier's, while a tier reviews the request: refused with 409 in any
    other state (a draft's notes are the enterprise's and its park's; a finished request needs
    nobody else) and with 403 for anybody but the holding tier's staff."""
    if service_request.state not in REVIEW_STATES:
        raise TransitionNotAllowed(
            _("A request is shared only while a tier reviews it; this one is %(state)s.")
            % {"state": State(service_request.state).label.lower()}
        )
    if not rules.may_act_for_tier(service_request, actor):
        raise NotPermitted(_("Only staff of the tier that holds this request may share it."))


def share_with_department(
    service_request: ServiceRequest, *, actor: User, department: Organization, reason: Any
) -> ServiceRequest:
    """Let one extra department see the request (an explicit per-object grant): a department
    of the request's own chain (`selectors.share_departments`), while a tier reviews it."""
    check_may_share(service_request, actor)
    if not selectors.share_departments(service_request).filter(pk=department.pk).exists():
        message = str(SHARE_DEPARTMENT_REFUSED)
        raise InvalidInput(message, fields={"department": [message]})
    reason = _text(reason, "reason")
    now = timezone.now()
    with transaction.atomic():
        # Only if the request is still where it was checked: a share racing a resolve (or an
        # escalation to another tier) grants nothing.
        still_here = ServiceRequest.objects.filter(
            pk=service_request.pk, state=service_request.state, tier=service_request.tier
        ).update(updated_at=now)
        if not still_here:
            raise ConcurrentChange(_("Someone else changed this request meanwhile. Reload it and try again."))
        service_request.updated_at = now
        assign_perm("casework.view_servicerequest", organization_group(department), service_request)
        queues.lists_changed()
        _record(
            service_request,
            EventKind.SHARED,
            actor,
            now,
            from_state=service_request.state,
            text=f"{department.name}: {reason}",
            internal=True,
            details={"department": {"en": department.name, "zh": department.name_zh}, "reason": reason},
        )
    return service_request


def record_breach(visit: TierVisit, *, now: datetime) -> bool:
    """The tier missed its feedback deadline: record it once per visit (claimed with a
    conditional update, so two scans never record it twice) and alert the people above."""
    with transaction.atomic():
        claimed = TierVisit.objects.filter(
            pk=visit.pk, breached_at__isnull=True, feedback_at__isnull=True, ended_at__isnull=True
        ).update(breached_at=now)
        if not claimed:
            return False
        service_request = visit.request
        due = timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M")
        _record(
            service_request,
            EventKind.DEADLINE_BREACHED,
            None,
            now,
            from_state=service_request.state,
            text=_("Feedback was due %(due)s.") % {"due": due},
            internal=True,
            tier=visit.tier,
            details={"due": visit.due_at.isoformat()},
        )
    return True


TRANSITIONS: dict[str, Callable[..., ServiceRequest]] = {
    "submit": submit_request,
    "respond": respond,
    "request_info": request_info,
    "provide_info": provide_info,
    "escalate": escalate,
    "return": return_to_lower_tier,
    "resolve": resolve,
    "reopen": reopen,
    "close": close,
    "withdraw": withdraw,
    "assign": assign,
    "claim": claim,
}
