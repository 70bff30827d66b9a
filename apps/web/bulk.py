"""Bulk actions from the queues: the action bar above the table (its choices for the person), and
the POST it sends, answered with a redirect back to the queue, the summary as a flash message and
one line per request below it (Post/Redirect/Get)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.casework import bulk
from apps.casework.errors import InvalidInput, NotPermitted
from apps.organizations.models import User

# The lines of the last bulk action, kept in the session for the page the person is sent back to.
_REPORT_KEY = "bulk_report"
# Where each field's messages are shown: the bar has one text box for the reason and the reply.
_FIELD_LABELS = {
    "action": lambda: _("Action"),
    "ids": lambda: _("Requests"),
    "reason": lambda: _("Reason or reply"),
    "body": lambda: _("Reason or reply"),
    "assignee": lambda: _("Assign to"),
    "template": lambda: _("Reply template"),
    "versions": lambda: _("Requests"),
}


def _label(field: str) -> str:
    found = _FIELD_LABELS.get(field)
    return found() if found else field


def queue_context(request: HttpRequest) -> dict[str, Any]:
    """What the queue table needs for its bulk bar: no query per row, and at most two in all
    (the people a supervisor may name; the reply templates offered)."""
    user: User = request.user  # type: ignore[assignment]
    offered = bulk.actions_for(user)
    if not offered:
        return {"bulk_actions": [], "bulk_assignees": [], "bulk_templates": [], "bulk_report": None}
    templates: list[Any] = []
    if "respond" in offered:
        from apps.desk import replies

        templates = list(replies.templates_for(user))
    return {
        "bulk_actions": [(name, bulk.ACTIONS[name]) for name in offered],
        "bulk_assignees": list(bulk.assignable_staff(user)) if "assign" in offered else [],
        "bulk_templates": templates,
        "bulk_report": request.session.pop(_REPORT_KEY, None),
    }


def _back(request: HttpRequest) -> HttpResponse:
    back_to = request.POST.get("next", "")
    if back_to and url_has_allowed_host_and_scheme(
        back_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back_to)
    return redirect("home")


def _versions(request: HttpRequest, ids: list[str]) -> dict[str, str]:
    """The version each chosen row showed (`version_<id>`), so that a request changed since the
    page was drawn is skipped rather than acted on blind."""
    found = {}
    for pk in ids:
        value = request.POST.get(f"version_{pk}", "")
        if value.isascii() and value.isdigit():
            found[pk] = value
    return found


@login_required
@require_POST
def bulk_act(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        bulk.check_may_bulk(user)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    action = request.POST.get("action", "")
    ids = request.POST.getlist("ids")
    text = request.POST.get("text", "")
    try:
        outcomes = bulk.run_bulk(
            user,
            action,
            ids,
            reason=text if action in ("escalate", "return") else None,
            body=text if action == "respond" else None,
            assignee=request.POST.get("assignee") or None,
            template=request.POST.get("template") or None,
            versions=_versions(request, ids),
        )
    except InvalidInput as error:
        problems = [f"{_label(field)}: {' '.join(texts)}" for field, texts in error.fields.items()]
        messages.error(request, " ".join([error.message, *problems]))
        return _back(request)
    line = bulk.summary(action, outcomes)
    if all(o.status == bulk.DONE for o in outcomes):
        messages.success(request, line)
    else:
        messages.warning(request, line)
    request.session[_REPORT_KEY] = [
        {"reference": o.reference or f"#{o.id}", "status": o.status, "detail": o.detail, "id": o.id}
        for o in outcomes
    ]
    return _back(request)
