"""`search`: a reference, or words anywhere in the title or description, answered from an index.

PostgreSQL compares the upper-cased columns through trigram GIN indexes (migration 0006), so
the planner picks the index for rare words and walks the scope newest first for common ones.
SQLite has no such planner statistics: the FTS5 trigram table is asked first, and when the
words are rare (at most `FEW_MATCHES` requests anywhere) the list reads just those rows; common
words, and words under three characters that a trigram cannot hold, are matched while walking
the scope in list order, which finds a page of common words within a few hundred rows.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from .models import ServiceRequest

FEW_MATCHES = 2000

# The search indexes per database: (create, drop). Migration 0006 creates them; bulk seeding
# drops and re-creates them around its inserts (apps/casework/synthetic.py).
INDEX_SQL: dict[str, tuple[list[str], list[str]]] = {
    "postgresql": (
        [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX IF NOT EXISTS req_title_trgm ON casework_request "
            "USING gin (UPPER(title::text) gin_trgm_ops)",
            "CREATE INDEX IF NOT EXISTS req_description_trgm ON casework_request "
            "USING gin (UPPER(description::text) gin_trgm_ops)",
        ],
        ["DROP INDEX IF EXISTS req_title_trgm", "DROP INDEX IF EXISTS req_description_trgm"],
    ),
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE IF NOT EXISTS casework_request_fts USING fts5("
            "title, description, content='casework_request', content_rowid='id', tokenize='trigram')",
            "CREATE TRIGGER IF NOT EXISTS casework_request_fts_insert AFTER INSERT ON casework_request BEGIN "
            "INSERT INTO casework_request_fts(rowid, title, description) "
            "VALUES (new.id, new.title, new.description); END",
            "CREATE TRIGGER IF NOT EXISTS casework_request_fts_delete AFTER DELETE ON casework_request BEGIN "
            "INSERT INTO casework_request_fts(casework_request_fts, rowid, title, description) "
            "VALUES ('delete', old.id, old.title, old.description); END",
            "CREATE TRIGGER IF NOT EXISTS casework_request_fts_update "
            "AFTER UPDATE OF title, description ON casework_request BEGIN "
            "INSERT INTO casework_request_fts(casework_request_fts, rowid, title, description) "
            "VALUES ('delete', old.id, old.title, old.description); "
            "INSERT INTO casework_request_fts(rowid, title, description) "
            "VALUES (new.id, new.title, new.description); END",
            "INSERT INTO casework_request_fts(casework_request_fts) VALUES ('rebuild')",
        ],
        [
            "DROP TRIGGER IF EXISTS casework_request_fts_insert",
            "DROP TRIGGER IF EXISTS casework_request_fts_delete",
            "DROP TRIGGER IF EXISTS casework_request_fts_update",
            "DROP TABLE IF EXISTS casework_request_fts",
        ],
    ),
}


def create_search_indexes(schema_editor: Any) -> None:
    for statement in INDEX_SQL.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def drop_search_indexes(schema_editor: Any) -> None:
    for statement in INDEX_SQL.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


def matching(queryset: QuerySet[ServiceRequest], value: str) -> QuerySet[ServiceRequest]:
    value = value.replace("\x00", "").strip()
    if not value:
        return queryset
    reference = Q(reference=value.upper())
    words = Q(title__icontains=value) | Q(description__icontains=value)
    if connection.vendor == "sqlite" and len(value) >= 3:
        found = _rare_matches(value)
        if found is not None:
            return queryset.filter(reference | Q(pk__in=found))
    return queryset.filter(reference | words)


def _rare_matches(value: str) -> list[int] | None:
    """The ids of the requests whose title or description contains `value`, when there are few."""
    phrase = '"' + value.replace('"', '""') + '"'
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM casework_request_fts WHERE casework_request_fts MATCH %s LIMIT %s",
            [phrase, FEW_MATCHES + 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= FEW_MATCHES else None
