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

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.casework.errors import NotPermitted
from apps.deadlines.calendar import SHANGHAI
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


def _visits(org_ids: list[int] | None) -> QuerySet[TierVisit]:
    visits = TierVisit.objects.all()
    if org_ids is not None:
        visits = visits.filter(Q(authority_id__in=org_ids) | Q(department_id__in=org_ids))
    return visits


def _rows(query: Any) -> list[dict[str, Any]]:
    """Grouped rows as plain dicts (the type stubs cannot follow **aggregates)."""
    return list(query)


def _percentile(visits: QuerySet[TierVisit], count: int, share: float) -> float | None:
    """Nearest-rank percentile of working hours to feedback, read in the database."""
    if not count:
        return None
    offset = max(math.ceil(share * count) - 1, 0)
    value = visits.order_by("feedback_working_seconds").values_list("feedback_working_seconds", flat=True)[
        offset : offset + 1
    ]
    seconds = next(iter(value), None)
    return round(seconds / 3600, 2) if seconds is not None else None


def service_figures(user: User, *, since: datetime | None = None, until: datetime | None = None) -> Report:
    if not may_see_figures(user):
        raise NotPermitted(_("Service figures are for officers, supervisors and administrators."))
    now = timezone.now()
    until = until or now
    since = since or until - DEFAULT_PERIOD
    org = None if user.is_superuser else user.organization
    org_ids = scope_organizations(org)
    scoped = _visits(org_ids)
    period = scoped.filter(started_at__gte=since, started_at__lt=until)
    moment = min(until, now)

    names = dict(
        Organization.objects.filter(
            kind__in=[k for k in OrgKind.values if k != OrgKind.ENTERPRISE]
        ).values_list("pk", "name")
    )
    aggregates = {
        "received": Count("id"),
        "fed_back": Count("id", filter=Q(feedback_at__isnull=False)),
        "on_time": Count("id", filter=Q(feedback_at__isnull=False, feedback_at__lte=F("due_at"))),
        "due": Count("id", filter=Q(feedback_at__isnull=False) | Q(due_at__lte=moment)),
        "breaches": Count("id", filter=Q(breached_at__isnull=False)),
    }

    units: dict[tuple[str, int], Figures] = {}
    for row in _rows(period.values("tier", "authority_id", "department_id").annotate(**aggregates)):
        unit_id = row["department_id"] or row["authority_id"]
        figures = units.setdefault(
            (row["tier"], unit_id), Figures(row["tier"], unit_id, names.get(unit_id, ""))
        )
        for key in aggregates:
            setattr(figures, key, getattr(figures, key) + row[key])

    tiers: dict[str, Figures] = {}
    for row in _rows(period.values("tier").annotate(**aggregates)):
        tiers[row["tier"]] = Figures(row["tier"], None, "", **{key: row[key] for key in aggregates})

    # Percentiles of working hours to feedback, per unit and per tier.
    answered = period.filter(feedback_at__isnull=False, feedback_working_seconds__isnull=False)
    for (tier, unit_id), figures in units.items():
        unit_visits = answered.filter(tier=tier).filter(
            Q(department_id=unit_id) | Q(department_id__isnull=True, authority_id=unit_id)
        )
        count = unit_visits.count()
        figures.median_working_hours = _percentile(unit_visits, count, 0.5)
        figures.p90_working_hours = _percentile(unit_visits, count, 0.9)
    for tier, figures in tiers.items():
        tier_visits = answered.filter(tier=tier)
        count = tier_visits.count()
        figures.median_working_hours = _percentile(tier_visits, count, 0.5)
        figures.p90_working_hours = _percentile(tier_visits, count, 0.9)

    # The open backlog: requests waiting in a tier now, by how long they have waited.
    waiting = scoped.filter(ended_at__isnull=True)
    for name, low, high in BACKLOG_BUCKETS:
        bucket = waiting.filter(started_at__lte=now - timedelta(days=low))
        if high is not None:
            bucket = bucket.filter(started_at__gt=now - timedelta(days=high))
        for row in _rows(bucket.values("tier", "authority_id", "department_id").annotate(n=Count("id"))):
            unit_id = row["department_id"] or row["authority_id"]
            unit = units.setdefault(
                (row["tier"], unit_id), Figures(row["tier"], unit_id, names.get(unit_id, ""))
            )
            unit.backlog[name] += row["n"]
            tier_figures = tiers.setdefault(row["tier"], Figures(row["tier"], None, ""))
            tier_figures.backlog[name] += row["n"]

    for figures in [*units.values(), *tiers.values()]:
        figures.finish()

    weeks = []
    for row in _rows(
        period.annotate(week=TruncWeek("started_at", tzinfo=SHANGHAI))
        .values("week")
        .annotate(**aggregates)
        .order_by("week")
    ):
        week: date = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        weeks.append(
            {
                "week_start": week,
                "received": row["received"],
                "on_time_share": round(row["on_time"] / row["due"], 4) if row["due"] else None,
                "breaches": row["breaches"],
            }
        )

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
