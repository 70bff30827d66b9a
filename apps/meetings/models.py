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


class MeetingState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    # The enterprise asked for another time: the tier offers again (a new meeting).
    ANOTHER_TIME = "another_time", _("Another time asked for")
    BOOKED = "booked", _("Booked")
    HELD = "held", _("Held")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


# A request has at most one meeting in these states at a time.
OPEN_STATES = (MeetingState.PROPOSED, MeetingState.BOOKED)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved in the meeting")
    FOLLOW_UP = "follow_up", _("Follow-up questions")
    ESCALATE = "escalate", _("To be escalated")


class Meeting(models.Model):
    """A consultation meeting inside a request: offered by the tier holding it (a few slots to
    choose from), booked by the enterprise side (one slot), then held with minutes, or missed,
    or cancelled."""

    request = models.ForeignKey(
        "casework.ServiceRequest",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="meetings",
    )
    # Who offers it: the tier that held the request, its authority (or park) and the unit
    # whose slots are offered (the department, or the park, or the authority itself).
    tier = models.CharField(_("tier"), max_length=16)
    # Both indexed first in an index of the figures (below).
    authority = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("authority"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=16, choices=MeetingState.choices, default="proposed")
    slots = models.ManyToManyField(Slot, verbose_name=_("slots offered"), related_name="offered_in")
    slot = models.ForeignKey(
        Slot,
        verbose_name=_("slot booked"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    # The booked slot's times, kept on the meeting for the reminder scan and the figures.
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # Whole hours from the request's filing to the booked start: the figures' days to a
    # meeting, counted in the database from a histogram of this column.
    wait_hours = models.PositiveIntegerField(_("hours from filing to the meeting"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("offered by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("offered"))
    note = models.TextField(_("note with the offer"), blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_at = models.DateTimeField(_("booked"), null=True, blank=True)
    # Why it was cancelled, or another time asked for.
    reason = models.TextField(_("reason"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    minutes_internal = models.BooleanField(_("minutes internal"), default=False)
    minutes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minutes by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    minutes_at = models.DateTimeField(_("minutes recorded"), null=True, blank=True)
    # Reminders, each sent once: the working day before, and an hour before.
    remind_day_at = models.DateTimeField(_("day-before reminder due"), null=True, blank=True)
    reminded_day_at = models.DateTimeField(_("reminded the day before"), null=True, blank=True)
    remind_hour_at = models.DateTimeField(_("hour-before reminder due"), null=True, blank=True)
    reminded_hour_at = models.DateTimeField(_("reminded an hour before"), null=True, blank=True)
    # Bumped by every change: an .ics invitation's SEQUENCE, which calendar programs follow.
    sequence = models.PositiveIntegerField(_("revision"), default=0)

    class Meta:
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["request", "proposed_at"], name="meeting_request"),
            # The reminder scan: booked meetings whose reminder is due and not yet sent.
            models.Index(
                fields=["remind_day_at"],
                name="meeting_remind_day",
                condition=Q(state="booked", reminded_day_at=None),
            ),
            models.Index(
                fields=["remind_hour_at"],
                name="meeting_remind_hour",
                condition=Q(state="booked", reminded_hour_at=None),
            ),
            # The figures: an authority's (or a department's) meetings by when they were offered.
            models.Index(fields=["authority", "proposed_at"], name="meeting_authority_time"),
            models.Index(fields=["organization", "proposed_at"], name="meeting_unit_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(state__in=["proposed", "booked"]),
                name="one_open_meeting_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.state}"
