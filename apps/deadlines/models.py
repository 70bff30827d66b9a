"""Tier visits (each stay of a request in one tier, with its feedback deadline) and the
calendar overrides admins keep for years the official calendar library does not cover yet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.organizations.models import Tier


class CalendarOverride(models.Model):
    date = models.DateField(_("date"), unique=True)
    workday = models.BooleanField(
        _("working day"), help_text=_("Ticked: a working day; unticked: a day off.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.workday else 'day off'}"


def week_of(moment: datetime) -> date:
    """The Monday, in Asia/Shanghai, of the week holding `moment`."""
    local = timezone.localtime(moment, ZoneInfo("Asia/Shanghai")).date()
    return local - timedelta(days=local.weekday())


_FIGURES_COLUMNS = ["tier", "week_start", "due_at", "feedback_at", "breached_at", "feedback_working_seconds"]


class TierVisit(models.Model):
    """One stay of a request in one tier: when it came, when feedback was due and given."""

    request = models.ForeignKey(
        "casework.ServiceRequest", verbose_name=_("request"), on_delete=models.CASCADE, related_name="visits"
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    # The authority (park, district, municipal or provincial organisation) and department.
    authority = models.ForeignKey(
        "organizations.Organization", verbose_name=_("authority"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    green_channel = models.BooleanField(_("green channel"), default=False)
    started_at = models.DateTimeField(_("entered"), default=timezone.now)
    # Monday (Asia/Shanghai) of the week it entered: the weekly figures group on a plain column.
    week_start = models.DateField(_("week"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("feedback due"))
    feedback_at = models.DateTimeField(_("feedback given"), null=True, blank=True)
    ended_at = models.DateTimeField(_("left the tier"), null=True, blank=True)
    feedback_seconds = models.PositiveIntegerField(_("feedback time (seconds)"), null=True, blank=True)
    feedback_working_seconds = models.PositiveIntegerField(
        _("feedback time (working seconds)"), null=True, blank=True
    )
    remind_at = models.DateTimeField(_("reminder due"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    breached_at = models.DateTimeField(_("deadline missed"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tier visit")
        verbose_name_plural = _("tier visits")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["request", "started_at"], name="visit_request_time"),
            # The periodic scan reads only visits still waiting for feedback and not yet
            # reminded (or breached): what it has done drops out of its indexes.
            models.Index(
                fields=["remind_at"],
                name="visit_awaiting_reminder",
                condition=Q(feedback_at__isnull=True, ended_at__isnull=True, reminded_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="visit_awaiting_breach",
                condition=Q(feedback_at__isnull=True, ended_at__isnull=True, breached_at__isnull=True),
            ),
            # The service figures read only these columns of a period's visits, by authority or
            # by department: index-only scans.
            models.Index(
                fields=["authority", "started_at", "department", *_FIGURES_COLUMNS], name="visit_figures"
            ),
            models.Index(
                fields=["department", "started_at", "authority", *_FIGURES_COLUMNS],
                name="visit_figures_department",
            ),
            # The backlog of the service figures: visits still in their tier.
            models.Index(
                fields=["authority", "started_at"],
                name="visit_open_authority",
                condition=Q(ended_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.tier} due {self.due_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.week_start is None:
            self.week_start = week_of(self.started_at)
        super().save(*args, **kwargs)

    @property
    def awaiting_feedback(self) -> bool:
        return self.feedback_at is None and self.ended_at is None


class DeadlinePolicy(models.Model):
    """The deadline rules an admin may tune; one row. Defaults come from settings.PORTAL."""

    start_of_business = models.TimeField(_("start of business"))
    end_of_business = models.TimeField(_("end of business"))
    green_channel_cutoff = models.TimeField(
        _("green channel cut-off"),
        help_text=_("Green-channel requests received before this time are due the same working day."),
    )
    green_channel_late_due = models.TimeField(
        _("green channel late deadline"),
        help_text=_("Received after the cut-off: due at this time of the next working day."),
    )
    reminder_working_hours = models.DecimalField(
        _("reminder (working hours before the deadline)"), max_digits=4, decimal_places=1
    )
    reopen_within_days = models.PositiveSmallIntegerField(_("reopen within (days)"))
    auto_close_after_days = models.PositiveSmallIntegerField(_("close resolved requests after (days)"))
    rating_default_after_days = models.PositiveSmallIntegerField(
        _("rate as satisfied after (days)"),
        default=7,
        help_text=_("A resolution its enterprise has not rated by then counts as 5, shown as a default."),
    )
    rectification_working_days = models.PositiveSmallIntegerField(
        _("rectification due after (working days)"),
        default=5,
        help_text=_("A bad review (1 or 2) opens a rectification due this many working days later."),
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policy")

    def __str__(self) -> str:
        return str(_("Deadline policy"))

    @classmethod
    def defaults(cls) -> DeadlinePolicy:
        def clock(name: str) -> time:
            hours, minutes = settings.PORTAL[name].split(":")
            return time(int(hours), int(minutes))

        return cls(
            pk=1,
            start_of_business=clock("START_OF_BUSINESS"),
            end_of_business=clock("END_OF_BUSINESS"),
            green_channel_cutoff=clock("GREEN_CHANNEL_CUTOFF"),
            green_channel_late_due=clock("GREEN_CHANNEL_LATE_DUE"),
            reminder_working_hours=Decimal(str(settings.PORTAL["REMINDER_WORKING_HOURS"])),
            reopen_within_days=settings.PORTAL["REOPEN_WITHIN_DAYS"],
            auto_close_after_days=settings.PORTAL["AUTO_CLOSE_AFTER_DAYS"],
            rating_default_after_days=settings.PORTAL["RATING_DEFAULT_AFTER_DAYS"],
            rectification_working_days=settings.PORTAL["RECTIFICATION_WORKING_DAYS"],
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_of_business >= self.end_of_business:
            raise ValidationError({"end_of_business": _("The day must end after it starts.")})
        if not (self.start_of_business <= self.green_channel_cutoff <= self.end_of_business):
            raise ValidationError({"green_channel_cutoff": _("Choose a time within business hours.")})
        if not (self.start_of_business <= self.green_channel_late_due <= self.end_of_business):
            raise ValidationError({"green_channel_late_due": _("Choose a time within business hours.")})
        if self.rectification_working_days < 1:
            raise ValidationError(
                {"rectification_working_days": _("Give a rectification at least one working day.")}
            )
        if self.rating_default_after_days < 1:
            raise ValidationError(
                {"rating_default_after_days": _("Give the enterprise at least one day to rate.")}
            )
