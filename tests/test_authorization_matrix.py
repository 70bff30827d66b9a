"""The authorization matrix: every URL pattern × every persona × GET and the unsafe methods.

One world is built once for the module, through the real actions, around the *owner*
(Pregene, an enterprise of the SBIP park in Pingshan): a draft, a request that went up to the
provincial tier and came back to the district (with a public and an internal message, a public
and an internal file), one waiting for information and one resolved, plus requests of a rival in
the same park, of the other park and of Beijing. Every route is probed with the owner's ids, so
outsiders probe real objects. Each case runs in a savepoint that is rolled back afterwards, so
no case sees another's changes.

Each (route, method, persona) case checks:
- the status the table gives: 404 for what the persona may not see, 403 for what it may see
  but not do (the pages answer a refused transition with a redirect and a message), 401 from
  the API and a redirect to the login page from the pages for anonymous callers;
- that the owner's world changed exactly when the persona may do what it asked (request
  states and versions, row counts, read marks), and that GET never changes anything;
- that no response, by any route and with any status, names a request, an enterprise, a key
  project or a person the persona may not see, and that enterprise staff never receive internal
  notes or files (their texts carry the marker `SECRET-`).

The table: `ROWS` classifies every named route of the API, the pages, guidance and the
platform; the Django admin is classified by a rule (`admin_rows`) that walks
`admin.site._registry`: each registered model's changelist, add, change, history, delete and
object-redirect patterns, GET by the admin (what the ModelAdmin permits answers 200, the rest
403) and GET and POST by anonymous and non-staff users (always sent to the admin login). A
pattern no row classifies fails `test_every_url_pattern_is_classified`. Every case also checks
that its URL resolves to the very pattern it stands for, so the matrix requests each pattern
(which `--route-coverage` relies on). DRF's format-suffix twins (`….json`) are off; were they
back, each would be probed like its route, with the same expectations.

It runs in well under a minute on SQLite: the world is built once, each case is one request
and two small queries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote_plus, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.casework import actions
from apps.casework.models import Attachment, ServiceRequest
from apps.casework.selectors import visible_requests
from apps.deadlines import calendar
from apps.deadlines.scan import scan
from apps.desk.models import ReplyTemplate, SavedView
from apps.guidance.demo import seed_guidance
from apps.guidance.models import Guidance, GuidanceAttachment
from apps.meetings import actions as meetings
from apps.meetings import slots
from apps.meetings.models import Meeting, Slot
from apps.notifications.models import Notification
from apps.notifications.services import render as render_notification
from apps.organizations import demo
from apps.organizations.models import KeyProject, Organization, OrgKind, User
from apps.satisfaction import actions as satisfaction
from apps.satisfaction.models import Rectification
from apps.security.models import SignedInSession
from apps.stats.models import ServiceTarget
from tests.route_coverage import Route, all_routes

# --- who asks -------------------------------------------------------------------------------------
ANON = "anonymous"
PERSONAS: dict[str, str | None] = {
    "owner": "ent_pregene",  # Pregene, SBIP park, Pingshan: every probed object is theirs
    "rival_same_park": "ent_ascentawits",  # a competitor in the same park
    "enterprise_other_park": "ent_accel1",  # the Accelerator park, same district
    "enterprise_beijing": "ent_haidian",
    "park_liaison": "liaison_sbip",
    "other_park_liaison": "liaison_accel",
    "haidian_liaison": "liaison_haidian",
    "routed_officer": "officer_ps_msb",  # the district department the owner's requests go to
    "other_dept_officer": "officer_ps_sti",  # the other district department
    "district_supervisor": "supervisor_ps",
    "municipal_officer": "officer_sz_amr",
    "provincial_officer": "officer_gd_mpa",
    "haidian_officer": "officer_hd_station",
    "haidian_supervisor": "supervisor_hd",
    "admin": "admin",
    # 三员分立: the three administrators, who answer no request (apps/security/duties.py).
    "system_admin": "sysadmin",
    "security_admin": "secadmin",
    "auditor": "auditor",
    ANON: None,
}
DUTY_PERSONAS = {"system_admin": "system_admin", "security_admin": "security_admin", "auditor": "auditor"}
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {ANON}
ENTERPRISE_STAFF = frozenset({"owner", "rival_same_park", "enterprise_other_park", "enterprise_beijing"})
LIAISONS = frozenset({"park_liaison", "other_park_liaison", "haidian_liaison"})
OFFICIALS = frozenset(
    {
        "routed_officer",
        "other_dept_officer",
        "district_supervisor",
        "municipal_officer",
        "provincial_officer",
        "haidian_officer",
        "haidian_supervisor",
        "admin",
    }
)
# The admin's pages are probed by the admin, the three administrators, anonymous callers and a
# portal user (the admin site refuses every portal user by the same check).
ADMIN_PROBES = ("admin", *DUTY_PERSONAS, ANON, "owner")


def only(*personas: str) -> frozenset[str]:
    unknown = set(personas) - set(PERSONAS)
    assert not unknown, unknown
    return frozenset(personas)


# --- what each persona may see in the world --------------------------------------------------------
# World request → who may see it (the visibility rule, written out by hand).
SEES: dict[str, frozenset[str]] = {
    "draft": only("owner", "park_liaison", "admin"),
    "case": only(
        "owner",
        "park_liaison",
        "routed_officer",
        "district_supervisor",
        "municipal_officer",
        "provincial_officer",
        "admin",
    ),
    "info": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    "resolved": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    # Resolved too, and rated 1 by the owner: the bureau's rectification is open, or appealed.
    "rated": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    "appealed": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    # At the district, with a consultation meeting booked (`meeting`) or offered (`offered`).
    "meeting": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    "offered": only("owner", "park_liaison", "routed_officer", "district_supervisor", "admin"),
    # Still at the park: the district's supervisors see it only as figures.
    "rival": only("rival_same_park", "park_liaison", "admin"),
    "other_park": only(
        "enterprise_other_park", "other_park_liaison", "routed_officer", "district_supervisor", "admin"
    ),
    "beijing": only(
        "enterprise_beijing", "haidian_liaison", "haidian_officer", "haidian_supervisor", "admin"
    ),
}
PINGSHAN_ENTERPRISES = frozenset({"pregene", "ascentawits", "wytd", "accel1", "accel2"})
ALL_ENTERPRISES = PINGSHAN_ENTERPRISES | {"hd_ent"}
# Persona → the enterprises (demo keys) it may know of; their key projects go with them.
KNOWS_ENTERPRISES: dict[str, frozenset[str]] = {
    "owner": frozenset({"pregene"}),
    "rival_same_park": frozenset({"ascentawits"}),
    "enterprise_other_park": frozenset({"accel1"}),
    "enterprise_beijing": frozenset({"hd_ent"}),
    "park_liaison": frozenset({"pregene", "ascentawits", "wytd"}),
    "other_park_liaison": frozenset({"accel1", "accel2"}),
    "haidian_liaison": frozenset({"hd_ent"}),
    "routed_officer": PINGSHAN_ENTERPRISES,
    "other_dept_officer": PINGSHAN_ENTERPRISES,
    "district_supervisor": PINGSHAN_ENTERPRISES,
    "municipal_officer": PINGSHAN_ENTERPRISES,
    "provincial_officer": PINGSHAN_ENTERPRISES,
    "haidian_officer": frozenset({"hd_ent"}),
    "haidian_supervisor": frozenset({"hd_ent"}),
    "admin": ALL_ENTERPRISES,
    # The administrators see no request (SEES) and, in the portal, no organisation: their work
    # is in the admin (where they keep the tree, its people and the trail: _forbidden_texts).
    **{persona: frozenset() for persona in DUTY_PERSONAS},
    ANON: frozenset(),
}
KNOWS_OWNER = frozenset(p for p, known in KNOWS_ENTERPRISES.items() if "pregene" in known)
INTERNAL_MARKER = "SECRET-"  # in every internal note and internal file of the world

# Who may do what to the owner's requests.
FILERS = only("owner", "park_liaison", "admin")  # submit, provide information, reopen, withdraw
CASE_TIER = only("routed_officer", "district_supervisor", "admin")  # staff of the tier holding `case`
STAFF_SEEING_CASE = SEES["case"] - ENTERPRISE_STAFF  # may write internal notes and files on it
DISTRICT_SUPERVISORS = only("district_supervisor", "haidian_supervisor")
# Who has a queue, and so saved views of it, in an organisation (the admin has none).
QUEUE_STAFF = (LIAISONS | OFFICIALS) - {"admin"}
SHARED_VIEW = "District overdue"  # shared by supervisor_ps with Pingshan District


def shared_view(w: World) -> dict[str, Any]:
    return {"pk": SavedView.objects.get(name=SHARED_VIEW).pk}


def new_view(w: World) -> dict[str, Any]:
    return {"name": "Saved by the matrix", "query": "overdue=true"}


DISTRICT_TEMPLATE = "Matrix reply"  # Pingshan District's reply template, kept by supervisor_ps
# Who is offered it: the district's people and its departments' (apps/desk/replies.py).
OFFERED_DISTRICT_TEMPLATE = only("routed_officer", "other_dept_officer", "district_supervisor")


def district_template(w: World) -> dict[str, Any]:
    return {"pk": ReplyTemplate.objects.get(name=DISTRICT_TEMPLATE).pk}


def new_template(w: World) -> dict[str, Any]:
    return {"name": "Written by the matrix", "body_en": "About {reference}", "body_zh": "关于 {reference}"}


# --- the table's vocabulary ----------------------------------------------------------------------
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Access:
    """What each persona gets from one method of one route.

    Personas in `codes` get that status; `allowed` personas get `ok`; anonymous callers get the
    route kind's refusal (401, or a redirect to the login page); signed-in personas outside
    `seen_by` get 404 and the rest of `seen_by` get `refused`. An unsafe method changes the
    owner's world for the personas in `changes` (default: `allowed`, when `ok` is a success)
    and for nobody else; a GET changes it for nobody unless `changes` names somebody. `ok` may
    depend on the world (the admin answers what its ModelAdmin permits).
    """

    ok: int | Callable[[World], int]
    allowed: frozenset[str]
    seen_by: frozenset[str] = SIGNED_IN
    refused: int = 403
    codes: Mapping[str, int | Callable[[World], int]] = field(default_factory=dict)
    changes: frozenset[str] | None = None

    def status(self, persona: str, world: World, anonymous: int | None) -> int:
        if persona in self.codes:
            code = self.codes[persona]
            return code(world) if callable(code) else code
        if persona in self.allowed:
            return self.ok(world) if callable(self.ok) else self.ok
        if persona == ANON and anonymous is not None:
            return anonymous
        if persona not in self.seen_by:
            return 404
        return self.refused

    def changes_world(self, persona: str) -> bool:
        if self.changes is not None:
            return persona in self.changes
        return persona in self.allowed and (callable(self.ok) or self.ok < 400)


Data = Callable[["World"], dict[str, Any]]


@dataclass(frozen=True)
class Unsafe:
    """The unsafe method a route is probed with, what it sends and what each persona gets."""

    access: Access
    data: Data | None = None
    format: str = "json"  # or "multipart": forms and files
    method: str = "POST"

    def payload(self, world: World) -> dict[str, Any]:
        return self.data(world) if self.data else {}


@dataclass(frozen=True)
class Row:
    """How to probe one route: its kwargs from the world, and what GET and the unsafe method
    give each persona."""

    name: str  # the URL name with its namespaces, or the route of an unnamed pattern
    kind: str  # "api" (401 for anonymous), "page" (to the login page), "admin", "public"
    get: Access
    unsafe: Unsafe
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    query: str = ""
    path: Callable[[World], str] | None = None  # for what cannot be reversed by name
    variant: str = ""
    personas: tuple[str, ...] = tuple(PERSONAS)
    unsafe_personas: tuple[str, ...] | None = None  # default: `personas`
    redirect_to: str = ""  # where a refused redirect must point ("": not checked)

    @property
    def anonymous(self) -> int | None:
        return {"api": 401, "page": 302, "admin": 302}.get(self.kind)


def sees(key: str) -> Access:
    """Read by whoever may see the world's request `key`; 404 for the others."""
    return Access(200, SEES[key], seen_by=SEES[key])


def private_to(personas: frozenset[str]) -> Access:
    """Read by these personas; 404 for everybody else."""
    return Access(200, personas, seen_by=personas)


def form(access: Access, data: Data | None = None) -> Unsafe:
    return Unsafe(access, data, "multipart")


def request_pk(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w.requests[key].pk}


def rectification_pk(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": Rectification.objects.get(request=w.requests[key]).pk}


# 好差评: the owner's staff rate (its park's liaison records a rating for them); the staff of the
# organisation that resolved work on the rectification, and its supervisor decides the appeal.
RATERS = only("owner", "park_liaison")
RECTIFICATION_OWNERS = only("routed_officer", "district_supervisor")


def follow_up(w: World) -> dict[str, Any]:
    return {
        "action_taken": "Called back by the matrix",
        "followed_up_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "follow_up_method": "phone",
        "follow_up_notes": "Fine now",
    }


def rectification_step(name: str, key: str, access: Access, data: Data, variant: str = "") -> Row:
    return Row(
        name,
        "api",
        variant=variant,
        get=NOT_OFFERED,
        unsafe=Unsafe(access, data),
        kwargs=rectification_pk(key),
    )


# Consultation meetings: the bureau's officers and the district's supervisor host them; the
# owner's side (its staff, its park's liaison) books them; officers, supervisors and liaisons
# publish slots.
MEETING_HOSTS = only("routed_officer", "district_supervisor", "admin")
SLOT_HOSTS = (LIAISONS | OFFICIALS) - {"admin"}
# The bureau's free slot: its own staff and the district's, and the enterprises it serves now
# (the owner, and the other park's enterprise, whose request the bureau holds).
SEES_FREE_SLOT = only("owner", "enterprise_other_park", "routed_officer", "district_supervisor", "admin")


def slot_pk(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w.slots[key]}


def meeting_pk(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": Meeting.objects.get(request=w.requests[key]).pk}


def meeting_step(name: str, key: str, access: Access, data: Data) -> Row:
    return Row(name, "api", get=NOT_OFFERED, unsafe=Unsafe(access, data), kwargs=meeting_pk(key))


def text_file(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/plain")


def transition(name: str, key: str, allowed: frozenset[str], data: Data | None = None) -> Row:
    """An API transition of the world's request `key`: 200 for `allowed`, 403 for the rest of
    who sees it, 404 for the others."""
    access = Access(200, allowed, seen_by=SEES[key])
    return Row(name, "api", get=NOT_OFFERED, unsafe=Unsafe(access, data), kwargs=request_pk(key))


ASSIST_TEXT = {"title": "Protocol amendment", "description": "Phase II amendment filing for the trial"}


def guidance_feedback(w: World) -> dict[str, Any]:
    return {"kind": "guidance", "target": str(w.guidance.pk), "helpful": True}


def request_feedback(w: World) -> dict[str, Any]:
    return {**guidance_feedback(w), "request": w.requests["resolved"].pk}


READ = Access(200, SIGNED_IN)  # every signed-in user reads it (what it shows is theirs)
NOT_OFFERED = Access(405, SIGNED_IN)  # the method is not offered: 405 once signed in
NO_WRITES = Unsafe(NOT_OFFERED)  # API routes without POST
READ_ONLY_OBJECT = Unsafe(NOT_OFFERED, method="DELETE")  # PUT and PATCH take the same path
PAGE_NO_WRITES = form(Access(200, SIGNED_IN, changes=NOBODY))  # pages that answer POST like GET
WRONG_PASSWORD = {"username": "ent_pregene", "password": "not-the-password"}
CASE_FILE = {"public file": "public_file", "internal file": "internal_file"}


def case_file(variant: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w.requests["case"].pk, "attachment_id": getattr(w, CASE_FILE[variant]).pk}


ROWS: list[Row] = [
    # --- the platform: open to everybody ---------------------------------------------------------
    Row("healthz", "public", get=Access(200, EVERYONE), unsafe=Unsafe(Access(200, EVERYONE, changes=NOBODY))),
    # Sends browsers on to the static icon, whatever the method.
    Row("favicon", "public", get=Access(302, EVERYONE), unsafe=Unsafe(Access(302, EVERYONE, changes=NOBODY))),
    # The schema is built afresh for every request (a second each): three personas are enough.
    Row(
        "schema",
        "public",
        get=Access(200, EVERYONE),
        unsafe=Unsafe(Access(405, EVERYONE)),
        personas=("owner", "admin", ANON),
    ),
    Row("api-docs", "public", get=Access(200, EVERYONE), unsafe=Unsafe(Access(405, EVERYONE))),
    Row(
        "set_language",
        "public",
        get=Access(302, EVERYONE),
        query="next=/",
        unsafe=form(Access(302, EVERYONE, changes=NOBODY), lambda w: {"language": "en", "next": "/"}),
    ),
    Row("index", "public", get=Access(302, EVERYONE), unsafe=form(Access(302, EVERYONE, changes=NOBODY))),
    # The signed-in are sent home.
    Row(
        "login",
        "public",
        get=Access(200, only(ANON), seen_by=EVERYONE, refused=302),
        unsafe=form(
            Access(200, only(ANON), seen_by=EVERYONE, refused=302, changes=NOBODY), lambda w: WRONG_PASSWORD
        ),
    ),
    Row("logout", "public", get=Access(405, EVERYONE), unsafe=form(Access(302, EVERYONE, changes=NOBODY))),
    Row(
        "api:token",
        "public",
        # GET is no method of it; DELETE (revoking one's token) asks for a sign-in first.
        get=Access(405, EVERYONE, codes={ANON: 401}),
        unsafe=Unsafe(Access(400, EVERYONE), lambda w: WRONG_PASSWORD),
    ),
    Row(
        "api:logout-everywhere", "api", get=NOT_OFFERED, unsafe=Unsafe(Access(204, SIGNED_IN, changes=NOBODY))
    ),
    # --- the account page: each user's own password, language, token and sessions -----------------
    Row("account", "page", get=READ, unsafe=PAGE_NO_WRITES),
    Row(
        "account-password",
        "page",
        get=READ,
        unsafe=form(
            Access(400, SIGNED_IN, changes=NOBODY),
            lambda w: {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
        ),
    ),
    Row(
        "account-language",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SIGNED_IN, changes=NOBODY), lambda w: {"language": "zh-hans"}),
    ),
    Row("account-revoke-token", "page", get=NOT_OFFERED, unsafe=form(Access(302, SIGNED_IN, changes=NOBODY))),
    Row(
        "account-logout-everywhere",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SIGNED_IN, changes=NOBODY)),
    ),
    # Setting up the second factor: the page shows a new key to anyone signed in (and writes
    # nothing); a wrong first code is a form error; without a factor, nothing to renew or turn off.
    Row("account-two-factor", "page", get=READ, unsafe=PAGE_NO_WRITES),
    Row(
        "account-two-factor-confirm",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(400, SIGNED_IN, changes=NOBODY), lambda w: {"code": "000000"}),
    ),
    Row("account-backup-codes", "page", get=NOT_OFFERED, unsafe=form(Access(302, SIGNED_IN, changes=NOBODY))),
    Row(
        "account-two-factor-off",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SIGNED_IN, changes=NOBODY), lambda w: {"off-code": "000000"}),
    ),
    # One of the owner's sessions (on another device): the owner ends it; for anyone else it
    # does not exist.
    Row(
        "account-session-end",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, only("owner"), seen_by=only("owner"), changes=NOBODY)),
        kwargs=lambda w: {"session_id": w.owner_other_session},
    ),
    # The code step of signing in: without a password passed first, back to the sign-in.
    Row(
        "login-code",
        "public",
        get=Access(302, EVERYONE),
        unsafe=form(Access(302, EVERYONE, changes=NOBODY), lambda w: {"code": "123456"}),
    ),
    # The audit trail: the auditor's (and the emergency superuser's) alone.
    Row(
        "audit-trail",
        "page",
        get=Access(200, only("auditor", "admin")),
        unsafe=form(Access(405, SIGNED_IN, changes=NOBODY)),
    ),
    Row(
        "audit-export",
        "page",
        get=Access(200, only("auditor", "admin")),
        unsafe=form(Access(405, SIGNED_IN, changes=NOBODY)),
        kwargs=lambda w: {"fmt": "csv"},
    ),
    # --- API: the caller, figures, calendar -------------------------------------------------------
    Row("api:me", "api", get=READ, unsafe=NO_WRITES),
    Row("api:stats", "api", get=Access(200, OFFICIALS), unsafe=NO_WRITES),
    Row("api:stats-export", "api", get=Access(200, OFFICIALS), unsafe=NO_WRITES),
    Row("api:stats-export-xlsx", "api", get=Access(200, OFFICIALS), unsafe=NO_WRITES),
    Row("api:calendar", "api", get=READ, query="start=2026-01-01&end=2026-01-31", unsafe=NO_WRITES),
    Row(
        "api:calendar-deadline",
        "api",
        get=READ,
        query="received_at=" + quote_plus("2026-01-05T10:00:00+08:00") + "&green_channel=false",
        unsafe=NO_WRITES,
    ),
    # --- API: requests --------------------------------------------------------------------------------
    Row(
        "api:request-list",
        "api",
        get=READ,
        # Filing for Pregene: its staff, its park's liaison and the admin; other enterprises'
        # staff and other parks' liaisons are refused as bad input (400), officials with 403.
        unsafe=Unsafe(
            Access(201, FILERS, codes=dict.fromkeys((ENTERPRISE_STAFF | LIAISONS) - FILERS, 400)),
            lambda w: {
                "title": "Filed by the matrix",
                "description": "Who may file for Pregene?",
                "category": "rnd",
                "product_type": "drug",
                "enterprise": w.orgs["pregene"].pk,
            },
        ),
    ),
    Row("api:request-export", "api", get=READ, unsafe=NO_WRITES),
    Row("api:request-detail", "api", get=sees("case"), unsafe=READ_ONLY_OBJECT, kwargs=request_pk("case")),
    # Following a request (apps/desk/watching.py): whoever may see it; stopping when not
    # following changes nothing.
    Row(
        "api:request-watch",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(200, SEES["case"], seen_by=SEES["case"])),
        kwargs=request_pk("case"),
    ),
    Row(
        "api:request-watch",
        "api",
        variant="stop",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(200, SEES["case"], seen_by=SEES["case"], changes=NOBODY), method="DELETE"),
        kwargs=request_pk("case"),
    ),
    transition("api:request-submit", "draft", FILERS),
    transition("api:request-respond", "case", CASE_TIER, lambda w: {"body": "An answer"}),
    transition("api:request-request-info", "case", CASE_TIER, lambda w: {"body": "Which batch?"}),
    transition("api:request-provide-info", "info", FILERS, lambda w: {"body": "Batch 7"}),
    transition("api:request-escalate", "case", CASE_TIER, lambda w: {"reason": "Up again"}),
    transition("api:request-return", "case", CASE_TIER, lambda w: {"reason": "Back down"}),
    transition("api:request-resolve", "case", CASE_TIER, lambda w: {"resolution": "Done"}),
    transition("api:request-reopen", "resolved", FILERS, lambda w: {"reason": "Not answered"}),
    transition("api:request-close", "resolved", only("owner", "admin")),
    transition("api:request-withdraw", "case", FILERS, lambda w: {"reason": "No longer needed"}),
    transition(
        "api:request-assign",
        "case",
        only("district_supervisor", "admin"),
        lambda w: {"assignee": w.users["officer_ps_msb2"].pk},
    ),
    # Somebody of another jurisdiction cannot be given the request, nor be named to the caller.
    Row(
        "api:request-assign",
        "api",
        variant="to Beijing",
        get=NOT_OFFERED,
        unsafe=Unsafe(
            Access(400, only("district_supervisor", "admin"), seen_by=SEES["case"]),
            lambda w: {"assignee": w.users["officer_hd_station"].pk},
        ),
        kwargs=request_pk("case"),
    ),
    # The admin is no tier's staff: it assigns, it does not claim.
    transition("api:request-claim", "case", only("routed_officer", "district_supervisor")),
    # Bulk: staff get one result per id (200), and only the tier holding `case` changes it; an
    # id a persona may not see is "not found", like an unknown one. Enterprise staff: 403.
    Row(
        "api:request-bulk",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(
            Access(
                200,
                SIGNED_IN - ENTERPRISE_STAFF,
                codes=dict.fromkeys(ENTERPRISE_STAFF | set(DUTY_PERSONAS), 403),
                changes=CASE_TIER,
            ),
            lambda w: {"action": "escalate", "ids": [w.requests["case"].pk], "reason": "Up in bulk"},
        ),
    ),
    transition(
        "api:request-green-channel",
        "case",
        CASE_TIER,
        lambda w: {"green_channel": False, "reason": "Project paused"},
    ),
    transition(
        "api:request-share",
        "case",
        CASE_TIER,
        lambda w: {"department": w.orgs["ps_sti"].pk, "reason": "A second view"},
    ),
    # Only departments of the request's own chain: Beijing's answers like an unknown id.
    Row(
        "api:request-share",
        "api",
        variant="to Beijing",
        get=NOT_OFFERED,
        unsafe=Unsafe(
            Access(400, CASE_TIER, seen_by=SEES["case"]),
            lambda w: {"department": w.orgs["hd_station"].pk, "reason": "A second view"},
        ),
        kwargs=request_pk("case"),
    ),
    # Only while a tier reviews it: a finished request is shared with nobody.
    Row(
        "api:request-share",
        "api",
        variant="resolved",
        get=NOT_OFFERED,
        unsafe=Unsafe(
            Access(409, SEES["resolved"], seen_by=SEES["resolved"]),
            lambda w: {"department": w.orgs["ps_sti"].pk, "reason": "A second view"},
        ),
        kwargs=request_pk("resolved"),
    ),
    Row("api:request-timeline", "api", get=sees("case"), unsafe=NO_WRITES, kwargs=request_pk("case")),
    # Internal notes and files: staff who see the request may add them, its enterprise may not.
    Row(
        "api:request-messages",
        "api",
        get=sees("case"),
        kwargs=request_pk("case"),
        unsafe=Unsafe(
            Access(201, STAFF_SEEING_CASE, seen_by=SEES["case"]),
            lambda w: {"body": "An internal note from the matrix", "internal": True},
        ),
    ),
    Row(
        "api:request-attachments",
        "api",
        get=sees("case"),
        kwargs=request_pk("case"),
        unsafe=form(
            Access(201, STAFF_SEEING_CASE, seen_by=SEES["case"]),
            lambda w: {"file": text_file("matrix-note.txt", b"An internal file\n"), "internal": "true"},
        ),
    ),
    *[
        Row(
            "api:request-attachment-download",
            "api",
            variant=variant,
            get=sees("case") if variant == "public file" else private_to(STAFF_SEEING_CASE),
            unsafe=NO_WRITES,
            kwargs=case_file(variant),
        )
        for variant in CASE_FILE
    ],
    # --- API: 好差评, ratings and rectifications (apps/api/satisfaction.py) ---------------------------
    Row(
        "api:request-rate",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(201, RATERS, seen_by=SEES["resolved"]), lambda w: {"score": 4}),
        kwargs=request_pk("resolved"),
    ),
    Row("api:request-rating", "api", get=sees("resolved"), unsafe=NO_WRITES, kwargs=request_pk("resolved")),
    Row("api:request-rectifications", "api", get=sees("rated"), unsafe=NO_WRITES, kwargs=request_pk("rated")),
    # Everybody's work list (their own, or nothing); the internal appeal never reaches the owner.
    Row("api:rectification-list", "api", get=READ, unsafe=NO_WRITES),
    *[
        Row(
            "api:rectification-detail",
            "api",
            variant=key,
            get=sees(key),
            unsafe=READ_ONLY_OBJECT,
            kwargs=rectification_pk(key),
        )
        for key in ("rated", "appealed")
    ],
    rectification_step(
        "api:rectification-rectify",
        "rated",
        Access(200, RECTIFICATION_OWNERS, seen_by=SEES["rated"]),
        follow_up,
    ),
    rectification_step(
        "api:rectification-appeal",
        "rated",
        Access(200, RECTIFICATION_OWNERS, seen_by=SEES["rated"]),
        lambda w: {"reason": "Mistaken"},
    ),
    rectification_step(
        "api:rectification-decide",
        "appealed",
        Access(200, only("district_supervisor"), seen_by=SEES["appealed"]),
        lambda w: {"decision": "set_aside", "reason": "The answer was right"},
    ),
    # Nothing to decide, nothing to rate yet: refused by state (409) to whoever may do it.
    rectification_step(
        "api:rectification-decide",
        "rated",
        Access(409, only("district_supervisor"), seen_by=SEES["rated"]),
        lambda w: {"decision": "upheld", "reason": "It stands"},
        variant="not appealed",
    ),
    rectification_step(
        "api:rectification-rate",
        "rated",
        Access(409, RATERS, seen_by=SEES["rated"]),
        lambda w: {"score": 5},
    ),
    # --- API: consultation meetings (apps/api/meetings.py) ------------------------------------------
    # Everybody's own slots (an enterprise's: the free times of the units serving it).
    Row(
        "api:slot-list",
        "api",
        get=READ,
        unsafe=Unsafe(
            Access(201, SLOT_HOSTS),
            lambda w: {"start": w.slot_day_at(17), "minutes": 30, "place": "Matrix room"},
        ),
    ),
    Row(
        "api:slot-detail",
        "api",
        get=private_to(SEES_FREE_SLOT),
        unsafe=READ_ONLY_OBJECT,
        kwargs=slot_pk("free"),
    ),
    Row(
        "api:slot-cancel",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(200, only("routed_officer", "admin"), seen_by=SEES_FREE_SLOT)),
        kwargs=slot_pk("free"),
    ),
    Row(
        "api:request-meetings",
        "api",
        get=sees("case"),
        unsafe=Unsafe(Access(201, CASE_TIER, seen_by=SEES["case"]), lambda w: {"slots": [w.slots["free"]]}),
        kwargs=request_pk("case"),
    ),
    # One meeting open at a time: a second offer is refused by state (409).
    Row(
        "api:request-meetings",
        "api",
        variant="booked",
        get=sees("meeting"),
        unsafe=Unsafe(
            Access(409, CASE_TIER, seen_by=SEES["meeting"]), lambda w: {"slots": [w.slots["free"]]}
        ),
        kwargs=request_pk("meeting"),
    ),
    Row(
        "api:meeting-detail",
        "api",
        get=sees("meeting"),
        unsafe=READ_ONLY_OBJECT,
        kwargs=meeting_pk("meeting"),
    ),
    Row("api:meeting-ics", "api", get=sees("meeting"), unsafe=NO_WRITES, kwargs=meeting_pk("meeting")),
    meeting_step(
        "api:meeting-book",
        "offered",
        Access(200, FILERS, seen_by=SEES["offered"]),
        lambda w: {"slot": w.slots["offered"]},
    ),
    meeting_step(
        "api:meeting-another-time",
        "offered",
        Access(200, FILERS, seen_by=SEES["offered"]),
        lambda w: {"reason": "None of these suits us"},
    ),
    meeting_step(
        "api:meeting-reschedule",
        "meeting",
        Access(200, FILERS | MEETING_HOSTS, seen_by=SEES["meeting"]),
        lambda w: {"slot": w.slots["free"], "reason": "A clash"},
    ),
    meeting_step(
        "api:meeting-cancel",
        "meeting",
        Access(200, FILERS | MEETING_HOSTS, seen_by=SEES["meeting"]),
        lambda w: {"reason": "Answered by phone"},
    ),
    # Not begun yet: refused by state (409) to its hosts.
    meeting_step(
        "api:meeting-minutes",
        "meeting",
        Access(409, MEETING_HOSTS, seen_by=SEES["meeting"]),
        lambda w: {"body": "Minutes", "outcome": "resolved"},
    ),
    meeting_step(
        "api:meeting-no-show", "meeting", Access(409, MEETING_HOSTS, seen_by=SEES["meeting"]), lambda w: {}
    ),
    # --- API: organisations, key projects, notifications, guidance ----------------------------------
    Row("api:organization-list", "api", get=READ, unsafe=NO_WRITES),
    Row(
        "api:organization-detail",
        "api",
        get=private_to(KNOWS_OWNER),
        unsafe=READ_ONLY_OBJECT,
        kwargs=lambda w: {"pk": w.orgs["pregene"].pk},
    ),
    Row("api:key-project-list", "api", get=READ, unsafe=NO_WRITES),
    Row(
        "api:key-project-detail",
        "api",
        get=private_to(KNOWS_OWNER),
        unsafe=READ_ONLY_OBJECT,
        kwargs=lambda w: {"pk": w.key_project.pk},
    ),
    Row("api:notification-list", "api", get=READ, unsafe=NO_WRITES),
    Row("api:notification-unread", "api", get=READ, unsafe=NO_WRITES),
    # Somebody else's notification does not exist for you, whoever you are.
    Row(
        "api:notification-read",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(private_to(only("owner"))),
        kwargs=lambda w: {"pk": w.owner_notification.pk},
    ),
    Row(
        "api:notification-read-all",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(200, SIGNED_IN, changes=only("owner"))),
    ),
    # --- API: saved views of the queue (apps/desk/saved_views.py) -----------------------------------
    # Enterprise staff have no queue (403); the admin belongs to no organisation (400).
    Row(
        "api:view-list",
        "api",
        get=READ,
        unsafe=Unsafe(
            Access(201, QUEUE_STAFF, codes={**dict.fromkeys(ENTERPRISE_STAFF, 403), "admin": 400}), new_view
        ),
    ),
    # Seen only in the organisation it is shared with; deleted by its owner (or a supervisor there).
    Row(
        "api:view-detail",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(
            Access(204, only("district_supervisor"), seen_by=only("district_supervisor")), method="DELETE"
        ),
        kwargs=shared_view,
    ),
    # --- API: reply templates (apps/desk/replies.py) -----------------------------------------------
    # Listed for everybody (theirs only); kept by supervisors, each of their own organisation.
    Row(
        "api:reply-template-list",
        "api",
        get=READ,
        unsafe=Unsafe(Access(201, DISTRICT_SUPERVISORS), new_template),
    ),
    Row(
        "api:reply-template-detail",
        "api",
        get=private_to(OFFERED_DISTRICT_TEMPLATE),
        unsafe=Unsafe(
            Access(200, only("district_supervisor"), codes={"haidian_supervisor": 404}),
            lambda w: {"active": False},
            method="PATCH",
        ),
        kwargs=district_template,
    ),
    # The caller's templates rendered for a request they see.
    Row(
        "api:request-reply-templates",
        "api",
        get=sees("case"),
        unsafe=NO_WRITES,
        kwargs=request_pk("case"),
    ),
    # --- API: the offline assistant (apps/api/assist.py) -------------------------------------------
    # Suggestions for a request its viewers see; for text being written, everybody signed in
    # (similar requests only from what each may see: no response names anything else).
    Row(
        "api:request-suggested-guidance", "api", get=sees("case"), unsafe=NO_WRITES, kwargs=request_pk("case")
    ),
    Row("api:request-similar", "api", get=sees("case"), unsafe=NO_WRITES, kwargs=request_pk("case")),
    Row(
        "api:assist",
        "api",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(200, SIGNED_IN, changes=NOBODY), lambda w: ASSIST_TEXT),
    ),
    # Said of the form's suggestions by anybody; of a request's, by who sees it (the rest are
    # told there is no such request, a field error).
    Row(
        "api:assist-feedback",
        "api",
        variant="form",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(201, SIGNED_IN), guidance_feedback),
    ),
    Row(
        "api:assist-feedback",
        "api",
        variant="request",
        get=NOT_OFFERED,
        unsafe=Unsafe(Access(201, SEES["resolved"], refused=400), request_feedback),
    ),
    Row("api:guidance-list", "api", get=READ, unsafe=NO_WRITES),
    Row(
        "api:guidance-detail",
        "api",
        variant="published",
        get=READ,
        unsafe=READ_ONLY_OBJECT,
        kwargs=lambda w: {"pk": w.guidance.pk},
    ),
    Row(
        "api:guidance-detail",
        "api",
        variant="unpublished",
        get=private_to(NOBODY),
        unsafe=READ_ONLY_OBJECT,
        kwargs=lambda w: {"pk": w.unpublished.pk},
    ),
    # --- pages (a refused transition is a message on the page the user came from: 302) ----------
    # The administrators' home is their work: the admin, or the audit trail.
    Row(
        "home",
        "page",
        get=Access(200, SIGNED_IN, codes=dict.fromkeys(DUTY_PERSONAS, 302)),
        unsafe=form(Access(200, SIGNED_IN, codes=dict.fromkeys(DUTY_PERSONAS, 302), changes=NOBODY)),
    ),
    # The new-request form's suggestions (an HTMX partial) and the helpful / not helpful buttons.
    Row(
        "assist-suggest",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(200, SIGNED_IN, changes=NOBODY), lambda w: ASSIST_TEXT),
    ),
    Row(
        "assist-feedback",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, SIGNED_IN), lambda w: {**guidance_feedback(w), "helpful": "true", "next": "/"}
        ),
    ),
    # Saving a view: a message and back home for everybody, a new view for those with a queue.
    Row(
        "view-save",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SIGNED_IN, changes=QUEUE_STAFF), new_view),
    ),
    Row(
        "view-delete",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, only("district_supervisor"), seen_by=only("district_supervisor"))),
        kwargs=shared_view,
    ),
    Row("request-list", "page", get=READ, unsafe=PAGE_NO_WRITES),
    # Enterprise staff file for their own enterprise (the form offers no choice); another park's
    # liaison cannot pick Pregene (a form error); officials and the admin do not file here.
    Row(
        "request-new",
        "page",
        get=Access(200, ENTERPRISE_STAFF | LIAISONS),
        unsafe=form(
            Access(
                302,
                ENTERPRISE_STAFF | {"park_liaison"},
                codes={"other_park_liaison": 200, "haidian_liaison": 200},
            ),
            lambda w: {
                "title": "Filed from the page",
                "description": "Who may file for Pregene?",
                "category": "rnd",
                "product_type": "drug",
                "enterprise": w.orgs["pregene"].pk,
                "submit_now": "on",
            },
        ),
    ),
    Row(
        "request-detail",
        "page",
        get=sees("case"),
        unsafe=form(Access(200, SEES["case"], seen_by=SEES["case"], changes=NOBODY)),
        kwargs=request_pk("case"),
    ),
    Row(
        "request-act",
        "page",
        variant="escalate",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, CASE_TIER, seen_by=SEES["case"], refused=302),
            lambda w: {"escalate-reason": "Up from the page"},
        ),
        kwargs=lambda w: {"pk": w.requests["case"].pk, "name": "escalate"},
    ),
    Row(
        "request-act",
        "page",
        variant="assign",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, only("district_supervisor", "admin"), seen_by=SEES["case"], refused=302),
            lambda w: {"assign-assignee": w.users["officer_ps_msb2"].pk},
        ),
        kwargs=lambda w: {"pk": w.requests["case"].pk, "name": "assign"},
    ),
    # 好差评 on the request page (apps/web/satisfaction.py): done or refused, back to the page.
    Row(
        "request-rate",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, RATERS, seen_by=SEES["resolved"], refused=302),
            lambda w: {"rate-score": "4", "rate-comment": "From the page"},
        ),
        kwargs=request_pk("resolved"),
    ),
    # Consultation meetings from the request page, and the slots page of those who host them.
    Row(
        "request-meeting-offer",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, CASE_TIER, seen_by=SEES["case"], refused=302),
            lambda w: {"offer-slots": [w.slots["free"]]},
        ),
        kwargs=request_pk("case"),
    ),
    *[
        Row(
            "request-meeting-act",
            "page",
            variant=name,
            get=NOT_OFFERED,
            unsafe=form(Access(302, allowed, seen_by=SEES[key], refused=302), data),
            kwargs=lambda w, key=key, name=name: {
                "pk": w.requests[key].pk,
                "meeting_id": Meeting.objects.get(request=w.requests[key]).pk,
                "name": name,
            },
        )
        for name, key, allowed, data in (
            ("book", "offered", FILERS, lambda w: {"book-slot": w.slots["offered"]}),
            ("cancel", "meeting", FILERS | MEETING_HOSTS, lambda w: {"cancel-reason": "From the page"}),
        )
    ],
    Row(
        "slots",
        "page",
        get=private_to(SLOT_HOSTS | {"admin"}),
        unsafe=form(
            Access(302, SLOT_HOSTS | {"admin"}, seen_by=SLOT_HOSTS | {"admin"}, changes=SLOT_HOSTS),
            lambda w: {
                "kind": "slot",
                "slot-day": w.slot_day.isoformat(),
                "slot-start": "17:00",
                "slot-minutes": "30",
                "slot-capacity": "1",
                "slot-place": "Matrix room",
            },
        ),
    ),
    Row(
        "rectification-act",
        "page",
        variant="appeal",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, RECTIFICATION_OWNERS, seen_by=SEES["rated"], refused=302),
            lambda w: {"appeal-reason": "Mistaken, from the page"},
        ),
        kwargs=lambda w: {
            "pk": w.requests["rated"].pk,
            "rectification_id": Rectification.objects.get(request=w.requests["rated"]).pk,
            "name": "appeal",
        },
    ),
    # Bulk from a queue: back to it with the results (302) for staff, 403 for enterprise staff.
    Row(
        "request-bulk",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(
                302,
                SIGNED_IN - ENTERPRISE_STAFF,
                codes=dict.fromkeys(ENTERPRISE_STAFF | set(DUTY_PERSONAS), 403),
                changes=CASE_TIER,
            ),
            lambda w: {
                "action": "escalate",
                "ids": str(w.requests["case"].pk),
                "text": "Up in bulk from a page",
            },
        ),
    ),
    # The form comes back with its error (400), for a supervisor with the people it may choose.
    Row(
        "request-act",
        "page",
        variant="assign, nobody chosen",
        get=NOT_OFFERED,
        unsafe=form(Access(400, SEES["case"], seen_by=SEES["case"], changes=NOBODY), lambda w: {}),
        kwargs=lambda w: {"pk": w.requests["case"].pk, "name": "assign"},
    ),
    # An internal note or file from the owner is a form error (400).
    Row(
        "request-message",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, STAFF_SEEING_CASE, seen_by=SEES["case"], codes={"owner": 400}),
            lambda w: {"message-body": "An internal note from the page", "message-internal": "on"},
        ),
        kwargs=request_pk("case"),
    ),
    Row(
        "request-watch",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SEES["case"], seen_by=SEES["case"]), lambda w: {"follow": "1"}),
        kwargs=request_pk("case"),
    ),
    # The header's search: a reference the caller may see opens it, anything else is the list
    # searched for it; a redirect (302) either way, so nobody learns what they may not see.
    Row(
        "find",
        "page",
        get=Access(302, SIGNED_IN),
        unsafe=form(Access(405, SIGNED_IN)),
        path=lambda w: reverse("find") + "?q=" + quote_plus(w.requests["case"].reference),
    ),
    Row(
        "request-upload",
        "page",
        get=NOT_OFFERED,
        unsafe=form(
            Access(302, STAFF_SEEING_CASE, seen_by=SEES["case"], codes={"owner": 400}),
            lambda w: {
                "attachment-file": text_file("page-note.txt", b"An internal file from the page\n"),
                "attachment-internal": "on",
            },
        ),
        kwargs=request_pk("case"),
    ),
    *[
        Row(
            "request-download",
            "page",
            variant=variant,
            get=get,
            unsafe=form(replace(get, changes=NOBODY)),  # the download ignores the method
            kwargs=case_file(variant),
        )
        for variant, get in (("public file", sees("case")), ("internal file", private_to(STAFF_SEEING_CASE)))
    ],
    # Reply templates: a supervisor keeps their organisation's (another's is a 404); 403 for the rest.
    Row(
        "reply-templates",
        "page",
        get=Access(200, DISTRICT_SUPERVISORS),
        unsafe=form(Access(200, DISTRICT_SUPERVISORS, changes=NOBODY)),
    ),
    Row(
        "reply-template-new",
        "page",
        get=Access(200, DISTRICT_SUPERVISORS),
        unsafe=form(Access(302, DISTRICT_SUPERVISORS), new_template),
    ),
    Row(
        "reply-template-edit",
        "page",
        get=Access(200, only("district_supervisor"), codes={"haidian_supervisor": 404}),
        unsafe=form(
            Access(302, only("district_supervisor"), codes={"haidian_supervisor": 404}),
            lambda w: {"name": "Renamed by the matrix", "body_en": "About {reference}"},
        ),
        kwargs=district_template,
    ),
    Row(
        "reply-template-delete",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, only("district_supervisor"), codes={"haidian_supervisor": 404})),
        kwargs=district_template,
    ),
    Row("key-projects", "page", get=READ, unsafe=PAGE_NO_WRITES),
    # The monthly report (通报) is a supervisor's: everyone else signed in is refused.
    Row(
        "figures-report",
        "page",
        get=Access(200, only("district_supervisor", "haidian_supervisor", "admin")),
        unsafe=form(Access(405, SIGNED_IN)),
    ),
    # Only a district's supervisors keep its register; Haidian's cannot register a Pingshan
    # enterprise (a form error) nor open Pingshan's projects (404).
    Row(
        "key-project-new",
        "page",
        get=Access(200, DISTRICT_SUPERVISORS),
        unsafe=form(
            Access(302, only("district_supervisor"), codes={"haidian_supervisor": 200}),
            lambda w: {
                "name": "Matrix project",
                "name_zh": "矩阵项目",
                "enterprise": w.orgs["pregene"].pk,
                "products": "CAR-T",
                "status": "active",
            },
        ),
    ),
    Row(
        "key-project-edit",
        "page",
        get=Access(200, only("district_supervisor"), codes={"haidian_supervisor": 404}),
        unsafe=form(
            Access(302, only("district_supervisor"), codes={"haidian_supervisor": 404}),
            lambda w: {
                "name": "Renamed by the matrix",
                "enterprise": w.orgs["pregene"].pk,
                "products": "CAR-T",
                "status": "suspended",
            },
        ),
        kwargs=lambda w: {"pk": w.key_project.pk},
    ),
    Row("notifications", "page", get=READ, unsafe=PAGE_NO_WRITES),
    # The link each notification is: a GET that marks one's own notification read, on purpose.
    Row(
        "notification-open",
        "page",
        get=Access(302, only("owner"), seen_by=only("owner"), changes=only("owner")),
        unsafe=form(NOT_OFFERED),
        kwargs=lambda w: {"notification_id": w.owner_notification.pk},
    ),
    Row(
        "notification-read",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, only("owner"), seen_by=only("owner"))),
        kwargs=lambda w: {"notification_id": w.owner_notification.pk},
    ),
    Row(
        "notifications-read-all",
        "page",
        get=NOT_OFFERED,
        unsafe=form(Access(302, SIGNED_IN, changes=only("owner"))),
    ),
    # --- guidance pages -------------------------------------------------------------------------------
    Row("guidance-list", "page", get=READ, unsafe=PAGE_NO_WRITES),
    Row(
        "guidance-related",
        "page",
        get=READ,
        query="category=clinical_trial&product_type=biologic",
        unsafe=PAGE_NO_WRITES,
    ),
    Row(
        "guidance-detail",
        "page",
        variant="published",
        get=READ,
        unsafe=PAGE_NO_WRITES,
        kwargs=lambda w: {"pk": w.guidance.pk},
    ),
    Row(
        "guidance-detail",
        "page",
        variant="unpublished",
        get=private_to(NOBODY),
        unsafe=form(private_to(NOBODY)),
        kwargs=lambda w: {"pk": w.unpublished.pk},
    ),
    Row(
        "guidance-file",
        "page",
        get=READ,
        unsafe=PAGE_NO_WRITES,
        kwargs=lambda w: {"pk": w.guidance.pk, "attachment_id": w.guidance_file.pk},
    ),
]


# --- the admin, by rule ---------------------------------------------------------------------------
NON_STAFF_PROBES = (ANON, "owner")


def _duty_grants(persona: str, label: str, *actions: str) -> bool:
    """Whether the duty of this administrator persona (the table of apps/security/duties.py)
    includes one of these actions on the model `label`."""
    from apps.security.duties import DUTIES

    granted = DUTIES[DUTY_PERSONAS[persona]].get(label.lower(), ())
    return any(action in granted for action in actions)


def _admin_row(
    name: str,
    path: Callable[[World], str],
    ok: int | Callable[[World], int],
    *,
    redirect_to: str = "/admin/login/",
    duties: Mapping[str, int | Callable[[World], int]] | None = None,
) -> Row:
    """A page of the admin: `ok` for the admin (the superuser) and, unless `duties` says
    otherwise, for the three administrators; anonymous and portal users are sent to the admin
    login page, by GET and by POST, and change nothing. (The administrators' own POSTs are
    their business and are not probed.)"""
    codes: dict[str, int | Callable[[World], int]] = dict.fromkeys(DUTY_PERSONAS, ok)
    codes.update(duties or {})
    return Row(
        name,
        "admin",
        get=Access(ok, only("admin", *DUTY_PERSONAS), refused=302, codes=codes),
        unsafe=form(Access(302, NOBODY, refused=302)),
        path=path,
        personas=ADMIN_PROBES,
        unsafe_personas=NON_STAFF_PROBES,
        redirect_to=redirect_to,
    )


def _model_admin_permits(model: type[Any], operation: str) -> Callable[[World], int]:
    """200 for the admin where the ModelAdmin permits the operation, 403 where it does not."""

    def status(world: World) -> int:
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/admin/")
        request.user = world.users["admin"]
        obj = model_admin.get_object(request, world.admin_objects[model._meta.label])
        permitted = {
            "add": lambda: model_admin.has_add_permission(request),
            "change": lambda: model_admin.has_view_or_change_permission(request, obj),
            "delete": lambda: model_admin.has_delete_permission(request, obj),
        }[operation]()
        return 200 if permitted else 403

    return status


def admin_rows() -> list[Row]:
    """The admin site's own pages, and every page of every registered ModelAdmin."""
    rows = [
        _admin_row("admin:index", lambda w: reverse("admin:index"), 200),
        # The admin signs in through the portal's sign-in (second factor included): anonymous
        # callers are sent there, portal users refused, administrators sent on to the index.
        Row(
            "admin:login",
            "admin",
            get=Access(302, only("admin", *DUTY_PERSONAS, ANON), codes={"owner": 403}),
            unsafe=form(Access(302, only(ANON), codes={"owner": 403}, changes=NOBODY)),
            path=lambda w: reverse("admin:login"),
            personas=ADMIN_PROBES,
            unsafe_personas=NON_STAFF_PROBES,
        ),
        _admin_row("admin:logout", lambda w: reverse("admin:logout"), 405, redirect_to="/admin/"),
        _admin_row("admin:password_change", lambda w: reverse("admin:password_change"), 200),
        _admin_row("admin:password_change_done", lambda w: reverse("admin:password_change_done"), 200),
        # Who may look up organisations (the field's own model) and use the key projects' form.
        _admin_row(
            "admin:autocomplete",
            lambda w: (
                reverse("admin:autocomplete")
                + "?app_label=organizations&model_name=keyproject&field_name=enterprise&term="
            ),
            200,
            duties={
                p: 200 if _duty_grants(p, "organizations.organization", "view", "change") else 403
                for p in DUTY_PERSONAS
            },
        ),
        _admin_row("admin:jsi18n", lambda w: reverse("admin:jsi18n"), 200),
        # Organisations have no page of their own: the admin is told so (404).
        _admin_row(
            "admin:view_on_site",
            lambda w: reverse(
                "admin:view_on_site",
                args=[ContentType.objects.get_for_model(Organization).pk, w.orgs["pregene"].pk],
            ),
            404,
        ),
        # An app's page lists only the models the reader may use: none of them, no page (404).
        _admin_row(
            "admin:app_list",
            lambda w: reverse("admin:app_list", args=["organizations"]),
            200,
            duties={
                p: 200
                if any(
                    _duty_grants(p, f"organizations.{m}", "view", "change")
                    for m in ("organization", "user", "routingrule", "keyproject")
                )
                else 404
                for p in DUTY_PERSONAS
            },
        ),
        _admin_row("admin/(?P<url>.*)$", lambda w: "/admin/no-such-page/", 404),
        # UserAdmin's own extra page.
        _admin_row(
            "admin:auth_user_password_change",
            lambda w: reverse("admin:auth_user_password_change", args=[w.users["ent_pregene"].pk]),
            200,
            duties={
                p: 200 if _duty_grants(p, "organizations.user", "change") else 403 for p in DUTY_PERSONAS
            },
        ),
    ]
    for model in admin.site._registry:
        label = model._meta.label
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"

        def url(
            suffix: str, *, obj: bool = True, info: str = info, label: str = label
        ) -> Callable[[World], str]:
            if not obj:
                return lambda w: reverse(f"{info}_{suffix}")
            return lambda w: reverse(f"{info}_{suffix}", args=[quote(w.admin_objects[label])])

        def duty(
            *actions: str, label: str = label, model: type[Any] = model, operation: str = ""
        ) -> dict[str, int | Callable[[World], int]]:
            """403 for an administrator whose duty lacks the actions; otherwise what the
            ModelAdmin permits (nobody adds an audit record, duty or not)."""
            codes: dict[str, int | Callable[[World], int]] = {}
            for p in DUTY_PERSONAS:
                if not _duty_grants(p, label, *actions):
                    codes[p] = 403
                else:
                    codes[p] = _model_admin_permits(model, operation) if operation else 200
            return codes

        rows += [
            _admin_row(
                f"{info}_changelist", url("changelist", obj=False), 200, duties=duty("view", "change")
            ),
            _admin_row(
                f"{info}_add",
                url("add", obj=False),
                _model_admin_permits(model, "add"),
                duties=duty("add", operation="add"),
            ),
            _admin_row(
                f"{info}_change",
                url("change"),
                _model_admin_permits(model, "change"),
                duties=duty("view", "change", operation="change"),
            ),
            _admin_row(
                f"{info}_history",
                url("history"),
                _model_admin_permits(model, "change"),
                duties=duty("view", "change", operation="change"),
            ),
            _admin_row(
                f"{info}_delete",
                url("delete"),
                _model_admin_permits(model, "delete"),
                duties=duty("delete", operation="delete"),
            ),
            # The object's bare URL (an unnamed pattern) redirects to its change page.
            _admin_row(
                f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/",
                lambda w, label=label, info=info: (
                    reverse(f"{info}_changelist") + f"{quote(w.admin_objects[label])}/"
                ),
                302,
            ),
        ]
    return rows


ALL_ROWS = ROWS + admin_rows()


# --- the world ----------------------------------------------------------------------------------
@dataclass
class World:
    users: dict[str, User]  # by username
    orgs: dict[str, Organization]  # by demo key
    requests: dict[str, ServiceRequest]  # by the keys of SEES
    public_file: Attachment
    internal_file: Attachment
    owner_notification: Notification
    key_project: KeyProject  # Pregene's
    guidance: Guidance
    guidance_file: GuidanceAttachment
    unpublished: Guidance
    admin_objects: dict[str, Any]  # model label → pk of one object, for the admin's pages
    owner_other_session: int  # a SignedInSession of the owner's on another device
    slot_day: Any  # a working day ahead, on which the bureau has its slots
    slots: dict[str, int]  # the bureau's slots: "booked", "offered", "free"
    sessions: dict[str, str] = field(default_factory=dict)  # persona → session key
    forbidden: dict[str, list[str]] = field(default_factory=dict)  # persona → texts it must not get
    baseline: dict[str, Any] = field(default_factory=dict)  # fingerprint() of the world as built
    _client: APIClient = field(default_factory=APIClient)

    def slot_day_at(self, hour: int) -> str:
        return f"{self.slot_day.isoformat()}T{hour:02d}:00:00+08:00"

    def client(self, persona: str) -> APIClient:
        """The one client of the module, holding only this persona's session cookie (a new
        client per case would load the middleware again, WhiteNoise's file scan included)."""
        client = self._client
        client.cookies = SimpleCookie()
        if persona != ANON:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


def _fresh(service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=service_request.pk)


def build_world() -> World:
    calendar.forget_policy()
    orgs = demo.seed_organizations()
    users = {u.username: u for u in demo.seed_users(orgs)}
    seed_guidance()

    def file(by: str, *, enterprise: str | None = None, submit: bool = True, **extra: Any) -> ServiceRequest:
        return actions.create_request(
            actor=users[by],
            title=extra.pop("title", "Protocol amendment for a phase II trial"),
            description="We need guidance on the amendment filing.",
            category=extra.pop("category", "clinical_trial"),
            product_type="biologic",
            enterprise=orgs[enterprise] if enterprise else None,
            submit=submit,
            **extra,
        )

    def move(sr: ServiceRequest, name: str, *actors: str, **text: str) -> ServiceRequest:
        for actor in actors:
            sr = actions.TRANSITIONS[name](_fresh(sr), actor=users[actor], **text)
        return _fresh(sr)

    def rated_badly(*, appeal: str = "") -> ServiceRequest:
        """Resolved by the bureau and rated 1 by the owner; its rectification appealed if told."""
        sr = move(
            move(file("ent_pregene"), "escalate", "liaison_sbip", reason="Up"),
            "resolve",
            "officer_ps_msb",
            resolution="Answered",
        )
        satisfaction.rate(sr, actor=users["ent_pregene"], score=1, comment="Nobody called back")
        if appeal:
            rectification = Rectification.objects.get(request=sr)
            satisfaction.appeal(rectification, actor=users["officer_ps_msb"], reason=appeal)
        return _fresh(sr)

    key_project = KeyProject.objects.get(enterprise=orgs["pregene"])
    case = file("ent_pregene", category="registration", key_project=key_project, title="Registration dossier")
    case = move(case, "escalate", "liaison_sbip", "officer_ps_msb", "officer_sz_amr", reason="Up")
    case = move(case, "return", "officer_gd_mpa", "officer_sz_amr", reason="Down")
    actions.add_message(case, actor=users["ent_pregene"], body="A public question from the owner")
    actions.add_message(
        _fresh(case),
        actor=users["officer_ps_msb"],
        body="SECRET-NOTE: the bureau's assessment",
        internal=True,
    )
    public_file = actions.add_attachment(
        _fresh(case), actor=users["ent_pregene"], upload=text_file("protocol.txt", b"Protocol v2\n")
    )
    internal_file = actions.add_attachment(
        _fresh(case),
        actor=users["officer_ps_msb"],
        upload=text_file("SECRET-FILE-assessment.txt", b"SECRET-FILE: internal assessment\n"),
        internal=True,
    )
    # The bureau's slots on a working day ahead, and two requests with a meeting each.
    slot_day = timezone.localdate() + timedelta(3)
    while not calendar.day_of(slot_day).workday:
        slot_day += timedelta(1)

    def slot(hour: int, capacity: int = 1) -> Slot:
        start = f"{slot_day.isoformat()}T{hour:02d}:00:00+08:00"
        return slots.publish_slot(
            actor=users["officer_ps_msb"], start=start, minutes=30, capacity=capacity, place="Room 301"
        )

    bureau_slots = {"booked": slot(10), "offered": slot(11, capacity=2), "free": slot(15)}
    with_meeting = move(
        file("ent_pregene", title="Meeting on the dossier"), "escalate", "liaison_sbip", reason="Up"
    )
    booked = meetings.offer(with_meeting, actor=users["officer_ps_msb"], slots=[bureau_slots["booked"].pk])
    meetings.book(booked, actor=users["ent_pregene"], slot=bureau_slots["booked"].pk)
    with_offer = move(
        file("ent_pregene", title="Offer of a meeting"), "escalate", "liaison_sbip", reason="Up"
    )
    meetings.offer(with_offer, actor=users["officer_ps_msb"], slots=[bureau_slots["offered"].pk])
    requests = {
        "meeting": _fresh(with_meeting),
        "offered": _fresh(with_offer),
        "draft": file("ent_pregene", submit=False, title="An unsent draft"),
        "case": _fresh(case),
        "info": move(
            move(file("ent_pregene"), "escalate", "liaison_sbip", reason="Up"),
            "request_info",
            "officer_ps_msb",
            body="Which batch?",
        ),
        "resolved": move(
            move(file("ent_pregene"), "escalate", "liaison_sbip", reason="Up"),
            "resolve",
            "officer_ps_msb",
            resolution="Answered",
        ),
        "rated": rated_badly(),
        "appealed": rated_badly(appeal="SECRET-APPEAL: the answer was right"),
        "rival": file("ent_ascentawits", title="The rival's secret plan"),
        "other_park": move(file("ent_accel1"), "escalate", "liaison_accel", reason="Up"),
        "beijing": move(file("ent_haidian", category="policy"), "escalate", "liaison_haidian", reason="Up"),
    }
    assert (requests["case"].state, requests["case"].reached_level) == ("district_review", 3)
    assert requests["case"].department_id == orgs["ps_msb"].pk
    assert requests["info"].state == "info_requested" and requests["resolved"].state == "resolved"
    assert requests["beijing"].department_id == orgs["hd_station"].pk

    guidance = Guidance.objects.filter(published=True).order_by("pk").first()
    assert guidance is not None
    guidance_file = GuidanceAttachment(guidance=guidance, name="guide.pdf")
    guidance_file.file.save("guide.pdf", ContentFile(b"%PDF-1.4 guidance"), save=True)
    unpublished = Guidance.objects.create(
        publisher=orgs["ps"],
        kind=Guidance.Kind.FAQ,
        title="A withdrawn FAQ",
        title_zh="已撤回的问答",
        body="Withdrawn.",
        body_zh="已撤回。",
        published=False,
    )
    owner_notification = (
        Notification.objects.filter(recipient=users["ent_pregene"], read_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    assert owner_notification is not None

    SavedView.objects.create(
        owner=users["supervisor_ps"],
        organization=orgs["ps"],
        name=SHARED_VIEW,
        query="overdue=true",
        shared=True,
    )
    ReplyTemplate.objects.create(
        organization=orgs["ps"],
        name=DISTRICT_TEMPLATE,
        body_en="On {reference}: {officer} answers by {due}.",
        body_zh="关于 {reference}：{officer} 将于 {due} 前答复。",
        created_by=users["supervisor_ps"],
    )
    world = World(
        users=users,
        orgs=orgs,
        requests=requests,
        public_file=public_file,
        internal_file=internal_file,
        owner_notification=owner_notification,
        key_project=key_project,
        guidance=guidance,
        guidance_file=guidance_file,
        unpublished=unpublished,
        admin_objects=_admin_objects(users),
        slot_day=slot_day,
        slots={key: found.pk for key, found in bureau_slots.items()},
        owner_other_session=SignedInSession.objects.create(
            user=users["ent_pregene"],
            session_key="matrixotherdevice0000000000000000",
            user_agent="Matrix phone",
            signed_in_at=timezone.now(),
            last_seen_at=timezone.now(),
        ).pk,
    )
    for persona, username in PERSONAS.items():
        if username is not None:
            client = Client()
            client.force_login(users[username])
            world.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    world.forbidden = {persona: _forbidden_texts(world, persona) for persona in PERSONAS}
    world.baseline = fingerprint(world)
    return world


def _admin_objects(users: dict[str, User]) -> dict[str, Any]:
    """One object of every model registered in the admin (creating those the world lacks)."""
    from auditlog.models import LogEntry
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_celery_beat.models import ClockedSchedule, CrontabSchedule, SolarSchedule
    from rest_framework.authtoken.models import Token

    from apps.deadlines.models import CalendarOverride, DeadlinePolicy

    probe = {"user_agent": "matrix", "ip_address": "192.0.2.1", "http_accept": "*/*", "path_info": "/login/"}
    AccessAttempt.objects.get_or_create(
        username="matrix", defaults={**probe, "get_data": "", "post_data": "", "failures_since_start": 1}
    )
    AccessLog.objects.get_or_create(username="matrix", defaults=probe)
    AccessFailureLog.objects.get_or_create(username="matrix", defaults=probe)
    Group.objects.get_or_create(name="Matrix group")
    if not LogEntry.objects.exists():
        LogEntry.objects.log_create(
            Group.objects.get(name="Matrix group"), action=LogEntry.Action.CREATE, changes={}
        )
    Token.objects.get_or_create(user=users["ent_pregene2"])
    ServiceTarget.objects.get_or_create(
        organization=users["supervisor_ps"].organization,
        defaults={"on_time_percent": 90, "satisfaction_percent": 85},
    )
    CrontabSchedule.objects.get_or_create(minute="0", hour="3")
    SolarSchedule.objects.get_or_create(event="sunrise", latitude=22.7, longitude=114.3)
    ClockedSchedule.objects.get_or_create(clocked_time=timezone.now())
    CalendarOverride.objects.get_or_create(
        date="2031-10-08", defaults={"workday": False, "name": "Matrix day"}
    )
    if not DeadlinePolicy.objects.exists():
        policy = DeadlinePolicy.defaults()
        policy.pk = 1
        policy.save()
    request = RequestFactory().get("/admin/")
    request.user = users["admin"]
    found = {}
    for model, model_admin in admin.site._registry.items():
        queryset = model_admin.get_queryset(request).order_by("pk")
        if model is User:
            # A portal user's page: the one every administrator persona has a rule for (the
            # security administrator manages portal users, never another administrator).
            queryset = queryset.filter(username="ent_pregene")
        elif model is Group:
            queryset = queryset.filter(name="Matrix group")  # not a duty group (superuser only)
        obj = queryset.first()
        assert obj is not None, f"give the matrix's world one {model._meta.label} for the admin's pages"
        found[model._meta.label] = obj.pk
    return found


def _forbidden_texts(world: World, persona: str) -> list[str]:
    """What must never reach this persona: references of requests it may not see, names of
    enterprises (and their key projects) and of people it may not know, and, for enterprise
    staff, anything internal."""
    texts = [sr.reference for key, sr in world.requests.items() if persona not in SEES[key]]
    known = ALL_ENTERPRISES if persona in DUTY_PERSONAS else KNOWS_ENTERPRISES[persona]
    for key in ALL_ENTERPRISES - known:
        org = world.orgs[key]
        texts += [org.name, org.name_zh]
        for project in KeyProject.objects.filter(enterprise=org):
            texts += [project.name, *([project.name_zh] if project.name_zh else [])]
    for user in world.users.values():
        if not _may_know_of(persona, user):
            texts += [user.get_username(), user.get_full_name()]
    if persona in ENTERPRISE_STAFF:
        texts.append(INTERNAL_MARKER)
    return texts


def _may_know_of(persona: str, user: User) -> bool:
    """People are known within their jurisdiction (their province); enterprise staff are known
    to their own enterprise and to the officials of their jurisdiction only."""
    if persona == "admin" or persona in DUTY_PERSONAS or user.organization is None:
        return True
    if persona == ANON:
        return False
    me = User.objects.get(username=PERSONAS[persona])
    assert me.organization is not None
    if me.organization.ancestor(OrgKind.PROVINCIAL) != user.organization.ancestor(OrgKind.PROVINCIAL):
        return False
    if persona in ENTERPRISE_STAFF and user.organization.kind == OrgKind.ENTERPRISE:
        return user.organization_id == me.organization_id
    return True


@contextlib.contextmanager
def _private_files_in(root: Any) -> Iterator[None]:
    """The module's uploads go to a temporary directory, not the shared test upload root."""
    fields = [Attachment._meta.get_field("file"), GuidanceAttachment._meta.get_field("file")]
    saved = [f.storage for f in fields]  # type: ignore[attr-defined]
    for f in fields:
        f.storage = FileSystemStorage(location=root, base_url=None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, storage in zip(fields, saved, strict=True):
            f.storage = storage  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once, inside a transaction that is rolled back when the module is done; each test
    runs in a savepoint inside it (the `db` fixture), so nothing a case does reaches the next."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(_private_files_in(tmp_path_factory.mktemp("matrix-files")))
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                built = build_world()
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)


# --- what changed ----------------------------------------------------------------------------------
def _counted_tables() -> list[str]:
    """Every table but the records of sign-ins (django-axes' attempts, the signed-in sessions)
    and of what was asked (the audit trail), which every probe adds to by design; the audit
    log's field changes are counted apart (fingerprint)."""
    from auditlog.models import LogEntry

    from apps.security.models import SignedInSession

    return sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m not in (Session, LogEntry, SignedInSession)
            and not m._meta.proxy
            and m._meta.managed
            and m._meta.app_label not in ("axes", "audit")
        }
    )


def fingerprint(world: World) -> dict[str, Any]:
    """The owner's world in two queries: every table's row count, the requests' versions (every
    transition bumps one) and last change, the owner's read marks, and the key projects."""
    qn = connection.ops.quote_name
    requests, notifications = qn(ServiceRequest._meta.db_table), qn(Notification._meta.db_table)
    scalars = {f"rows in {table}": f"SELECT COUNT(*) FROM {qn(table)}" for table in _counted_tables()}
    # Changes in the audit log (its "access" entries, action 3, are from before the trail).
    scalars["audit log changes"] = f"SELECT COUNT(*) FROM {qn('auditlog_logentry')} WHERE action <> 3"
    scalars["request versions"] = f"SELECT SUM(version) FROM {requests}"
    scalars["requests last changed"] = f"SELECT MAX(updated_at) FROM {requests}"
    scalars["owner's read notifications"] = (
        f"SELECT COUNT(*) FROM {notifications} WHERE read_at IS NOT NULL"
        f" AND recipient_id = {int(world.users['ent_pregene'].pk)}"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({query})" for query in scalars.values()))
        found = dict(zip(scalars, cursor.fetchone(), strict=True))
    found["key projects"] = list(KeyProject.objects.order_by("pk").values_list())
    found["reply templates"] = list(ReplyTemplate.objects.order_by("pk").values_list())
    found["slots"] = list(Slot.objects.order_by("pk").values_list("booked", "cancelled_at"))
    found["meetings"] = list(Meeting.objects.order_by("pk").values_list("state", "slot", "sequence"))
    return found


# --- the cases -------------------------------------------------------------------------------------
def _is_suffix_variant(route: str) -> bool:
    return "(?P<format>" in route


@dataclass(frozen=True)
class Case:
    route: str
    row: Row
    method: str
    persona: str

    @property
    def id(self) -> str:
        label = self.row.name + (".json" if _is_suffix_variant(self.route) else "")
        variant = f"({self.row.variant})" if self.row.variant else ""
        return f"{label}{variant} {self.method} {self.persona}"

    @property
    def access(self) -> Access:
        return self.row.get if self.method == "GET" else self.row.unsafe.access

    def path(self, world: World) -> str:
        if self.row.path is not None:
            return self.row.path(world)
        kwargs = self.row.kwargs(world)
        if _is_suffix_variant(self.route):
            kwargs["format"] = "json"
        return reverse(self.row.name, kwargs=kwargs) + (f"?{self.row.query}" if self.row.query else "")


def _rows_by_key() -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for row in ALL_ROWS:
        found.setdefault(row.name, []).append(row)
    return found


def rows_for(route: Route) -> list[Row]:
    rows = _rows_by_key()
    return rows.get(route.name or "", []) or rows.get(route.route, [])


def _cases() -> list[Case]:
    cases = []
    for route in all_routes().values():
        for row in rows_for(route):
            for persona in row.personas:
                cases.append(Case(route.route, row, "GET", persona))
            for persona in row.unsafe_personas or row.personas:
                cases.append(Case(route.route, row, row.unsafe.method, persona))
    return cases


CASES = _cases()


def _send(client: APIClient, case: Case, world: World, data: dict[str, Any]) -> Any:
    path = case.path(world)
    call = getattr(client, case.method.lower())
    if case.method == "GET":
        return call(path)
    return call(path, data, format=case.row.unsafe.format)


def _body(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


# --- the tests ---------------------------------------------------------------------------------------
def test_every_url_pattern_is_classified():
    """A new route must be given a row (or fall under the admin rule) before it can ship."""
    unclassified = sorted(f"{r.route}  (name: {r.name})" for r in all_routes().values() if not rows_for(r))
    assert not unclassified, "routes missing from the authorization matrix:\n" + "\n".join(unclassified)


def test_every_row_names_a_route():
    known = {r.name for r in all_routes().values()} | set(all_routes())
    stale = sorted({row.name for row in ALL_ROWS} - known)
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matrix(world: World, db: None, case: Case) -> None:
    persona, access = case.persona, case.access
    path = case.path(world)
    assert resolve(urlsplit(path).path).route == case.route, f"{path} does not reach {case.route}"

    before = world.baseline  # every case starts from the world as built (a rolled-back savepoint)
    sent = case.row.unsafe.payload(world) if case.method != "GET" else {}
    response = _send(world.client(persona), case, world, sent)
    expected = access.status(persona, world, case.row.anonymous)
    body = _body(response)
    assert response.status_code == expected, (
        f"{case.method} {path} as {persona} ({PERSONAS[persona]}): "
        f"expected {expected}, got {response.status_code}: {body[:300]}"
    )
    if response.status_code == 302 and persona == ANON and case.row.kind == "page":
        assert response["Location"].startswith(reverse("login")), response["Location"]
    # The administrators, in the admin, are sent where the admin sends its own people.
    goes_in = persona == "admin" or (case.row.kind == "admin" and persona in DUTY_PERSONAS)
    if response.status_code == 302 and not goes_in and case.row.redirect_to:
        assert response["Location"].startswith(case.row.redirect_to), response["Location"]

    echoed = " ".join(str(value) for value in sent.values())  # a form may show what was typed
    leaked = [text for text in world.forbidden[persona] if text and text in body and text not in echoed]
    assert not leaked, f"{case.method} {path} shows {persona} what it must not see: {leaked}"

    after = fingerprint(world)
    # GET changes nothing, but for the rare route that says whom it changes the world for.
    if (case.method != "GET" or access.changes is not None) and access.changes_world(persona):
        assert after != before, f"{case.method} {path} as {persona} was allowed but changed nothing"
    else:
        assert after == before, f"{case.method} {path} as {persona} changed the world"


@pytest.mark.parametrize("persona", sorted(SIGNED_IN))
def test_export_gives_exactly_the_rows_the_list_gives(world: World, db: None, persona: str) -> None:
    client = world.client(persona)
    listed = client.get(reverse("api:request-list"), {"page_size": 100}).json()
    assert listed["next"] is None
    exported = _body(client.get(reverse("api:request-export"))).lstrip("\ufeff").splitlines()[1:]
    exported_references = {line.split(",")[0] for line in exported}
    expected = {sr.reference for key, sr in world.requests.items() if persona in SEES[key]}
    assert {row["reference"] for row in listed["results"]} == expected
    assert exported_references == expected


def test_internal_events_never_notify_enterprise_staff(world: World, db: None) -> None:
    """In-app notifications and their emails (the same text) for enterprise staff never carry
    an internal note or file."""
    for notification in Notification.objects.filter(recipient__role="enterprise"):
        for language in ("en", "zh-hans"):
            assert INTERNAL_MARKER not in render_notification(notification, language), notification.pk


def test_notifications_name_requests_only_to_people_who_may_see_them(world: World, db: None) -> None:
    """Every notification of the world, and those of a scan long after every deadline
    (reminders, breaches alerting the tier above, auto-close), goes to somebody who may open its
    request; here with no supervisor at the municipal tier to oversee the district's breaches."""
    User.objects.filter(username="supervisor_sz").update(is_active=False)
    scan(timezone.now() + timedelta(days=30))
    assert Notification.objects.filter(kind="deadline_breached").exists()
    for notification in Notification.objects.exclude(request=None).select_related("recipient"):
        recipient = notification.recipient
        assert visible_requests(recipient).filter(pk=notification.request_id).exists(), (
            f"{recipient.username} was told of {notification.params.get('reference')} ({notification.kind})"
        )
