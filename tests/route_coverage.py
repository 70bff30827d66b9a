"""Route coverage: the run fails when a URL pattern was never requested by any test (Zulip's
`test_server` does the same with its URL coverage report).

How it works:

- `RouteRecorderMiddleware` (first in `MIDDLEWARE` of `portal.settings.test`) notes
  `request.resolver_match.route` of every request that reached a view: the Django test client,
  DRF's APIClient and the live server of the browser tests all go through it. A view that answers
  404 or 403 still counts: the pattern was resolved and its view ran.
- `--route-coverage` turns the check on (`make test` passes it). Without it nothing is enforced,
  so that running one file or one test stays quiet.
- Under pytest-xdist each worker hands what it saw to the controller in `workeroutput`; the
  controller merges them and compares with every pattern of the URLconf at the end of the
  session. A missing route sets the exit status to "tests failed" and is listed in the summary.

A pattern is identified by its full route, exactly as Django joins it into
`ResolverMatch.route` (e.g. `api/v1/requests/(?P<pk>[0-9]+)/$`), so that unnamed patterns count
on their own. `tests/test_authorization_matrix.py` requests every pattern; the Django admin's
(one per ModelAdmin and action: changelist, add, change, history, delete and the object's bare
URL) are requested by its rule that walks `admin.site._registry`, as the admin and as non-staff
users. DRF's format-suffix twins (`….json`) are switched off in `apps/api/urls.py`; were they
back, each would be a pattern of its own here too (the matrix probes them with `.json`).

`EXCLUDED` lists the patterns no test needs to request, each with its reason. It is empty: there
are no static or media patterns (WhiteNoise serves static files from a middleware, uploads are
only read through permission-checked views).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

# Route → why no test has to request it.
EXCLUDED: dict[str, str] = {}

_seen: set[str] = set()
_lock = threading.Lock()


def _join(route1: str, route2: str) -> str:
    """The way `URLResolver.resolve` joins an include's route with the route inside it."""
    if not route1:
        return route2
    return route1 + route2.removeprefix("^")


@dataclass(frozen=True)
class Route:
    route: str  # the full route, as in ResolverMatch.route
    name: str | None  # the name with its namespaces ("api:request-detail"), None when unnamed
    pattern: URLPattern


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, str | None, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            for route, name, pattern in _walk(entry.url_patterns, inner):
                yield _join(str(entry.pattern), route), name, pattern
        else:
            yield str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None, entry


def all_routes() -> dict[str, Route]:
    """Every URL pattern of the URLconf, by its full route."""
    return {route: Route(route, name, pattern) for route, name, pattern in _walk(get_resolver().url_patterns)}


def routes_seen() -> set[str]:
    with _lock:
        return set(_seen)


class RouteRecorderMiddleware:
    """Test-only: remembers the route of every request that was resolved to a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            with _lock:
                _seen.add(match.route)
        return response


# --- the pytest plugin ----------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--route-coverage",
        action="store_true",
        default=False,
        help="Fail the run when a URL pattern was never requested by any test (meant for the whole suite).",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--route-coverage", default=False))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Controller side of xdist: collect what one worker saw."""
    seen = getattr(node, "workeroutput", {}).get("routes_seen", [])
    with _lock:
        _seen.update(seen)


def _check(config: pytest.Config) -> list[str]:
    from django.conf import settings

    recorder = f"{__name__}.RouteRecorderMiddleware"
    if recorder not in settings.MIDDLEWARE:
        raise pytest.UsageError(f"--route-coverage needs {recorder} in MIDDLEWARE (portal.settings.test).")
    seen = routes_seen()
    return sorted(route for route in all_routes() if route not in seen and route not in EXCLUDED)


_MISSING_KEY = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        config.workeroutput["routes_seen"] = sorted(routes_seen())  # type: ignore[attr-defined]
        return
    if not _enabled(config):
        return
    missing = _check(config)
    config.stash[_MISSING_KEY] = missing
    if missing and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _is_worker(config) or not _enabled(config):
        return
    missing = config.stash.get(_MISSING_KEY, None)
    if missing is None:
        return
    total = len(all_routes()) - len(EXCLUDED)
    if not missing:
        terminalreporter.write_line(f"Route coverage: all {total} URL patterns were requested by a test.")
        return
    terminalreporter.section("route coverage", sep="=", red=True, bold=True)
    terminalreporter.write_line(
        f"{len(missing)} of {total} URL patterns were never requested by any test "
        "(add a test, or classify the route in tests/test_authorization_matrix.py):",
        red=True,
    )
    routes = all_routes()
    for route in missing:
        terminalreporter.write_line(f"  {route or '(root)'}    name={routes[route].name or '(unnamed)'}")
