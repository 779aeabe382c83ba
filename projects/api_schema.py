"""OpenAPI schema post-processing (drf-spectacular ``POSTPROCESSING_HOOKS``).

Every operation documents the error answers it can give, in the shape the API gives them
(``projects/api_errors.py``): 400 bad input (``detail`` and per-field ``errors``), 401 no or bad
credentials, 403 wrong role, 404 not found or not visible, 409 wrong state (``state`` and the
``allowed`` transitions), 415 a body type it does not read, 429 throttled or locked out.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "``detail`` says why, translated; ``errors`` maps fields to messages; a "
    "409 also has the project's ``state`` and the transitions ``allowed`` now. A serializer's "
    "400 maps each field to its messages.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
        "state": {"type": "string"},
        "allowed": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "Bad input: a clear, translated reason (``detail``) and per-field ``errors``.",
    "401": "No credentials, or an invalid token.",
    "403": "The caller's role may not do this.",
    "404": "No such object, or not one the caller may see.",
    "409": "Not possible in the current state; ``allowed`` lists what is.",
    "415": "A request body of a type this operation does not read.",
    "429": "Too many requests (throttled) or too many failed logins (locked out); see "
    "``Retry-After``.",
}
WRITE_ONLY = {"409", "415"}


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in DESCRIPTIONS.items():
                if code in WRITE_ONLY and method == "get":
                    continue
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
