"""Synthetic requests for demos and benchmarks: `seed_demo --requests N`.

Requests are spread over the enterprises, tiers and states, each with the timeline events and
tier visits the lifecycle would have left, consistent with the rules (routing, deadlines on the
working-day calendar, visibility columns). Every resolved or closed request has the rating of
its resolution (好差评: rated, defaulted to 5 or still waiting) and every bad review its
rectification, with their timeline events; about one filed request in five has a consultation
meeting with a tier it visited (apps/meetings/synthetic.py). Rows go in as plain tuples in large batches
(`executemany` on SQLite, `COPY` on PostgreSQL): a million requests take minutes, not hours.
"""

from __future__ import annotations

import multiprocessing
import random
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps as django_apps
from django.db import connection, connections, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.assist import index as assist_index
from apps.assist.models import RequestTerms
from apps.deadlines import calendar
from apps.deadlines.models import TierVisit, week_of
from apps.deadlines.visits import reminder_time
from apps.meetings.models import Meeting, Slot
from apps.meetings.synthetic import SyntheticMeetings
from apps.organizations.models import TIER_ORDER, KeyProject, Organization, OrgKind, Role, User
from apps.organizations.routing import department_for
from apps.satisfaction.models import (
    BAD_REVIEW_MAX,
    AppealDecision,
    FollowUpMethod,
    Rating,
    Rectification,
    RectificationState,
    Source,
)

from . import search, seed_rows
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
# (title, category, resolution): English and Chinese, as the parks' enterprises write them.
_TITLES = [
    (
        "Pre-submission meeting on the clinical trial protocol",
        "clinical_trial",
        "The district booked a pre-submission meeting with the drug evaluation centre; bring the protocol synopsis.",
    ),
    (
        "Which registration pathway applies to our product",
        "registration",
        "A class II device: registration with the provincial administration after type testing.",
    ),
    (
        "GMP site inspection scheduling for the new production line",
        "site_equipment",
        "The GMP compliance inspection is scheduled once the validation reports are filed.",
    ),
    (
        "Clarification of the innovative medical device special review",
        "registration",
        "The product qualifies for the special review if its core technology is patented in China.",
    ),
    (
        "Investigator-initiated trial ethics approval timing",
        "clinical_trial",
        "The hospital's ethics committee meets monthly; submit two weeks ahead.",
    ),
    (
        "R&D subsidy eligibility for the preclinical programme",
        "rnd",
        "Preclinical programmes are eligible from the second funding round; apply by March.",
    ),
    (
        "Cross-border shipment of biological samples for R&D",
        "rnd",
        "Biological samples need a special items health quarantine approval before shipment.",
    ),
    (
        "Marketing authorisation holder obligations after transfer",
        "compliance",
        "The new holder takes over pharmacovigilance and must update the registration within 30 days.",
    ),
    (
        "Talent housing and lab space policy for start-ups",
        "policy",
        "Start-ups in the park may apply for talent housing and a rent subsidy for lab space.",
    ),
    (
        "Equipment import duty exemption for the pilot plant",
        "site_equipment",
        "Imported R&D equipment is duty-free with the science bureau's confirmation letter.",
    ),
    (
        "临床试验申请默示许可的时限",
        "clinical_trial",
        "自受理之日起60个工作日内未收到否定意见的，可以开展临床试验。",
    ),
    (
        "第二类医疗器械注册检验如何预约",
        "registration",
        "可向省医疗器械检验研究院预约注册检验，提前准备产品技术要求。",
    ),
    (
        "人类遗传资源采集审批需要哪些材料",
        "clinical_trial",
        "通过科技部人类遗传资源服务平台在线申报，附伦理审查批件和知情同意书。",
    ),
    (
        "洁净车间环评手续咨询",
        "site_equipment",
        "新建洁净车间需办理环境影响评价，建设项目备案后提交环评报告表。",
    ),
    ("产业扶持资金申报条件", "policy", "在园区注册满一年且研发投入达标的企业可申报，每年四月集中受理。"),
    ("药品广告审查流程", "compliance", "药品广告须经省药品监督管理局审查批准，取得广告批准文号后方可发布。"),
    (
        "人工智能医疗器械算法变更是否需要变更注册",
        "registration",
        "算法重大更新需申请变更注册，轻微更新在质量体系内控制并记录。",
    ),
    ("研发用试剂进口通关", "rnd", "研发用物品可走白名单通道，凭园区出具的证明办理通关。"),
]


@dataclass
class _Chain:
    enterprise: int
    park: int
    ids: dict[str, int | None]  # tier → authority id
    departments: dict[tuple[str, str], int | None]  # (tier, category) → department id
    prefix: str
    creators: list[int]
    raters: list[int]  # the enterprise's staff, who rate its requests
    liaisons: list[int]  # the park's, who may record a rating the enterprise gave


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
        raters = staff.get(enterprise.pk, [])
        liaisons = staff.get(park.pk, [])  # type: ignore[union-attr]
        creators = raters + liaisons
        if creators:
            chains.append(
                _Chain(
                    enterprise.pk,
                    park.pk,  # type: ignore[union-attr]
                    ids,
                    departments,
                    district.code or "REQ",  # type: ignore[union-attr]
                    creators,
                    raters,
                    liaisons,
                )
            )
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


def _store_references(last: dict[tuple[str, int], int]) -> None:
    """Record the last reference number the seed gave per prefix and year (numbered from the
    sequences as they were when it began: nobody else files requests while it runs)."""
    for (prefix, year), number in last.items():
        sequence, _ = ReferenceSequence.objects.get_or_create(prefix=prefix, year=year)
        ReferenceSequence.objects.filter(pk=sequence.pk).update(last=Greatest(F("last"), number))


@dataclass
class _Batch:
    """A batch of the seed's rows, made without the database: each table's rows (by model label,
    in the order they are inserted, with their columns where not every column the seed writes),
    and the last reference number reached per prefix and year."""

    size: int
    tables: list[seed_rows.Table]
    references: dict[tuple[str, int], int]

    def prepare(self) -> _Batch:
        """The rows as the database takes them (in the generator's process)."""
        self.tables = [
            (label, columns, seed_rows.prepare(django_apps.get_model(label), rows, columns))
            for label, columns, rows in self.tables
        ]
        return self

    def insert(self) -> None:
        with transaction.atomic():
            for label, columns, prepared in self.tables:
                seed_rows.insert_prepared(django_apps.get_model(label), prepared, columns)
            _store_references(self.references)


# From this many requests on, the batches are made in a process of their own while this one
# writes the previous ones: making a batch takes about as long as writing it.
APART_FROM = 50_000


@contextmanager
def _no_database() -> Iterator[None]:
    """Make any query fail: what the generator needs is read before it starts, so that it can
    run in a process of its own (which must not use the connection it was forked with)."""

    def refuse(*_args: Any) -> None:
        raise RuntimeError("The seed's generator asked the database: read it before the batches start.")

    with ExitStack() as stack:
        for each in connections.all():
            stack.enter_context(each.execute_wrapper(refuse))
        yield


def _made_here(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """The batches, made in this process between the writes, under the same rules."""
    while True:
        with calendar.pinned(), _no_database():
            batch = next(batches, None)
        if batch is None:
            return
        yield batch


def _made_apart(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """The batches, made by a forked process (two batches ahead at most) while this one writes."""
    context = multiprocessing.get_context("fork")
    made: Any = context.Queue(maxsize=2)

    def make() -> None:
        try:
            with calendar.pinned(), _no_database():
                for batch in batches:
                    made.put(batch)
            made.put(None)
        except BaseException:  # noqa: BLE001 (the writer raises it, with this traceback)
            made.put(traceback.format_exc())

    child = context.Process(target=make, name="seed-generator", daemon=True)
    child.start()
    try:
        while (batch := made.get()) is not None:
            if isinstance(batch, str):
                raise RuntimeError(f"The seed's generator failed:\n{batch}")
            yield batch
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()


# From this many requests on, the secondary indexes of the big tables are dropped for the
# inserts and built again afterwards: one sort per index instead of a million random inserts.
DEFER_INDEXES_FROM = 50_000


@contextmanager
def _indexes_deferred(count: int) -> Iterator[None]:
    if count < DEFER_INDEXES_FROM:
        yield
        return
    models = [ServiceRequest, RequestEvent, TierVisit, Rating, Rectification, Slot, Meeting]
    # Not entered as a context: index statements need none of its table rebuilding, and SQLite
    # refuses the context inside a transaction (the tests run in one).
    editor = connection.schema_editor()
    editor.deferred_sql = []  # what entering it would set; nothing is deferred here
    for model in models:
        for index in model._meta.indexes:
            editor.remove_index(model, index)
    search.drop_search_indexes(editor)
    assist_index.drop_indexes(editor)
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
        assist_index.create_indexes(editor)
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


# The columns of a seeded tier visit.
_VISIT = [
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
]
_RATING = [
    "id",
    "request_id",
    "resolution_id",
    "tier",
    "authority_id",
    "department_id",
    "resolved_by_id",
    "resolved_at",
    "default_at",
    "reopened_at",
    "score",
    "comment",
    "source",
    "rated_by_id",
    "rated_at",
    "set_aside",
]
_RECTIFICATION = [
    "id",
    "rating_id",
    "request_id",
    "tier",
    "authority_id",
    "department_id",
    "state",
    "opened_at",
    "due_at",
    "breached_at",
    "action_taken",
    "followed_up_at",
    "follow_up_method",
    "follow_up_notes",
    "rectified_at",
    "rectified_by_id",
    "appeal_reason",
    "appealed_at",
    "appealed_by_id",
    "decision",
    "decision_reason",
    "decided_at",
    "decided_by_id",
    "fix_score",
    "fix_comment",
    "fix_rated_at",
    "fix_rated_by_id",
]
# Scores of the answers rated (5 … 1): mostly satisfied, about 4 % bad reviews.
_SCORES = [5, 4, 3, 2, 1]
_SCORE_WEIGHTS = [62, 27, 7, 2.5, 1.5]
_COMMENTS = {
    5: ["Clear and quick, thank you.", "Exactly what we needed.", "答复及时，非常满意。"],
    4: ["Helpful; a reference to the rule would help next time.", "满意，希望附上依据。"],
    3: ["The answer came late but was useful.", "基本解决了问题。"],
    2: ["The answer does not address our question.", "答复没有解决我们的问题。"],
    1: ["A one-line answer to a detailed question.", "答复敷衍，问题仍未解决。"],
}
# The scan runs every few minutes: what it records, it records this long after the moment.
_SCAN_LAG = timedelta(minutes=4)


class _Satisfaction:
    """The ratings of the resolutions the seed writes and the rectifications of the bad reviews,
    with their timeline events, as the actions and the scan would have left them (rules in
    apps/satisfaction/actions.py). It draws from its own random stream, so that the requests,
    events and visits of a given seed are the same as without it."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed + 1)
        self.now = now
        policy = calendar.policy()
        self.default_after = timedelta(days=policy.rating_default_after_days)
        self.default_days = policy.rating_default_after_days
        self.rectification_days = policy.rectification_working_days
        self.due_cache: dict[Any, datetime] = {}
        self.methods = list(FollowUpMethod.values)
        self.names = {
            pk: {"en": name, "zh": name_zh}
            for pk, name, name_zh in Organization.objects.values_list("pk", "name", "name_zh")
        }
        # The staff of each organisation who work on its rectifications and decide its appeals.
        self.staff: dict[tuple[int, str], list[int]] = {}
        for user_id, org_id, role in User.objects.filter(
            role__in=[Role.LIAISON, Role.OFFICER, Role.SUPERVISOR], is_active=True
        ).values_list("pk", "organization_id", "role"):
            self.staff.setdefault((org_id, role), []).append(user_id)
        self.next_rating = (Rating.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_rectification = (Rectification.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.ratings: list[list[Any]] = []
        self.rectifications: list[list[Any]] = []
        self.events: list[list[Any]] = []

    def take(self) -> list[seed_rows.Table]:
        """What was gathered, to insert after the requests and events it refers to."""
        tables: list[seed_rows.Table] = [
            (RequestEvent._meta.label, seed_rows.DETAILED_EVENT_COLUMNS, self.events),
            (Rating._meta.label, _RATING, self.ratings),
            (Rectification._meta.label, _RECTIFICATION, self.rectifications),
        ]
        self.ratings, self.rectifications, self.events = [], [], []
        return tables

    def _due(self, opened: datetime) -> datetime:
        day = opened.astimezone(calendar.SHANGHAI).date()
        if day not in self.due_cache:
            self.due_cache[day] = calendar.working_days_later(opened, self.rectification_days)
        return self.due_cache[day]

    def _person(self, org_ids: Sequence[int | None], role: str) -> int | None:
        for org_id in org_ids:
            people = self.staff.get((org_id, role)) if org_id else None  # type: ignore[arg-type]
            if people:
                return self.rng.choice(people)
        return None

    def _event(
        self,
        next_event: int,
        request: dict[str, Any],
        kind: str,
        moment: datetime,
        actor: int | None,
        details: dict[str, Any],
        *,
        text: str = "",
        internal: bool = False,
    ) -> int:
        # The request was resolved until it closed, and the event leaves its state as it was.
        closed_at = request["closed_at"]
        state = State.CLOSED if closed_at is not None and moment >= closed_at else State.RESOLVED
        self.events.append(
            seed_rows.detailed_event(
                next_event,
                kind,
                moment,
                state,
                request["tier"],
                actor,
                request["id"],
                details,
                text=text,
                internal=internal,
            )
        )
        return next_event + 1

    def resolution(self, request: dict[str, Any], resolution_id: int, chain: _Chain, next_event: int) -> int:
        """The rating of the request's resolution (event `resolution_id`); returns the next free
        event id."""
        rng, now = self.rng, self.now
        resolved_at: datetime = request["resolved_at"]
        default_at = resolved_at + self.default_after
        tier = request["tier"]
        rating_id = self.next_rating
        self.next_rating += 1
        score = rated_by = rated_at = None
        source = comment = ""
        # Most answers are rated within the week, the rest default once the week is out (closed
        # requests resolved long ago); this week's resolutions may still be waiting.
        rated = rng.random() < (0.89 if default_at <= now else 0.45)
        if rated:
            rated_at = resolved_at + (min(default_at, now) - resolved_at) * rng.uniform(0.02, 0.9)
            if chain.raters and (not chain.liaisons or rng.random() < 0.94):
                source, rated_by = Source.ENTERPRISE, rng.choice(chain.raters)
            elif chain.liaisons:
                source, rated_by = Source.LIAISON, rng.choice(chain.liaisons)
            else:
                rated = False
        if rated:
            score = rng.choices(_SCORES, _SCORE_WEIGHTS)[0]
            if score <= BAD_REVIEW_MAX or rng.random() < 0.3:
                comment = rng.choice(_COMMENTS[score])
            next_event = self._event(
                next_event,
                request,
                EventKind.RATED,
                rated_at,  # type: ignore[arg-type]
                rated_by,
                {"score": score, "comment": comment, "source": source},
                text=comment,
            )
        elif default_at <= now:
            score, source, rated_at = 5, Source.DEFAULT, default_at + _SCAN_LAG
            next_event = self._event(
                next_event, request, EventKind.RATING_DEFAULTED, rated_at, None, {"days": self.default_days}
            )
        authority, department = self._owner(request)
        row = [
            rating_id,
            request["id"],
            resolution_id,
            tier,
            authority,
            department,
            None,  # the seed's resolutions name nobody, like their events
            resolved_at,
            default_at,
            None,
            score,
            comment,
            source,
            rated_by,
            rated_at,
            False,
        ]
        self.ratings.append(row)
        if score is not None and score <= BAD_REVIEW_MAX and rated_at is not None:
            set_aside, next_event = self._rectification(
                request, rating_id, score, rated_at, rated_by, source, next_event
            )
            row[-1] = set_aside
        return next_event

    def _rectification(
        self,
        request: dict[str, Any],
        rating_id: int,
        score: int,
        opened: datetime,
        rater: int | None,
        source: str,
        next_event: int,
    ) -> tuple[bool, int]:
        """A bad review's rectification: mostly rectified on time, some late, some still open
        (breached once past due), about a fifth appealed (upheld or set aside). Returns whether
        the review was set aside, and the next free event id."""
        rng, now = self.rng, self.now
        tier = request["tier"]
        authority, department = self._owner(request)
        owners = [department, authority]
        due = self._due(opened)
        rect_id = self.next_rectification
        self.next_rectification += 1
        values: dict[str, Any] = dict.fromkeys(_RECTIFICATION, None)
        values.update(
            id=rect_id,
            rating_id=rating_id,
            request_id=request["id"],
            tier=tier,
            authority_id=authority,
            department_id=department,
            state=RectificationState.OPEN,
            opened_at=opened,
            due_at=due,
            action_taken="",
            follow_up_method="",
            follow_up_notes="",
            appeal_reason="",
            decision="",
            decision_reason="",
            fix_comment="",
        )

        def event(kind: str, moment: datetime, actor: int | None, details: dict[str, Any], **kw: Any) -> None:
            nonlocal next_event
            next_event = self._event(next_event, request, kind, moment, actor, details, **kw)

        event(
            EventKind.RECTIFICATION_OPENED,
            opened,
            None,
            {
                "score": score,
                "due": due.isoformat(),
                "unit": self.names.get(department or authority, {"en": "", "zh": ""}),  # type: ignore[arg-type]
                "rectification": rect_id,
            },
        )
        span = due - opened
        start = opened  # from when the owner works on it (after an appeal upheld)
        # An appeal needs a supervisor of the owner to decide it, other than who appealed: about
        # half the owners have one (not every park does), so a third of theirs make a fifth.
        appellant = self._person(owners, Role.OFFICER) or self._person(owners, Role.LIAISON)
        supervisor = self._person(owners, Role.SUPERVISOR)
        if rng.random() < 0.35 and appellant is not None and supervisor is not None:
            appealed_at = opened + span * rng.uniform(0.05, 0.3)
            decided_at = appealed_at + span * rng.uniform(0.05, 0.3)
            if appealed_at > now:
                return False, self._store(values, next_event)
            reason = "The review rates another matter than the one asked."
            values.update(
                state=RectificationState.APPEALED,
                appeal_reason=reason,
                appealed_at=appealed_at,
                appealed_by_id=appellant,
            )
            event(
                EventKind.APPEALED,
                appealed_at,
                appellant,
                {"rectification": rect_id},
                text=reason,
                internal=True,
            )
            if decided_at > now:
                return False, self._store(values, next_event)
            upheld = rng.random() < 0.45
            decision = AppealDecision.UPHELD if upheld else AppealDecision.SET_ASIDE
            why = (
                "The answer left the enterprise without a way forward: rectify."
                if upheld
                else "The review is about another matter: set aside."
            )
            values.update(
                state=RectificationState.OPEN if upheld else RectificationState.SET_ASIDE,
                decision=decision,
                decision_reason=why,
                decided_at=decided_at,
                decided_by_id=supervisor,
            )
            event(
                EventKind.APPEAL_DECIDED,
                decided_at,
                supervisor,
                {"rectification": rect_id, "decision": decision, "reason": why},
                text=why,
                internal=True,
            )
            if not upheld:
                return True, self._store(values, next_event)
            start = decided_at
        outcome = rng.random()
        if outcome < 0.82:
            rectified_at = start + (due - start) * rng.uniform(0.1, 0.95)
        elif outcome < 0.92:
            rectified_at = due + timedelta(hours=rng.uniform(2, 120))
        else:
            rectified_at = None  # still open
        if rectified_at is not None and rectified_at > now:
            rectified_at = None
        breached_at = due + _SCAN_LAG
        if breached_at <= now and (rectified_at is None or rectified_at > due):
            values["breached_at"] = breached_at
            event(
                EventKind.RECTIFICATION_BREACHED,
                breached_at,
                None,
                {"due": due.isoformat(), "rectification": rect_id},
                internal=True,
            )
        if rectified_at is None:
            return False, self._store(values, next_event)
        rectified_at = max(rectified_at, breached_at) if values["breached_at"] else rectified_at
        if rectified_at > now:
            return False, self._store(values, next_event)
        actor = appellant or supervisor
        followed_up = max(start, rectified_at - timedelta(hours=rng.uniform(1, 24)))
        method = rng.choice(self.methods)
        action = "We explained the answer in writing with the rules it rests on, and met the enterprise."
        notes = "The enterprise said the question is now answered."
        values.update(
            state=RectificationState.RECTIFIED,
            action_taken=action,
            followed_up_at=followed_up,
            follow_up_method=method,
            follow_up_notes=notes,
            rectified_at=rectified_at,
            rectified_by_id=actor,
        )
        event(
            EventKind.RECTIFIED,
            rectified_at,
            actor,
            {
                "rectification": rect_id,
                "action": action,
                "followed_up_at": followed_up.isoformat(),
                "method": method,
                "notes": notes,
            },
            text=action,
        )
        fix_at = rectified_at + timedelta(hours=rng.uniform(1, 72))
        if rater is not None and fix_at <= now and rng.random() < 0.6:
            fix_score = rng.choices([5, 4, 3, 2], [40, 40, 15, 5])[0]
            values.update(fix_score=fix_score, fix_rated_at=fix_at, fix_rated_by_id=rater)
            event(
                EventKind.FIX_RATED,
                fix_at,
                rater,
                {"rectification": rect_id, "score": fix_score, "comment": "", "source": source},
            )
        return False, self._store(values, next_event)

    @staticmethod
    def _owner(request: dict[str, Any]) -> tuple[int, int | None]:
        tier = request["tier"]
        authority = request["park_id"] if tier == "park" else request[f"{tier}_id"]
        return authority, request["department_id"]

    def _store(self, values: dict[str, Any], next_event: int) -> int:
        self.rectifications.append([values[column] for column in _RECTIFICATION])
        return next_event


def _description(title: str) -> str:
    if title.isascii():
        return f"{title}. Synthetic request for load and demo purposes."
    return f"{title}。此为演示和压测用的模拟请求。"


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
    # Read once: the enums build these lists anew on every access.
    category_values, product_type_values = list(Category.values), list(ProductType.values)
    state_choices = [s for s, _w, _o in _STATES]
    state_weights = [w for _s, w, _o in _STATES]
    open_states = {s for s, _w, o in _STATES if o}

    next_request = (ServiceRequest.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_event = (RequestEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_visit = (TierVisit.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    satisfaction = _Satisfaction(seed, now)
    meetings = SyntheticMeetings(seed, now)

    # The assistant's terms of a resolved request: its jurisdiction's and its text's, each
    # worked out once (a million requests share a few dozen texts and chains).
    scopes = {
        chain.enterprise: " ".join(
            assist_index.scope_terms(
                chain.enterprise,
                chain.park,
                chain.ids["district"],
                chain.ids["municipal"],
                chain.ids["provincial"],
            )
        )
        for chain in chains
    }
    words = [
        " ".join(assist_index.text_terms(title, _description(title), answer)) for title, _c, answer in _TITLES
    ]

    sequences = {(s.prefix, s.year): s.last for s in ReferenceSequence.objects.all()}
    request_columns = [f.attname for f in seed_rows.written_fields(ServiceRequest)]

    def batches() -> Iterator[_Batch]:
        nonlocal next_request, next_event, next_visit
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            requests: list[dict[str, Any]] = []
            events: list[list[Any]] = []
            visits: list[list[Any]] = []
            assist_terms: list[list[Any]] = []
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
                created = now - age
                # Numbered by the year it was filed in, in Shanghai.
                plan.append(
                    (chain, state, created, (chain.prefix, created.astimezone(calendar.SHANGHAI).year))
                )
            # References are numbered per prefix and year, in creation order within the batch.
            plan.sort(key=lambda p: p[2])
            counters: dict[tuple[str, int], int] = {}
            for _chain, _state, _created, key in plan:
                counters[key] = counters.get(key, 0) + 1
            firsts = {}
            for key, n in counters.items():
                firsts[key] = sequences.get(key, 0) + 1
                sequences[key] = sequences.get(key, 0) + n

            for chain, state, created, ref_key in plan:
                request_id = next_request
                next_request += 1
                title_index = rng.randrange(len(_TITLES))
                title, category, answer_text = _TITLES[title_index]
                if rng.random() < 0.3:
                    category = rng.choice(category_values)
                product_type = rng.choice(product_type_values)
                key_project = key_projects.get(chain.enterprise) if rng.random() < 0.3 else None
                green = key_project is not None
                creator = rng.choice(chain.creators)
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

                own_events, own_visits = len(events), len(visits)
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
                resolution_event = None
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
                        resolution = answer_text
                        resolution_event = next_event
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
                        "description": _description(title),
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
                if resolution_event is not None:
                    next_event = satisfaction.resolution(requests[-1], resolution_event, chain, next_event)
                    assist_terms.append([request_id, f"{scopes[chain.enterprise]} {words[title_index]}"])
                next_event = meetings.for_request(
                    requests[-1],
                    events[own_events:],
                    visits[own_visits:],
                    chain.raters or chain.liaisons,
                    next_event,
                )
            yield _Batch(
                size,
                [
                    (ServiceRequest._meta.label, None, [[r[c] for c in request_columns] for r in requests]),
                    (RequestEvent._meta.label, seed_rows.EVENT_COLUMNS, events),
                    (TierVisit._meta.label, _VISIT, visits),
                    *satisfaction.take(),
                    *meetings.take(),
                    (RequestTerms._meta.label, None, assist_terms),
                ],
                {key: sequences[key] for key in counters},
            ).prepare()
            done += size

    done = 0
    with _indexes_deferred(count):
        for batch in (_made_apart if count >= APART_FROM else _made_here)(batches()):
            batch.insert()
            done += batch.size
            if progress:
                progress(done)
    meetings.finish()
    seed_rows.reset_sequences(
        [ServiceRequest, RequestEvent, TierVisit, Rating, Rectification, Slot, Meeting, Meeting.slots.through]
    )
    assist_index.forget_counts()
    return done
