"""What a person keeps to work their queue faster: saved views of it, reply templates of their
organisation, and the requests they follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.organizations.models import Organization

NAME_MAX_LENGTH = 80


class SavedView(models.Model):
    """A queue's filters and order under a name: the person's own, or shared by a supervisor with
    everyone in their organisation."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    # The queue's query string as the filters write it (`state=…&overdue=true&ordering=…`),
    # checked again each time the view is opened: filters change, saved views stay.
    query = models.TextField(_("filters"), blank=True, max_length=2000)
    shared = models.BooleanField(
        _("shared with the organisation"), default=False, help_text=_("Everyone in the organisation sees it.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="view_owner"),
            models.Index(fields=["organization"], name="view_shared", condition=models.Q(shared=True)),
        ]
        # One name per person, whatever its case: the tabs tell views apart by name.
        constraints = [models.UniqueConstraint(Lower("name"), "owner", name="view_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """A reply an organisation's staff need not retype, in both languages, with placeholders
    (`{reference}`, `{enterprise}`, `{due}`, `{officer}`, `{tier}`) filled in per request."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="reply_templates"
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    body_en = models.TextField(_("text (English)"), blank=True, max_length=5000)
    body_zh = models.TextField(_("text (Chinese)"), blank=True, max_length=5000)
    active = models.BooleanField(_("offered"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="reply_template_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # At least one text, and only the known placeholders (apps/desk/replies.py): the admin
        # runs this, the page and the API go through replies.save_template.
        from .replies import validate_template

        validate_template(self)


class Watch(models.Model):
    """A person follows a request they can see, to hear of its changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="watches"
    )
    request = models.ForeignKey(
        "casework.ServiceRequest", verbose_name=_("request"), on_delete=models.CASCADE, related_name="watches"
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("followed request")
        verbose_name_plural = _("followed requests")
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="watch_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.request_id}"
