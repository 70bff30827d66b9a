"""The requests' term index in the database, and the two questions the assistant asks it: how
many requests hold a term (capped: only rare terms are worth counting exactly), and which
requests hold any of a few rare terms (the newest first, a few hundred at most). Ranking is
done in Python on those few hundred (rank.py): ranking every match is what makes common words
slow at a million.

SQLite: an FTS5 table over assist_requestterms (external content, detail=none: which requests
hold a term, no positions), kept in step by triggers. PostgreSQL: a generated tsvector column
built from the terms as they are (no parser, no stemming: they are terms already) with a GIN
index. Bulk seeding drops and re-creates both around its inserts (apps/casework/synthetic.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from apps.casework.models import ServiceRequest, State
from apps.guidance.models import Guidance
from apps.organizations.models import OrgKind, Role, User

from .models import GuidanceTerms, RequestTerms
from .text import scope_term, terms_of

# A term held by more requests than this is "common": counted as this many, and asked for only
# when the text has nothing rarer.
COMMON = 5000
CANDIDATES = 300
_DF_SECONDS = 3600

INDEX_SQL: dict[str, tuple[list[str], list[str]]] = {
    "postgresql": (
        [
            "ALTER TABLE assist_requestterms ADD COLUMN IF NOT EXISTS lexemes tsvector "
            "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(terms, ' '))) STORED",
            "CREATE INDEX IF NOT EXISTS assist_requestterms_lexemes ON assist_requestterms USING gin (lexemes)",
        ],
        ["DROP INDEX IF EXISTS assist_requestterms_lexemes"],
    ),
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE IF NOT EXISTS assist_request_fts USING fts5(terms, "
            "content='assist_requestterms', content_rowid='request_id', detail='none', "
            "tokenize='unicode61 remove_diacritics 0')",
            "CREATE TRIGGER IF NOT EXISTS assist_request_fts_insert AFTER INSERT ON assist_requestterms BEGIN "
            "INSERT INTO assist_request_fts(rowid, terms) VALUES (new.request_id, new.terms); END",
            "CREATE TRIGGER IF NOT EXISTS assist_request_fts_delete AFTER DELETE ON assist_requestterms BEGIN "
            "INSERT INTO assist_request_fts(assist_request_fts, rowid, terms) "
            "VALUES ('delete', old.request_id, old.terms); END",
            "CREATE TRIGGER IF NOT EXISTS assist_request_fts_update AFTER UPDATE ON assist_requestterms BEGIN "
            "INSERT INTO assist_request_fts(assist_request_fts, rowid, terms) "
            "VALUES ('delete', old.request_id, old.terms); "
            "INSERT INTO assist_request_fts(rowid, terms) VALUES (new.request_id, new.terms); END",
            "INSERT INTO assist_request_fts(assist_request_fts) VALUES ('rebuild')",
        ],
        [
            "DROP TRIGGER IF EXISTS assist_request_fts_insert",
            "DROP TRIGGER IF EXISTS assist_request_fts_delete",
            "DROP TRIGGER IF EXISTS assist_request_fts_update",
            "DROP TABLE IF EXISTS assist_request_fts",
        ],
    ),
}


def scope_terms(
    enterprise: int, park: int, district: int | None, municipal: int | None, provincial: int | None
) -> list[str]:
    kinds = zip("epdmv", (enterprise, park, district, municipal, provincial), strict=True)
    return [scope_term(kind, pk) for kind, pk in kinds if pk]


def text_terms(title: str, description: str, resolution: str) -> list[str]:
    """A resolved request's words: the title twice (it says the most), the description and the
    resolution (the answer says what the question was about too)."""
    return terms_of(title, title, description, resolution)


def request_terms(service_request: ServiceRequest) -> str:
    r = service_request
    scope = scope_terms(r.enterprise_id, r.park_id, r.district_id, r.municipal_id, r.provincial_id)
    return " ".join([*scope, *text_terms(r.title, r.description, r.resolution)])


def index_request(service_request: ServiceRequest) -> None:
    """A resolved request joins the index; only resolved requests are ever suggested as
    similar."""
    RequestTerms.objects.update_or_create(
        request=service_request, defaults={"terms": request_terms(service_request)}
    )


def forget_request(service_request: ServiceRequest) -> None:
    """A reopened request leaves the index until it is resolved again."""
    RequestTerms.objects.filter(request=service_request).delete()


_SCOPE_KIND: dict[str, str] = {
    OrgKind.ENTERPRISE: "e",
    OrgKind.PARK: "p",
    OrgKind.DISTRICT: "d",
    OrgKind.MUNICIPAL: "m",
    OrgKind.PROVINCIAL: "v",
}


def user_scope_term(user: User) -> str | None:
    """The jurisdiction term every request the user may see (shares apart) holds: the index
    is asked within it, so that an enterprise's few requests are not lost among a million."""
    org = user.organization
    if user.is_superuser or org is None or not user.role:
        return None
    if user.role == Role.ENTERPRISE:
        return scope_term("e", org.pk)
    if org.kind == OrgKind.DEPARTMENT and org.parent is not None:
        org = org.parent
    kind = _SCOPE_KIND.get(org.kind)
    return scope_term(kind, org.pk) if kind else None


def _quoted(term: str) -> str:
    # Terms are word characters only (text.py): quoting cannot be escaped from.
    return f'"{term}"' if connection.vendor == "sqlite" else f"'{term}'"


def _match_sql(expression: str, limit: int, *, newest_first: bool = True) -> tuple[str, list[str | int]]:
    if connection.vendor == "sqlite":
        sql = "SELECT rowid FROM assist_request_fts WHERE assist_request_fts MATCH %s"
        order = " ORDER BY rowid DESC"
    else:
        sql = "SELECT request_id FROM assist_requestterms WHERE lexemes @@ %s::tsquery"
        order = " ORDER BY request_id DESC"
    return sql + (order if newest_first else "") + " LIMIT %s", [expression, limit]


def _or(terms: Iterable[str]) -> str:
    joiner = " OR " if connection.vendor == "sqlite" else " | "
    return "(" + joiner.join(_quoted(t) for t in terms) + ")"


def _and(*parts: str) -> str:
    return (" AND " if connection.vendor == "sqlite" else " & ").join(parts)


def document_frequencies(terms: Sequence[str]) -> dict[str, int]:
    """How many requests hold each term, counted up to COMMON (cached for an hour: a term's
    rarity hardly moves in that time)."""
    keys = {term: f"assist:df:{connection.vendor}:{term}" for term in set(terms)}
    known = cache.get_many(list(keys.values()))
    counts = {term: known[key] for term, key in keys.items() if key in known}
    missing = [term for term in keys if term not in counts]
    if missing:
        parts: list[str] = []
        params: list[str | int] = []
        for term in missing:
            sql, sql_params = _match_sql(_quoted(term), COMMON, newest_first=False)
            parts.append(f"SELECT %s, (SELECT count(*) FROM ({sql}) AS m{len(parts)})")
            params.extend([term, *sql_params])
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            fresh = {term: int(count) for term, count in cursor.fetchall()}
        counts.update(fresh)
        cache.set_many({keys[t]: n for t, n in fresh.items()}, _DF_SECONDS)
    return counts


def _count_key() -> str:
    return f"assist:n:{connection.vendor}"


def forget_counts() -> None:
    """After a bulk change to the index: the number of indexed requests is counted afresh."""
    cache.delete(_count_key())


def indexed_count() -> int:
    key = _count_key()
    count = cache.get(key)
    if count is None:
        count = max(RequestTerms.objects.count(), 1)
        cache.set(key, count, _DF_SECONDS)
    return int(count)


def candidate_ids(terms: Sequence[str], frequencies: dict[str, int], *, within: str | None) -> list[int]:
    """Requests that hold any of the text's rarest terms, newest first: the terms are taken
    rarest first until they would bring more than a few thousand requests (common ones only
    when there is nothing else), asked within the caller's jurisdiction term."""
    ordered = sorted(set(terms), key=lambda t: (frequencies.get(t, 0), t))
    chosen: list[str] = []
    total = 0
    for term in ordered:
        df = frequencies.get(term, 0)
        if df == 0:
            continue
        if chosen and (total + df > 4 * COMMON or len(chosen) >= 12):
            break
        chosen.append(term)
        total += df
    if not chosen:
        return []
    expression = _or(chosen)
    if within:
        expression = _and(_quoted(within), expression)
    sql, params = _match_sql(expression, CANDIDATES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def create_indexes(schema_editor: Any) -> None:
    for statement in INDEX_SQL.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def drop_indexes(schema_editor: Any) -> None:
    for statement in INDEX_SQL.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


def guidance_terms(document: Guidance) -> str:
    """Both language versions, titles twice."""
    return " ".join(
        terms_of(
            document.title,
            document.title,
            document.body,
            document.title_zh,
            document.title_zh,
            document.body_zh,
        )
    )


def index_guidance(document: Guidance) -> None:
    GuidanceTerms.objects.update_or_create(guidance=document, defaults={"terms": guidance_terms(document)})


def rebuild(batch: int = 2000) -> tuple[int, int]:
    """Index every guidance document and resolved request again (after a change to the
    glossary or the analysis); returns how many of each."""
    documents = 0
    for document in Guidance.objects.all():
        index_guidance(document)
        documents += 1
    requests = 0
    resolved = ServiceRequest.objects.filter(state__in=(State.RESOLVED, State.CLOSED)).order_by("pk")
    last = 0
    while True:
        rows = list(resolved.filter(pk__gt=last)[:batch])
        if not rows:
            break
        with transaction.atomic():
            RequestTerms.objects.filter(request__in=rows).delete()
            RequestTerms.objects.bulk_create(
                [RequestTerms(request=row, terms=request_terms(row)) for row in rows]
            )
        requests += len(rows)
        last = rows[-1].pk
    forget_counts()
    return documents, requests
