"""The audit trail: one append-only, hash-chained record per security-relevant event.

Each record's `hash` is an HMAC (keyed outside the database: PORTAL_AUDIT_KEY) over its own
fields and the `hash` of the record before it (`prev_hash`), in the order of `seq`. Changing a
record, removing one or slipping one in between breaks the chain from there on, and nobody
with only the database can forge a new hash. `AuditChainHead` keeps the last `seq` and hash,
sealed the same way, so that cutting records off the end shows too. `manage.py verify_audit`
walks it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Result(models.TextChoices):
    DONE = "done", _("done")
    REFUSED = "refused", _("refused")


# What each event is called on the auditor's page; the rest (a page or API operation, by its
# URL name) shows by that name.
EVENT_LABELS = {
    "sign_in": _("signed in"),
    "sign_out": _("signed out"),
    "sign_in_failed": _("sign-in failed"),
    "token_issued": _("API token issued"),
    "session_expired": _("session expired"),
    "session_ended": _("session ended"),
    "second_factor_enrolled": _("second factor set up"),
    "second_factor_removed": _("second factor turned off"),
    "second_factor_reset": _("second factor reset"),
    "backup_codes_renewed": _("backup codes renewed"),
    "export": _("export"),
    "download": _("download"),
    "create": _("created"),
    "change": _("changed"),
    "delete": _("deleted"),
    "grant": _("access granted"),
    "grant_removed": _("access withdrawn"),
    "grant_changed": _("access changed"),
    "role_change": _("role or rights changed"),
    "audit_purged": _("old records purged"),
}


class AuditRecord(models.Model):
    seq = models.PositiveBigIntegerField(_("number"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    # The person as they were named then: a plain number, not a foreign key, so that deleting a
    # user changes no record (that would break the chain).
    actor_id = models.PositiveBigIntegerField(_("person id"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("person"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    event = models.CharField(_("event"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.DONE)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")
        ordering = ["-seq"]
        permissions = [("export_auditrecord", _("Can export the audit trail"))]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} {self.actor_name or '—'}"

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))


class AuditChainHead(models.Model):
    """The one row that says where the chain ends (and, after a purge, where it now begins)."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    # After a purge: the last removed record, which the first kept one follows.
    base_seq = models.PositiveBigIntegerField(default=0)
    base_hash = models.CharField(max_length=64, blank=True)
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq}"
