"""Content negotiation for the operations whose answer is a file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class FileNegotiation(DefaultContentNegotiation):
    """A CSV export or an attachment is that file whatever the client's `Accept` says, and an
    error about it is JSON, like every other error of the API: never a 406 Not Acceptable for
    `Accept: text/csv` or the attachment's own type (DRF knows no renderer for either)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def answers_with_a_file(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a function view (on top of `@api_view`, as drf-spectacular's `extend_schema` is): its
    class negotiates with `FileNegotiation`."""
    view.cls.content_negotiation_class = FileNegotiation  # type: ignore[attr-defined]
    return view
