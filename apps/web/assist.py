"""The offline assistant on the pages: its suggestions beside a request and beside the
new-request form as the person types, and the helpful / not helpful buttons. Thin over
apps/assist (selectors decide what is suggested and to whom, actions record the feedback)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.assist import actions, selectors
from apps.assist.models import Feedback
from apps.casework.errors import DomainError
from apps.casework.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Category, ServiceRequest
from apps.guidance import selectors as guidance
from apps.organizations.models import User


def request_context(user: User, service_request: ServiceRequest) -> dict[str, Any]:
    """The request page's suggestion cards, and the guidance of its category and product type
    that the text did not already bring up."""
    suggested = selectors.guidance_for_request(service_request)
    shown = {s.id for s in suggested}
    related = guidance.related(service_request.category, service_request.product_type)
    return {
        "suggested_guidance": suggested,
        "guidance": [g for g in related if g.pk not in shown],
        "similar": selectors.similar_to_request(user, service_request),
        "assist_request": service_request,
        "next_url": reverse("request-detail", args=[service_request.pk]),
    }


class _TextForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = forms.CharField(max_length=TEXT_MAX_LENGTH, required=False)


@login_required
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    """The new-request form's suggestions for what has been typed so far (an HTMX partial)."""
    user: User = request.user  # type: ignore[assignment]
    form = _TextForm(request.POST)
    context: dict[str, Any] = {
        "suggested_guidance": [],
        "similar": [],
        "category": None,
        "typed": False,
        # Without HTMX, the buttons' form goes back to the form, not to this partial.
        "next_url": reverse("request-new"),
    }
    if form.is_valid():
        title, description = form.cleaned_data["title"], form.cleaned_data["description"]
        if (title + description).strip():
            found = selectors.for_text(user, title, description)
            category = found.category
            context.update(
                typed=True,
                suggested_guidance=found.guidance,
                similar=found.similar,
                category=(
                    {"value": category[0], "label": Category(category[0]).label, "confidence": category[1]}
                    if category
                    else None
                ),
            )
    else:
        context["error"] = _("The text is too long for suggestions.")
    return render(request, "assist/_form_suggestions.html", context)


class _FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=Feedback.Kind.choices)
    target = forms.CharField(max_length=32)
    request = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    helpful = forms.ChoiceField(choices=[("true", "true"), ("false", "false")])
    next = forms.CharField(required=False, max_length=500)


@login_required
@require_POST
def feedback(request: HttpRequest) -> HttpResponse:
    """Helpful or not: a thank-you in place of the buttons (HTMX), or back to the page."""
    form = _FeedbackForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("This suggestion cannot be rated."))
    data = form.cleaned_data
    try:
        actions.record_feedback(
            actor=request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            target=data["target"],
            request=data["request"],
            helpful=data["helpful"] == "true",
        )
    except DomainError as error:
        return HttpResponseBadRequest(error.message)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "assist/_thanks.html", {"helpful": data["helpful"] == "true"})
    target = data["next"]
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target or "/")
