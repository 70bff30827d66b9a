"""Bulk actions on selected requests: claim, assign, escalate, return or respond, each request
acted on alone.

`run_bulk` checks the input as a whole first (a bad action, too many ids, a missing reason:
InvalidInput with a message per field, nothing done). Then it reads the visible requests among
the ids in one query and, for each id in the order given, calls the very action a single request
goes through (`actions.TRANSITIONS`): its own guard, compare-and-swap, timeline event and
notifications, in its own transaction, so that one request refused never undoes another. Each
id gets one `Outcome`; an id the caller may not see is reported exactly like one that does not
exist. `summary` puts them in one line: "12 escalated; 2 skipped: changed meanwhile; 1 not
allowed: already at the provincial tier".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.notifications import services as notifications
from apps.organizations.models import OrgKind, Role, User

from . import actions, rules, selectors
from .errors import ConcurrentChange, DomainError, InvalidInput, NotPermitted, TransitionNotAllowed
from .models import REVIEW_STATES, ServiceRequest, State

MAX_IDS = 100
# The transitions offered in bulk, by their API names, in the order the pages offer them.
ACTIONS: dict[str, Any] = {
    "claim": gettext_lazy("Claim"),
    "assign": gettext_lazy("Assign"),
    "escalate": gettext_lazy("Escalate"),
    "return": gettext_lazy("Return to the tier below"),
    "respond": gettext_lazy("Reply"),
}
_LARGEST_ID = 2**63 - 1

# Outcome statuses.
DONE = "done"
SKIPPED = "skipped"  # changed meanwhile: read again and choose again
NOT_ALLOWED = "not_allowed"  # not from the state it is in (or not with this input)
FORBIDDEN = "forbidden"  # the caller may see it but not do this
NOT_FOUND = "not_found"  # no such request, or not one the caller may see
_STATUS_ORDER = (DONE, SKIPPED, NOT_ALLOWED, FORBIDDEN, NOT_FOUND)


@dataclass(frozen=True)
class Outcome:
    """What happened to one id: `detail` in words, in the caller's language; `reference` only
    for a request the caller may see; `why` the reason alone, by which the summary groups."""

    id: int
    status: str
    detail: str
    reference: str | None = None
    why: str = ""


# --- who and what ----------------------------------------------------------------------------
def may_bulk(user: User) -> bool:
    """Bulk actions are the desk's: the staff of parks and authorities (and the admin)."""
    return user.is_superuser or user.role in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR)


def check_may_bulk(user: User) -> None:
    if not may_bulk(user):
        raise NotPermitted(_("Bulk actions are for the staff of parks and authorities."))


def actions_for(user: User) -> list[str]:
    """The bulk actions a person is offered: assigning is the supervisors' (and the admin's)."""
    if not may_bulk(user):
        return []
    may_assign = user.is_superuser or user.role == Role.SUPERVISOR
    return [name for name in ACTIONS if name != "assign" or may_assign]


def assignable_staff(user: User) -> QuerySet[User]:
    """The people a bulk assignment may name: the active staff of the caller's organisation and
    of its departments (anybody's staff for the admin). Each request still takes only staff of
    the tier holding it (`rules.may_be_assigned`): the rest are reported per request."""
    staff = User.objects.filter(is_active=True, role__in=[Role.OFFICER, Role.LIAISON, Role.SUPERVISOR])
    if user.is_superuser:
        return staff.order_by("username")
    org = user.organization
    if org is None:
        return staff.none()
    return staff.filter(
        organization_id__in=[
            org.pk,
            *org.children.filter(kind=OrgKind.DEPARTMENT).values_list("pk", flat=True),
        ]
    ).order_by("username")


# --- checking the input ------------------------------------------------------------------------
def _clean_ids(ids: Any, errors: dict[str, list[str]]) -> list[int]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        errors["ids"] = [_("Give a list of request ids.")]
        return []
    given = list(ids)
    if not given:
        errors["ids"] = [_("Choose at least one request.")]
        return []
    if len(given) > MAX_IDS:
        errors["ids"] = [
            _("At most %(max)d requests at a time; you chose %(count)d.")
            % {"max": MAX_IDS, "count": len(given)}
        ]
        return []
    cleaned: list[int] = []
    for value in given:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            number = None
        elif isinstance(value, str):
            number = int(value) if value.strip().isascii() and value.strip().isdigit() else None
        else:
            number = value
        if number is None or not 0 < number <= _LARGEST_ID:
            errors["ids"] = [_("“%(value)s” is not a request id.") % {"value": str(value)[:40]}]
            return []
        if number not in cleaned:
            cleaned.append(number)
    return cleaned


def _clean_text(value: Any, field: str, errors: dict[str, list[str]], *, required: bool) -> str:
    try:
        return actions._text(value, field, required=required)  # the single actions' own check
    except InvalidInput as error:
        errors.update(error.fields)
        return ""


def _clean_versions(versions: Any, errors: dict[str, list[str]]) -> dict[int, int]:
    if versions is None:
        return {}
    if not isinstance(versions, Mapping):
        errors["versions"] = [_("Give each request's version by its id.")]
        return {}
    cleaned: dict[int, int] = {}
    for key, value in versions.items():
        try:
            pk, version = int(key), int(value)
        except (TypeError, ValueError):
            errors["versions"] = [_("Give each request's version by its id.")]
            return {}
        if isinstance(value, bool) or not (0 < pk <= _LARGEST_ID and 0 < version <= _LARGEST_ID):
            errors["versions"] = [_("Give each request's version by its id.")]
            return {}
        cleaned[pk] = version
    return cleaned


@dataclass
class _Input:
    action: str
    ids: list[int]
    values: dict[str, Any]
    template: Any
    versions: dict[int, int]


def _check(
    actor: User,
    action: Any,
    ids: Any,
    *,
    reason: Any,
    body: Any,
    assignee: Any,
    template: Any,
    versions: Any,
) -> _Input:
    """Everything wrong with the input, by field, before anything is read or done."""
    errors: dict[str, list[str]] = {}
    if not isinstance(action, str) or action not in ACTIONS:
        errors["action"] = [
            _("“%(value)s” is not a bulk action: choose one of %(choices)s.")
            % {"value": str(action)[:40], "choices": ", ".join(ACTIONS)}
        ]
    cleaned_ids = _clean_ids(ids, errors)
    cleaned_versions = _clean_versions(versions, errors)
    values: dict[str, Any] = {}
    chosen_template = None
    if action in ("escalate", "return"):
        values["reason"] = _clean_text(reason, "reason", errors, required=True)
    elif action == "respond":
        given_body = _clean_text(body, "body", errors, required=False)
        if template in (None, ""):
            if not given_body and "body" not in errors:
                errors["body"] = [_("Write the reply, or choose a reply template.")]
        else:
            chosen_template = _usable_template(actor, template, errors)
        values["body"] = given_body
    elif action == "assign":
        if assignee in (None, ""):
            errors["assignee"] = [_("Choose the person to assign the requests to.")]
        else:
            values["assignee"] = _assignee(actor, assignee, errors)
    if errors:
        raise InvalidInput(_("Nothing was done: check the fields marked."), fields=errors)
    return _Input(action, cleaned_ids, values, chosen_template, cleaned_versions)


def _assignee(actor: User, assignee: Any, errors: dict[str, list[str]]) -> User | None:
    pk = assignee.pk if isinstance(assignee, User) else assignee
    found = None
    well_formed = (
        not isinstance(pk, bool) and isinstance(pk, (int, str)) and str(pk).isascii() and str(pk).isdigit()
    )
    if well_formed and 0 < int(pk) <= _LARGEST_ID:
        found = assignable_staff(actor).select_related("organization").filter(pk=int(pk)).first()
    if found is None:
        # Not naming them: any user id can be sent, and who works where is not for everyone.
        errors["assignee"] = [_("Choose one of the staff of your organisation or its departments.")]
    return found


def _usable_template(actor: User, template: Any, errors: dict[str, list[str]]) -> Any:
    from apps.desk import replies

    try:
        return replies.get_usable_template(actor, getattr(template, "pk", template))
    except DomainError:
        errors["template"] = [_("Choose one of the reply templates offered to you.")]
        return None


# --- acting ------------------------------------------------------------------------------------
def run_bulk(
    actor: User,
    action: Any,
    ids: Any,
    *,
    reason: Any = None,
    body: Any = None,
    assignee: Any = None,
    template: Any = None,
    versions: Any = None,
) -> list[Outcome]:
    """Take `action` on each of `ids` alone, in order; one Outcome per distinct id.

    `versions` ({id: version}, optional): act on a request only as the caller last saw it
    (a page sends the version each row showed); one written since is skipped as changed
    meanwhile, as is one that somebody changes between this read and its own write."""
    check_may_bulk(actor)
    given = _check(
        actor,
        action,
        ids,
        reason=reason,
        body=body,
        assignee=assignee,
        template=template,
        versions=versions,
    )
    # One query for them all, with what the actions and the notifications read.
    found = {r.pk: r for r in visible_requests_for_bulk(actor).filter(pk__in=given.ids)}
    act = actions.TRANSITIONS[given.action]
    outcomes = []
    # Each request commits alone; their emails go to the broker together after the last one.
    with notifications.one_hand_over():
        for pk in given.ids:
            service_request = found.get(pk)
            if service_request is None:
                outcomes.append(Outcome(pk, NOT_FOUND, _("not found")))
                continue
            outcomes.append(_act_on(service_request, given, act, actor))
    return outcomes


def visible_requests_for_bulk(actor: User) -> QuerySet[ServiceRequest]:
    return selectors.visible_requests(actor).select_related(
        "enterprise", "park", "department", "assignee", "created_by"
    )


def _act_on(
    service_request: ServiceRequest, given: _Input, act: Callable[..., ServiceRequest], actor: User
) -> Outcome:
    reference = service_request.reference
    state_before = service_request.state
    try:
        with transaction.atomic():
            actions.expect_version(service_request, given.versions.get(service_request.pk))
            values = dict(given.values)
            if given.template is not None:
                values["body"] = _with_template(given.template, service_request, actor, values["body"])
            act(service_request, actor=actor, **values)
    except ConcurrentChange:
        why = _("changed meanwhile")
        return Outcome(service_request.pk, SKIPPED, why, reference, why)
    except TransitionNotAllowed:
        why = _not_allowed_why(given.action, service_request, state_before)
        return Outcome(
            service_request.pk, NOT_ALLOWED, _("not allowed: %(why)s") % {"why": why}, reference, why
        )
    except NotPermitted:
        why = _forbidden_why(given.action, service_request, actor)
        return Outcome(
            service_request.pk, FORBIDDEN, _("not permitted: %(why)s") % {"why": why}, reference, why
        )
    except InvalidInput as error:
        # Input fine for the batch but not for this request (the person chosen works for
        # another tier; a template this request cannot fill).
        why = _invalid_why(error)
        return Outcome(
            service_request.pk, NOT_ALLOWED, _("not allowed: %(why)s") % {"why": why}, reference, why
        )
    return Outcome(service_request.pk, DONE, str(_done_word(given.action)), reference)


def _with_template(template: Any, service_request: ServiceRequest, actor: User, body: str) -> str:
    from apps.desk import replies

    return replies.fill(body, replies.render(template, service_request, actor=actor))


# --- the words ---------------------------------------------------------------------------------
def _done_word(action: str) -> str:
    words = {
        "claim": _("claimed"),
        "assign": _("assigned"),
        "escalate": _("escalated"),
        "return": _("returned"),
        "respond": _("answered"),
    }
    return words[action]


def _not_allowed_why(action: str, service_request: ServiceRequest, state: str) -> str:
    if action == "escalate" and state == State.PROVINCIAL_REVIEW:
        return _("already at the provincial tier")
    if action == "escalate" and state in REVIEW_STATES:
        return _("there is no higher tier above it")
    if action == "return" and state == State.PARK_REVIEW:
        return _("already at the park tier")
    if action == "claim" and state in REVIEW_STATES and service_request.assignee_id is not None:
        return _("already assigned")
    return _("it is %(state)s") % {"state": str(State(state).label).lower()}


def _forbidden_why(action: str, service_request: ServiceRequest, actor: User) -> str:
    if not actor.is_superuser and not rules.belongs_to_current_tier(service_request, actor):
        return _("another tier holds it")
    if action == "assign":
        return _("only supervisors assign requests")
    return _("you may not do this to it")


def _invalid_why(error: InvalidInput) -> str:
    if "assignee" in error.fields:
        return _("the person chosen does not work for the tier that holds it")
    if "template" in error.fields:
        return _("the reply template cannot be used")
    return error.message


def _summary_part(action: str, status: str, why: str, count: int) -> str:
    values = {"count": count, "why": why}
    if status == DONE:
        words = {
            "claim": ngettext("%(count)d claimed", "%(count)d claimed", count),
            "assign": ngettext("%(count)d assigned", "%(count)d assigned", count),
            "escalate": ngettext("%(count)d escalated", "%(count)d escalated", count),
            "return": ngettext("%(count)d returned", "%(count)d returned", count),
            "respond": ngettext("%(count)d answered", "%(count)d answered", count),
        }
        return words[action] % values
    if status == SKIPPED:
        return ngettext("%(count)d skipped: %(why)s", "%(count)d skipped: %(why)s", count) % values
    if status == NOT_ALLOWED:
        return ngettext("%(count)d not allowed: %(why)s", "%(count)d not allowed: %(why)s", count) % values
    if status == FORBIDDEN:
        return (
            ngettext("%(count)d not permitted: %(why)s", "%(count)d not permitted: %(why)s", count) % values
        )
    return ngettext("%(count)d not found", "%(count)d not found", count) % values


def summary(action: str, outcomes: Iterable[Outcome]) -> str:
    """One line for the whole batch, by status and then by reason in the order first met:
    "12 escalated; 2 skipped: changed meanwhile; 1 not allowed: already at the provincial tier"."""
    groups: dict[tuple[str, str], int] = {}
    for outcome in outcomes:
        key = (outcome.status, outcome.why if outcome.status != DONE else "")
        groups[key] = groups.get(key, 0) + 1
    ordered = sorted(groups.items(), key=lambda item: _STATUS_ORDER.index(item[0][0]))
    parts = [_summary_part(action, status, why, count) for (status, why), count in ordered]
    return _("; ").join(parts)
