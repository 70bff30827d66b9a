"""Schemathesis fuzzes every operation of `/api/schema/`, as each role and as nobody, against a
small world of real requests: no 5xx, every response as the schema describes it, every status
code documented there.

- One pytest test per operation and role, e.g.
  `test_api_as_each_role[POST /api/v1/requests/{id}/escalate/][liaison]`, authenticated with
  `Authorization: Token …` of a demo user; `test_api_anonymous` sends no credentials (and is
  where the token endpoint, which authenticates nobody, is fuzzed, with real credentials part of
  the time).
- The world (the demo jurisdictions, users and guidance, and requests in every state, with
  messages, attachments and notifications, all made through the real actions) is built once for
  the module inside a transaction that is rolled back at its end. Each test runs in its own
  savepoint (pytest-django's `db`) and each generated case in another one, rolled back after the
  call: a transition that one case makes is never seen by the next.
- Ids in paths, and id fields in bodies, point at real objects part of the time: ones the role
  may see, and any at all (so also ones it may not see), besides the fuzzer's own numbers.
- Bounded and reproducible: a fixed seed, derandomized generation, no shrinking, no deadline, no
  example database; positive and negative data.
- Throttling and lock-outs keep their counts in caches or in the database: each case starts
  with empty caches and rolls back what it wrote, so no case depends on an earlier one; a 429
  the API gives anyway is documented on every operation (`apps.api.schema`). The tokens are
  made with the model, not through the (throttled) token endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from apps.casework import actions, selectors
from apps.casework.models import Attachment, ServiceRequest
from apps.guidance.demo import seed_guidance
from apps.guidance.models import Guidance
from apps.notifications.models import Notification
from apps.organizations import demo
from apps.organizations.models import KeyProject, Organization, OrgKind, Role, User
from apps.organizations.selectors import visible_key_projects, visible_organizations
from apps.satisfaction import actions as satisfaction
from apps.satisfaction import selectors as satisfaction_selectors
from apps.satisfaction.models import Rectification

# Who the fuzzer is: the demo users the SPEC names, one per role.
ROLES: dict[str, str] = {
    "enterprise": "ent_pregene",
    "liaison": "liaison_sbip",
    "district_officer": "officer_ps_msb",
    "supervisor": "supervisor_ps",
    "municipal_officer": "officer_sz_amr",
    "provincial_officer": "officer_gd_mpa",
    "admin": "admin",
}

# Generated cases per operation (on top of the examples in the schema, if any). A deeper run
# than CI's, with another seed and schemathesis' boundary values (its coverage phase):
# FUZZ_EXAMPLES=100 FUZZ_SEED=7 FUZZ_COVERAGE=1 pytest tests/test_fuzz_api.py -p no:xdist
EXAMPLES_PER_ROLE = int(os.environ.get("FUZZ_EXAMPLES", "12"))
EXAMPLES_ANONYMOUS = max(EXAMPLES_PER_ROLE // 2, 5)
EXAMPLES_SIGNING_IN = 2 * EXAMPLES_PER_ROLE
SEED = int(os.environ.get("FUZZ_SEED", "20261123"))

# What every response is checked for. Not `positive_data_acceptance`: schema-valid input meets
# the state of the world (a 409 for a closed request, a 400 for a blank title is the point).
CHECKS = [
    "not_a_server_error",  # no 5xx
    "status_code_conformance",  # every status documented
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",  # every body as the schema describes it
    "negative_data_rejection",  # schema-invalid input refused with a 4xx
]


def _config(max_examples: int, **extra: Any) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "no-shrink": True,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": os.environ.get("FUZZ_COVERAGE") == "1"},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            **extra,
        }
    )


# The requests go through Django's WSGI handler in this process, on the connection that holds
# the test's transaction (the `world` fixture keeps it open across requests).
APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP, config=_config(EXAMPLES_PER_ROLE))

# Operations that authenticate nobody answer everyone alike: fuzzed once, anonymously.
_OPEN_PATHS = sorted(
    path
    for path, item in schema.raw_schema["paths"].items()
    for operation in item.values()
    if isinstance(operation, dict) and "responses" in operation and not operation.get("security")
)
signed_in_schema = schema.exclude(path=_OPEN_PATHS)
anonymous_schema = schemathesis.openapi.from_dict(
    schema.raw_schema,
    config=_config(
        EXAMPLES_ANONYMOUS,
        operations=[{"include-path": _OPEN_PATHS, "generation": {"max-examples": EXAMPLES_SIGNING_IN}}],
    ),
)
anonymous_schema.app = APP


# --- the world --------------------------------------------------------------------------------
@dataclass
class World:
    tokens: dict[str, str]
    # Every object of a kind, and those each demo user may see.
    ids: dict[str, list[int]]
    visible: dict[str, dict[str, list[int]]]
    attachments: list[tuple[int, int]]
    usernames: list[str]
    role: str | None = None

    def candidates(self, kind: str) -> tuple[list[int], list[int]]:
        """(ids the current role may see, all ids) of a kind of object."""
        everything = self.ids.get(kind, [])
        if self.role is None:
            return [], everything
        return self.visible[ROLES[self.role]].get(kind, []), everything


WORLD: World | None = None


def _build_world() -> World:
    orgs = demo.seed_organizations()
    users = {u.username: u for u in demo.seed_users(orgs)}
    seed_guidance()
    admin = users["admin"]

    def file(by: str = "ent_pregene", *, submit: bool = True, **extra: Any) -> ServiceRequest:
        enterprise = extra.pop("enterprise", None)
        return actions.create_request(
            actor=users[by],
            title="Protocol amendment for PRG-1801 phase II",
            description="We need guidance on the amendment filing.",
            category=extra.pop("category", "clinical_trial"),
            product_type="biologic",
            enterprise=orgs[enterprise] if enterprise else None,
            submit=submit,
            **extra,
        )

    def climb(service_request: ServiceRequest, tiers: int) -> ServiceRequest:
        for _tier in range(tiers):
            actions.escalate(service_request, actor=admin, reason="Needs the tier above.")
        return service_request

    # One request in every state, at every tier, plus some the demo users may not see.
    file(submit=False)  # draft
    park = file(key_project=KeyProject.objects.filter(enterprise=orgs["pregene"]).first())
    actions.add_message(park, actor=users["liaison_sbip"], body="We are on it.")
    actions.add_message(park, actor=users["liaison_sbip"], body="Check the protocol first.", internal=True)
    for internal in (False, True):
        actions.add_attachment(
            park,
            actor=users["liaison_sbip"],
            upload=SimpleUploadedFile("minutes.txt", b"Minutes of the call.\n", content_type="text/plain"),
            internal=internal,
        )
    claimed = climb(file("liaison_sbip", enterprise="ascentawits", category="rnd"), 1)
    actions.claim(claimed, actor=users["officer_ps_sti"])
    climb(file(), 1)  # district review, market supervision bureau
    climb(file(), 2)  # municipal review
    climb(file(), 3)  # provincial review
    actions.request_info(file(), actor=admin, body="Which protocol version?")
    resolved = climb(file(), 1)
    actions.resolve(resolved, actor=admin, resolution="Answered.")
    # A bad review of it: the district bureau's rectification, open.
    satisfaction.rate(
        ServiceRequest.objects.get(pk=resolved.pk), actor=users["ent_pregene"], score=1, comment="Too slow."
    )
    actions.resolve(file(), actor=users["liaison_sbip"], resolution="Answered by the park.")
    actions.request_info(climb(file(), 1), actor=admin, body="Which site?")
    closed = file()
    actions.resolve(closed, actor=admin, resolution="Answered.")
    actions.close(closed, actor=users["ent_pregene"])
    actions.withdraw(file(), actor=users["ent_pregene"], reason="Solved ourselves.")
    file("ent_accel1")  # another park
    climb(file("ent_haidian"), 1)  # another jurisdiction

    tokens = {
        username: Token.objects.get_or_create(user=users[username])[0].key for username in ROLES.values()
    }
    everything: dict[str, list[int]] = {
        "requests": list(ServiceRequest.objects.values_list("pk", flat=True)),
        "notifications": list(Notification.objects.values_list("pk", flat=True)),
        "organizations": list(Organization.objects.values_list("pk", flat=True)),
        "key-projects": list(KeyProject.objects.values_list("pk", flat=True)),
        "guidance": list(Guidance.objects.values_list("pk", flat=True)),
        "rectifications": list(Rectification.objects.values_list("pk", flat=True)),
        "departments": list(
            Organization.objects.filter(kind=OrgKind.DEPARTMENT).values_list("pk", flat=True)
        ),
        "enterprises": list(
            Organization.objects.filter(kind=OrgKind.ENTERPRISE).values_list("pk", flat=True)
        ),
        "staff": list(
            User.objects.filter(role__in=[Role.LIAISON, Role.OFFICER, Role.SUPERVISOR]).values_list(
                "pk", flat=True
            )
        ),
    }
    visible: dict[str, dict[str, list[int]]] = {}
    for username in ROLES.values():
        user = users[username]
        visible[username] = {
            "requests": list(selectors.visible_requests(user).values_list("pk", flat=True)),
            "notifications": list(Notification.objects.filter(recipient=user).values_list("pk", flat=True)),
            "organizations": list(visible_organizations(user).values_list("pk", flat=True)),
            "key-projects": list(visible_key_projects(user).values_list("pk", flat=True)),
            "rectifications": list(
                satisfaction_selectors.visible_rectifications(user).values_list("pk", flat=True)
            ),
        }
    return World(
        tokens=tokens,
        ids=everything,
        visible=visible,
        attachments=list(Attachment.objects.values_list("request_id", "pk")),
        usernames=sorted(users),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The world, built once for the module in a transaction rolled back at its end; each test
    (pytest-django's `db`) and each case (`_fuzz`) nest their own savepoints inside it."""
    global WORLD
    uploads = override_settings(PRIVATE_UPLOAD_ROOT=tmp_path_factory.mktemp("private-uploads"))
    uploads.enable()
    # The attachments' storage is built from the setting once, when the model loads.
    storage_field = Attachment._meta.get_field("file")
    configured_storage = storage_field.storage
    storage_field.storage = storage_field._storage_callable()
    # Django's test client does the same: a request must not close the connection that holds
    # the test's transaction when it finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            WORLD = _build_world()
            yield WORLD
            transaction.set_rollback(True)
    finally:
        WORLD = None
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        storage_field.storage = configured_storage
        uploads.disable()


@pytest.fixture
def acting(world: World, db: None, request: pytest.FixtureRequest) -> Iterator[World]:
    """Tell the hooks below whose point of view the cases are generated from: they draw the
    first case before the test's body runs, so it has to be known before."""
    callspec = getattr(request.node, "callspec", None)
    world.role = callspec.params.get("role") if callspec else None
    yield world
    world.role = None


# --- real ids, part of the time ----------------------------------------------------------------
def _is_id(value: Any) -> bool:
    # Only a value that is already a valid id is swapped for a real one: a negative case stays
    # negative, so that the API must still refuse it.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )


def _real_ids(kind: str, generated: Any, *, as_text: bool) -> st.SearchStrategy[Any]:
    assert WORLD is not None
    if not _is_id(generated):
        return st.just(generated)
    visible, everything = WORLD.candidates(kind)
    # A real id four times in five: half of them ones the role may see, half any at all.
    options: list[st.SearchStrategy[Any]] = [st.just(generated)]
    for ids in (visible, visible, everything, everything):
        if ids:
            options.append(st.sampled_from(ids).map(str) if as_text else st.sampled_from(ids))
    return st.one_of(options)


def _collection(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/", 1)[0]


def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any] | None):
    assert WORLD is not None and context.operation is not None
    if not path_parameters:
        return st.just(path_parameters)
    if "attachment_id" in path_parameters:
        # A file is found through its request: pick the two together.
        pairs = st.sampled_from(WORLD.attachments).map(
            lambda p: {"id": str(p[0]), "attachment_id": str(p[1])}
        )
        return st.one_of(st.just(path_parameters), pairs)
    kind = _collection(context.operation.path)
    return st.fixed_dictionaries(
        {name: _real_ids(kind, value, as_text=True) for name, value in path_parameters.items()}
    )


_BODY_IDS = {
    "assignee": "staff",
    "department": "departments",
    "enterprise": "enterprises",
    "key_project": "key-projects",
}


def flatmap_body(context: schemathesis.HookContext, body: Any):
    assert WORLD is not None
    if not isinstance(body, dict):
        return st.just(body)
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in body.items():
        if name in _BODY_IDS:
            strategies[name] = _real_ids(_BODY_IDS[name], value, as_text=False)
        # Credentials too, but not an empty one, which is negative data that must stay so.
        elif name == "username" and isinstance(value, str) and value:
            strategies[name] = st.one_of(
                st.just(value), st.sampled_from(WORLD.usernames), st.sampled_from(WORLD.usernames)
            )
        elif name == "password" and isinstance(value, str) and value:
            strategies[name] = st.one_of(
                st.just(value), st.just(demo.DEMO_PASSWORD), st.just(demo.DEMO_PASSWORD)
            )
        else:
            strategies[name] = st.just(value)
    return st.fixed_dictionaries(strategies)


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def filter_failure(context: schemathesis.HookContext, failure: Any, case: schemathesis.Case, response: Any):
    """Every failure counts but one that is not: a body that is not an object cannot be written as
    a form, so it arrives as an empty form (Django's parsers drop what they cannot read), which
    an operation whose fields are all optional (withdraw) rightly accepts. ST201 is schemathesis'
    "schema-violating request accepted"."""
    return not (failure.code == "ST201" and case.media_type in _FORMS and not isinstance(case.body, dict))


for _schema in (signed_in_schema, anonymous_schema):
    _schema.hook(flatmap_path_parameters)
    _schema.hook(flatmap_body)
    _schema.hook(filter_failure)


# --- the tests ---------------------------------------------------------------------------------
def _fuzz(case: schemathesis.Case, headers: dict[str, str] | None) -> None:
    with transaction.atomic():
        # Throttles and lock-outs count in caches (or the database): each case starts afresh.
        for alias in settings.CACHES:
            caches[alias].clear()
        case.call_and_validate(headers=headers)
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", list(ROLES))
@signed_in_schema.parametrize()
def test_api_as_each_role(case: schemathesis.Case, role: str, acting: World) -> None:
    _fuzz(case, {"Authorization": f"Token {acting.tokens[ROLES[role]]}"})


@anonymous_schema.parametrize()
def test_api_anonymous(case: schemathesis.Case, acting: World) -> None:
    _fuzz(case, None)
