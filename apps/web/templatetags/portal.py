from typing import Any

from django import template

from apps.organizations.models import Tier

register = template.Library()


@register.filter
def tier_label(value: str) -> Any:
    """The translated name of a tier code."""
    return Tier(value).label if value in Tier.values else value


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def backlog_total(backlog: dict[str, int]) -> int:
    return sum(backlog.values())


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key)
