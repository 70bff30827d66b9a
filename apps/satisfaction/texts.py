"""The words of the satisfaction events on a timeline, written from their details in the
reader's language (the same event reads in English and in Chinese)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import FollowUpMethod, Score, Source

if TYPE_CHECKING:
    from apps.casework.models import RequestEvent


def score_label(score: int) -> str:
    """“4 – Satisfied”, “4 – 满意”."""
    return f"{score} – {Score(score).label}"


def _when(value: str) -> str:
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _unit(names: dict[str, str]) -> str:
    chinese = (translation.get_language() or "").startswith("zh") and names.get("zh")
    return chinese or names.get("en", "")


def _with_comment(text: str, comment: str) -> str:
    return f"{text}: {comment}" if comment else text


def rater_name(event: RequestEvent) -> str:
    """Who a rating is from, without naming the person: the enterprise, or its park's record
    of what the enterprise said."""
    if (event.details or {}).get("source") == Source.LIAISON:
        return str(_("The enterprise (recorded by the park)"))
    return str(_("The enterprise"))


def event_text(event: RequestEvent) -> str:
    from apps.casework.models import EventKind

    details: dict[str, Any] = event.details or {}
    kind = event.kind
    if kind == EventKind.RATED:
        return _with_comment(score_label(details["score"]), details.get("comment", ""))
    if kind == EventKind.FIX_RATED:
        text = _("The rectification was rated %(score)s") % {"score": score_label(details["score"])}
        return _with_comment(text, details.get("comment", ""))
    if kind == EventKind.RATING_DEFAULTED:
        return _("Not rated within %(days)s days: counts as %(score)s.") % {
            "days": details.get("days", ""),
            "score": score_label(5),
        }
    if kind == EventKind.RECTIFICATION_OPENED:
        return _("A bad review (%(score)s) opened a rectification by %(unit)s, due %(due)s.") % {
            "score": score_label(details["score"]),
            "unit": _unit(details.get("unit", {})),
            "due": _when(details["due"]),
        }
    if kind == EventKind.RECTIFIED:
        follow_up = _("Follow-up %(when)s by %(method)s: %(notes)s") % {
            "when": _when(details["followed_up_at"]),
            "method": str(FollowUpMethod(details["method"]).label).lower(),
            "notes": details.get("notes", ""),
        }
        return f"{details.get('action', '')}\n{follow_up}"
    if kind == EventKind.APPEAL_DECIDED:
        label = _("Review upheld") if details.get("decision") == "upheld" else _("Review set aside")
        return _with_comment(str(label), details.get("reason", ""))
    if kind == EventKind.RECTIFICATION_BREACHED:
        return _("The rectification was due %(due)s.") % {"due": _when(details["due"])}
    return event.text
