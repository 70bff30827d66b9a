"""Reply templates on the pages: the supervisors' page that keeps their organisation's templates
(/desk/templates/), and the "Use a template" picker of the request page's reply forms (its
server-side "Insert", for browsers without script). The rules are in apps/desk/replies.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.casework.errors import DomainError, NotVisible
from apps.casework.models import ServiceRequest
from apps.desk import replies
from apps.desk.models import ReplyTemplate
from apps.organizations.models import User

from . import forms


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _keeper_or_403(request: HttpRequest) -> Any:
    org = replies.keeper_organization(_user(request))
    if org is None:
        raise PermissionDenied(_("Only the organisation's supervisors keep its reply templates."))
    return org


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    org = _keeper_or_403(request)
    user = _user(request)
    return render(
        request,
        "web/reply_templates.html",
        {
            "organization": org,
            "templates": replies.kept_templates(user),
            "inherited": replies.inherited_templates(user).select_related("organization"),
            "placeholders": replies.PLACEHOLDERS,
        },
    )


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    org = _keeper_or_403(request)
    user = _user(request)
    template: ReplyTemplate | None = None
    if pk is not None:
        try:
            template = replies.get_kept_template(user, pk)
        except NotVisible:
            raise Http404(_("No such reply template.")) from None
    initial = (
        {
            "name": template.name,
            "body_en": template.body_en,
            "body_zh": template.body_zh,
            "active": template.active,
        }
        if template
        else None
    )
    form = forms.ReplyTemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = replies.save_template(user, template, **form.cleaned_data)
            except DomainError as error:
                for field, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, _("Reply template “%(name)s” saved.") % {"name": saved.name})
                return redirect("reply-templates")
    return render(
        request,
        "web/reply_template_form.html",
        {"form": form, "template": template, "organization": org, "placeholders": replies.PLACEHOLDERS},
        status=status,
    )


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _keeper_or_403(request)
    try:
        template = replies.get_kept_template(_user(request), pk)
    except NotVisible:
        raise Http404(_("No such reply template.")) from None
    name = template.name
    template.delete()
    messages.success(request, _("Reply template “%(name)s” deleted.") % {"name": name})
    return redirect("reply-templates")


# --- the picker of the request page --------------------------------------------------------------
def pickers(
    request: HttpRequest, service_request: ServiceRequest, available: list[str], **bound: Any
) -> dict[str, Any]:
    """For each reply form of the page (respond, request_info, resolve) that the person may
    send: the "Use a template" picker, when their organisation has templates (one query)."""
    user = _user(request)
    names = [name for name in replies.TEMPLATED_TRANSITIONS if name in available]
    if not names:
        return {}
    templates = list(replies.templates_for(user))
    if not templates:
        return {}
    language = "zh-hans" if (get_language() or "").startswith("zh") else "en"
    found = {}
    for name in names:
        field = forms.TRANSITION_TEXT[name][0]  # type: ignore[index]
        found[name] = {
            "form": bound.get(name)
            or forms.ReplyTemplatePicker(
                templates=templates, prefix=f"{name}-tpl", initial={"language": language}
            ),
            "target": f"id_{name}-{field}",
        }
    return found


def api_url(service_request: ServiceRequest) -> str:
    return reverse("api:request-reply-templates", kwargs={"pk": service_request.pk})


def insert(request: HttpRequest, service_request: ServiceRequest, name: str) -> tuple[Any, Any, int]:
    """The reply form after "Insert": its text box with the chosen template rendered for this
    request (after what was already written), for the person to edit before sending; or the
    picker with its error. Returns (transition form, picker, status); nothing is sent."""
    user = _user(request)
    templates = list(replies.templates_for(user))
    picker = forms.ReplyTemplatePicker(request.POST, templates=templates, prefix=f"{name}-tpl")
    field = forms.TRANSITION_TEXT[name][0]  # type: ignore[index]
    current = request.POST.get(f"{name}-{field}", "")
    if picker.is_valid():
        try:
            template = replies.get_usable_template(user, picker.cleaned_data["template"])
            text = replies.render(
                template, service_request, actor=user, language=picker.cleaned_data.get("language") or None
            )
        except DomainError as error:  # another organisation's (404 in the API), or unusable
            picker.add_error("template", error.message)
        else:
            form = forms.TransitionForm(name, prefix=name, initial={field: replies.fill(current, text)})
            return form, picker, 200
    form = forms.TransitionForm(name, prefix=name, initial={field: current})
    return form, picker, 400
