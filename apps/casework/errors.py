"""Domain errors: what the actions and selectors raise, mapped to HTTP statuses in one place
(`apps.api.errors`) and to messages in the pages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(
        self, message: Any, *, fields: dict[str, list[str]] | None = None, code: str | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}
        if code is not None:
            self.code = code


class NotVisible(DomainError):
    """The user may not see this object at all: answered as if it did not exist."""

    status_code = 404
    code = "not_found"


class NotPermitted(DomainError):
    """The user may see the object but not do this to it."""

    status_code = 403
    code = "permission_denied"


class TransitionNotAllowed(DomainError):
    """The transition is not possible from the request's current state."""

    status_code = 409
    code = "transition_not_allowed"


class ConcurrentChange(DomainError):
    """Somebody else changed the request between reading and writing it."""

    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"
