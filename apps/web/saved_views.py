"""Saved views on the pages: the tabs above a staff home's queue, the "Save this view" form
beside its filters, and deleting one's own views. The rules are in apps/desk/saved_views.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.casework.errors import DomainError, NotVisible
from apps.desk import saved_views
from apps.desk.models import NAME_MAX_LENGTH
from apps.organizations.models import Role, User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def opened(request: HttpRequest) -> saved_views.Opened:
    """The views of the person's queue and the filters the page shows (`?view=` or its own)."""
    return saved_views.open_view(_user(request), request.GET)


def context(request: HttpRequest, views: saved_views.Opened) -> dict[str, Any]:
    user = _user(request)
    return {
        "views_enabled": user.effective_role in saved_views.QUEUE_ROLES,
        # Views belong to an organisation: the admin, of none, has the built-in ones only.
        "may_save_views": user.effective_role in saved_views.QUEUE_ROLES and user.organization_id is not None,
        "saved_views": views.views,
        "active_view": views.active,
        "view_note": views.note,
        "deletable_views": views.deletable(user),
        "may_share_views": user.effective_role == Role.SUPERVISOR,
        "view_name_max": NAME_MAX_LENGTH,
    }


def _home(query: str = "") -> HttpResponse:
    return redirect(reverse("home") + (f"?{query}" if query else ""))


@login_required
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    """Save the queue's filters as the page shows them (the form carries them) under a name;
    then open the new view. Refused: the reasons, and the queue as it was."""
    query = request.POST.get("query", "")
    try:
        row = saved_views.save_view(
            _user(request),
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared", "") in ("true", "on", "1"),
        )
    except DomainError as error:
        reasons = [message for found in error.fields.values() for message in found] or [error.message]
        for reason in reasons:
            messages.error(request, reason)
        return _home(saved_views.normalise(QueryDict(query)))
    messages.success(request, _("View “%(name)s” saved.") % {"name": row.name})
    return _home(f"view={row.pk}")


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = saved_views.visible_view(_user(request), pk)
        saved_views.delete_view(_user(request), pk)
    except NotVisible:
        raise Http404(_("No such saved view.")) from None
    except DomainError as error:
        messages.error(request, error.message)
        return _home()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return _home()
