"""Writing to and checking the audit trail (apps.audit.models).

`record()` is the one way in: sign-ins, changes, exports and downloads, grants and role
changes, refusals. It takes the chain's head row with a lock (PostgreSQL; SQLite transactions
are already one writer at a time), so records follow each other in `seq` order whatever the
number of web processes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.client_ip import client_ip

from .models import AuditChainHead, AuditRecord, Result

GENESIS = "0" * 64
_HEAD = 1


def _key() -> bytes:
    configured = getattr(settings, "PORTAL_AUDIT_KEY", "")
    if configured:
        return str(configured).encode()
    # Without a key of its own, one derived from SECRET_KEY (stable for a deployment).
    return salted_hmac("apps.audit.trail", "chain", algorithm="sha256").digest()


def _mac(text: str) -> str:
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def _canonical(record: AuditRecord) -> str:
    at = record.at.astimezone(UTC) if record.at.tzinfo else record.at
    fields = [
        record.seq,
        at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        record.actor_id,
        record.actor_name,
        record.address or "",
        record.event,
        record.object_type,
        record.object_id,
        record.object_repr,
        record.result,
        record.detail,
        record.prev_hash,
    ]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(record: AuditRecord) -> str:
    return _mac(_canonical(record))


def _head_seal(head: AuditChainHead) -> str:
    return _mac(f"head:{head.seq}:{head.hash}:{head.base_seq}:{head.base_hash}")


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=_HEAD).first()
    if head is None:
        # The very first record: two writers may both find no head; one inserts it.
        fresh = AuditChainHead(pk=_HEAD, hash=GENESIS, base_hash=GENESIS)
        fresh.seal = _head_seal(fresh)
        try:
            with transaction.atomic():
                fresh.save(force_insert=True)
        except IntegrityError:
            pass
        head = AuditChainHead.objects.select_for_update().get(pk=_HEAD)
    return head


def _person(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return None, ""
    return int(actor.pk), str(actor.get_username())[:150]


def _object(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200]
    kind, pk, text = obj
    return str(kind)[:100], str(pk)[:64], str(text)[:200]


def record(
    event: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: Any = None,
    result: str = Result.DONE,
    detail: dict[str, Any] | None = None,
    actor_name: str = "",
    address: str | None = None,
) -> AuditRecord:
    """Append one record. `obj` is a model instance or (type, id, text); `actor_name` names
    someone who is not a user here (a username typed at a failed sign-in)."""
    actor_id, name = _person(actor)
    object_type, object_id, object_repr = _object(obj)
    with transaction.atomic():
        head = _locked_head()
        entry = AuditRecord(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=name or actor_name[:150],
            address=address or (client_ip(request) if request is not None else None),
            event=event,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            result=result,
            detail=detail or {},
            prev_hash=head.hash or GENESIS,
        )
        # What the database will give back (JSON through its own encoding), so that the hash
        # checked later is of the same values.
        entry.detail = json.loads(json.dumps(entry.detail, default=str))
        entry.hash = record_hash(entry)
        entry.save(force_insert=True)
        head.seq, head.hash = entry.seq, entry.hash
        head.seal = _head_seal(head)
        head.save(update_fields=["seq", "hash", "seal"])
    return entry


@dataclass(frozen=True)
class Break:
    seq: int | None
    problem: str


def verify(batch: int = 5000) -> tuple[int, list[Break]]:
    """Walk the chain in `seq` order: the number of records checked and every break found (a
    record whose fields no longer give its hash, one that does not follow the one before, a
    gap in the numbers, a head that does not match the last record or is not sealed)."""
    breaks: list[Break] = []
    head = AuditChainHead.objects.filter(pk=_HEAD).first()
    if head is None:
        count = AuditRecord.objects.count()
        if count:
            breaks.append(Break(None, "the chain head is missing"))
        return count, breaks
    if head.seal != _head_seal(head):
        breaks.append(Break(None, "the chain head was changed"))
    expected_seq, expected_prev = head.base_seq + 1, head.base_hash or GENESIS
    checked = 0
    for entry in _in_order(batch):
        checked += 1
        if entry.seq != expected_seq:
            if entry.seq < expected_seq:
                breaks.append(Break(entry.seq, "a record older than the kept chain"))
            else:
                breaks.append(Break(entry.seq, f"records {expected_seq}–{entry.seq - 1} are missing"))
        if entry.hash != record_hash(entry):
            breaks.append(Break(entry.seq, "the record was changed"))
        if entry.prev_hash != expected_prev:
            breaks.append(Break(entry.seq, "the record does not follow the one before"))
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    if head.seq != expected_seq - 1 or (head.hash or GENESIS) != expected_prev:
        breaks.append(Break(head.seq, "the last records are missing (the head names a later one)"))
    return checked, breaks


def _in_order(batch: int) -> Iterator[AuditRecord]:
    last = -1
    while True:
        rows = list(AuditRecord.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def retention_days() -> int:
    """How long records are kept at least: 180 days (the Cybersecurity Law's six months), or
    longer where PORTAL_AUDIT_RETENTION_DAYS says so; never shorter."""
    return max(180, int(getattr(settings, "PORTAL_AUDIT_RETENTION_DAYS", 180)))


class PurgeRefused(Exception):
    pass


def purge_before(moment: datetime, *, actor: Any = None) -> int:
    """Remove the records older than `moment`, which must be at least the retention period ago.
    The chain's new beginning is sealed into the head, and the purge is itself recorded."""
    oldest_allowed = timezone.now() - timedelta(days=retention_days())
    if moment > oldest_allowed:
        raise PurgeRefused(
            f"records younger than {retention_days()} days are kept: choose a moment before "
            f"{oldest_allowed:%Y-%m-%d %H:%M}"
        )
    with transaction.atomic():
        head = _locked_head()
        doomed = AuditRecord.objects.filter(at__lt=moment, seq__gt=head.base_seq).order_by("-seq")
        last = doomed.first()
        if last is None:
            return 0
        # Whole prefix only: never a hole in the middle of the kept chain.
        removed, _details = AuditRecord.objects.filter(seq__lte=last.seq).delete()
        head.base_seq, head.base_hash = last.seq, last.hash
        head.seal = _head_seal(head)
        head.save(update_fields=["base_seq", "base_hash", "seal"])
    record(
        "audit_purged",
        actor=actor,
        detail={"before": moment.isoformat(), "removed": removed, "up_to": last.seq},
    )
    return removed
