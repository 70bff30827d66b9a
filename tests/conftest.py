"""Shared fixtures: the demo jurisdictions (the real seed code), API clients per persona, and
helpers that reach a state through the real actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from auditlog.context import disable_auditlog
from django.conf import settings as django_settings
from django.test import Client
from django.utils.functional import LazyObject, empty
from rest_framework.test import APIClient

from apps.casework import actions
from apps.casework.models import Attachment, ServiceRequest
from apps.organizations import demo
from apps.organizations.models import Organization, User

# `--route-coverage`: fail the run when a URL pattern was never requested (see the module).
pytest_plugins = ["tests.route_coverage"]


@pytest.fixture
def orgs(db) -> dict[str, Organization]:
    # The ground every test stands on is not what the tests audit: seeding it unlogged keeps
    # each test's set-up fast (tests/test_audit.py checks the log of what happens after).
    with disable_auditlog():
        return demo.seed_organizations()


@pytest.fixture
def users(orgs) -> dict[str, User]:
    with disable_auditlog():
        return {u.username: u for u in demo.seed_users(orgs)}


@pytest.fixture
def api(users) -> Callable[[str | None], APIClient]:
    """`api("ent_pregene")`: a client signed in as that demo user (None: anonymous)."""

    def client_for(username: str | None) -> APIClient:
        client = APIClient()
        if username is not None:
            client.force_authenticate(users[username])
        return client

    return client_for


@pytest.fixture
def make_request(users, orgs) -> Callable[..., ServiceRequest]:
    """File a request through the real action; `submit=True` puts it into park review."""

    def make(
        by: str = "ent_pregene",
        *,
        enterprise: str | None = None,
        submit: bool = True,
        category: str = "clinical_trial",
        product_type: str = "biologic",
        **extra: Any,
    ) -> ServiceRequest:
        return actions.create_request(
            actor=users[by],
            title=extra.pop("title", "Protocol amendment for PRG-1801 phase II"),
            description=extra.pop("description", "We need guidance on the amendment filing."),
            category=category,
            product_type=product_type,
            enterprise=orgs[enterprise] if enterprise else None,
            submit=submit,
            **extra,
        )

    return make


@pytest.fixture
def at_district(users, make_request) -> ServiceRequest:
    """Pregene's clinical-trial question, escalated by the park: in district review at the
    Pingshan Market Supervision Bureau, its clock running; the emails of getting there gone."""
    from django.core import mail

    service_request = make_request("ent_pregene")
    actions.escalate(fresh(service_request), actor=users["liaison_sbip"], reason="Needs the bureau")
    mail.outbox.clear()
    return fresh(service_request)


@pytest.fixture
def lived_in_world(users) -> dict[str, ServiceRequest]:
    """About forty requests with weeks of history, played through the real actions and the real
    deadline scan up to now (apps/casework/lived_in.py): every state and tier, returned, info
    asked and provided, breached, reminded, closed by the scan, shared, green channel and key
    project, notes and attachments. The requests by story key, e.g. `world["returned"]`.

    Works with `db`, `transactional_db` and `live_server` alike (it asks only for the
    database through `users`); it takes about a second or two to build."""
    from apps.casework import lived_in

    return lived_in.build()


@pytest.fixture(scope="module")
def lived_in_world_shared(django_db_setup, django_db_blocker) -> Any:
    """The lived-in world built once for a whole module of `db` tests (each test's changes are
    rolled back to it; the world itself at the end of the module). Not for `transactional_db` or
    `live_server` tests, whose flush would take the world away after the first test: they use
    `lived_in_world`."""
    from django.db import transaction

    from apps.casework import lived_in
    from apps.deadlines import calendar

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            calendar.forget_policy()
            yield lived_in.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            calendar.forget_policy()


def fresh(service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=service_request.pk)


@pytest.fixture(autouse=True)
def _fresh_list_counts():
    """Lists keep their counts per process until a write bumps their version; a test's database
    rollback is a change no action reported, so each test starts with none kept."""
    from apps.casework import queues

    queues.kept.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_deadline_policy():
    """The policy is cached per process; a test's database rollback must not leave it stale."""
    from apps.deadlines import calendar

    calendar.forget_policy()
    yield
    calendar.forget_policy()


@pytest.fixture(autouse=True)
def _language_of_the_thread_reset():
    """A page request leaves its language active in the thread (LocaleMiddleware activates it
    and nothing deactivates it): the next test must not run in it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def upload_root(settings, tmp_path, monkeypatch) -> Iterator[Path]:
    """Every test stores its files in its own private directory: the app's own storage, built
    again after PRIVATE_UPLOAD_ROOT is pointed there."""
    root = tmp_path / "private-uploads"
    settings.PRIVATE_UPLOAD_ROOT = root
    field = Attachment._meta.get_field("file")
    factory = getattr(field, "_storage_callable", None)
    if factory is not None:
        monkeypatch.setattr(field, "storage", factory())
    elif isinstance(field.storage, LazyObject):
        field.storage._wrapped = empty
    yield root
    if factory is None and isinstance(field.storage, LazyObject):
        field.storage._wrapped = empty


@pytest.fixture
def browser(users):
    """`browser("officer_ps_msb", "zh-CN")`: a page client signed in as that demo user, asking
    for pages in that language (English unless told)."""

    def sign_in(username: str, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(users[username])
        return client

    return sign_in


@pytest.fixture
def quota(settings) -> Callable[[int | None], None]:
    """`quota(bytes)`: what one organisation's users may upload in all (None: no limit)."""

    def set_quota(value: int | None) -> None:
        settings.PORTAL = {**django_settings.PORTAL, "ORG_UPLOAD_QUOTA_BYTES": value}

    return set_quota


def _is_transactional(item: pytest.Item) -> bool | None:
    """True for a test on a transactional database (flushed after it), False for one inside a
    transaction that rolls back, None for one without the database (pytest-django's own test)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if {"transactional_db", "live_server"} & set(fixtures) or (
        marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    ):
        return True
    if marker is not None or "db" in fixtures:
        return False
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module's database tests are all transactional or none. pytest-django runs transactional
    tests last, but `--dist loadfile` hands a module to one worker whole: a transactional test
    in a module of ordinary ones flushes the database in the middle of that worker's run, and
    the rows the migrations seed (beat's tasks, the deadline policy) are gone for the modules
    after it there. Races and live servers go in modules of their own."""
    kinds: dict[Any, set[bool]] = {}
    for item in items:
        transactional = _is_transactional(item)
        if transactional is not None:
            kinds.setdefault(item.path, set()).add(transactional)
    mixed = sorted(str(path) for path, found in kinds.items() if len(found) > 1)
    if mixed:
        raise pytest.UsageError(
            "These modules mix transactional and ordinary database tests; move one kind into a "
            "module of its own:\n" + "\n".join(mixed)
        )
