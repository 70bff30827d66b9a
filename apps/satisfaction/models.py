"""好差评: one rating per resolution, and the rectification a bad review opens.

A `Rating` row is written when a request is resolved, before anybody rates it: it names the
tier and department whose answer it rates and when it defaults to 5. Rating it fills the row
with a conditional update (one rating per resolution, whoever races); reopening the request
marks it, which is also what the resolution rate counts. The service figures read these rows
and the rectifications through covering indexes, by the organisation that resolved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.organizations.models import Tier

# A score at or below this is a bad review (差评) and opens a rectification.
BAD_REVIEW_MAX = 2
# Scores that count as satisfied in the satisfaction rate.
SATISFIED_MIN = 4


class Score(models.IntegerChoices):
    """The five levels of the national 好差评 system (非常满意 … 非常不满意 in Chinese)."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    FAIRLY_SATISFIED = 3, _("Fairly satisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


class Source(models.TextChoices):
    ENTERPRISE = "enterprise", _("By the enterprise")
    LIAISON = "liaison", _("Recorded by the park liaison")
    DEFAULT = "default", _("Default (not rated in time)")


_RATING_FIGURES = ["tier", "score", "source", "set_aside", "reopened_at"]


class _ResolvingUnit(models.Model):
    """Whose answer it is: the tier, its authority (park, district, municipal, provincial) and
    the department there, when the request was resolved; the same keys as a tier visit's, which
    the service figures group on."""

    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
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

    class Meta:
        abstract = True


class Rating(_ResolvingUnit):
    """One resolution of a request and the enterprise's rating of it (empty until rated)."""

    request = models.ForeignKey(
        "casework.ServiceRequest", verbose_name=_("request"), on_delete=models.CASCADE, related_name="ratings"
    )
    resolution = models.OneToOneField(
        "casework.RequestEvent",
        verbose_name=_("resolution"),
        on_delete=models.CASCADE,
        related_name="rating",
        help_text=_("The timeline event of the resolution this rates."),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"))
    default_at = models.DateTimeField(_("counts as satisfied from"))
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, choices=Score.choices)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True)
    # Who gave it (an enterprise's staff member) or recorded it (a liaison); never shown to the
    # staff whose answer it rates.
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # An appeal set the bad review aside: the figures leave it out.
    set_aside = models.BooleanField(_("set aside on appeal"), default=False)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-resolved_at", "-id"]
        indexes = [
            models.Index(fields=["request", "-resolved_at"], name="rating_request"),
            # The scan: resolutions still waiting for a rating, by when they default.
            models.Index(
                fields=["default_at"],
                name="rating_awaiting_default",
                condition=Q(score__isnull=True, reopened_at__isnull=True),
            ),
            # The figures: a period's resolutions of an authority or a department, index only.
            models.Index(
                fields=["authority", "resolved_at", "department", *_RATING_FIGURES], name="rating_figures"
            ),
            models.Index(
                fields=["department", "resolved_at", "authority", *_RATING_FIGURES],
                name="rating_figures_department",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.score or '-'}"

    @property
    def rated(self) -> bool:
        return self.score is not None

    @property
    def is_bad_review(self) -> bool:
        return self.score is not None and self.score <= BAD_REVIEW_MAX


class RectificationState(models.TextChoices):
    OPEN = "open", _("Being rectified")
    APPEALED = "appealed", _("Appeal under review")
    RECTIFIED = "rectified", _("Rectified")
    SET_ASIDE = "set_aside", _("Review set aside")


# A rectification still to be done, or its appeal to be decided: its deadline counts.
UNFINISHED = (RectificationState.OPEN, RectificationState.APPEALED)


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    MESSAGE = "message", _("Message or email")


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("Review upheld")
    SET_ASIDE = "set_aside", _("Review set aside")


_RECTIFICATION_FIGURES = ["tier", "state", "due_at", "rectified_at", "breached_at", "decision"]


class Rectification(_ResolvingUnit):
    """整改: what the organisation that resolved a request does about a bad review of it, due
    some working days after the review; or its appeal (申诉) against the review."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="rectification"
    )
    request = models.ForeignKey(
        "casework.ServiceRequest",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="rectifications",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=RectificationState.choices, default=RectificationState.OPEN
    )
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(_("deadline missed"), null=True, blank=True)
    # What was done, and the follow-up with the enterprise (回访).
    action_taken = models.TextField(_("what was done"), blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up_method = models.CharField(
        _("follow-up by"), max_length=16, choices=FollowUpMethod.choices, blank=True
    )
    follow_up_notes = models.TextField(_("what the enterprise said"), blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The appeal and the supervisor's decision.
    appeal_reason = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appealed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=16, choices=AppealDecision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The enterprise's rating of the fix.
    fix_score = models.PositiveSmallIntegerField(
        _("rating of the fix"), null=True, blank=True, choices=Score.choices
    )
    fix_comment = models.TextField(_("comment on the fix"), blank=True)
    fix_rated_at = models.DateTimeField(_("fix rated"), null=True, blank=True)
    fix_rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fix rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["request", "-opened_at"], name="rectification_request"),
            # The scan: open rectifications not yet breached, by deadline.
            models.Index(
                fields=["due_at"],
                name="rectification_awaiting_breach",
                condition=Q(state="open", breached_at__isnull=True),
            ),
            models.Index(
                fields=["authority", "opened_at", "department", *_RECTIFICATION_FIGURES],
                name="rectification_figures",
            ),
            models.Index(
                fields=["department", "opened_at", "authority", *_RECTIFICATION_FIGURES],
                name="rectification_figures_dept",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(fix_score__isnull=True) | Q(fix_score__gte=1, fix_score__lte=5),
                name="rectification_fix_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.state}"

    @property
    def on_time(self) -> bool | None:
        if self.rectified_at is None:
            return None
        return self.rectified_at <= self.due_at
