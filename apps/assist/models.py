"""What the offline assistant keeps: each request's and guidance document's terms (indexed by
the database, apps/assist/index.py), the category classifier it last trained, and what people
said of its suggestions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestTerms(models.Model):
    """A request's title (twice: it says the most) and description as terms, behind the
    terms of its jurisdiction (text.scope_term). SQLite indexes it in FTS5, PostgreSQL in a
    generated tsvector column with a GIN index (migration 0001)."""

    request = models.OneToOneField(
        "casework.ServiceRequest", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    terms = models.TextField()

    class Meta:
        verbose_name = _("request terms")
        verbose_name_plural = _("request terms")

    def __str__(self) -> str:
        return f"{self.request_id}"


class GuidanceTerms(models.Model):
    """Both language versions of a guidance document as one bag of terms: a Chinese question
    meets the Chinese version, or the concepts of the English one."""

    guidance = models.OneToOneField(
        "guidance.Guidance", primary_key=True, on_delete=models.CASCADE, related_name="terms"
    )
    terms = models.TextField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("guidance terms")
        verbose_name_plural = _("guidance terms")

    def __str__(self) -> str:
        return f"{self.guidance_id}"


class CategoryModel(models.Model):
    """One trained category classifier (the newest is used), with how it did on requests it
    was not trained on beside always guessing the most common category."""

    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    samples = models.PositiveIntegerField(_("requests trained on"))
    accuracy = models.FloatField(_("accuracy on held-out requests"))
    baseline = models.FloatField(_("accuracy of the most common category"))
    blob = models.BinaryField()

    class Meta:
        verbose_name = _("category classifier")
        verbose_name_plural = _("category classifiers")
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.samples})"


class Feedback(models.Model):
    """Helpful or not, said of one suggestion by one person (said again, it replaces)."""

    class Kind(models.TextChoices):
        GUIDANCE = "guidance", _("Suggested guidance")
        SIMILAR = "similar", _("Similar request")
        CATEGORY = "category", _("Suggested category")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The request it was suggested for; none for the new-request form.
    request = models.ForeignKey(
        "casework.ServiceRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The guidance id, the similar request's id or the category code.
    target = models.CharField(_("suggestion"), max_length=32)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("suggestion feedback")
        verbose_name_plural = _("suggestion feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "request", "target"],
                name="assist_feedback_once",
                condition=models.Q(request__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="assist_feedback_org")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target}: {'+' if self.helpful else '-'}"


# The API documents these choices under one name (portal/settings/base.py, ENUM_NAME_OVERRIDES).
FeedbackKind = Feedback.Kind
