"""The error answers every operation can give, documented once for the whole schema.

A drf-spectacular postprocessing hook gives each operation the standard 4xx answers that can
happen to it: 400 for input (bodies and query parameters), 401 and 403 where signing in is
required, 404 for paths with ids and for pages past the last, 406 where the answer is JSON
(an `Accept` that excludes it), 415 for bodies, and 429 everywhere (throttling may apply to any
view). A description a view gave is kept; every one gets the JSON body that the exception
handler (`apps.api.errors`) and DRF write. Clients, and the fuzz tests, can then rely on the
schema listing every status the API answers with.
"""

from __future__ import annotations

from typing import Any

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_READ_METHODS = {"get", "head", "options"}

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

_SCHEMAS: dict[str, dict[str, Any]] = {
    ERROR: {
        "type": "object",
        "description": "What went wrong, for a person to read, and a code for a program.",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string"},
        },
    },
    VALIDATION_ERROR: {
        "type": "object",
        "description": (
            "The input refused: a list of messages per field (`non_field_errors` for the input "
            "as a whole), and where the refusal came from the rules, `detail` and `code`."
        ),
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string"},
        },
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
}

_DESCRIPTIONS = {
    "400": "Invalid input, with a message per field.",
    "401": "Not signed in: no credentials, or a token or session that is not valid.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not visible to you.",
    "406": "The `Accept` header asks for a format this operation does not answer in (JSON).",
    "409": "Not allowed from the request's current state, or it changed meanwhile.",
    "415": "A body in a format the operation does not read (see its request content types).",
    "429": (
        "Too many requests (`code`: `throttled`), or for `POST /api/v1/auth/token/` too many failed "
        "sign-ins for this username from this address (`code`: `locked_out`): try again after the "
        "number of seconds in `Retry-After`."
    ),
}


def _requires_authentication(operation: dict[str, Any]) -> bool:
    # drf-spectacular lists the accepted schemes, and an empty requirement ({}) when signing
    # in is optional; no list at all means the operation authenticates nobody.
    requirements = operation.get("security") or []
    return bool(requirements) and all(requirements)


def _answers_in_json(operation: dict[str, Any]) -> bool:
    return any(
        "application/json" in response.get("content", {})
        for code, response in operation.get("responses", {}).items()
        if code.startswith("2")
    )


def _error_codes(method: str, operation: dict[str, Any]) -> set[str]:
    parameters = operation.get("parameters", [])
    codes = {"429"}  # any view may be throttled
    if method not in _READ_METHODS or any(p.get("in") == "query" for p in parameters):
        codes.add("400")
    if method not in _READ_METHODS:
        codes.add("415")  # DRF reads any body sent, whatever the operation expects
    if _answers_in_json(operation):
        codes.add("406")  # files (CSV, attachments) are sent whatever the client accepts
    if _requires_authentication(operation):
        codes |= {"401", "403"}
    # A path names an object that may not exist; a page number may be past the last page.
    if any(p.get("in") == "path" or (p.get("in"), p.get("name")) == ("query", "page") for p in parameters):
        codes.add("404")
    return codes


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, body in _SCHEMAS.items():
        schemas.setdefault(name, body)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(_error_codes(method, operation)):
                responses.setdefault(code, {})
            for code, response in responses.items():
                if not (code.startswith("4") and code in _DESCRIPTIONS):
                    continue
                if not response.get("description"):
                    response["description"] = _DESCRIPTIONS[code]
                component = VALIDATION_ERROR if code == "400" else ERROR
                response.setdefault(
                    "content", {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}
                )
            if "429" in responses:
                responses["429"].setdefault(
                    "headers",
                    {
                        "Retry-After": {
                            "description": "Seconds to wait before the next request.",
                            "schema": {"type": "integer"},
                        }
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


# The request lists' choice filters take an empty value as "all" (a form's "All" option sends
# `category=`; apps/casework/filters.py): the schema says so, so that clients and the fuzz tests
# know the empty value is accepted.
_EMPTY_MEANS_ALL = ("/api/v1/requests/", "/api/v1/requests/export.csv")


def document_empty_filters(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path in _EMPTY_MEANS_ALL:
        operation = result.get("paths", {}).get(path, {}).get("get")
        for parameter in (operation or {}).get("parameters", []):
            items = parameter.get("schema", {}).get("items", {})
            if parameter.get("in") == "query" and "enum" in items and "" not in items["enum"]:
                items["enum"] = [*items["enum"], ""]
    return result
