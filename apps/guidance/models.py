"""Guidance documents authorities publish in both languages: policy notes, compliance
guidelines, FAQs. Bodies are Markdown, rendered through a sanitiser."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.casework.models import Category, ProductType, private_storage


class Guidance(models.Model):
    class Kind(models.TextChoices):
        POLICY = "policy_note", _("Policy note")
        COMPLIANCE = "compliance_guideline", _("Compliance guideline")
        FAQ = "faq", _("FAQ")
        TECHNICAL = "technical_guidance", _("Technical guidance")

    publisher = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        related_name="guidance",
        limit_choices_to={"kind__in": ["provincial", "municipal", "district", "department"]},
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Published in both languages, or in the one it was written in (the assistant finds it
    # from a question in either).
    title = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    body = models.TextField(_("body (English, Markdown)"), blank=True)
    body_zh = models.TextField(_("body (Chinese, Markdown)"), blank=True)
    category = models.CharField(
        _("category"),
        max_length=32,
        choices=Category.choices,
        blank=True,
        help_text=_("Leave empty when it concerns every category."),
    )
    product_types = models.JSONField(
        _("product types"),
        default=list,
        blank=True,
        help_text=_('Product type codes it concerns; empty for all, e.g. ["drug", "biologic"].'),
    )
    published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("guidance document")
        verbose_name_plural = _("guidance documents")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["published", "category", "-published_at"], name="guidance_listing")]

    def __str__(self) -> str:
        return self.title or self.title_zh

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        halves = (bool(self.title) != bool(self.body), bool(self.title_zh) != bool(self.body_zh))
        if any(halves) or not (self.title or self.title_zh):
            raise ValidationError(_("Give the title and the body in English, in Chinese, or in both."))
        if not isinstance(self.product_types, list) or any(
            p not in ProductType.values for p in self.product_types
        ):
            raise ValidationError({"product_types": _("Give a list of product type codes.")})

    def _in_language(self, english: str, chinese: str) -> str:
        """The reader's language where the document has it, else the one it has."""
        if (get_language() or "").startswith("zh"):
            return chinese or english
        return english or chinese

    @property
    def localized_title(self) -> str:
        return self._in_language(self.title, self.title_zh)

    @property
    def localized_body(self) -> str:
        return self._in_language(self.body, self.body_zh)


class GuidanceAttachment(models.Model):
    guidance = models.ForeignKey(
        Guidance, verbose_name=_("guidance"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="guidance/%Y/", storage=private_storage, max_length=300)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("guidance attachment")
        verbose_name_plural = _("guidance attachments")

    def __str__(self) -> str:
        return self.name
