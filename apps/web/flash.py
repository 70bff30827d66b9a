"""What a page says after a transition succeeded, in plain words: what happened to which request
and where it is now ("PS-2026-000123 escalated to Pingshan Market Supervision Bureau")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.casework.models import ServiceRequest
from apps.organizations.models import Organization, Tier

# transition → sentence; %(reference)s is the request, %(unit)s the unit that holds it now,
# %(enterprise)s the enterprise that filed it, %(assignee)s the person it is assigned to.
_SENTENCES: dict[str, Any] = {
    "submit": gettext_lazy("%(reference)s submitted to %(unit)s."),
    "respond": gettext_lazy("Reply sent on %(reference)s."),
    "request_info": gettext_lazy("%(reference)s: your question was sent to %(enterprise)s."),
    "provide_info": gettext_lazy("Information sent: %(reference)s is back with %(unit)s."),
    "escalate": gettext_lazy("%(reference)s escalated to %(unit)s."),
    "return": gettext_lazy("%(reference)s returned to %(unit)s."),
    "resolve": gettext_lazy("%(reference)s resolved."),
    "reopen": gettext_lazy("%(reference)s reopened: it is back with %(unit)s."),
    "close": gettext_lazy("%(reference)s closed."),
    "withdraw": gettext_lazy("%(reference)s withdrawn."),
    "assign": gettext_lazy("%(reference)s assigned to %(assignee)s."),
    "claim": gettext_lazy("%(reference)s claimed: it is assigned to you."),
}


def _holder(service_request: ServiceRequest) -> Organization | None:
    """The unit whose queue the request sits in: the park, or the tier's department (else the
    tier's authority)."""
    org_id: int | None = (
        service_request.park_id
        if service_request.tier == Tier.PARK
        else service_request.department_id or service_request.tier_authority_id
    )
    return Organization.objects.filter(pk=org_id).first() if org_id else None


def transition_done(name: str, service_request: ServiceRequest) -> str:
    """The sentence for transition `name`, just taken on `service_request` (as the action left it)."""
    if name == "green_channel":
        sentence = (
            _("%(reference)s is in the green channel now.")
            if service_request.green_channel
            else _("%(reference)s is out of the green channel.")
        )
        return sentence % {"reference": service_request.reference}
    template = _SENTENCES.get(name)
    if template is None:
        return _("%(reference)s updated.") % {"reference": service_request.reference}
    text = str(template)
    values = {"reference": service_request.reference}
    if "%(unit)s" in text:
        unit = _holder(service_request)
        values["unit"] = unit.display_name if unit else ""
    if "%(enterprise)s" in text:
        values["enterprise"] = service_request.enterprise.display_name
    if "%(assignee)s" in text:
        assignee = service_request.assignee
        values["assignee"] = assignee.display_name if assignee else ""
    return text % values
