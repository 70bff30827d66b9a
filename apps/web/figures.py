"""The supervisor's figures: a chosen period beside the one before it, read against the targets,
and the printable monthly report (通报) a district takes to its meeting.

Periods are calendar periods in Asia/Shanghai (the portal's time zone): a week from Monday, a
month, a quarter, or a custom range of whole days. Each is a half-open range of moments
[first day 00:00, day after the last 00:00), which is what `service_figures` and the exports
(`until` = a date counting whole) both take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from apps.organizations.models import Role, User
from apps.stats import figures
from apps.stats.targets import Target, target_for, targets_for

from .charts import bar_chart, target_chart, trend_chart

MAX_CUSTOM_DAYS = 366
DEFAULT_PERIOD = "month"
# The years the calendar and the database handle without surprises (time-zone arithmetic near
# year 1 overflows); a date outside them is a typing slip.
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | custom
    first: date  # the first day, inclusive
    last: date  # the last day, inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before: the week, month or quarter before, or for a
        custom range the same number of days right before it."""
        if self.kind == "week":
            return Period("week", self.first - timedelta(days=7), self.first - timedelta(days=1))
        if self.kind in ("month", "quarter"):
            return period_of(self.kind, self.first - timedelta(days=1))
        return Period("custom", self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def query(self) -> dict[str, str]:
        """The dates as the exports take them (`until` counts whole)."""
        return {"since": self.first.isoformat(), "until": self.last.isoformat()}


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: date) -> Period:
    """The calendar week (Monday to Sunday), month or quarter that holds `day`."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period("week", first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        return Period("month", first, _month_start(first, -1) - timedelta(days=1))
    if kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", first, _month_start(first, -3) - timedelta(days=1))
    raise ValueError(kind)


class PeriodForm(forms.Form):
    PERIODS = [
        ("week", gettext_lazy("This week")),
        ("month", gettext_lazy("This month")),
        ("quarter", gettext_lazy("This quarter")),
        ("custom", gettext_lazy("Custom range")),
    ]
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, required=False)
    since = forms.DateField(label=gettext_lazy("First day"), required=False)
    until = forms.DateField(label=gettext_lazy("Last day (inclusive)"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("since", "until"):
            day = cleaned.get(name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
        if cleaned.get("period") != "custom" or self.errors:
            return cleaned
        since, until = cleaned.get("since"), cleaned.get("until")
        if since is None or until is None:
            raise forms.ValidationError(_("A custom range needs both its first and its last day."))
        if until < since:
            self.add_error("until", _("The last day must not be before the first."))
        elif (until - since).days + 1 > MAX_CUSTOM_DAYS:
            self.add_error("until", _("Choose at most %(days)s days at a time.") % {"days": MAX_CUSTOM_DAYS})
        return cleaned


def chosen_period(params: QueryDict, today: date | None = None) -> tuple[Period, PeriodForm]:
    """The period the query string asks for; a form with errors falls back to this month (the
    page says why, rather than failing)."""
    today = today or timezone.localdate()
    if not params.get("period") and (params.get("since") or params.get("until")):
        # Dates typed without choosing "Custom range" mean that range.
        params = params.copy()
        params["period"] = "custom"
    form = PeriodForm(params)
    if not form.is_valid():
        return period_of(DEFAULT_PERIOD, today), form
    kind = form.cleaned_data.get("period") or DEFAULT_PERIOD
    if kind == "custom":
        return Period("custom", form.cleaned_data["since"], form.cleaned_data["until"]), form
    return period_of(kind, today), form


# The fields another part of the portal adds to `Figures` (satisfaction, resolution, appeals):
# read with a default, so that the page works before and after they land.
_EXTRA_FIELDS = [
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "satisfaction_rate_given",
    "average_score",
    "ratings",
    "ratings_default",
    "bad_reviews",
    "rectifications",
    "rectifications_on_time",
    "rectifications_late",
    "appeals_upheld",
    "appeals_set_aside",
]


def _value(f: figures.Figures | None, name: str) -> Any:
    return None if f is None else getattr(f, name)


def _points(now: float | None, before: float | None) -> dict[str, Any] | None:
    """A rate's change from the previous period, in percentage points, worded with its sign (an
    arrow and a word for a screen reader: never the colour alone)."""
    if now is None or before is None:
        return None
    points = round((now - before) * 100, 1)
    if points > 0:
        return {"text": _("▲ %(points)s pts") % {"points": f"{points:.1f}"}, "way": "up"}
    if points < 0:
        return {"text": _("▼ %(points)s pts") % {"points": f"{-points:.1f}"}, "way": "down"}
    return {"text": _("= no change"), "way": "same"}


@dataclass
class Row:
    """One line of the figures table: this period's figures, the previous period's, the target."""

    tier: str
    name: str
    now: figures.Figures
    before: figures.Figures | None
    target: Target
    total: bool = False
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = {name: _value(self.now, name) for name in _EXTRA_FIELDS}
        self.values["before"] = {name: _value(self.before, name) for name in _EXTRA_FIELDS}
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
            self.values[f"{rate}_change"] = _points(self.values[rate], self.values["before"][rate])
        response, satisfaction = self.values["response_rate"], self.values["satisfaction_rate"]
        self.values["response_met"] = None if response is None else response >= self.target.on_time
        self.values["satisfaction_met"] = (
            None if satisfaction is None else satisfaction >= self.target.satisfaction
        )


def _unit_key(f: figures.Figures) -> tuple[str, int | None]:
    return (f.tier, f.organization_id)


def figures_context(user: User, period: Period) -> dict[str, Any]:
    """Everything the supervisor's page and the monthly report show about a period."""
    previous = period.previous()
    report = figures.service_figures(user, since=period.since, until=period.until)
    before = figures.service_figures(user, since=previous.since, until=previous.until)
    before_units = {_unit_key(f): f for f in before.units}
    before_tiers = {f.tier: f for f in before.tiers}
    own = target_for(user.organization)
    targets = targets_for(f.organization_id for f in report.units)
    units = [
        Row(
            f.tier,
            f.organization or f.tier,
            f,
            before_units.get(_unit_key(f)),
            targets.get(f.organization_id or 0, own),
        )
        for f in report.units
    ]
    tiers = [Row(f.tier, f.tier, f, before_tiers.get(f.tier), own, total=True) for f in report.tiers]
    # The table: each tier's departments and parks, then that tier's total.
    groups = [{"total": t, "units": [u for u in units if u.tier == t.tier]} for t in tiers]
    # The headline: the organisation's own tier (a district's departments, a park itself); an
    # administrator's whole-portal view reads the lowest tier that has figures.
    own_tier = user.organization.tier if user.organization else None
    headline = next((t for t in tiers if t.tier == own_tier), tiers[0] if tiers else None)
    query = period.query()
    return {
        "period": period,
        "previous_period": previous,
        "report": report,
        "previous_report": before,
        "organization_name": user.organization.display_name if user.organization else report.organization,
        "target": own,
        "groups": groups,
        "headline": headline,
        "target_chart": target_chart(
            [
                {
                    "name": u.name,
                    "response": u.values["response_rate"],
                    "satisfaction": u.values["satisfaction_rate"],
                    "target": u.target,
                }
                for u in units
            ],
            title=_("Response and satisfaction rates by department, against the targets"),
        ),
        "downloads": {
            "csv": reverse("api:stats-export") + "?" + urlencode(query),
            # The spreadsheet export is added beside the CSV one; until then the link is left out.
            "xlsx": _url_or_none("api:stats-export-xlsx", query),
        },
    }


def _url_or_none(name: str, query: dict[str, str]) -> str | None:
    from django.urls import NoReverseMatch

    try:
        return reverse(name) + "?" + urlencode(query)
    except NoReverseMatch:
        return None


def supervisor_context(user: User, params: QueryDict) -> dict[str, Any]:
    """The figures part of the supervisor's home: the period picker and its figures."""
    period, form = chosen_period(params)
    context = figures_context(user, period)
    report = context["report"]
    context.update(
        period_form=form,
        period_errors=[error for errors in form.errors.values() for error in errors],
        # The controls keep what was asked, even when it could not be shown, to be corrected.
        period_checked=params.get("period")
        if params.get("period") in dict(PeriodForm.PERIODS)
        else period.kind,
        period_inputs={
            name: period.query()[name] if period.kind == "custom" else params.get(name, "")
            for name in ("since", "until")
        },
        report_month=period.first.strftime("%Y-%m"),
        breach_chart=bar_chart(
            [(f.organization or f.tier, f.breaches) for f in report.units],
            title=_("Missed deadlines by department"),
        ),
        trend=trend_chart(report.weeks, title=_("Requests received and on-time share by week")),
    )
    return context


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": gettext_lazy("Give the month as YYYY-MM.")},
    )


def may_see_report(user: User) -> bool:
    return user.is_superuser or (user.role == Role.SUPERVISOR and user.organization_id is not None)


@login_required
@require_GET
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The month's 通报: the organisation's three rates against its targets and the month before,
    the departments' table and chart, and the bad reviews and their rectifications."""
    user = request.user
    assert isinstance(user, User)
    if not may_see_report(user):
        raise PermissionDenied(_("The monthly report is for supervisors."))
    form = MonthForm(request.GET)
    today = timezone.localdate()
    month = today.replace(day=1)
    if form.is_valid() and form.cleaned_data["month"]:
        year, number = form.cleaned_data["month"].split("-")
        if FIRST_YEAR <= int(year) <= LAST_YEAR:
            month = date(int(year), int(number), 1)
        else:
            form.add_error(
                "month",
                _("Choose a month from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
    context = figures_context(user, period_of("month", month))
    bad = {"bad_reviews": 0, "rectifications": 0, "rectifications_on_time": 0, "rectifications_late": 0}
    for group in context["groups"]:
        for name in bad:
            bad[name] += group["total"].values[name] or 0
    context.update(
        month_form=form,
        month_errors=[error for errors in form.errors.values() for error in errors],
        month=month,
        bad=bad,
        issued=timezone.localtime(),
    )
    return render(request, "web/figures_report.html", context)
