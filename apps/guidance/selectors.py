"""Reading guidance: search in both languages, and what relates to a request."""

from __future__ import annotations

import markdown as md
import nh3
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from .models import Guidance

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "hr",
}


def published() -> QuerySet[Guidance]:
    return Guidance.objects.filter(published=True).select_related("publisher")


def search(text: str = "", *, category: str = "", product_type: str = "") -> QuerySet[Guidance]:
    found = published()
    text = text.replace("\x00", "").strip()
    if text:
        found = found.filter(
            Q(title__icontains=text)
            | Q(title_zh__icontains=text)
            | Q(body__icontains=text)
            | Q(body_zh__icontains=text)
        )
    if category:
        found = found.filter(Q(category=category) | Q(category=""))
    if product_type:
        return found.filter(
            pk__in=[g.pk for g in found if not g.product_types or product_type in g.product_types]
        )
    return found


def related(category: str | None, product_type: str | None, limit: int = 5) -> list[Guidance]:
    """Guidance for a request's category and product type: exact matches first, then general."""
    if not category:
        return []
    candidates = list(published().filter(Q(category=category) | Q(category=""))[:200])
    fitting = [
        g for g in candidates if not g.product_types or (product_type and product_type in g.product_types)
    ]
    fitting.sort(key=lambda g: (g.category != category, not g.product_types, -g.published_at.timestamp()))
    return fitting[:limit]


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML with everything outside a small safe set removed (no scripts, no
    event handlers, no javascript: links)."""
    html = md.markdown(text, extensions=["tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
