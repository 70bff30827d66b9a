"""The targets an organisation's service figures are read against."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

_PERCENT = [MinValueValidator(1), MaxValueValidator(100)]


class ServiceTarget(models.Model):
    """An organisation's targets: the share of tier visits fed back on time (the response rate)
    and the satisfaction rate, in percent. Without a row of its own an organisation is read
    against the nearest organisation above it that has one, else the portal's defaults
    (`PORTAL["TARGET_ON_TIME_PERCENT"]`, `PORTAL["TARGET_SATISFACTION_PERCENT"]`)."""

    organization = models.OneToOneField(
        "organizations.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="service_target",
    )
    on_time_percent = models.PositiveSmallIntegerField(
        _("response rate target (%)"),
        validators=_PERCENT,
        help_text=_("Share of tier visits fed back by their deadline."),
    )
    satisfaction_percent = models.PositiveSmallIntegerField(
        _("satisfaction rate target (%)"),
        validators=_PERCENT,
        help_text=_("Share of ratings of 4 or 5."),
    )

    class Meta:
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")

    def __str__(self) -> str:
        return f"{self.organization}: {self.on_time_percent}% / {self.satisfaction_percent}%"
