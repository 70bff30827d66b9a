"""The one change the assistant's users make: saying whether a suggestion helped."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.casework.errors import InvalidInput
from apps.casework.models import Category
from apps.casework.selectors import visible_requests
from apps.guidance.selectors import published
from apps.organizations.models import User

from .models import Feedback
from .selectors import RESOLVED


def _refused(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={field: [message]})


def _check_target(actor: User, kind: str, target: str) -> None:
    if kind == Feedback.Kind.CATEGORY:
        if target not in Category.values:
            raise _refused("target", _("Not one of the categories."))
        return
    if not target.isdigit() or len(target) > 18:
        raise _refused("target", _("Give the id of the suggestion."))
    if kind == Feedback.Kind.GUIDANCE:
        if not published().filter(pk=int(target)).exists():
            raise _refused("target", _("No such guidance document."))
    elif not visible_requests(actor).filter(pk=int(target), state__in=RESOLVED).exists():
        # A request the actor may not see reads exactly like one that does not exist.
        raise _refused("target", _("No such request."))


def record_feedback(
    *, actor: User, kind: str, target: str, helpful: bool, request: int | None = None
) -> Feedback:
    _check_target(actor, kind, target)
    fields = {"helpful": helpful, "organization_id": actor.organization_id}
    if request is None:
        return Feedback.objects.create(user=actor, kind=kind, target=target, **fields)
    service_request = visible_requests(actor).filter(pk=request).first()
    if service_request is None:
        raise _refused("request", _("No such request."))
    feedback, _created = Feedback.objects.update_or_create(
        user=actor, kind=kind, request=service_request, target=target, defaults=fields
    )
    return feedback
