"""Tier visits (each stay of a request in one tier, with its feedback deadline) and the
calendar overrides admins keep for years the official calendar library does not cover yet."""

from __future__ import annotations

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


class TierVisit(models.Model):
    """One stay of a request in one tier: when it came, when feedback was due and given."""

    request = models.ForeignKey("casework.ServiceRequest", on_delete=models.CASCADE, related_name="visits")
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    # The authority (park, district, municipal or provincial organisation) and department.
    authority = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    green_channel = models.BooleanField(default=False)
    started_at = models.DateTimeField(_("entered"), default=timezone.now)
    due_at = models.DateTimeField(_("feedback due"))
    feedback_at = models.DateTimeField(_("feedback given"), null=True, blank=True)
    ended_at = models.DateTimeField(_("left the tier"), null=True, blank=True)
    feedback_seconds = models.PositiveIntegerField(null=True, blank=True)
    feedback_working_seconds = models.PositiveIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tier visit")
        verbose_name_plural = _("tier visits")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["request", "started_at"], name="visit_request_time"),
            # The periodic scan reads only visits still waiting for feedback.
            models.Index(
                fields=["due_at"],
                name="visit_awaiting_due",
                condition=Q(feedback_at__isnull=True, ended_at__isnull=True),
            ),
            models.Index(fields=["authority", "started_at"], name="visit_authority_time"),
            models.Index(fields=["department", "started_at"], name="visit_department_time"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.tier} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def awaiting_feedback(self) -> bool:
        return self.feedback_at is None and self.ended_at is None
