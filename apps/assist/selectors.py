"""What the assistant suggests, and to whom: guidance for a text, resolved requests like it
(only ever from what the caller may see: visible_requests is asked, after the index), and a
category. Each suggestion carries why: the person's matched words and the score."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.casework.models import ServiceRequest, State
from apps.casework.selectors import visible_requests
from apps.guidance.models import Guidance
from apps.organizations.models import User

from . import classifier, index, rank
from .models import GuidanceTerms, RequestTerms
from .text import Analysis, analyse, describe

LIMIT = 5
# Below these a suggestion is more likely noise than help (chosen on bench/assist/eval-set.json:
# see bench/ASSIST.md).
GUIDANCE_THRESHOLD = 0.12
SIMILAR_THRESHOLD = 0.15
RESOLVED = (State.RESOLVED, State.CLOSED)


@dataclass
class Suggestion:
    id: int
    label: str
    score: float
    matched: list[str]
    reference: str = ""
    resolution: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def why(self) -> str:
        return _("Matched: %(words)s (score %(score).2f)") % {
            "words": ", ".join(self.matched) or "—",
            "score": self.score,
        }


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _matched_words(scored: rank.Scored, analysis: Analysis) -> list[str]:
    chinese = _chinese()
    words = list(
        dict.fromkeys(
            w for t in scored.matched if (w := describe(t, analysis.surface.get(t, ""), chinese=chinese))
        )
    )
    # jieba's search mode gives 临床试验 and also 临床 and 试验: the longest says it.
    return [w for w in words if not any(w != other and w in other for other in words)][:8]


def query_text(title: str, description: str) -> Analysis:
    # The title twice, as it is indexed: it says the most in the fewest words.
    return analyse(f"{title}\n{title}\n{description}")


# --- guidance: a few hundred documents at most, ranked whole in memory --------------------------
@dataclass
class _GuidanceIndex:
    stamp: tuple[Any, ...]
    documents: dict[int, list[str]]
    frequencies: Counter[str]


_guidance_lock = threading.Lock()
_guidance: _GuidanceIndex | None = None


def _guidance_index() -> _GuidanceIndex:
    """The published documents' terms, read again only when a document was indexed since."""
    global _guidance
    published = GuidanceTerms.objects.filter(guidance__published=True)
    stamp = tuple(published.aggregate(n=Count("pk"), last=Max("indexed_at")).values())
    with _guidance_lock:
        if _guidance is None or _guidance.stamp != stamp:
            documents = {pk: terms.split() for pk, terms in published.values_list("guidance_id", "terms")}
            frequencies: Counter[str] = Counter()
            for terms in documents.values():
                frequencies.update(set(terms))
            _guidance = _GuidanceIndex(stamp, documents, frequencies)
        return _guidance


def suggested_guidance(analysis: Analysis, *, category: str = "", limit: int = LIMIT) -> list[Suggestion]:
    found = _guidance_index()
    scored = rank.bm25(
        analysis.terms,
        found.documents,
        found.frequencies,
        max(len(found.documents), 1),
        translated=analysis.translated,
    )
    scored = [s for s in scored if s.score >= GUIDANCE_THRESHOLD][: limit * 2]
    documents = Guidance.objects.in_bulk([s.key for s in scored])
    suggestions = []
    for s in scored:
        document = documents.get(s.key)  # type: ignore[call-overload]
        if document is None:
            continue
        suggestions.append(
            Suggestion(
                id=document.pk,
                label=document.localized_title,
                score=round(s.score, 3),
                matched=_matched_words(s, analysis),
                extra={"kind": document.kind, "category": document.category},
            )
        )
    if category:
        # Of two documents that match as well, the one for the request's category first.
        suggestions.sort(key=lambda g: -(g.score + (0.05 if g.extra["category"] == category else 0)))
    return suggestions[:limit]


def guidance_for_request(service_request: ServiceRequest) -> list[Suggestion]:
    return suggested_guidance(
        query_text(service_request.title, service_request.description), category=service_request.category
    )


# --- similar resolved requests: from the database index, within what the caller sees ---------
def similar_requests(
    user: User, analysis: Analysis, *, exclude: int | None = None, limit: int = LIMIT
) -> list[Suggestion]:
    terms = [t for t in analysis.terms if not t.startswith("qs")]
    if not terms:
        return []
    frequencies = index.document_frequencies(terms)
    # The question's own words and their translations ask the index apart: the rarest terms
    # of the two together would mostly be translations, and miss the requests in its language.
    within = index.user_scope_term(user)
    ids = index.candidate_ids([t for t in terms if t not in analysis.translated], frequencies, within=within)
    if analysis.translated:
        translated = index.candidate_ids(sorted(analysis.translated), frequencies, within=within)
        ids = list(dict.fromkeys([*ids, *translated]))
    if exclude is not None:
        ids = [pk for pk in ids if pk != exclude]
    if not ids:
        return []
    # The index is a shortlist; visibility is decided where it always is.
    seen = visible_requests(user).filter(pk__in=ids, state__in=RESOLVED)
    documents = {
        pk: text.split()
        for pk, text in RequestTerms.objects.filter(request__in=seen).values_list("request_id", "terms")
    }
    scored = rank.bm25(terms, documents, frequencies, index.indexed_count(), translated=analysis.translated)
    scored = [s for s in scored if s.score >= SIMILAR_THRESHOLD][:limit]
    rows = ServiceRequest.objects.in_bulk([s.key for s in scored])
    return [
        Suggestion(
            id=row.pk,
            label=row.title,
            reference=row.reference,
            resolution=row.resolution,
            score=round(s.score, 3),
            matched=_matched_words(s, analysis),
            extra={"state": row.state},
        )
        for s in scored
        if (row := rows.get(s.key)) is not None  # type: ignore[call-overload]
    ]


def similar_to_request(user: User, service_request: ServiceRequest) -> list[Suggestion]:
    return similar_requests(
        user, query_text(service_request.title, service_request.description), exclude=service_request.pk
    )


def may_see_similar(user: User) -> bool:
    """Everybody who files or handles requests; enterprise staff see only their own."""
    return bool(user.is_superuser or user.role)


@dataclass
class ForText:
    category: tuple[str, float] | None  # the code and its confidence, when it reaches the threshold
    guidance: list[Suggestion]
    similar: list[Suggestion]


def for_text(user: User, title: str, description: str) -> ForText:
    """What the new-request form and `POST /api/v1/assist/` suggest for a request not yet filed."""
    analysis = query_text(title, description)
    return ForText(
        classifier.suggest(title, description),
        suggested_guidance(analysis),
        similar_requests(user, analysis),
    )
