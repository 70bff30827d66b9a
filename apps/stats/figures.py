"""Service figures: how fast each tier and department answers, from the stored tier visits,
and how the enterprises rated the answers (好差评), from the ratings and rectifications.

One query layer for the API, the supervisor's page and the exports. Counting happens in the
database (grouped aggregates over covering indexes; percentiles from a histogram), so a
district's figures stay cheap with a million requests behind them.

The three rates of Beijing's 接诉即办: the response rate (tier visits fed back on time among
those due), the resolution rate (resolutions of the period not reopened since, among all of
them) and the satisfaction rate (ratings of 4–5 among the period's ratings, the defaults
counted and also shown apart). A bad review that an appeal set aside is left out of the ratings
and of the rectifications owed (the appeal itself still counts).

Beside them, the consultation meetings the tiers offered in the period (held, missed,
cancelled) and the days from a request's filing to its meeting, and the slots the
organisation's people published and how many of their places were taken.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import Expression
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.assist.models import Feedback
from apps.casework.errors import NotPermitted
from apps.deadlines.models import TierVisit, week_of
from apps.meetings.models import Meeting, MeetingState, Slot
from apps.organizations.models import TIER_ORDER, Organization, OrgKind, Role, Tier, User
from apps.satisfaction.models import (
    BAD_REVIEW_MAX,
    SATISFIED_MIN,
    Rating,
    Rectification,
    RectificationState,
    Source,
)

BACKLOG_BUCKETS = [
    ("under_1_day", 0, 1),
    ("1_to_3_days", 1, 3),
    ("3_to_7_days", 3, 7),
    ("over_7_days", 7, None),
]
BACKLOG_NAMES = [name for name, _low, _high in BACKLOG_BUCKETS]
DEFAULT_PERIOD = timedelta(days=30)
# The weeks of the trend are Monday to Sunday in Beijing time, like `TierVisit.week_start`.
SHANGHAI = ZoneInfo("Asia/Shanghai")


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
    # 接诉即办's response rate: the same share as `on_time_share`, under the name the city uses.
    response_rate: float | None = None
    # Resolutions of the period, those not reopened since, and their share (the resolution rate).
    resolved: int = 0
    resolved_kept: int = 0
    resolution_rate: float | None = None
    # 好差评: the period's rated resolutions (by when they were resolved), bad reviews set aside
    # on appeal left out; defaults (not rated in time, counted as 5) included and shown apart.
    ratings: int = 0
    ratings_default: int = 0
    satisfied: int = 0  # scores 4 and 5
    satisfied_default: int = 0
    satisfaction_rate: float | None = None
    satisfaction_rate_given: float | None = None  # the ratings actually given, defaults left out
    average_score: float | None = None
    bad_reviews: int = 0  # scores 1 and 2
    # The rectifications of bad reviews opened in the period (set-aside reviews owe none).
    rectifications: int = 0
    rectifications_on_time: int = 0
    rectifications_late: int = 0  # rectified after the deadline, or past it and not rectified
    rectifications_open: int = 0  # being rectified or under appeal now
    # Appeals against those bad reviews, by outcome.
    appeals: int = 0
    appeals_upheld: int = 0
    appeals_set_aside: int = 0
    appeals_pending: int = 0
    # Consultation meetings offered in the period, and what became of them; the days from the
    # request's filing to the meeting (those booked, held or missed), median and 90th percentile.
    meetings: int = 0
    meetings_booked: int = 0  # booked, neither held nor missed yet
    meetings_held: int = 0
    meetings_no_show: int = 0
    meetings_cancelled: int = 0
    median_days_to_meeting: float | None = None
    p90_days_to_meeting: float | None = None

    def finish(self, score_sum: int = 0) -> None:
        self.on_time_share = self.response_rate = _rate(self.on_time, self.due)
        self.resolution_rate = _rate(self.resolved_kept, self.resolved)
        self.satisfaction_rate = _rate(self.satisfied, self.ratings)
        self.satisfaction_rate_given = _rate(
            self.satisfied - self.satisfied_default, self.ratings - self.ratings_default
        )
        self.average_score = round(score_sum / self.ratings, 2) if self.ratings else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class SlotFigures:
    """The consultation slots an organisation's people published for the period (withdrawn ones
    left out), their places and the places taken."""

    organization_id: int | None
    organization: str
    slots: int = 0
    places: int = 0
    taken: int = 0
    taken_share: float | None = None


@dataclass
class Report:
    organization_id: int
    organization: str
    since: datetime
    until: datetime
    tiers: list[Figures]
    units: list[Figures]
    weeks: list[dict[str, Any]]
    # The whole organisation over the period, every tier together (`tier` is "").
    total: Figures
    # What the organisation's people, and the enterprises of its parks, said of the offline
    # assistant's suggestions in the period: one row a kind of suggestion.
    assist: list[dict[str, Any]] = field(default_factory=list)
    # The slots per organisation that published any, and all of them together.
    slots: list[SlotFigures] = field(default_factory=list)
    slots_total: SlotFigures = field(default_factory=lambda: SlotFigures(None, ""))

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


def _scoped(
    rows: QuerySet[Any], org: Organization | None, org_ids: list[int] | None, unit: str = "department_id"
) -> QuerySet[Any]:
    """Tier visits, ratings, rectifications or meetings of the organisation or anything below
    it. Each names the tier's authority, so an authority's scope is one indexed column (the
    first of the covering index); a department's is its own (`unit`)."""
    if org_ids is None:
        return rows
    if org is not None and org.kind == OrgKind.DEPARTMENT:
        return rows.filter(**{f"{unit}__in": org_ids})
    return rows.filter(authority_id__in=org_ids)


def _visits(org: Organization | None, org_ids: list[int] | None) -> QuerySet[TierVisit]:
    """Visits answered by the organisation or anything below it."""
    return _scoped(TierVisit.objects.all(), org, org_ids)


def _week_starts(since: datetime, until: datetime) -> list[date]:
    """The Mondays (Asia/Shanghai) of the weeks the period touches."""
    first, last = week_of(since), week_of(until - timedelta(microseconds=1))
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _week_index(column: str, starts: list[date]) -> Expression:
    """Which of `starts` holds the moment in `column`, as a nested CASE of plain comparisons
    (a binary search: a year is 6 comparisons a row). Unlike truncating to a date it needs no
    time-zone function, which SQLite runs in Python row by row, and reads only the index."""
    bounds = [datetime.combine(start, datetime.min.time(), tzinfo=SHANGHAI) for start in starts]

    def between(low: int, high: int) -> Expression:
        if high - low == 1:
            return Value(low, output_field=IntegerField())
        middle = (low + high) // 2
        return Case(
            When(**{f"{column}__lt": bounds[middle]}, then=between(low, middle)),
            default=between(middle, high),
            output_field=IntegerField(),
        )

    return between(0, len(starts))


def _histogram_keys(row: dict[str, Any]) -> list[tuple[str, int | None]]:
    """The histograms a grouped row adds to: its unit's, its tier's and the whole's."""
    return [(row["tier"], row["department_id"] or row["authority_id"]), (row["tier"], None), ("", None)]


def _rows(query: Any) -> list[dict[str, Any]]:
    """Grouped rows as plain dicts (the type stubs cannot follow **aggregates)."""
    return list(query)


def _percentile(histogram: dict[int, int], share: float) -> int | None:
    """Nearest-rank percentile of a histogram (value: how many)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(math.ceil(share * total), 1)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _divided(value: int | None, by: int, digits: int) -> float | None:
    return None if value is None else round(value / by, digits)


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
    key = f"figures:v4:{org_id}:{period[0]}:{period[1]}:{get_language()}"
    report = cache.get(key)
    if report is None:
        report = _compute(user, since=since, until=until)
        cache.set(key, report, seconds)
    return report


def open_by_unit(user: User) -> list[dict[str, Any]]:
    """The requests waiting in a tier now across the supervisor's whole jurisdiction, lower
    tiers included, per tier and unit (the park, or the department the request was routed to):
    total, overdue, unassigned, with the unit's name. Figures, never the requests. Counting a
    city's open requests costs about 100 ms at a million, so the counts are kept like the
    figures (`PORTAL["FIGURES_CACHE_SECONDS"]`, per organisation; names in the reader's
    language are put on afterwards)."""
    from apps.casework import selectors
    from apps.casework.models import REVIEW_STATES

    def count() -> list[dict[str, Any]]:
        open_here = selectors.overseen_requests(user).filter(state__in=REVIEW_STATES)
        return _rows(
            open_here.values("tier", "department_id", "park_id")
            .annotate(
                total=Count("id"),
                overdue=Count("id", filter=Q(feedback_due_at__lt=timezone.now())),
                waiting_unassigned=Count("id", filter=Q(assignee__isnull=True)),
            )
            .order_by("tier", "department_id", "park_id")
        )

    seconds = settings.PORTAL["FIGURES_CACHE_SECONDS"]
    key = f"open-by-unit:{0 if user.is_superuser else user.organization_id}"
    rows = cache.get(key) if seconds else None
    if rows is None:
        rows = count()
        if seconds:
            cache.set(key, rows, seconds)
    # At the park tier the park answers; above it, the department the request was routed to.
    unit_of = {id(row): row["department_id"] if row["tier"] != Tier.PARK else row["park_id"] for row in rows}
    names = {o.pk: o.display_name for o in Organization.objects.filter(pk__in=set(unit_of.values()))}
    return [{**row, "unit_name": names.get(unit_of[id(row)], "")} for row in rows]


def _compute(user: User, *, since: datetime | None, until: datetime | None) -> Report:
    """Ten queries, whatever the number of requests behind them: tier visits per unit and
    week, a histogram of working minutes to feedback, the open backlog by age, ratings per unit
    and week, rectifications per unit, meetings per unit, a histogram of hours to a meeting,
    slots per organisation, names, and the assistant's feedback by kind (plus one a level to
    find the organisation's scope)."""
    now = timezone.now()
    until = until or now
    since = since or until - DEFAULT_PERIOD
    org = None if user.is_superuser else user.organization
    org_ids = scope_organizations(org)
    scoped = _visits(org, org_ids)
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
    total = Figures("", org.pk if org else None, org.display_name if org else _("All organisations"))
    score_sums: dict[int, int] = {}  # by id() of the Figures: the sum behind `average_score`

    def rolled_up(row: dict[str, Any]) -> list[Figures]:
        """The figures a grouped row adds to: its unit's, its tier's and the whole's."""
        tier, unit_id = row["tier"], row["department_id"] or row["authority_id"]
        return [
            units.setdefault((tier, unit_id), Figures(tier, unit_id, "")),
            tiers.setdefault(tier, Figures(tier, None, "")),
            total,
        ]

    def add(row: dict[str, Any], names: Any) -> None:
        for figures in rolled_up(row):
            for key in names:
                setattr(figures, key, getattr(figures, key) + row[key])

    # One pass over the period: counts per unit and week, rolled up here into units, tiers and
    # the weekly trend.
    weekly: dict[date, dict[str, int]] = {}

    def week(start: date) -> dict[str, int]:
        return weekly.setdefault(start, dict.fromkeys([*aggregates, "ratings", "satisfied"], 0))

    for row in _rows(
        period.values("tier", "authority_id", "department_id", "week_start").annotate(**aggregates)
    ):
        counts = week(row["week_start"])
        for key in aggregates:
            counts[key] += row[key]
        add(row, aggregates)

    # Working hours to feedback as a histogram by the minute, counted in the database; the
    # percentiles are read off it (exact to the minute).
    histograms: dict[tuple[str, int | None], dict[int, int]] = {}
    answered = period.filter(feedback_at__isnull=False, feedback_working_seconds__isnull=False)
    minutes = answered.annotate(minute=F("feedback_working_seconds") / 60)
    for row in _rows(
        minutes.values("tier", "authority_id", "department_id", "minute").annotate(n=Count("id"))
    ):
        for histogram_key in _histogram_keys(row):
            histogram = histograms.setdefault(histogram_key, {})
            histogram[row["minute"]] = histogram.get(row["minute"], 0) + row["n"]

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
        for figures in rolled_up(row):
            for name in BACKLOG_NAMES:
                figures.backlog[name] += row[name]

    # 好差评: the resolutions of the period per unit and week, from the covering index alone
    # (counting a column of the index, not the id, which PostgreSQL would fetch from the table).
    rated = Q(score__isnull=False, set_aside=False)
    default = Q(source=Source.DEFAULT)
    satisfied = rated & Q(score__gte=SATISFIED_MIN)
    rating_aggregates = {
        "resolved": Count("resolved_at"),
        "resolved_kept": Count("resolved_at", filter=Q(reopened_at__isnull=True)),
        "ratings": Count("resolved_at", filter=rated),
        "ratings_default": Count("resolved_at", filter=rated & default),
        "satisfied": Count("resolved_at", filter=satisfied),
        "satisfied_default": Count("resolved_at", filter=satisfied & default),
        "bad_reviews": Count("resolved_at", filter=rated & Q(score__lte=BAD_REVIEW_MAX)),
        "score_sum": Sum("score", filter=rated),
    }
    starts = _week_starts(since, until)
    resolutions = _scoped(Rating.objects.all(), org, org_ids).filter(
        resolved_at__gte=since, resolved_at__lt=until
    )
    for row in _rows(
        resolutions.annotate(week=_week_index("resolved_at", starts))
        .values("tier", "authority_id", "department_id", "week")
        .annotate(**rating_aggregates)
    ):
        counts = week(starts[row["week"]])
        counts["ratings"] += row["ratings"]
        counts["satisfied"] += row["satisfied"]
        add(row, [name for name in rating_aggregates if name != "score_sum"])
        for figures in rolled_up(row):
            score_sums[id(figures)] = score_sums.get(id(figures), 0) + (row["score_sum"] or 0)

    # The rectifications opened in the period, and the appeals against their reviews.
    owed = ~Q(state=RectificationState.SET_ASIDE)
    rectified = Q(rectified_at__isnull=False)
    appealed = Q(state=RectificationState.APPEALED)
    rectification_aggregates = {
        "rectifications": Count("opened_at", filter=owed),
        "rectifications_on_time": Count(
            "opened_at", filter=owed & rectified & Q(rectified_at__lte=F("due_at"))
        ),
        "rectifications_late": Count(
            "opened_at",
            filter=owed
            & (
                (rectified & Q(rectified_at__gt=F("due_at")))
                | Q(rectified_at__isnull=True, breached_at__isnull=False)
            ),
        ),
        "rectifications_open": Count(
            "opened_at", filter=Q(state__in=[RectificationState.OPEN, RectificationState.APPEALED])
        ),
        # A review upheld may be appealed again: while it is, the appeal counts as pending only.
        "appeals": Count("opened_at", filter=appealed | ~Q(decision="")),
        "appeals_upheld": Count("opened_at", filter=Q(decision="upheld") & ~appealed),
        "appeals_set_aside": Count("opened_at", filter=Q(decision="set_aside")),
        "appeals_pending": Count("opened_at", filter=appealed),
    }
    opened = _scoped(Rectification.objects.all(), org, org_ids).filter(
        opened_at__gte=since, opened_at__lt=until
    )
    for row in _rows(
        opened.values("tier", "authority_id", "department_id").annotate(**rectification_aggregates)
    ):
        add(row, rectification_aggregates)

    # Consultation meetings offered in the period: the meeting's unit is the department, the
    # park or the authority whose slots it offered.
    offered = _scoped(Meeting.objects.all(), org, org_ids, unit="organization_id").filter(
        proposed_at__gte=since, proposed_at__lt=until
    )
    meeting_aggregates = {
        "meetings": Count("proposed_at"),
        "meetings_booked": Count("proposed_at", filter=Q(state=MeetingState.BOOKED)),
        "meetings_held": Count("proposed_at", filter=Q(state=MeetingState.HELD)),
        "meetings_no_show": Count("proposed_at", filter=Q(state=MeetingState.NO_SHOW)),
        "meetings_cancelled": Count("proposed_at", filter=Q(state=MeetingState.CANCELLED)),
    }
    unit_of_meeting = {"department_id": F("organization_id")}
    for row in _rows(
        offered.values("tier", "authority_id", **unit_of_meeting).annotate(**meeting_aggregates)
    ):
        add(row, meeting_aggregates)
    # Days to a meeting: a histogram of the hours from filing to the start of those that had one.
    waits: dict[tuple[str, int | None], dict[int, int]] = {}
    met = offered.filter(
        state__in=[MeetingState.BOOKED, MeetingState.HELD, MeetingState.NO_SHOW], wait_hours__isnull=False
    )
    for row in _rows(
        met.values("tier", "authority_id", "wait_hours", **unit_of_meeting).annotate(n=Count("proposed_at"))
    ):
        for histogram_key in _histogram_keys(row):
            histogram = waits.setdefault(histogram_key, {})
            histogram[row["wait_hours"]] = histogram.get(row["wait_hours"], 0) + row["n"]

    published = _slots_published(org_ids, since, until)
    names = {
        o.pk: o.display_name
        for o in Organization.objects.filter(
            pk__in={unit_id for _tier, unit_id in units} | {row["organization_id"] for row in published}
        )
    }
    for (_tier, unit_id), figures in units.items():
        figures.organization = names.get(unit_id, "")
    keyed: list[tuple[tuple[str, int | None], Figures]] = [
        *units.items(),
        *(((tier_name, None), figures) for tier_name, figures in tiers.items()),
        (("", None), total),
    ]
    for histogram_key, figures in keyed:
        _percentiles(figures, histograms.get(histogram_key, {}), waits.get(histogram_key, {}))
    for figures in [*units.values(), *tiers.values(), total]:
        figures.finish(score_sums.get(id(figures), 0))

    weeks = [
        {
            "week_start": week_start,
            "received": counts["received"],
            "on_time_share": _rate(counts["on_time"], counts["due"]),
            "breaches": counts["breaches"],
            "ratings": counts["ratings"],
            "satisfaction_rate": _rate(counts["satisfied"], counts["ratings"]),
        }
        for week_start, counts in sorted(weekly.items())
    ]

    order = {tier: i for i, tier in enumerate(TIER_ORDER)}
    slots, slots_total = _slot_figures(published, names)
    return Report(
        assist=_assist_feedback(org_ids, since, until),
        slots=slots,
        slots_total=slots_total,
        organization_id=org.pk if org else 0,
        organization=total.organization,
        since=since,
        until=until,
        tiers=sorted(tiers.values(), key=lambda f: order[f.tier]),
        units=sorted(units.values(), key=lambda f: (order[f.tier], f.organization)),
        weeks=weeks,
        total=total,
    )


def _assist_feedback(org_ids: list[int] | None, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Helpful and not helpful, by kind of suggestion, said in the period."""
    said = Feedback.objects.filter(updated_at__gte=since, updated_at__lt=until)
    if org_ids is not None:
        said = said.filter(
            Q(organization_id__in=org_ids)
            | Q(organization__parent_id__in=org_ids, organization__kind=OrgKind.ENTERPRISE)
        )
    counts: dict[str, Any] = {
        row["kind"]: row
        for row in said.values("kind").annotate(
            said_helpful=Count("pk", filter=Q(helpful=True)), said_not=Count("pk", filter=Q(helpful=False))
        )
    }
    rows = []
    for kind in Feedback.Kind.values:
        helpful = counts.get(kind, {}).get("said_helpful", 0)
        not_helpful = counts.get(kind, {}).get("said_not", 0)
        rows.append(
            {
                "kind": kind,
                "label": Feedback.Kind(kind).label,
                "helpful": helpful,
                "not_helpful": not_helpful,
                "helpful_share": _rate(helpful, helpful + not_helpful),
            }
        )
    return rows


def _percentiles(figures: Figures, minutes: dict[int, int], hours: dict[int, int]) -> None:
    """Working hours to feedback from a histogram of minutes; days to a meeting from one of
    hours."""
    figures.median_working_hours = _divided(_percentile(minutes, 0.5), 60, 2)
    figures.p90_working_hours = _divided(_percentile(minutes, 0.9), 60, 2)
    figures.median_days_to_meeting = _divided(_percentile(hours, 0.5), 24, 1)
    figures.p90_days_to_meeting = _divided(_percentile(hours, 0.9), 24, 1)


def _slots_published(org_ids: list[int] | None, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The slots published for the period by each organisation of the scope (a department's
    scope is itself): how many, their places and the places taken."""
    published = Slot.objects.filter(cancelled_at=None, start__gte=since, start__lt=until)
    if org_ids is not None:
        published = published.filter(organization_id__in=org_ids)
    return _rows(
        published.values("organization_id")
        .annotate(slots=Count("start"), places=Sum("capacity"), taken=Sum("booked"))
        .order_by("organization_id")
    )


def _slot_figures(rows: list[dict[str, Any]], names: dict[int, str]) -> tuple[list[SlotFigures], SlotFigures]:
    """Each organisation's slots, and all of them together."""
    total = SlotFigures(None, _("All together"))
    per_unit = []
    for row in rows:
        unit = SlotFigures(row["organization_id"], names.get(row["organization_id"], ""))
        for figures in (unit, total):
            figures.slots += row["slots"]
            figures.places += row["places"] or 0
            figures.taken += row["taken"] or 0
        per_unit.append(unit)
    for figures in [*per_unit, total]:
        figures.taken_share = _rate(figures.taken, figures.places)
    return sorted(per_unit, key=lambda f: f.organization), total
