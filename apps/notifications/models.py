"""In-app notifications, which are also the outbox of the emails they owe.

A notification row is written in the same transaction as the change it reports, so it exists
exactly when the change does. Its email is handed to Celery after the commit; when that
hand-over fails (the broker is down, or the embedded broker lost the message) the row stays
`pending` and the periodic job sends it later. The row, not the broker message, is the record
that an email is owed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailState(models.TextChoices):
    NONE = "none", _("No email (no address)")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Gave up")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32)
    request = models.ForeignKey(
        "casework.ServiceRequest",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # The timeline event or tier visit it reports: with the recipient and kind, what makes a
    # notification exactly-once.
    event = models.ForeignKey(
        "casework.RequestEvent",
        verbose_name=_("timeline event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    visit = models.ForeignKey(
        "deadlines.TierVisit",
        verbose_name=_("tier visit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        _("email"), max_length=8, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_claimed_at = models.DateTimeField(_("email claimed"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_time"),
            models.Index(
                fields=["recipient"], name="notif_recipient_unread", condition=Q(read_at__isnull=True)
            ),
            # The outbox: only rows whose email has not gone yet.
            models.Index(
                fields=["created_at"],
                name="notif_outbox",
                condition=Q(email_state__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"],
                name="notif_once_per_event",
                condition=Q(event__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["recipient", "visit", "kind"],
                name="notif_once_per_visit_kind",
                condition=Q(visit__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"

    @property
    def read(self) -> bool:
        return self.read_at is not None
