"""Pages: thin views over the same selectors and actions as the API. A refused action is a
message in the page, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.casework import actions, queues, selectors, uploads
from apps.casework.errors import ConcurrentChange, DomainError, NotPermitted, NotVisible, TransitionNotAllowed
from apps.casework.filters import RequestFilter
from apps.casework.models import (
    OPEN_STATES,
    REVIEW_STATE_OF_TIER,
    REVIEW_STATES,
    Category,
    EventKind,
    RequestEvent,
    ServiceRequest,
    State,
)
from apps.deadlines import calendar
from apps.deadlines.models import TierVisit
from apps.desk import replies, watching
from apps.guidance import selectors as guidance
from apps.notifications import services as notifications
from apps.notifications.models import Notification
from apps.organizations.models import TIER_ORDER, KeyProject, Organization, OrgKind, Role, Tier, User
from apps.organizations.selectors import visible_key_projects
from apps.stats import figures

from . import assist as assist_page
from . import bulk as bulk_page
from . import figures as figures_page
from . import flash, forms, reply_templates
from . import meetings as meetings_page
from . import satisfaction as satisfaction_page
from . import saved_views as desk_views

PAGE_SIZE = 25


def index(request: HttpRequest) -> HttpResponse:
    return redirect("home" if request.user.is_authenticated else "login")


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view below is behind login_required)."""
    return request.user  # type: ignore[return-value]


def _visible(request: HttpRequest, pk: Any) -> ServiceRequest:
    try:
        return selectors.get_visible_request(_user(request), pk)
    except NotVisible:
        raise Http404(_("No such request.")) from None


def _queue(
    request: HttpRequest, *, default_states: list[str] | None = None, given: QueryDict | None = None
) -> dict[str, Any]:
    """A filtered, paged queue in work order; the filters are the API's. An empty control
    ("All", "Any") means no filter; the state control's empty choice means the open states.
    `given`: the filters to apply, when not the page's own (a saved view's)."""
    given = request.GET if given is None else given
    queryset = selectors.request_list(_user(request))
    params = given.copy()
    state = params.get("state", "")
    shown_states = default_states or OPEN_STATES
    if state == "all" or not state:
        params.pop("state", None)
    if not state:
        queryset = queryset.filter(state__in=shown_states)
    filterset = RequestFilter(params, queryset=queryset, request=request)
    listing = filterset.listing() if filterset.is_valid() else queues.NewestFirst(queryset.none())
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    query = QueryDict(mutable=True)
    for key, values in given.lists():
        kept = [value for value in values if value]
        if key != "page" and kept:
            query.setlist(key, kept)
    # The CSV holds what the page shows: the open states when the state control says "Open".
    export = query.copy()
    if not state:
        export.setlist("state", list(shown_states))
    elif state == "all":
        export.pop("state", None)
    return {
        "page": page,
        "may_claim": _user(request).role in (Role.OFFICER, Role.LIAISON),
        # An officer's deadline is their tier's: a row now at another tier shows where it is.
        "own_tier": _officer_tier(_user(request)),
        "open_label": "",
        "filters": filterset,
        "filter_errors": [
            (filterset.form.fields[name].label or name if name in filterset.form.fields else "", errors)
            for name, errors in filterset.errors.items()
        ],
        "query": query.urlencode(),
        "export_query": export.urlencode(),
        "state_filter": state,
        "search_text": given.get("search", ""),
        # The bulk bar above the table: its choices, and the lines of the last bulk action.
        **bulk_page.queue_context(request),
    }


def _rows(query: Any) -> list[dict[str, Any]]:
    """Grouped rows as plain dicts (the type stubs cannot follow annotate on values)."""
    return list(query)


def _partial_or_page(request: HttpRequest, page: str, context: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue":
        return render(request, "web/_queue_table.html", context)
    return render(request, page, context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    role = user.effective_role
    if role == Role.AUDITOR:
        return redirect("audit-trail")
    if role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
        return redirect("admin:index")
    if role == Role.ENTERPRISE:
        return enterprise_home(request)
    if role == Role.LIAISON:
        return liaison_home(request)
    if role == Role.SUPERVISOR:
        return supervisor_home(request)
    return officer_home(request)


def enterprise_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    mine = selectors.request_list(user).order_by("-updated_at", "-id")
    open_requests = list(mine.filter(state__in=OPEN_STATES)[:50])
    asks = _latest_asks([r.pk for r in open_requests if r.state == State.INFO_REQUESTED])
    for service_request in open_requests:
        service_request.tracker_steps = _tracker(service_request)  # type: ignore[attr-defined]
        ask = asks.get(service_request.pk)
        if ask is not None and "provide_info" in selectors.available_transitions(service_request, user):
            # Waiting on them: what was asked, and the reply box right on the card.
            service_request.ask = ask  # type: ignore[attr-defined]
            service_request.reply_form = forms.TransitionForm(  # type: ignore[attr-defined]
                "provide_info", prefix="provide_info", auto_id=f"id_card{service_request.pk}_%s"
            )
    # The requests that wait on the enterprise come first.
    open_requests.sort(key=lambda r: not hasattr(r, "ask"))
    # Answered and waiting for the enterprise's rating: a card each, "Rate the answer".
    to_rate = satisfaction_page.awaiting_rating(mine.values("pk"))
    waiting_rating = {rating.request_id for rating in to_rate}
    finished = [r for r in mine.exclude(state__in=OPEN_STATES)[:20] if r.pk not in waiting_rating]
    return render(
        request,
        "web/home_enterprise.html",
        {"open_requests": open_requests, "finished": finished, "to_rate": to_rate},
    )


def _latest_asks(request_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per request waiting on the enterprise, the tier's latest question: what it asked (the
    public text the tier wrote, never a note) and which tier. One query however many."""
    if not request_ids:
        return {}
    latest = (
        RequestEvent.objects.filter(request_id__in=request_ids, kind=EventKind.INFO_REQUESTED, internal=False)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("request_id")], order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(rank=1)
        .values("request_id", "text", "tier", "created_at")
    )
    return {
        row["request_id"]: {
            "text": row["text"],
            "tier": Tier(row["tier"]).label.lower() if row["tier"] in Tier.values else "",
            "at": row["created_at"],
        }
        for row in latest
    }


def liaison_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    views = desk_views.opened(request)
    context = _queue(
        request, default_states=[State.DRAFT, *REVIEW_STATES, State.INFO_REQUESTED], given=views.params
    )
    context.update(desk_views.context(request, views))
    # Three counts, each one range of the park's state or waiting index.
    visible = selectors.visible_requests(user)
    park_review = visible.filter(state=State.PARK_REVIEW)
    context.update(
        counts={
            "waiting": park_review.count(),
            "overdue": park_review.filter(queues.overdue(timezone.now())).count(),
            "info": visible.filter(state=State.INFO_REQUESTED, tier=Tier.PARK).count(),
        },
        enterprises=Organization.objects.filter(
            parent_id=user.organization_id, kind=OrgKind.ENTERPRISE
        ).order_by("name"),
        key_projects=KeyProject.objects.filter(park_id=user.organization_id).select_related("enterprise"),
        **satisfaction_page.home_panel(user),
    )
    return _partial_or_page(request, "web/home_liaison.html", context)


def _officer_tier(user: User) -> str | None:
    if user.role != Role.OFFICER or user.organization is None:
        return None
    return user.organization.tier


MOVED_ON_SHOWN = 25


def officer_home(request: HttpRequest) -> HttpResponse:
    """The requests waiting at the officer's tier (their deadline), and apart from them those
    the tier passed up or sent back down, which now wait on another tier."""
    user = _user(request)
    tier = _officer_tier(user)
    views = desk_views.opened(request)
    if tier is None:
        context = _queue(request, default_states=REVIEW_STATES, given=views.params)
        context.update(moved_on=[], moved_on_count=0, **desk_views.context(request, views))
        return _partial_or_page(request, "web/home_officer.html", context)
    here = REVIEW_STATE_OF_TIER[tier]
    context = _queue(request, default_states=[here], given=views.params)
    context.update(desk_views.context(request, views))
    # One range per state of the scope's state index, newest first.
    moved_on = queues.NewestFirst(
        selectors.request_list(user).filter(state__in=[state for state in REVIEW_STATES if state != here])
    )
    context.update(
        open_label=_("Waiting at your tier"),
        moved_on=moved_on[:MOVED_ON_SHOWN],
        moved_on_count=moved_on.count(),
        **satisfaction_page.home_panel(user),
    )
    return _partial_or_page(request, "web/home_officer.html", context)


def supervisor_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    views = desk_views.opened(request)
    context = _queue(request, default_states=REVIEW_STATES, given=views.params)
    context.update(desk_views.context(request, views))
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue":
        return _partial_or_page(request, "web/home_supervisor.html", context)  # the queue alone
    by_unit = figures.open_by_unit(user)
    context.update(by_unit=by_unit, **figures_page.supervisor_context(user, request.GET))
    context.update(satisfaction_page.home_panel(user))
    return _partial_or_page(request, "web/home_supervisor.html", context)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    context = _queue(request)
    return _partial_or_page(request, "web/request_list.html", context)


@login_required
def new_request(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role not in (Role.ENTERPRISE, Role.LIAISON):
        raise PermissionDenied(_("Only enterprise staff and park liaisons file requests."))
    form = forms.NewRequestForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = actions.create_request(
                actor=user,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                product_type=data["product_type"],
                enterprise=data.get("enterprise"),
                key_project=data.get("key_project"),
                submit=data["submit_now"],
                files=data["file"],
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Request %(reference)s filed.") % {"reference": created.reference})
            return redirect("request-detail", pk=created.pk)
    chosen = form.data if form.is_bound else form.initial
    related = guidance.related(chosen.get("category") or Category.values[0], chosen.get("product_type"))
    return render(request, "web/request_new.html", {"form": form, "guidance": related})


def _form_errors(form: Any, error: DomainError) -> None:
    if error.fields:
        for field, problems in error.fields.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    else:
        form.add_error(None, error.message)


def _tracker(service_request: ServiceRequest) -> list[dict[str, Any]]:
    """The tier tracker: each tier passed, the current one with its deadline, those above it
    that sent it back ("returned") and those it has not reached."""
    steps = []
    current = TIER_ORDER.index(service_request.tier)
    finished = service_request.state in (State.RESOLVED, State.CLOSED, State.WITHDRAWN)
    for index, tier in enumerate(TIER_ORDER):
        if service_request.authority_id_of(tier) is None:
            continue
        if service_request.state == State.DRAFT:
            status = "upcoming"
        elif index == current:
            status = "done" if finished else "current"
        elif index < current:
            status = "done"
        elif index <= service_request.reached_level:
            # Reached once and now above the request: it came back down, so it returned it.
            status = "returned"
        else:
            status = "upcoming"
        steps.append({"tier": tier, "label": Tier(tier).label, "status": status})
    return steps


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = _visible(request, pk)
    return render(request, "web/request_detail.html", _detail_context(request, service_request))


def _detail_context(
    request: HttpRequest, service_request: ServiceRequest, **forms_in_error: Any
) -> dict[str, Any]:
    user = _user(request)
    available = selectors.available_transitions(service_request, user)
    transition_forms = [
        forms_in_error.get(name) or forms.TransitionForm(name, prefix=name)
        for name in available
        if name in forms.TRANSITION_TEXT
    ]
    assign_form = None
    if "assign" in available:
        assign_form = forms_in_error.get("assign") or forms.AssignForm(
            candidates=selectors.assign_candidates(service_request), prefix="assign"
        )
    pickers = reply_templates.pickers(
        request, service_request, available, **forms_in_error.get("pickers", {})
    )
    return {
        "r": service_request,
        "reply_pickers": pickers,
        "reply_templates_url": reply_templates.api_url(service_request) if pickers else "",
        "tracker": _tracker(service_request),
        "timeline": selectors.timeline(user, service_request),
        "messages_list": selectors.messages(user, service_request),
        "attachments": selectors.attachments(user, service_request),
        "visits": TierVisit.objects.filter(request=service_request)
        .select_related("authority", "department")
        .order_by("started_at"),
        "transition_forms": transition_forms,
        "labels": forms.TRANSITION_LABELS,
        "assign_form": assign_form,
        "green_form": forms_in_error.get("green_channel")
        or (
            forms.GreenChannelForm(
                prefix="green",
                initial={"green_channel": "false" if service_request.green_channel else "true"},
            )
            if "green_channel" in available
            else None
        ),
        "message_form": forms_in_error.get("message") or forms.MessageForm(prefix="message"),
        "attachment_form": forms_in_error.get("attachment") or forms.AttachmentForm(prefix="attachment"),
        "may_write_internal": not user.is_enterprise,
        "watching": watching.is_watching(user, service_request),
        **assist_page.request_context(user, service_request),
        "returned": _returned_notice(user, service_request),
        "finished": service_request.state in (State.CLOSED, State.WITHDRAWN),
        "may_file_new": user.role in (Role.ENTERPRISE, Role.LIAISON),
        "reopen_until": (
            service_request.resolved_at + timedelta(days=calendar.policy().reopen_within_days)
            if "reopen" in available and service_request.resolved_at
            else None
        ),
        # The Rating and Rectification cards, with any of their forms that came back refused.
        **satisfaction_page.detail_context(request, service_request, forms_in_error.get("satisfaction", {})),
        # The Meetings card, with any of its forms that came back refused.
        **meetings_page.detail_context(request, service_request, forms_in_error.get("meetings", {})),
    }


_TIER_OF_REVIEW_STATE = {state: tier for tier, state in REVIEW_STATE_OF_TIER.items()}


def _returned_notice(user: User, service_request: ServiceRequest) -> dict[str, str] | None:
    """While a request the tier above sent back waits at the lower tier: who returned it and why."""
    if service_request.state not in (*REVIEW_STATES, State.INFO_REQUESTED):
        return None
    last_move = (
        selectors.timeline(user, service_request)
        .filter(kind__in=[EventKind.ESCALATED, EventKind.RETURNED])
        .order_by("-created_at", "-id")
        .first()
    )
    if last_move is None or last_move.kind != EventKind.RETURNED:
        return None
    tier = _TIER_OF_REVIEW_STATE.get(last_move.from_state)
    authority_id = service_request.authority_id_of(tier) if tier else None
    authority = Organization.objects.filter(pk=authority_id).first() if authority_id else None
    by = authority.display_name if authority else str(Tier(tier).label) if tier else ""
    return {"by": by, "reason": last_move.text}


# The changes that write a request (and so make a page's version stale), as "who did what".
_CHANGES: dict[str, Any] = {
    EventKind.SUBMITTED: gettext_lazy("submitted it"),
    EventKind.RESPONDED: gettext_lazy("replied to it"),
    EventKind.INFO_REQUESTED: gettext_lazy("asked the enterprise for more information"),
    EventKind.INFO_PROVIDED: gettext_lazy("provided the information asked for"),
    EventKind.ESCALATED: gettext_lazy("escalated it to the %(tier)s tier"),
    EventKind.RETURNED: gettext_lazy("returned it to the %(tier)s tier"),
    EventKind.RESOLVED: gettext_lazy("resolved it"),
    EventKind.REOPENED: gettext_lazy("reopened it"),
    EventKind.CLOSED: gettext_lazy("closed it"),
    EventKind.WITHDRAWN: gettext_lazy("withdrew it"),
    EventKind.ASSIGNED: gettext_lazy("assigned it to %(person)s"),
    EventKind.CLAIMED: gettext_lazy("claimed it"),
    EventKind.GREEN_CHANNEL: gettext_lazy("changed its green channel"),
}


def _what_changed(user: User, service_request: ServiceRequest) -> str:
    """The sentence a refused, stale form comes back with: the latest change the user may see."""
    event: RequestEvent | None = (
        selectors.timeline(user, service_request)
        .filter(kind__in=list(_CHANGES))
        .order_by("-created_at", "-id")
        .first()
    )
    kept = _("Your text is kept below: check what changed, then send it again if it still applies.")
    if event is None:
        return _("While you were writing, someone else changed this request.") + " " + kept
    who = event.actor_name
    if event.shown_actor is not None and event.shown_actor.role:
        who = _("%(name)s (%(role)s)") % {"name": who, "role": Role(event.shown_actor.role).label.lower()}
    what = str(_CHANGES[event.kind]) % {
        "tier": Tier(event.tier).label.lower() if event.tier else "",
        "person": event.text,
    }
    return _("While you were writing, %(who)s %(what)s.") % {"who": who, "what": what} + " " + kept


def _typed_text(form: Any) -> bool:
    """Whether a valid form holds text the person wrote."""
    return any(isinstance(value, str) and value.strip() for value in form.cleaned_data.values())


def _changed_meanwhile(request: HttpRequest, pk: int, name: str, form: Any) -> HttpResponse:
    """A form sent on a version of the request that is no longer current: the page as it is now,
    with what changed and the person's text kept (in its form if it can still be sent)."""
    service_request = _visible(request, pk)
    user = _user(request)
    context = _detail_context(request, service_request, **{name: form})
    spec = forms.TRANSITION_TEXT.get(name) if name in forms.TRANSITION_TEXT else ("reason", None)
    field = spec[0] if spec else None
    shown = name in selectors.available_transitions(service_request, user)
    context.update(
        open_form=name,
        conflict={
            "message": _what_changed(user, service_request),
            "text": (form[field].value() or "") if field and field in form.fields else "",
            "shown": shown,
        },
    )
    return render(request, "web/request_detail.html", context, status=409)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Take one transition from the request page."""
    service_request = _visible(request, pk)
    user = _user(request)
    if name == "assign":
        form: Any = forms.AssignForm(
            request.POST, candidates=selectors.assign_candidates(service_request), prefix="assign"
        )
    elif name == "green_channel":
        form = forms.GreenChannelForm(request.POST, prefix="green")
    elif name in forms.TRANSITION_TEXT:
        form = forms.TransitionForm(name, request.POST, request.FILES, prefix=name)
    else:
        raise Http404
    if name in replies.TEMPLATED_TRANSITIONS and "use_template" in request.POST:
        return _insert_template(request, service_request, name, form)
    # A quick action from a queue goes back to that queue.
    back_to = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}):
        back_to = ""
    done_or_refused = redirect(back_to) if back_to else redirect("request-detail", pk=pk)
    posted_version = request.POST.get("version", "")
    if form.is_valid():
        try:
            # The page's version: if someone acted since it was shown, the action is refused.
            actions.expect_version(service_request, int(posted_version) if posted_version.isdigit() else None)
            if name == "green_channel":
                done = actions.set_green_channel(service_request, actor=user, **form.cleaned_data)
            else:
                done = actions.TRANSITIONS[name](service_request, actor=user, **form.cleaned_data)
        except ConcurrentChange as error:
            # A quick action goes back where it came from; typed text (the reply on the
            # enterprise's home card) is never thrown away.
            if back_to and not _typed_text(form):
                messages.error(request, error.message)
                return done_or_refused
            # Back to the page as it is now, with what changed and the text the person typed.
            return _changed_meanwhile(request, pk, name, form)
        except NotPermitted as error:
            messages.error(request, error.message)
            return done_or_refused
        except DomainError as error:
            if error.fields:
                _form_errors(form, error)
            else:
                messages.error(request, error.message)
                return done_or_refused
        else:
            messages.success(request, flash.transition_done(name, done))
            return done_or_refused
    service_request = _visible(request, pk)
    context = _detail_context(request, service_request, **{name: form})
    context["open_form"] = name
    return render(request, "web/request_detail.html", context, status=400)


def _insert_template(
    request: HttpRequest, service_request: ServiceRequest, name: str, sent: Any
) -> HttpResponse:
    """The "Insert" of the reply-template picker, for browsers without script: the page again with
    the template rendered into the reply's text box, to edit before sending. Nothing is sent; a
    page that is out of date is told what changed, as a send would be."""
    posted_version = request.POST.get("version", "")
    try:
        actions.expect_version(service_request, int(posted_version) if posted_version.isdigit() else None)
    except ConcurrentChange:
        return _changed_meanwhile(request, service_request.pk, name, sent)
    form, picker, status = reply_templates.insert(request, service_request, name)
    context = _detail_context(request, service_request, **{name: form, "pickers": {name: picker}})
    context["open_form"] = name
    return render(request, "web/request_detail.html", context, status=status)


@login_required
@require_POST
def post_message(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = _visible(request, pk)
    form = forms.MessageForm(request.POST, prefix="message")
    status = 400
    if form.is_valid():
        try:
            actions.add_message(service_request, actor=_user(request), **form.cleaned_data)
        except DomainError as error:
            _form_errors(form, error)
            # A closed or withdrawn request refuses (409); anything else is a form error.
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
        else:
            messages.success(request, _("Message posted."))
            return redirect(reverse("request-detail", kwargs={"pk": pk}) + "#conversation")
    context = _detail_context(request, service_request, message=form)
    return render(request, "web/request_detail.html", context, status=status)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = _visible(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES, prefix="attachment")
    status = 400
    if form.is_valid():
        try:
            actions.add_attachment(
                service_request,
                actor=_user(request),
                upload=form.cleaned_data["file"],
                internal=form.cleaned_data["internal"],  # type: ignore[arg-type]
            )
        except DomainError as error:
            _form_errors(form, error)
            # A closed or withdrawn request refuses (409); anything else is a form error.
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
        else:
            messages.success(request, _("File attached."))
            return redirect(reverse("request-detail", kwargs={"pk": pk}) + "#files")
    context = _detail_context(request, service_request, attachment=form)
    return render(request, "web/request_detail.html", context, status=status)


@login_required
def download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    service_request = _visible(request, pk)
    try:
        attachment = selectors.get_visible_attachment(_user(request), service_request, attachment_id)
    except NotVisible:
        raise Http404 from None
    return uploads.download_response(attachment)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    found = Notification.objects.filter(recipient=_user(request)).select_related("request")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for n in page:
        level = notifications.severity(n)
        items.append(
            {
                "n": n,
                "text": notifications.render(n),
                "severity": level,
                "severity_label": notifications.SEVERITY_LABELS[level],
                "kind_label": notifications.kind_label(n.kind),
            }
        )
    return render(request, "web/notifications.html", {"page": page, "items": items})


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """The link each notification is: marks it read and goes to its request. A GET that writes,
    on purpose: a link can be opened in a new tab, and marking one's own notification read is
    all it can do (somebody else's is a 404)."""
    try:
        notification = notifications.mark_read(_user(request), notification_id)
    except NotVisible:
        raise Http404 from None
    return redirect(notifications.path(notification))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = notifications.mark_read(_user(request), notification_id)
    except NotVisible:
        raise Http404 from None
    return redirect(notifications.path(notification))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications.mark_all_read(_user(request))
    return redirect("notifications")


def _district_of_supervisor(user: User) -> Organization | None:
    """The district whose key-project register this user keeps (its supervisors)."""
    org = user.organization
    if user.role == Role.SUPERVISOR and org is not None and org.kind == OrgKind.DISTRICT:
        return org
    return None


@login_required
def key_projects(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = visible_key_projects(user)
    district = _district_of_supervisor(user)
    return render(request, "web/key_projects.html", {"projects": visible, "may_edit": district is not None})


@login_required
def key_project_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    district = _district_of_supervisor(_user(request))
    if district is None:
        raise PermissionDenied(_("Only the district's supervisors keep its key-project register."))
    project = None
    if pk is not None:
        project = KeyProject.objects.filter(pk=pk, district=district).first()
        if project is None:
            raise Http404
    form = forms.KeyProjectForm(request.POST or None, instance=project, district=district)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Key project “%(name)s” saved.") % {"name": saved.display_name})
        return redirect("key-projects")
    return render(request, "web/key_project_form.html", {"form": form, "project": project})
