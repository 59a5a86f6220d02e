"""Every API error as ``application/problem+json`` (RFC 9457), with the fields at fault.

Domain errors (``CatalogError``), HTTP errors (404, 405, 413, 415, ...), webargs'
validation errors and unexpected failures all leave the API through here, so a
client handles one shape whatever went wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from catalog.errors import CatalogError
from catalog.extensions import db

PROBLEM_MIMETYPE = "application/problem+json"

# webargs and marshmallow say these tersely; a person reading the error needs more.
_CLEARER_MESSAGES = {
    "Invalid input type.": "Send a JSON object with the fields as named in the API description.",
    "Unknown field.": "This field does not exist; check its spelling in the API description.",
    "Missing data for required field.": "This field is required.",
    "Field may not be null.": "This field needs a value; null is not allowed.",
}


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem+json response; ``kind`` names the problem type, e.g. ``slug-taken``."""
    body: dict[str, Any] = {
        "type": f"urn:catalog:problem:{kind}" if kind else "about:blank",
        "title": _phrase(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE
    )
    response.headers.update(headers or {})
    return response


def problem_for_catalog_error(error: CatalogError) -> Response:
    """Answer a domain error with its message, next to its field when it names one."""
    db.session.rollback()  # nothing half-written survives a refused request
    errors = [{"field": error.field, "message": str(error)}] if error.field else None
    return problem(error.status_code, str(error), kind=_kebab(type(error).__name__), errors=errors)


def problem_for_http_error(error: HTTPException) -> Response:
    """Answer an HTTP error, keeping webargs' field messages and the headers it must send."""
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = list(_field_errors(data.get("messages", {})))
    # Keep what the status needs (Allow on 405, WWW-Authenticate on 401), not the HTML type.
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    headers.update(data.get("headers") or {})
    if errors:
        detail = _summary(errors)
    elif status == 500:
        detail = "Something went wrong on our side; the request changed nothing. Try again."
    else:
        detail = _plain_description(error)
    return problem(status, detail, errors=errors or None, headers=headers)


def answer_routing_errors_under(app: Flask, prefix: str) -> None:
    """Answer unknown URLs and wrong methods under ``prefix`` with problems too.

    Routing fails before any blueprint is chosen, so the site's HTML error pages
    would answer; this hook runs first and speaks JSON under the API's prefix.
    """

    @app.before_request
    def _api_routing_problem() -> Response | None:
        routing_error = request.routing_exception
        path = request.path
        if routing_error is None or not (path == prefix or path.startswith(prefix + "/")):
            return None
        if isinstance(routing_error, HTTPException) and routing_error.code in (404, 405):
            return problem_for_http_error(routing_error)
        return None


def register_problem_handlers(bp: Blueprint) -> None:
    """Translate every error raised inside ``bp`` into a problem."""
    bp.register_error_handler(CatalogError, problem_for_catalog_error)
    # Handlers by status code are looked up before handlers by class; register both
    # so an app-wide handler for one code cannot take an API error back to HTML.
    for code in default_exceptions:
        if code >= 400:
            bp.register_error_handler(code, problem_for_http_error)
    bp.register_error_handler(HTTPException, problem_for_http_error)
    bp.register_error_handler(InternalServerError, problem_for_http_error)


def _field_errors(messages: Any, prefix: str = "") -> Iterator[dict[str, str]]:
    """Flatten webargs' ``{"json": {"title": ["..."]}}`` into ``[{"field", "message"}]``."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "headers", "view_args", "form"):
                yield from _field_errors(value, "")
                continue
            name = "" if key == "_schema" else str(key)
            yield from _field_errors(
                value, f"{prefix}.{name}" if prefix and name else prefix or name
            )
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from _field_errors(message, prefix)
    elif isinstance(messages, str):
        message = _CLEARER_MESSAGES.get(messages, messages)
        yield {"field": prefix, "message": message} if prefix else {"message": message}


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    lead = f"{first['field']}: {first['message']}" if "field" in first else first["message"]
    more = len(errors) - 1
    return lead if not more else f"{lead} (and {more} more problem{'s' if more > 1 else ''})"


def _plain_description(error: HTTPException) -> str:
    description = error.description or _phrase(error.code or 500)
    return re.sub(r"\s+", " ", description).strip()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
