"""Consultation meetings (沟通交流会议): the slots officers and liaisons publish on the working
calendar, and the meetings a tier proposes inside a request and an enterprise books."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Slot(models.Model):
    """A time someone of an organisation is free to meet: `capacity` places, `booked` taken
    (taken by a conditional update, so that the last place has exactly one winner)."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        related_name="hosted_slots",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveSmallIntegerField(_("places"), default=1)
    booked = models.PositiveSmallIntegerField(_("places taken"), default=0)
    place = models.CharField(_("place or video link"), max_length=300)
    # Topic categories the slot is meant for (request categories); empty: any.
    categories = models.JSONField(_("topics"), default=list, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation slot")
        verbose_name_plural = _("consultation slots")
        ordering = ["start", "pk"]
        indexes = [
            # A department's week of slots; the free ones of an organisation.
            models.Index(
                fields=["organization", "start"], name="slot_org_start", condition=Q(cancelled_at=None)
            ),
            # Overlaps with the host's other slots.
            models.Index(fields=["host", "start"], name="slot_host_start", condition=Q(cancelled_at=None)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_has_a_place"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.place}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)
