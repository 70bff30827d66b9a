"""Synthetic requests for demos and benchmarks: `seed_demo --requests N`.

Requests are spread over the enterprises, tiers and states, each with the timeline events and
tier visits the lifecycle would have left, consistent with the rules (routing, deadlines on the
working-day calendar, visibility columns). Rows go in as plain tuples in large batches
(`executemany` on SQLite, `COPY` on PostgreSQL): a million requests take minutes, not hours.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import NOT_PROVIDED, F, Max
from django.utils import timezone

from apps.deadlines import calendar
from apps.deadlines.models import TierVisit, week_of
from apps.deadlines.visits import reminder_time
from apps.organizations.models import TIER_ORDER, KeyProject, Organization, OrgKind, Role, User
from apps.organizations.routing import department_for

from . import search
from .models import Category, EventKind, ProductType, ReferenceSequence, RequestEvent, ServiceRequest, State

BATCH = 5_000

# (final state, weight, whether it is still open and so recent). A year's flow as a steady
# mechanism leaves it: most requests closed, a few days' worth still open or just resolved.
_STATES = [
    (State.DRAFT, 1, True),
    (State.PARK_REVIEW, 4, True),
    (State.DISTRICT_REVIEW, 3, True),
    (State.MUNICIPAL_REVIEW, 1.5, True),
    (State.PROVINCIAL_REVIEW, 0.5, True),
    (State.INFO_REQUESTED, 1.5, True),
    (State.RESOLVED, 3, False),
    (State.CLOSED, 81, False),
    (State.WITHDRAWN, 4.5, False),
]
_TIER_WEIGHTS = [50, 30, 15, 5]
_TITLES = [
    ("Pre-submission meeting on the clinical trial protocol", "clinical_trial"),
    ("Which registration pathway applies to our product", "registration"),
    ("GMP site inspection scheduling for the new production line", "site_equipment"),
    ("Clarification of the innovative medical device special review", "registration"),
    ("Investigator-initiated trial ethics approval timing", "clinical_trial"),
    ("R&D subsidy eligibility for the preclinical programme", "rnd"),
    ("Cross-border shipment of biological samples for R&D", "rnd"),
    ("Marketing authorisation holder obligations after transfer", "compliance"),
    ("Talent housing and lab space policy for start-ups", "policy"),
    ("Equipment import duty exemption for the pilot plant", "site_equipment"),
]


@dataclass
class _Chain:
    enterprise: int
    park: int
    ids: dict[str, int | None]  # tier → authority id
    departments: dict[tuple[str, str], int | None]  # (tier, category) → department id
    prefix: str
    creators: list[int]


def _chains() -> list[_Chain]:
    enterprises = list(
        Organization.objects.filter(kind=OrgKind.ENTERPRISE, parent__kind=OrgKind.PARK).select_related(
            "parent__parent__parent__parent"
        )
    )
    staff: dict[int, list[int]] = {}
    for user_id, org_id in User.objects.filter(role__in=[Role.ENTERPRISE, Role.LIAISON]).values_list(
        "pk", "organization_id"
    ):
        staff.setdefault(org_id, []).append(user_id)
    chains = []
    for enterprise in enterprises:
        park = enterprise.parent
        district = park.parent  # type: ignore[union-attr]
        municipal = district.parent if district else None
        provincial = municipal.parent if municipal else None
        if district is None:
            continue
        ids = {
            "park": park.pk,  # type: ignore[union-attr]
            "district": district.pk,
            "municipal": municipal.pk if municipal else None,
            "provincial": provincial.pk if provincial else None,
        }
        departments = {
            (tier, category): (department_for(ids[tier], category) if ids[tier] and tier != "park" else None)  # type: ignore[arg-type]
            for tier in TIER_ORDER
            for category in Category.values
        }
        creators = staff.get(enterprise.pk, []) + staff.get(park.pk, [])  # type: ignore[union-attr]
        if creators:
            chains.append(_Chain(enterprise.pk, park.pk, ids, departments, district.code or "REQ", creators))  # type: ignore[union-attr]
    return chains


def ensure_enterprises(per_park: int) -> None:
    """Give every park `per_park` enterprises (each with one staff member), so that large data
    sets spread over many enterprises as real ones do."""
    for park in Organization.objects.filter(kind=OrgKind.PARK):
        existing = Organization.objects.filter(parent=park, kind=OrgKind.ENTERPRISE).count()
        for n in range(existing + 1, per_park + 1):
            enterprise = Organization.objects.create(
                kind=OrgKind.ENTERPRISE,
                parent=park,
                name=f"{park.name} Enterprise {n:03d}",
                name_zh=f"{park.name_zh or park.name} 企业 {n:03d}",
            )
            User.objects.create(
                username=f"ent_{park.pk}_{n:03d}",
                role=Role.ENTERPRISE,
                organization=enterprise,
                password="!",  # noqa: S106 - unusable: synthetic staff do not sign in
            )


class _Deadlines:
    """Deadlines memoised by day: a million requests ask the calendar a few hundred times."""

    def __init__(self) -> None:
        self.cache: dict[tuple[Any, bool, bool], datetime] = {}

    def __call__(self, moment: datetime, green: bool) -> datetime:
        local = moment.astimezone(calendar.SHANGHAI)
        key = (local.date(), green, local.hour < 12)
        if key not in self.cache:
            probe = local.replace(hour=10 if key[2] else 15, minute=0, second=0, microsecond=0)
            self.cache[key] = calendar.feedback_deadline(probe, green_channel=green)
        return self.cache[key]


def _written_fields(model: type) -> list[Any]:
    """The columns the seed writes: all but those the database fills in itself (`db_default`)."""
    return [f for f in model._meta.concrete_fields if f.db_default is NOT_PROVIDED]  # type: ignore[attr-defined]


def _columns(model: type) -> list[str]:
    return [f.column for f in _written_fields(model)]


def _insert(model: type, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    table = model._meta.db_table  # type: ignore[attr-defined]
    columns = _columns(model)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in rows:
                writer.writerow(
                    ["\\N" if v is None else (v.isoformat() if isinstance(v, datetime) else v) for v in row]
                )
            buffer.seek(0)
            cursor.cursor.copy_expert(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
            )
        else:
            # Django keeps SQLite datetimes as naive UTC text.
            prepared = [
                [
                    v.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v
                    for v in row
                ]
                for row in rows
            ]
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", prepared
            )


def _reset_sequences(models: Iterable[type]) -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def _reserve_references(prefix: str, year: int, count: int) -> int:
    """Take `count` consecutive numbers at once; returns the first."""
    sequence, _ = ReferenceSequence.objects.get_or_create(prefix=prefix, year=year)
    ReferenceSequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    return ReferenceSequence.objects.get(pk=sequence.pk).last - count + 1


# From this many requests on, the secondary indexes of the three big tables are dropped for the
# inserts and built again afterwards: one sort per index instead of a million random inserts.
DEFER_INDEXES_FROM = 50_000


@contextmanager
def _indexes_deferred(count: int) -> Iterator[None]:
    if count < DEFER_INDEXES_FROM:
        yield
        return
    models = [ServiceRequest, RequestEvent, TierVisit]
    # Not entered as a context: index statements need none of its table rebuilding, and SQLite
    # refuses the context inside a transaction (the tests run in one).
    editor = connection.schema_editor()
    editor.deferred_sql = []  # what entering it would set; nothing is deferred here
    for model in models:
        for index in model._meta.indexes:
            editor.remove_index(model, index)
    search.drop_search_indexes(editor)
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            # Inside an outer transaction, PostgreSQL builds no index on a table with foreign
            # key checks still pending: run them now.
            editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in models:
            for index in model._meta.indexes:
                editor.add_index(model, index)
        search.create_search_indexes(editor)
        # Fresh statistics, so that the planner knows the new rows (SQLite keeps none until
        # asked; PostgreSQL's autovacuum would get there later).
        if connection.vendor == "sqlite":
            editor.execute("PRAGMA analysis_limit=1000")
            editor.execute("ANALYZE")
        elif not connection.in_atomic_block:
            # Also the visibility map, so that index-only scans need not visit the new rows.
            editor.execute("VACUUM ANALYZE")
        else:
            editor.execute("ANALYZE")


def generate(count: int, *, seed: int = 2026, progress: Callable[[int], None] | None = None) -> int:
    """Insert `count` synthetic requests with their events and visits. Returns how many."""
    chains = _chains()
    if not chains:
        raise RuntimeError("No enterprises with staff: run seed_demo first.")
    rng = random.Random(seed)
    now = timezone.now()
    deadlines = _Deadlines()
    reminder_cache: dict[datetime, datetime] = {}

    def reminders(due: datetime) -> datetime:
        if due not in reminder_cache:
            reminder_cache[due] = reminder_time(due)
        return reminder_cache[due]

    key_projects = {
        kp.enterprise_id: kp.pk for kp in KeyProject.objects.filter(status=KeyProject.Status.ACTIVE)
    }
    state_choices = [s for s, _w, _o in _STATES]
    state_weights = [w for _s, w, _o in _STATES]
    open_states = {s for s, _w, o in _STATES if o}

    next_request = (ServiceRequest.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_event = (RequestEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_visit = (TierVisit.objects.aggregate(m=Max("id"))["m"] or 0) + 1

    done = 0
    with _indexes_deferred(count):
        while done < count:
            size = min(BATCH, count - done)
            requests: list[dict[str, Any]] = []
            events: list[list[Any]] = []
            visits: list[list[Any]] = []
            plan = []
            for _ in range(size):
                chain = rng.choice(chains)
                state = rng.choices(state_choices, state_weights)[0]
                if state in open_states:
                    age = timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                elif state == State.RESOLVED:
                    # Resolved ones close themselves after 7 days: these were resolved this week.
                    age = timedelta(minutes=rng.randint(3 * 24 * 60, 6 * 24 * 60))
                else:
                    age = timedelta(minutes=rng.randint(15 * 24 * 60, 365 * 24 * 60))
                plan.append((chain, state, now - age))
            # References are numbered per prefix and year, in creation order within the batch.
            plan.sort(key=lambda p: p[2])
            counters: dict[tuple[str, int], int] = {}
            for chain, _state, created in plan:
                key = (chain.prefix, timezone.localtime(created).year)
                counters[key] = counters.get(key, 0) + 1
            firsts = {key: _reserve_references(key[0], key[1], n) for key, n in counters.items()}

            for chain, state, created in plan:
                request_id = next_request
                next_request += 1
                title, category = rng.choice(_TITLES)
                if rng.random() < 0.3:
                    category = rng.choice(Category.values)
                product_type = rng.choice(ProductType.values)
                key_project = key_projects.get(chain.enterprise) if rng.random() < 0.3 else None
                green = key_project is not None
                creator = rng.choice(chain.creators)
                ref_key = (chain.prefix, timezone.localtime(created).year)
                reference = f"{ref_key[0]}-{ref_key[1]}-{firsts[ref_key]:06d}"
                firsts[ref_key] += 1

                if state == State.DRAFT:
                    top = 0
                elif state in (
                    State.PARK_REVIEW,
                    State.DISTRICT_REVIEW,
                    State.MUNICIPAL_REVIEW,
                    State.PROVINCIAL_REVIEW,
                ):
                    top = TIER_ORDER.index(state.removesuffix("_review"))
                else:
                    top = rng.choices(range(4), _TIER_WEIGHTS)[0]
                while top > 0 and chain.ids[TIER_ORDER[top]] is None:
                    top -= 1
                tier = TIER_ORDER[top]

                events.append(
                    [
                        next_event,
                        EventKind.CREATED,
                        created,
                        "",
                        State.DRAFT,
                        "park",
                        title,
                        False,
                        creator,
                        request_id,
                    ]
                )
                next_event += 1
                moment = created + min(timedelta(minutes=rng.randint(1, 120)), (now - created) / 2)
                dept_of = {t: chain.departments[(t, category)] for t in TIER_ORDER[: top + 1]}
                feedback_due = None
                resolved_at = closed_at = None
                resolution = ""
                final_state = state
                if state != State.DRAFT:
                    events.append(
                        [
                            next_event,
                            EventKind.SUBMITTED,
                            moment,
                            State.DRAFT,
                            State.PARK_REVIEW,
                            "park",
                            "",
                            False,
                            creator,
                            request_id,
                        ]
                    )
                    next_event += 1
                    for level in range(top + 1):
                        t = TIER_ORDER[level]
                        due = deadlines(moment, green)
                        last = level == top
                        still_waiting = last and state in open_states and state != State.INFO_REQUESTED
                        if still_waiting:
                            feedback_at = ended_at = None
                            feedback_due = due
                            fb_secs = fb_work = None
                        else:
                            late = rng.random() < 0.12
                            answer = (
                                due + timedelta(hours=rng.randint(1, 30))
                                if late
                                else moment + (due - moment) * rng.uniform(0.05, 0.95)
                            )
                            # Nothing is answered in the future: young requests were answered fast.
                            answer = max(moment, min(answer, moment + (now - moment) / 2))
                            feedback_at = ended_at = answer
                            fb_secs = int((answer - moment).total_seconds())
                            fb_work = (
                                calendar.working_seconds_between(moment, answer)
                                if rng.random() < 0.02
                                else int(fb_secs * 0.35)
                            )
                        breached = (
                            due
                            if (feedback_at is None and due < now) or (feedback_at and feedback_at > due)
                            else None
                        )
                        remind = reminders(due)
                        reminded = (
                            remind
                            if remind <= now and (feedback_at is None or feedback_at > remind)
                            else None
                        )
                        visits.append(
                            [
                                next_visit,
                                t,
                                green,
                                moment,
                                week_of(moment),
                                due,
                                feedback_at,
                                ended_at,
                                fb_secs,
                                fb_work,
                                remind,
                                reminded,
                                breached,
                                None,
                                chain.ids[t],
                                dept_of[t] if t != "park" else None,
                                request_id,
                            ]
                        )
                        next_visit += 1
                        if feedback_at is not None:
                            moment = feedback_at
                            if not last:
                                events.append(
                                    [
                                        next_event,
                                        EventKind.ESCALATED,
                                        moment,
                                        f"{t}_review",
                                        f"{TIER_ORDER[level + 1]}_review",
                                        TIER_ORDER[level + 1],
                                        "Needs the next tier's decision.",
                                        False,
                                        None,
                                        request_id,
                                    ]
                                )
                                next_event += 1
                    if state == State.INFO_REQUESTED:
                        events.append(
                            [
                                next_event,
                                EventKind.INFO_REQUESTED,
                                moment,
                                f"{tier}_review",
                                state,
                                tier,
                                "Please send the protocol synopsis.",
                                False,
                                None,
                                request_id,
                            ]
                        )
                        next_event += 1
                    elif state in (State.RESOLVED, State.CLOSED):
                        resolved_at = moment
                        resolution = "Answered: see the guidance referenced in the reply."
                        events.append(
                            [
                                next_event,
                                EventKind.RESOLVED,
                                moment,
                                f"{tier}_review",
                                State.RESOLVED,
                                tier,
                                resolution,
                                False,
                                None,
                                request_id,
                            ]
                        )
                        next_event += 1
                        if state == State.CLOSED:
                            closed_at = moment + timedelta(days=7)
                            events.append(
                                [
                                    next_event,
                                    EventKind.CLOSED,
                                    closed_at,
                                    State.RESOLVED,
                                    State.CLOSED,
                                    tier,
                                    "",
                                    False,
                                    None,
                                    request_id,
                                ]
                            )
                            next_event += 1
                    elif state == State.WITHDRAWN:
                        closed_at = moment
                        events.append(
                            [
                                next_event,
                                EventKind.WITHDRAWN,
                                moment,
                                f"{tier}_review",
                                State.WITHDRAWN,
                                tier,
                                "",
                                False,
                                creator,
                                request_id,
                            ]
                        )
                        next_event += 1
                updated = max(created, closed_at or moment)
                requests.append(
                    {
                        "id": request_id,
                        "reference": reference,
                        "title": title,
                        "description": f"{title}. Synthetic request for load and demo purposes.",
                        "category": category,
                        "product_type": product_type,
                        "green_channel": green,
                        "state": final_state,
                        "tier": tier,
                        "reached_level": top,
                        "feedback_due_at": feedback_due,
                        "resolution": resolution,
                        "resolved_at": resolved_at,
                        "closed_at": closed_at,
                        "created_at": created,
                        "updated_at": updated,
                        "version": 1,
                        "assignee_id": None,
                        "created_by_id": creator,
                        "department_id": dept_of.get(tier) if tier != "park" else None,
                        "district_department_id": dept_of.get("district"),
                        "municipal_department_id": dept_of.get("municipal"),
                        "provincial_department_id": dept_of.get("provincial"),
                        "district_id": chain.ids["district"],
                        "enterprise_id": chain.enterprise,
                        "key_project_id": key_project,
                        "municipal_id": chain.ids["municipal"],
                        "park_id": chain.park,
                        "provincial_id": chain.ids["provincial"],
                    }
                )
            request_columns = [f.attname for f in _written_fields(ServiceRequest)]
            with transaction.atomic():
                _insert(ServiceRequest, [[r[c] for c in request_columns] for r in requests])
                _insert(
                    RequestEvent,
                    _ordered(
                        RequestEvent,
                        events,
                        [
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
                        ],
                    ),
                )
                _insert(
                    TierVisit,
                    _ordered(
                        TierVisit,
                        visits,
                        [
                            "id",
                            "tier",
                            "green_channel",
                            "started_at",
                            "week_start",
                            "due_at",
                            "feedback_at",
                            "ended_at",
                            "feedback_seconds",
                            "feedback_working_seconds",
                            "remind_at",
                            "reminded_at",
                            "breached_at",
                            "assignee_id",
                            "authority_id",
                            "department_id",
                            "request_id",
                        ],
                    ),
                )
            done += size
            if progress:
                progress(done)
    _reset_sequences([ServiceRequest, RequestEvent, TierVisit])
    return done


def _ordered(model: type, rows: list[list[Any]], given: list[str]) -> list[list[Any]]:
    """Reorder rows written in `given` column order into the table's column order."""
    order = [given.index(f.attname) for f in _written_fields(model)]
    return [[row[i] for i in order] for row in rows]
