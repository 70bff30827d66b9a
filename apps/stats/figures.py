"""Service figures: how fast each tier and department answers, from the stored tier visits.

One query layer for the API, the supervisor's page and the exports. Counting happens in the
database (grouped aggregates; percentiles by ordered offset), so a district's figures stay
cheap with a million requests behind them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.casework.errors import NotPermitted
from apps.deadlines.models import TierVisit
from apps.organizations.models import TIER_ORDER, Organization, OrgKind, Role, User

BACKLOG_BUCKETS = [
    ("under_1_day", 0, 1),
    ("1_to_3_days", 1, 3),
    ("3_to_7_days", 3, 7),
    ("over_7_days", 7, None),
]
BACKLOG_NAMES = [name for name, _low, _high in BACKLOG_BUCKETS]
DEFAULT_PERIOD = timedelta(days=30)


@dataclass
class Figures:
    tier: str
    organization_id: int | None
    organization: str
    received: int = 0
    fed_back: int = 0
    on_time: int = 0
    due: int = 0  # visits whose deadline has come, or that were answered
    on_time_share: float | None = None
    median_working_hours: float | None = None
    p90_working_hours: float | None = None
    breaches: int = 0
    backlog: dict[str, int] = field(default_factory=lambda: {name: 0 for name, _lo, _hi in BACKLOG_BUCKETS})

    def finish(self) -> None:
        self.on_time_share = round(self.on_time / self.due, 4) if self.due else None


@dataclass
class Report:
    organization_id: int
    organization: str
    since: datetime
    until: datetime
    tiers: list[Figures]
    units: list[Figures]
    weeks: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def may_see_figures(user: User) -> bool:
    return user.is_superuser or user.role in (Role.SUPERVISOR, Role.OFFICER)


def scope_organizations(org: Organization | None) -> list[int] | None:
    """The organisation and every authority, department and park below it (None: all)."""
    if org is None:
        return None
    found = [org.pk]
    frontier = [org.pk]
    while frontier:
        frontier = list(
            Organization.objects.filter(parent_id__in=frontier)
            .exclude(kind=OrgKind.ENTERPRISE)
            .values_list("pk", flat=True)
        )
        found += frontier
    return found


def _visits(org: Organization | None, org_ids: list[int] | None) -> QuerySet[TierVisit]:
    """Visits answered by the organisation or anything below it. Every visit names the tier's
    authority, so an authority's scope is one indexed column; a department's is its own."""
    visits = TierVisit.objects.all()
    if org_ids is None:
        return visits
    if org is not None and org.kind == OrgKind.DEPARTMENT:
        return visits.filter(department_id__in=org_ids)
    return visits.filter(authority_id__in=org_ids)


def _rows(query: Any) -> list[dict[str, Any]]:
    """Grouped rows as plain dicts (the type stubs cannot follow **aggregates)."""
    return list(query)


def _percentile(histogram: dict[int, int], share: float) -> float | None:
    """Nearest-rank percentile, in hours, of a histogram of minutes."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(math.ceil(share * total), 1)
    seen = 0
    for minute in sorted(histogram):
        seen += histogram[minute]
        if seen >= rank:
            return round(minute / 60, 2)
    return None


def service_figures(user: User, *, since: datetime | None = None, until: datetime | None = None) -> Report:
    """The figures of the user's organisation. A supervisor's page and the API ask for the same
    figures again and again: they are kept for `PORTAL["FIGURES_CACHE_SECONDS"]` per
    organisation, period and language (a period ending now counts from the current minute)."""
    if not may_see_figures(user):
        raise NotPermitted(_("Service figures are for officers, supervisors and administrators."))
    seconds = settings.PORTAL["FIGURES_CACHE_SECONDS"]
    if not seconds:
        return _compute(user, since=since, until=until)
    org_id = 0 if user.is_superuser else user.organization_id
    minute = timezone.now().replace(second=0, microsecond=0)
    period = [int(moment.timestamp()) if moment else "" for moment in (since, until or minute)]
    key = f"figures:{org_id}:{period[0]}:{period[1]}:{get_language()}"
    report = cache.get(key)
    if report is None:
        report = _compute(user, since=since, until=until)
        cache.set(key, report, seconds)
    return report


def _compute(user: User, *, since: datetime | None, until: datetime | None) -> Report:
    """Four grouped queries, whatever the number of requests behind them: counts per unit and
    week, a histogram of working minutes to feedback, the open backlog by age, and names."""
    now = timezone.now()
    until = until or now
    since = since or until - DEFAULT_PERIOD
    org = None if user.is_superuser else user.organization
    scoped = _visits(org, scope_organizations(org))
    period = scoped.filter(started_at__gte=since, started_at__lt=until)
    moment = min(until, now)

    aggregates = {
        "received": Count("id"),
        "fed_back": Count("id", filter=Q(feedback_at__isnull=False)),
        "on_time": Count("id", filter=Q(feedback_at__isnull=False, feedback_at__lte=F("due_at"))),
        "due": Count("id", filter=Q(feedback_at__isnull=False) | Q(due_at__lte=moment)),
        "breaches": Count("id", filter=Q(breached_at__isnull=False)),
    }
    units: dict[tuple[str, int], Figures] = {}
    tiers: dict[str, Figures] = {}

    def unit(tier: str, unit_id: int) -> Figures:
        return units.setdefault((tier, unit_id), Figures(tier, unit_id, ""))

    def tier_total(tier: str) -> Figures:
        return tiers.setdefault(tier, Figures(tier, None, ""))

    # One pass over the period: counts per unit and week, rolled up here into units, tiers and
    # the weekly trend.
    weekly: dict[date, dict[str, int]] = {}
    for row in _rows(
        period.values("tier", "authority_id", "department_id", "week_start").annotate(**aggregates)
    ):
        week = weekly.setdefault(row["week_start"], dict.fromkeys(aggregates, 0))
        for key in aggregates:
            week[key] += row[key]
        for figures in (
            unit(row["tier"], row["department_id"] or row["authority_id"]),
            tier_total(row["tier"]),
        ):
            for key in aggregates:
                setattr(figures, key, getattr(figures, key) + row[key])

    # Working hours to feedback as a histogram by the minute, counted in the database; the
    # percentiles are read off it (exact to the minute).
    histograms: dict[tuple[str, int | None], dict[int, int]] = {}
    answered = period.filter(feedback_at__isnull=False, feedback_working_seconds__isnull=False)
    minutes = answered.annotate(minute=F("feedback_working_seconds") / 60)
    for row in _rows(
        minutes.values("tier", "authority_id", "department_id", "minute").annotate(n=Count("id"))
    ):
        keys: list[tuple[str, int | None]] = [
            (row["tier"], row["department_id"] or row["authority_id"]),
            (row["tier"], None),
        ]
        for histogram_key in keys:
            histogram = histograms.setdefault(histogram_key, {})
            histogram[row["minute"]] = histogram.get(row["minute"], 0) + row["n"]
    for unit_key, figures in units.items():
        figures.median_working_hours = _percentile(histograms.get(unit_key, {}), 0.5)
        figures.p90_working_hours = _percentile(histograms.get(unit_key, {}), 0.9)
    for tier_name, figures in tiers.items():
        figures.median_working_hours = _percentile(histograms.get((tier_name, None), {}), 0.5)
        figures.p90_working_hours = _percentile(histograms.get((tier_name, None), {}), 0.9)

    # The open backlog: requests waiting in a tier now, by how long they have waited.
    buckets = {
        name: Count(
            "id",
            filter=Q(started_at__lte=now - timedelta(days=low))
            & (Q(started_at__gt=now - timedelta(days=high)) if high is not None else Q()),
        )
        for name, low, high in BACKLOG_BUCKETS
    }
    waiting = scoped.filter(ended_at__isnull=True)
    for row in _rows(waiting.values("tier", "authority_id", "department_id").annotate(**buckets)):
        for figures in (
            unit(row["tier"], row["department_id"] or row["authority_id"]),
            tier_total(row["tier"]),
        ):
            for name in BACKLOG_NAMES:
                figures.backlog[name] += row[name]

    names = {
        o.pk: o.display_name
        for o in Organization.objects.filter(pk__in={unit_id for _tier, unit_id in units})
    }
    for (_tier, unit_id), figures in units.items():
        figures.organization = names.get(unit_id, "")
    for figures in [*units.values(), *tiers.values()]:
        figures.finish()

    weeks = [
        {
            "week_start": week_start,
            "received": week["received"],
            "on_time_share": round(week["on_time"] / week["due"], 4) if week["due"] else None,
            "breaches": week["breaches"],
        }
        for week_start, week in sorted(weekly.items())
    ]

    order = {tier: i for i, tier in enumerate(TIER_ORDER)}
    return Report(
        organization_id=org.pk if org else 0,
        organization=org.name if org else _("All organisations"),
        since=since,
        until=until,
        tiers=sorted(tiers.values(), key=lambda f: order[f.tier]),
        units=sorted(units.values(), key=lambda f: (order[f.tier], f.organization)),
        weeks=weeks,
    )
