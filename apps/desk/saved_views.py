"""Saved views of a queue: a name for the queue's filters and order, shown as a tab on the
person's home.

A view is one of three kinds, listed in this order by `views_for`:

1. **Built-in** views of the person's role ("My work", "Unassigned", "Overdue", "Green channel"
   for an officer; the park's own for a liaison; the district's for a supervisor). They are code,
   not rows: a row would be written once per user (or seeded and migrated with every change of
   the filters), could go stale when a filter changes, and would carry its name in one language.
   Defined here, they are named in the reader's language, checked against the filterset by the
   tests, offered to every user of the role from the first sign-in, and cannot be deleted.
   Their `key` is a word (`mine`); their `id` is None.
2. The person's **own** views and
3. views **shared** by a supervisor with everyone in their organisation, together oldest first
   (rows of `SavedView`; `key` is the row's id).

A view stores the queue's query string, normalised: only the filterset's parameters
(`apps.casework.filters.RequestFilter`, the same for the API and the pages), no empty value, no
page, in the filterset's order. It is checked with the filterset when saved (refused with a
message per filter) and again each time it is opened: filters change, saved views stay, so a view
whose filters no longer validate opens with a note and the queue unfiltered (`problems`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.casework.errors import InvalidInput, NotPermitted, NotVisible
from apps.casework.filters import RequestFilter
from apps.casework.models import ServiceRequest, State
from apps.organizations.models import Role, User

from .models import NAME_MAX_LENGTH, SavedView

MAX_VIEWS_PER_USER = 50
QUERY_MAX_LENGTH = 2000
# The parameters a view keeps, in the filterset's order (so that equal filters read alike).
FILTER_NAMES: tuple[str, ...] = tuple(RequestFilter.base_filters)
# The state control of a page: no value means the page's open states, `all` every state.
ALL_STATES = "all"
# Whose homes have a queue, and so views of it.
QUEUE_ROLES = frozenset({Role.LIAISON, Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class _Builtin:
    key: str
    name: str | Promise
    query: str


_MY_WORK = _Builtin("mine", gettext_lazy("My work"), "assignee=me")
_UNASSIGNED = _Builtin("unassigned", gettext_lazy("Unassigned"), "assignee=none")
# `due=overdue` rather than its twin `overdue=true`: the queue's Deadline control shows it, so the
# open tab's filters stay in the controls (and in the next redraw) when another one is changed.
_OVERDUE = _Builtin("overdue", gettext_lazy("Overdue"), "due=overdue")
_GREEN = _Builtin("green", gettext_lazy("Green channel"), "green_channel=true")

BUILTINS: dict[str, tuple[_Builtin, ...]] = {
    Role.OFFICER: (_MY_WORK, _UNASSIGNED, _OVERDUE, _GREEN),
    # The park's queue: what waits on the park (as the counts above the queue say), what is late
    # there, what waits on the enterprises, and the green channel.
    Role.LIAISON: (
        _Builtin("park", gettext_lazy("Waiting on the park"), f"state={State.PARK_REVIEW}"),
        _Builtin("park-overdue", gettext_lazy("Overdue"), f"state={State.PARK_REVIEW}&due=overdue"),
        _Builtin("info", gettext_lazy("Information requested"), f"state={State.INFO_REQUESTED}"),
        _GREEN,
    ),
    Role.SUPERVISOR: (_OVERDUE, _UNASSIGNED, _GREEN),
    Role.ADMIN: (_OVERDUE, _UNASSIGNED, _GREEN),
}


@dataclass(frozen=True)
class View:
    """A view as a person sees it: built in or saved, with where it opens."""

    key: str
    name: str
    query: str
    builtin: bool
    shared: bool = False
    row: SavedView | None = None

    @property
    def id(self) -> int | None:
        return self.row.pk if self.row is not None else None

    @property
    def owner_name(self) -> str | None:
        return self.row.owner.display_name if self.row is not None else None

    @property
    def url(self) -> str:
        """The home page opened on this view."""
        return f"{reverse('home')}?view={self.key}"

    @property
    def api_url(self) -> str:
        """The same filters over the API (which lists every state unless told: no open-states
        default as a page has)."""
        params = QueryDict(self.query, mutable=True)
        if params.get("state") == ALL_STATES:
            params.pop("state")
        encoded = params.urlencode()
        return reverse("api:request-list") + (f"?{encoded}" if encoded else "")


def view_of(row: SavedView) -> View:
    return View(key=str(row.pk), name=row.name, query=row.query, builtin=False, shared=row.shared, row=row)


def builtins_for(user: User) -> list[View]:
    return [
        View(key=b.key, name=str(b.name), query=b.query, builtin=True)
        for b in BUILTINS.get(user.effective_role, ())
    ]


def _rows_for(user: User) -> QuerySet[SavedView]:
    seen = Q(owner=user)
    if user.organization_id is not None:
        seen |= Q(shared=True, organization_id=user.organization_id)
    return SavedView.objects.filter(seen).select_related("owner").order_by("created_at", "id")


def views_for(user: User) -> list[View]:
    """The built-in views of the person's role, then their own and their organisation's shared
    views, oldest first: one query."""
    return [*builtins_for(user), *(view_of(row) for row in _rows_for(user))]


def may_delete(user: User, view: View) -> bool:
    """A person deletes their own views; a supervisor also the shared views of their
    organisation. Built-in views are never deleted."""
    row = view.row
    if row is None:
        return False
    if row.owner_id == user.pk:
        return True
    return (
        row.shared and user.effective_role == Role.SUPERVISOR and row.organization_id == user.organization_id
    )


def visible_view(user: User, pk: object) -> View:
    """A saved view the person may see (their own, or shared in their organisation); any other,
    like an id that does not exist, is NotVisible."""
    try:
        row = _rows_for(user).get(pk=int(str(pk)))
    except (SavedView.DoesNotExist, ValueError):
        raise NotVisible(_("No such saved view.")) from None
    return view_of(row)


# --- the query of a view ------------------------------------------------------------------------
def _as_params(query: str | QueryDict) -> QueryDict:
    return QueryDict(query) if isinstance(query, str) else query


def normalise(query: str | QueryDict) -> str:
    """The query string as a view keeps it: the filterset's parameters only, in its order, each
    value once, no empty value; `state=all` alone stands for every state."""
    given = _as_params(query)
    kept = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        values = list(dict.fromkeys(value for value in given.getlist(name) if value))
        if name == "state" and ALL_STATES in values:
            values = [ALL_STATES]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def problems(query: str | QueryDict) -> list[str]:
    """What in a query the queue's filters refuse, one message per filter, named in the reader's
    language (empty: the query applies as it stands). A parameter the filters no longer know is a
    problem too: the view no longer shows what it was saved to show."""
    given = _as_params(query)
    found = [
        _("%(name)s: no such filter.") % {"name": name}
        for name in given
        if name not in FILTER_NAMES and name not in ("page", "view")
    ]
    params = QueryDict(normalise(given), mutable=True)
    if params.get("state") == ALL_STATES:
        params.pop("state")
    filterset = RequestFilter(params, queryset=ServiceRequest.objects.none())
    if not filterset.is_valid():
        fields = filterset.form.fields
        for name, errors in filterset.errors.items():
            label = (fields[name].label if name in fields else None) or name
            found.append(_("%(filter)s: %(problem)s") % {"filter": label, "problem": " ".join(errors)})
    return found


# --- saving and deleting ------------------------------------------------------------------------
def save_view(user: User, *, name: str, query: str | QueryDict, shared: bool = False) -> SavedView:
    """Save the queue's filters under a name. Refused with a message per field: no name, a name
    too long or already one of the person's views, filters the queue refuses, too many views;
    NotPermitted when the person has no queue, or shares without being a supervisor."""
    if user.effective_role not in QUEUE_ROLES:
        raise NotPermitted(_("Saved views are for the queues of park and government staff."))
    if shared and user.effective_role != Role.SUPERVISOR:
        message = _("Only a supervisor may share a view with the organisation.")
        raise NotPermitted(message, fields={"shared": [message]})
    if user.organization_id is None:
        raise InvalidInput(_("Saved views belong to an organisation, and you have none."))
    name = (name or "").strip()
    fields: dict[str, list[str]] = {}
    if not name:
        fields["name"] = [_("Give the view a name.")]
    elif len(name) > NAME_MAX_LENGTH:
        fields["name"] = [_("At most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}]
    elif SavedView.objects.filter(owner=user, name__iexact=name).exists():
        fields["name"] = [_("You already have a view named “%(name)s”.") % {"name": name}]
    normalised = normalise(query)
    if len(normalised) > QUERY_MAX_LENGTH:
        fields["query"] = [_("At most %(limit)d characters.") % {"limit": QUERY_MAX_LENGTH}]
    else:
        refused = problems(normalised)
        if refused:
            fields["query"] = refused
    if fields:
        raise InvalidInput(_("The view was not saved."), fields=fields)
    if SavedView.objects.filter(owner=user).count() >= MAX_VIEWS_PER_USER:
        raise InvalidInput(
            _("You have %(limit)d saved views, the most one person keeps: delete one first.")
            % {"limit": MAX_VIEWS_PER_USER}
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=user, organization_id=user.organization_id, name=name, query=normalised, shared=shared
            )
    except IntegrityError:  # the same name saved at the same moment
        message = _("You already have a view named “%(name)s”.") % {"name": name}
        raise InvalidInput(_("The view was not saved."), fields={"name": [message]}) from None


def delete_view(user: User, pk: object) -> None:
    """Delete a saved view: NotVisible when the person may not see it (as for an id that does
    not exist), NotPermitted when they see it but it is not theirs to delete."""
    view = visible_view(user, pk)
    if not may_delete(user, view):
        raise NotPermitted(_("Only its owner or a supervisor of the organisation may delete this view."))
    assert view.row is not None
    view.row.delete()


# --- opening a view -----------------------------------------------------------------------------
@dataclass
class Opened:
    """What a queue page shows of the views: the tabs, the one open, the filters to apply, and
    a note when the view asked for no longer applies."""

    views: list[View]
    params: QueryDict  # the queue's filters: the view's, or the page's own
    active: str | None  # the key of the open tab ("" for the page's default queue)
    note: str = ""

    def deletable(self, user: User) -> set[str]:
        return {view.key for view in self.views if may_delete(user, view)}


def open_view(user: User, given: QueryDict) -> Opened:
    """The queue's filters for a page asked with `given` (its GET): `?view=<key>` opens a view,
    anything else is the page's own filters. A view that no longer exists or whose filters no
    longer validate opens the default queue with a note, never an error."""
    views = views_for(user) if user.effective_role in QUEUE_ROLES else []
    key = given.get("view", "")
    params = given.copy()
    params.pop("view", None)
    note = ""
    if key:
        chosen = next((view for view in views if view.key == key), None)
        if chosen is None:
            note = _("This saved view no longer exists: the queue is shown without its filters.")
        else:
            refused = problems(chosen.query)
            if refused:
                note = _(
                    "This view's filters no longer apply: %(problems)s The queue is shown without them."
                ) % {"problems": " ".join(refused)}
            else:
                return Opened(views, QueryDict(chosen.query), chosen.key)
        params = QueryDict(mutable=True)
    return Opened(views, params, _matching(views, params), note)


def _matching(views: Iterable[View], params: QueryDict) -> str | None:
    """The tab whose filters the page shows ("" for none at all), if any."""
    current = normalise(params)
    if not current:
        return ""
    return next((view.key for view in views if normalise(view.query) == current), None)
