"""Human reference numbers, e.g. PS-2026-000123: unique and never handed out twice."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import ReferenceSequence


def next_reference(prefix: str, year: int) -> str:
    """Take the next number of `prefix` and `year`.

    The increment is one UPDATE inside the caller's transaction: on PostgreSQL it holds the
    row lock until commit, so two creators queue; on SQLite every transaction begins
    IMMEDIATE and writers are serialised. A number rolled back with its request was never
    given to anyone; a committed one is never given again, even after a deletion.
    """
    with transaction.atomic():
        updated = ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ReferenceSequence.objects.create(prefix=prefix, year=year, last=1)
            except IntegrityError:
                # Another transaction created the row first: take a number after it.
                ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
        number = ReferenceSequence.objects.get(prefix=prefix, year=year).last
    return f"{prefix}-{year}-{number:06d}"
