"""drf-spectacular post-processing: what every operation may answer besides its own statuses."""

from __future__ import annotations

from typing import Any

_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}

TOO_MANY_REQUESTS = {
    "description": (
        "Too many requests (`code`: `throttled`), or for `POST /api/v1/auth/token/` too many failed "
        "sign-ins for this username from this address (`code`: `locked_out`). Retry after the "
        "seconds in `Retry-After`."
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TooManyRequests"}}},
}

TOO_MANY_REQUESTS_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["throttled", "locked_out"]},
    },
    "required": ["detail", "code"],
}


def document_throttling(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Every operation is throttled (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]): document its 429."""
    result.setdefault("components", {}).setdefault("schemas", {})["TooManyRequests"] = (
        TOO_MANY_REQUESTS_SCHEMA
    )
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                operation.setdefault("responses", {}).setdefault("429", TOO_MANY_REQUESTS)
    return result
