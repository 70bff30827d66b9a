"""Routing: which department of an authority tier answers a category."""

from __future__ import annotations

from .models import RoutingRule


def department_for(authority_id: int, category: str) -> int | None:
    """The department of `authority_id` that takes `category`, its default department when no
    rule names the category, or None when the authority answers itself."""
    rules = dict(
        RoutingRule.objects.filter(authority_id=authority_id, category__in=[category, ""]).values_list(
            "category", "department_id"
        )
    )
    return rules.get(category) or rules.get("")
