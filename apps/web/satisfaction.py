"""好差评 on the pages: the request page's Rating and Rectification cards, their forms, and the
staff homes' panel of rectifications to do.

Thin over apps/satisfaction: the forms only collect what a person typed or chose, the actions
check it and decide (who may, in which state, what is valid), and who sees what comes from
`rules` and from the request's visibility. A refusal comes back as a form error, or as the
page with what changed and the person's text kept; never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.casework.errors import ConcurrentChange, DomainError, NotPermitted, TransitionNotAllowed
from apps.casework.models import TEXT_MAX_LENGTH, ServiceRequest
from apps.deadlines.time_left import time_left
from apps.organizations.models import Role, User
from apps.satisfaction import actions, ledger, rules, selectors
from apps.satisfaction.actions import COMMENT_MAX_LENGTH
from apps.satisfaction.models import (
    UNFINISHED,
    AppealDecision,
    FollowUpMethod,
    Rating,
    Rectification,
    RectificationState,
    Score,
    Source,
)
from apps.satisfaction.texts import score_label

from .forms import LimitedCharField

PANEL_SHOWN = 10


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _text_box(
    label: Any, *, required: bool, rows: int = 3, max_length: int = TEXT_MAX_LENGTH
) -> LimitedCharField:
    # Never required on the server: the action refuses an empty text with its own words, as it
    # does over the API. `required` in the page only spares a round trip.
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        attrs["required"] = True
    return LimitedCharField(
        label=label, max_length=max_length, required=False, widget=forms.Textarea(attrs=attrs)
    )


class ScoreForm(forms.Form):
    """A score from 5 (very satisfied, 非常满意) to 1 and an optional comment: the answer's
    rating, or the rating of what was done about a bad review."""

    # A string as the form sends it: the action decides whether it is a score.
    score = forms.CharField(label=gettext_lazy("Your rating"), required=False, widget=forms.RadioSelect)
    comment = _text_box(gettext_lazy("Comment (optional)"), required=False, max_length=COMMENT_MAX_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the reader's language, built per request: "5 – Very satisfied", "5 – 非常满意".
        widget = self.fields["score"].widget
        widget.choices = [(str(score), score_label(score)) for score in Score.values]  # type: ignore[attr-defined]
        widget.attrs["required"] = True


class RectifyForm(forms.Form):
    action_taken = _text_box(gettext_lazy("What was done about the review"), required=True)
    followed_up_at = forms.CharField(
        label=gettext_lazy("When the enterprise was followed up"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "required": True}),
    )
    follow_up_method = forms.CharField(
        label=gettext_lazy("Followed up by"), required=False, widget=forms.Select(attrs={"required": True})
    )
    follow_up_notes = _text_box(gettext_lazy("What the enterprise said"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.fields["follow_up_method"].widget
        method.choices = [("", _("Choose…")), *FollowUpMethod.choices]  # type: ignore[attr-defined]
        # A follow-up is recorded once it happened: the picker stops at now (the action checks).
        now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["followed_up_at"].widget.attrs["max"] = now


class AppealForm(forms.Form):
    reason = _text_box(
        gettext_lazy("Why the review is malicious or mistaken"),
        required=True,
    )


class DecideForm(forms.Form):
    decision = forms.CharField(label=gettext_lazy("Decision"), required=False, widget=forms.RadioSelect)
    reason = _text_box(gettext_lazy("Reason for the decision"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["decision"].widget
        widget.choices = AppealDecision.choices  # type: ignore[attr-defined]
        widget.attrs["required"] = True


# The rectification's actions from the page: the form, the action, the words once done.
RECTIFICATION_FORMS: dict[str, type[forms.Form]] = {
    "rectify": RectifyForm,
    "appeal": AppealForm,
    "decide": DecideForm,
    "rate_fix": ScoreForm,
}
_RECTIFICATION_ACTIONS: dict[str, Any] = {
    "rectify": actions.rectify,
    "appeal": actions.appeal,
    "decide": actions.decide_appeal,
    "rate_fix": actions.rate_fix,
}
# The text a refused form keeps for the person to copy, per form.
_KEPT_FIELD = {
    "rate": "comment",
    "rectify": "action_taken",
    "appeal": "reason",
    "decide": "reason",
    "rate_fix": "comment",
}


def _form(name: str, rectification_id: int | None = None, data: Any = None) -> forms.Form:
    """One of the cards' forms. The forms of several rectifications on a page keep their ids
    apart; the names they post are the same."""
    cls = ScoreForm if name == "rate" else RECTIFICATION_FORMS[name]
    auto_id = f"id_rect{rectification_id}_%s" if rectification_id else "id_%s"
    return cls(data, prefix=name, auto_id=auto_id)


def _tone(score: int | None) -> str:
    if score is None:
        return ""
    return "bad" if score <= 2 else "fair" if score == 3 else "good"


# --- the request page's cards -------------------------------------------------------------
def detail_context(
    request: HttpRequest, service_request: ServiceRequest, sent: dict[str, Any]
) -> dict[str, Any]:
    """The Rating and Rectification cards of the request page, for this user. `sent`: forms
    that came back with errors, by name ("rate", or "rectify-<id>" and the like)."""
    user = _user(request)
    return {
        "rating_card": _rating_card(user, service_request, sent),
        "rectifications": [
            _rectification_entry(user, service_request, r, sent)
            for r in selectors.request_rectifications(service_request)
        ],
        "sees_internal": not user.is_enterprise,
    }


def _rating_card(user: User, service_request: ServiceRequest, sent: dict[str, Any]) -> dict[str, Any] | None:
    current = ledger.current_rating(service_request)
    if current is None:
        return None
    rating = Rating.objects.select_related("authority", "department", "rated_by").get(pk=current.pk)
    source = rules.rating_source(service_request, user)
    may_rate = not rating.rated and source is not None and service_request.state in rules.RATED_STATES
    return {
        "rating": rating,
        "unit": (rating.department or rating.authority).display_name,
        "label": score_label(rating.score) if rating.score else "",
        "tone": _tone(rating.score),
        "sees_rater": rules.sees_rater(service_request, user),
        "by_default": rating.source == Source.DEFAULT,
        "by_liaison": rating.source == Source.LIAISON,
        "form": (sent.get("rate") or _form("rate")) if may_rate else None,
        "for_the_enterprise": source == Source.LIAISON,
    }


def _rectification_entry(
    user: User, service_request: ServiceRequest, rectification: Rectification, sent: dict[str, Any]
) -> dict[str, Any]:
    state = rectification.state
    offered: list[str] = []
    if state == RectificationState.OPEN and rules.owns(rectification, user):
        offered += ["rectify", "appeal"]
    if state == RectificationState.APPEALED and rules.may_decide_appeal(rectification, user):
        offered.append("decide")
    if (
        state == RectificationState.RECTIFIED
        and rectification.fix_score is None
        and rules.rating_source(service_request, user) is not None
    ):
        offered.append("rate_fix")
    key = f"-{rectification.pk}"
    return {
        "r": rectification,
        "owner": (rectification.department or rectification.authority).display_name,
        "review": score_label(rectification.rating.score) if rectification.rating.score else "",
        "comment": rectification.rating.comment,
        "time_left": time_left(rectification.due_at) if state in UNFINISHED else None,
        "fix_label": score_label(rectification.fix_score) if rectification.fix_score else "",
        "fix_tone": _tone(rectification.fix_score),
        "sees_rater": rules.sees_rater(service_request, user),
        "forms": {name: sent.get(name + key) or _form(name, rectification.pk) for name in offered},
        # The form that came back refused stays open.
        "open_form": sent.get("open", "") if f"{sent.get('open', '')}{key}" in sent else "",
    }


def _detail(
    request: HttpRequest, service_request: ServiceRequest, sent: dict[str, Any], status: int, **extra: Any
) -> HttpResponse:
    from . import views

    context = views._detail_context(request, service_request, satisfaction=sent)
    context.update(extra)
    return render(request, "web/request_detail.html", context, status=status)


def _refused(
    request: HttpRequest, pk: int, name: str, key: str, form: forms.Form, error: DomainError
) -> HttpResponse:
    """A form sent on a page that is out of date (rated, rectified or decided meanwhile): the
    page as it is now, with what happened and the person's text kept, in its form if the form
    is still offered."""
    from . import views

    service_request = views._visible(request, pk)
    probe = detail_context(request, service_request, {})
    shown = (name == "rate" and bool(probe["rating_card"] and probe["rating_card"]["form"])) or any(
        name in entry["forms"] and f"{name}-{entry['r'].pk}" == key for entry in probe["rectifications"]
    )
    field = _KEPT_FIELD.get(name, "")
    text = form.cleaned_data.get(field, "") if hasattr(form, "cleaned_data") else ""
    kept = _("Your text is kept below: check what changed, then send it again if it still applies.")
    conflict = {"message": f"{error.message} {kept}" if text else error.message, "text": text, "shown": shown}
    return _detail(
        request, service_request, {key: form, "open": name} if shown else {}, 409, conflict=conflict
    )


def _act(
    request: HttpRequest, pk: int, name: str, key: str, form: forms.Form, do: Any, done: Any, anchor: str
) -> HttpResponse:
    """Send a valid form to its action; the page again with the errors, or on with a message."""
    from . import views

    service_request = views._visible(request, pk)
    back = redirect(reverse("request-detail", kwargs={"pk": pk}) + anchor)
    if form.is_valid():
        try:
            result = do(form.cleaned_data)
        except NotPermitted as error:
            messages.error(request, error.message)
            return back
        except (TransitionNotAllowed, ConcurrentChange) as error:
            return _refused(request, pk, name, key, form, error)
        except DomainError as error:
            views._form_errors(form, error)
        else:
            messages.success(request, done(result))
            return back
    return _detail(request, service_request, {key: form, "open": name}, 400)


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The enterprise rates the answer (or its liaison records the rating it gave)."""
    from . import views

    service_request = views._visible(request, pk)
    user = _user(request)
    form = _form("rate", data=request.POST)

    def do(data: dict[str, Any]) -> Rating:
        return actions.rate(service_request, actor=user, score=data["score"], comment=data["comment"])

    def done(rating: Rating) -> str:
        said = _("Rating recorded: %(score)s.") % {"score": score_label(rating.score or 5)}
        if rating.is_bad_review:
            unit = Rating.objects.select_related("authority", "department").get(pk=rating.pk)
            said += " " + _("%(unit)s is asked to rectify it and to follow up with the enterprise.") % {
                "unit": (unit.department or unit.authority).display_name
            }
        return said

    return _act(request, pk, "rate", "rate", form, do, done, "#rate")


_DONE: dict[str, Any] = {
    "rectify": gettext_lazy("Rectification recorded: the enterprise is told and may rate it."),
    "appeal": gettext_lazy("Appeal sent: a supervisor of your organisation decides."),
    "upheld": gettext_lazy("Review upheld: the rectification goes on, with its deadline."),
    "set_aside": gettext_lazy("Review set aside: the figures leave it out."),
    "rate_fix": gettext_lazy("Thank you: your rating of the rectification is recorded."),
}


@login_required
@require_POST
def rectification_act(request: HttpRequest, pk: int, rectification_id: int, name: str) -> HttpResponse:
    """Rectify, appeal, decide the appeal or rate the fix, from the request page."""
    from . import views

    service_request = views._visible(request, pk)
    if name not in RECTIFICATION_FORMS:
        raise Http404
    rectification = selectors.request_rectifications(service_request).filter(pk=rectification_id).first()
    if rectification is None:
        raise Http404(_("No such rectification."))
    user = _user(request)
    form = _form(name, rectification.pk, request.POST)
    act = _RECTIFICATION_ACTIONS[name]

    def do(data: dict[str, Any]) -> Rectification:
        return act(rectification, actor=user, **data)  # type: ignore[no-any-return]

    def done(result: Rectification) -> str:
        return str(_DONE[result.decision if name == "decide" else name])

    return _act(request, pk, name, f"{name}-{rectification.pk}", form, do, done, "#rectification")


# --- the homes ------------------------------------------------------------------------------
def home_panel(user: User) -> dict[str, Any]:
    """The staff home's "Rectifications" panel: what the user's organisation owns and has still
    to rectify or decide, the nearest deadline first. Empty for enterprise staff and admins."""
    if user.is_superuser or user.role not in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR):
        return {"rectifications_due": [], "rectifications_due_count": 0}
    found = selectors.work_list(user).filter(state__in=UNFINISHED).order_by("due_at", "id")
    shown = list(found[:PANEL_SHOWN])
    for rectification in shown:
        rectification.time_left = time_left(rectification.due_at)  # type: ignore[attr-defined]
        rectification.owner = (rectification.department or rectification.authority).display_name  # type: ignore[attr-defined]
    return {
        "rectifications_due": shown,
        "rectifications_due_count": found.count() if len(shown) == PANEL_SHOWN else len(shown),
    }


def awaiting_rating(requests: Any) -> list[Rating]:
    """Of these requests (the enterprise's own, a queryset), the latest answers still waiting
    for their rating, the soonest to default first: their cards say "Rate the answer"."""
    return list(
        Rating.objects.filter(
            request__in=requests,
            score__isnull=True,
            reopened_at__isnull=True,
            request__state__in=rules.RATED_STATES,
        )
        .select_related("request")
        .order_by("default_at", "id")[:20]
    )
