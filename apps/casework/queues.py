"""Ordered, counted lists of requests, each read from an index at any size.

A list is a sequence that Django's and DRF's paginators take as they take a queryset: `count()`
and slices. Two orders exist:

- **work order** (queues, and the API's default): overdue first, green channel first among them,
  then requests waiting for feedback, green channel first, nearest deadline first; then everything
  not waiting for feedback, newest first. "Overdue" moves with the clock, so no stored column can
  hold this order; instead the list is read as five segments, each one range of an index
  (`req_*_waiting` on the waiting requests of a scope, the scope's `(scope, created_at)` index
  for the rest).
- **newest first** (`ordering=newest`, and the default with `search`): one range of the scope's
  `(scope, created_at)` index.

Counting a scope of a million rows is the expensive part of a page. `count()` is exact up to
`PORTAL["LIST_COUNT_EXACT_UP_TO"]` (the database stops counting there); above it, the exact count is
computed once and served from the cache for `PORTAL["LIST_COUNT_CACHE_SECONDS"]`, and the list
says so with `count_exact = False`. A search counts up to `PORTAL["SEARCH_COUNT_UP_TO"]` matches.
Counts are kept until the next write to a request (`lists_changed`), for
`PORTAL["LIST_COUNTS_KEPT_SECONDS"]` at most: the next page, or the same list read again, does
not count again.

A page reads the ids of its rows from the index ranges, then the rows (with their related
names) in one query.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, overload

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import ServiceRequest

# The requests a list holds change only by a write (a new request, a transition, a share): each
# write's commit gives lists a new version, and their counts are kept under it.
LISTS_VERSION = "request-lists:version"
KEPT_FOR = timedelta(seconds=settings.PORTAL["LIST_COUNTS_KEPT_SECONDS"])
# Where they are kept: in each web process (settings.CACHES["lists"]); the version is shared.
kept = caches["lists"]


def lists_changed() -> None:
    """No list counts from before this change are read again: from now (for whoever reads in
    this transaction) and from its commit (counts kept in between did not see it)."""

    def new_version() -> None:
        cache.set(LISTS_VERSION, uuid.uuid4().hex, None)

    new_version()
    transaction.on_commit(new_version)


def lists_version() -> str:
    """The lists' current version. One lost from the cache (evicted, cleared) is replaced by a
    new one, never by none: counts kept before it are not read again."""
    version = cache.get(LISTS_VERSION)
    if version is None:
        cache.add(LISTS_VERSION, uuid.uuid4().hex, None)
        version = cache.get(LISTS_VERSION, "")
    return str(version)


def list_key(kind: str, queryset: QuerySet[Any], *, searched: bool) -> str:
    """The cache key of a count of this list (its SQL: the scope and the filters) at this
    version of the lists."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a list that can hold nothing (`none()`), whatever the version
        return f"{kind}:nothing"
    text = f"{lists_version()}|{searched}|{sql}|{params!r}"
    return f"{kind}:" + hashlib.sha256(text.encode()).hexdigest()


def bounded_count(queryset: QuerySet[Any], *, searched: bool = False) -> tuple[int, bool]:
    """How many rows the queryset has, and whether that is exact.

    The database counts at most `LIST_COUNT_EXACT_UP_TO + 1` rows; only larger lists pay for a
    full count, once per cache period (then not exact: up to that old). A search matches words
    row by row where no index can count, so its count stops at `SEARCH_COUNT_UP_TO` (then not
    exact: more matched, and the caller is better served by more precise words).

    The answer is kept until the next write, for a few seconds: a search for a common word
    reads thousands of rows to count its first thousand matches (at a million, 20 ms), and
    each page of its results would count them again; a large list would compile its SQL and
    read the shared cache again for its total."""
    unordered = queryset.order_by()
    key = list_key("bounded-count", unordered, searched=searched)
    found = kept.get(key)
    if found is None:
        found = _counted(unordered, searched=searched)
        kept.set(key, found, KEPT_FOR.total_seconds())
    return found


def _counted(unordered: QuerySet[Any], *, searched: bool) -> tuple[int, bool]:
    limit = settings.PORTAL["SEARCH_COUNT_UP_TO" if searched else "LIST_COUNT_EXACT_UP_TO"]
    counted = unordered[: limit + 1].count()
    if searched:
        return min(counted, limit), counted <= limit
    if counted <= limit:
        return counted, True
    sql, params = unordered.query.sql_with_params()
    key = "list-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = unordered.count()
        cache.set(key, found, settings.PORTAL["LIST_COUNT_CACHE_SECONDS"])
    return found, False


def _page_ids(queryset: QuerySet[ServiceRequest], low: int, high: int) -> list[int]:
    """The ids of a page's rows, in order: a range of an index, read from the index alone."""
    return list(queryset.values_list("pk", flat=True)[low:high])


def _rows(queryset: QuerySet[ServiceRequest], ids: list[int]) -> list[ServiceRequest]:
    """The rows of those ids (still through the list's own filters), in the order given.

    A page reads its ids first and its rows after: skipping thousands of whole rows costs a heap
    read each on PostgreSQL, and putting the rows' hundred-odd columns (the request's and its
    related rows') into the ordered query costs Django more to write than the query costs to run:
    an ordered query hashes every selected column (at a million, a list of 25 rows 2.5 ms faster
    for one ordered query of ids and one unordered of rows than for ordered queries of rows)."""
    if not ids:
        return []
    found = queryset.order_by().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


class _Listing(Sequence[ServiceRequest]):
    """What the paginators need: count() and slices."""

    count_exact = True

    def count(self) -> int:  # type: ignore[override]
        raise NotImplementedError

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> ServiceRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[ServiceRequest]: ...
    def __getitem__(self, index: int | slice) -> ServiceRequest | list[ServiceRequest]:
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(self.count())
        if step != 1:
            raise ValueError("Lists of requests are sliced in order.")
        return self._slice(start, stop)

    def _slice(self, start: int, stop: int) -> list[ServiceRequest]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[ServiceRequest]:
        return iter(self[0 : self.count()])


class NewestFirst(_Listing):
    def __init__(self, queryset: QuerySet[ServiceRequest], *, searched: bool = False) -> None:
        self.queryset = queryset.order_by("-created_at", "-id")
        self.searched = searched
        self._count: int | None = None

    def count(self) -> int:  # type: ignore[override]
        if self._count is None:
            self._count, self.count_exact = bounded_count(self.queryset, searched=self.searched)
        return self._count

    def _slice(self, start: int, stop: int) -> list[ServiceRequest]:
        return _rows(self.queryset, _page_ids(self.queryset, start, stop))

    def parts(self) -> list[QuerySet[ServiceRequest]]:
        """The whole list as querysets to read one after the other (for streaming it)."""
        return [self.queryset]


# Every request's green channel is true or false. Saying so lets the planner read a scope's
# waiting index (scope, green channel, deadline) for a range of deadlines instead of the global
# (state, deadline) index, whose rows it would then check one by one for the scope: a park's
# overdue requests at a million, counted on SQLite, 31 ms -> 2 ms.
ANY_CHANNEL = Q(green_channel__in=[True, False])


def overdue(now: datetime) -> Q:
    """Waiting past its deadline, written so that a scope's waiting index answers it."""
    return Q(feedback_due_at__lt=now) & ANY_CHANNEL


class WorkOrder(_Listing):
    """The work order's five segments, and their sizes: counting the waiting requests of a
    scope of a million (SBIP's, a third) reads a hundred thousand index entries, 7 ms on SQLite.
    The sizes are kept for `PORTAL["LIST_COUNTS_KEPT_SECONDS"]` per list (its SQL: the scope and
    the filters) and version of the lists (`lists_changed`), with the moment they were counted
    at, which then also splits the segments, so that pages never disagree with the counts: a
    change shows at once, the clock moving a request into "overdue" within those seconds."""

    def __init__(
        self, queryset: QuerySet[ServiceRequest], *, searched: bool = False, now: datetime | None = None
    ) -> None:
        self.queryset = queryset
        self.searched = searched
        self._sizes: list[int] | None = None
        self._key: str | None = None
        if now is None:
            now = timezone.now()
            self._key = list_key("work-order-sizes", queryset, searched=searched)
            found = kept.get(self._key)
            # Counted a moment ago (by this clock: not in its future, however the cache counts).
            if found is not None and now - KEPT_FOR < found[0] <= now:
                now, self._sizes, self.count_exact = found
        self.now = now
        waiting = queryset.filter(feedback_due_at__isnull=False)
        by_deadline = ("feedback_due_at", "id")
        self.overdue, self.on_time = Q(feedback_due_at__lt=now), Q(feedback_due_at__gte=now)
        # `__in` and not `=`: Django writes `green_channel=True` as a bare boolean column, which
        # no database compares against an index's second column.
        self.green, self.other = Q(green_channel__in=[True]), Q(green_channel__in=[False])
        green, other = self.green, self.other
        self.segments: list[tuple[str, QuerySet[ServiceRequest]]] = [
            ("overdue_green", waiting.filter(self.overdue, green).order_by(*by_deadline)),
            ("overdue", waiting.filter(self.overdue, other).order_by(*by_deadline)),
            ("green", waiting.filter(self.on_time, green).order_by(*by_deadline)),
            ("waiting", waiting.filter(self.on_time, other).order_by(*by_deadline)),
            ("rest", queryset.filter(feedback_due_at__isnull=True).order_by("-created_at", "-id")),
        ]

    def sizes(self) -> list[int]:
        """How many requests each segment holds: the waiting ones in one pass over the waiting
        index, the rest as the whole list less those."""
        if self._sizes is None:
            total, self.count_exact = bounded_count(self.queryset, searched=self.searched)
            waiting = self.queryset.filter(ANY_CHANNEL, feedback_due_at__isnull=False).aggregate(
                overdue_green=Count("id", filter=self.overdue & self.green),
                overdue=Count("id", filter=self.overdue & self.other),
                green=Count("id", filter=self.on_time & self.green),
                waiting=Count("id", filter=self.on_time & self.other),
            )
            sizes = [waiting[name] for name, _segment in self.segments[:4]]
            self._sizes = [*sizes, max(0, total - sum(sizes))]
            if self._key is not None:
                kept.set(self._key, (self.now, self._sizes, self.count_exact), KEPT_FOR.total_seconds())
        return self._sizes

    def count(self) -> int:  # type: ignore[override]
        return sum(self.sizes())

    def parts(self) -> list[QuerySet[ServiceRequest]]:
        """The whole list as querysets to read one after the other (for streaming it)."""
        return [segment for _name, segment in self.segments]

    def _slice(self, start: int, stop: int) -> list[ServiceRequest]:
        ids: list[int] = []
        offset = 0
        for (_name, segment), size in zip(self.segments, self.sizes(), strict=True):
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                ids.extend(_page_ids(segment, low, high))
            offset += size
            if offset >= stop:
                break
        return _rows(self.queryset, ids)


ORDERINGS = {"work": WorkOrder, "newest": NewestFirst}
