"""Shared fixtures: the demo jurisdictions (the real seed code), API clients per persona, and
helpers that reach a state through the real actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from auditlog.context import disable_auditlog
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
