"""The header's search box (`/find/?q=…`) and the Follow button of a request's page."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.casework import lookup, selectors
from apps.casework.errors import NotVisible
from apps.desk import watching
from apps.organizations.models import User


@login_required
@require_GET
def find(request: HttpRequest) -> HttpResponse:
    """A reference (or a number in the caller's prefix) the caller may see opens the request;
    anything else — words, an unknown reference, one the caller may not see — is the request
    list searched for it, in every state."""
    typed = request.GET.get("q", "").strip()
    if not typed:
        return redirect("request-list")
    user: User = request.user  # type: ignore[assignment]
    found = lookup.find_by_reference(user, typed)
    if found is not None:
        return redirect("request-detail", pk=found)
    query = QueryDict(mutable=True)
    query["search"] = typed
    query["state"] = "all"
    return redirect(reverse("request-list") + "?" + query.urlencode())


@login_required
@require_POST
def watch(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow (`follow=1`) or stop following (`follow=0`) a request the caller may see. Says
    what it wants rather than toggling, so a second click or an old page does no harm."""
    user: User = request.user  # type: ignore[assignment]
    try:
        service_request = selectors.get_visible_request(user, pk)
    except NotVisible:
        raise Http404(_("No such request.")) from None
    wanted = request.POST.get("follow")
    if wanted == "1":
        watching.follow(user, service_request)
        messages.success(
            request,
            _("You follow %(reference)s: you will be notified of its changes.")
            % {"reference": service_request.reference},
        )
    elif wanted == "0":
        watching.unfollow(user, service_request)
        messages.success(
            request, _("You no longer follow %(reference)s.") % {"reference": service_request.reference}
        )
    else:
        return HttpResponseBadRequest(_("Choose to follow the request or to stop following it."))
    return redirect("request-detail", pk=service_request.pk)


_MENTION_HTML = re.compile(r"(?<![\w.@+-])@([\w.@+-]{1,150})")


def highlight_mentions(html: str) -> SafeString:
    """`@username` in already escaped text, marked as a mention. Every such name is marked,
    known or not: the page tells nobody which accounts exist."""

    def mark(match: re.Match[str]) -> str:
        name = match.group(1)
        kept = name.rstrip(".-+@")
        rest = name[len(kept) :]
        if not kept:
            return match.group(0)
        return f'<span class="mention">@{escape(kept)}</span>{rest}'

    return mark_safe(_MENTION_HTML.sub(mark, str(html)))  # noqa: S308 - the input is escaped HTML
