"""Rows in bulk for the synthetic seed (`seed_demo --requests N`): plain tuples in large
batches, `executemany` on SQLite and `COPY` on PostgreSQL, in the columns the caller names.
Shared by the seeds of the requests (apps/casework/synthetic.py) and of the meetings
(apps/meetings/synthetic.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED

# A table's rows for the seed to insert: the model's label, the columns (None: every column the
# seed writes), the rows (or, once `prepare`d, what the database takes).
Table = tuple[str, list[str] | None, Any]

# The columns of a seeded event.
EVENT_COLUMNS = [
    "id",
    "kind",
    "created_at",
    "from_state",
    "to_state",
    "tier",
    "text",
    "internal",
    "actor_id",
    "request_id",
]
# The columns of the satisfaction and meeting events, which also carry the `details` their
# words are written from (apps/satisfaction/texts.py, apps/meetings/texts.py); the other events
# leave it to the database's '{}'.
DETAILED_EVENT_COLUMNS = [*EVENT_COLUMNS, "details"]


def detailed_event(
    event_id: int,
    kind: str,
    moment: datetime,
    state: str,
    tier: str,
    actor: int | None,
    request_id: int,
    details: dict[str, Any],
    *,
    text: str = "",
    internal: bool = False,
) -> list[Any]:
    """A row under DETAILED_EVENT_COLUMNS: an event that leaves the request's state as it was."""
    return [
        event_id,
        kind,
        moment,
        state,
        state,
        tier,
        text,
        internal,
        actor,
        request_id,
        json.dumps(details, ensure_ascii=False),
    ]


def written_fields(model: type) -> list[Any]:
    """The columns the seed writes: all but those the database fills in itself (`db_default`)."""
    return [f for f in model._meta.concrete_fields if f.db_default is NOT_PROVIDED]  # type: ignore[attr-defined]


def columns_of(model: type) -> list[str]:
    return [f.column for f in written_fields(model)]


def insert_rows(model: type, rows: Sequence[Sequence[Any]], columns: list[str] | None = None) -> None:
    """Insert rows given in the order of `columns` (default: every column the seed writes)."""
    insert_prepared(model, prepare(model, rows, columns), columns)


def prepare(model: type, rows: Sequence[Sequence[Any]], columns: list[str] | None = None) -> Any:
    """The rows as the database takes them in bulk: CSV text for PostgreSQL's `COPY`, rows of
    plain values for SQLite (whose datetimes Django keeps as naive UTC text). Done apart from
    the insert, so that the seed's generator process does it while the writer writes."""
    columns = columns or columns_of(model)
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(
                ["\\N" if v is None else (v.isoformat() if isinstance(v, datetime) else v) for v in row]
            )
        return buffer.getvalue()
    # Only the datetime columns are looked at: testing every value of millions of rows costs
    # more than the insert.
    moments = [
        i
        for i, field in enumerate(model._meta.get_field(field_name(model, c)) for c in columns)  # type: ignore[attr-defined]
        if field.get_internal_type() == "DateTimeField"
    ]
    if not moments:
        return rows
    prepared = [list(row) for row in rows]
    for row in prepared:
        for i in moments:
            v = row[i]
            if v is not None:
                # isoformat of a UTC moment, less its "+00:00": what str() of the naive one is.
                row[i] = (v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ")[:-6]
    return prepared


def insert_prepared(model: type, prepared: Any, columns: list[str] | None = None) -> None:
    if not prepared:
        return
    table = model._meta.db_table  # type: ignore[attr-defined]
    columns = columns or columns_of(model)
    # Quoted: a column may be a reserved word (a slot's `end`).
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.cursor.copy_expert(  # type: ignore[attr-defined]
                f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", io.StringIO(prepared)
            )
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared)


def field_name(model: type, column: str) -> str:
    for field in model._meta.concrete_fields:  # type: ignore[attr-defined]
        if column in (field.column, field.attname):
            return str(field.name)
    raise LookupError(f"{model.__name__} has no column {column}")


def reset_sequences(models: Iterable[type]) -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)
