"""The JSON API v1 at ``/api/v1``: token auth, problem+json errors, an OpenAPI description.

flask-smorest builds the OpenAPI document from the views' marshmallow schemas,
so the description cannot drift from the code. Its app-wide JSON error handler
is left out: the site keeps its HTML error pages and the API answers with
problems (``catalog.api.problems``).
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from catalog.api.problems import (
    PROBLEM_MIMETYPE,
    answer_routing_errors_under,
    register_problem_handlers,
)
from catalog.api.schemas import ProblemSchema
from catalog.errors import InvalidInput

URL_PREFIX = "/api/v1"


class ApiParser(FlaskParser):
    """Read request bodies strictly: malformed JSON is a 400 saying where it broke."""

    def _handle_invalid_json_error(
        self, error: Exception, req: Any, *args: Any, **kwargs: Any
    ) -> Any:
        raise InvalidInput(f"The request body is not valid JSON: {error}.", field="body")


class ApiBlueprint(Blueprint):
    """A smorest blueprint with the strict parser."""

    ARGUMENTS_PARSER = ApiParser()


class CatalogApi(Api):
    """flask-smorest's Api, documenting errors as problems and leaving HTML errors alone."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Leave the site's error pages alone; the API blueprint answers its own errors."""

    def _register_responses(self) -> None:
        """Document every error status as ``application/problem+json``."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_MIMETYPE
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix=URL_PREFIX,
    description="Shows, episodes, people, credits, chapters, transcripts and statistics.",
)


def init_api(app: Flask) -> None:
    """Serve the API, its OpenAPI document and its docs page on ``app``."""
    from catalog.api import views  # noqa: F401  (attach the routes to bp)
    from catalog.extensions import csrf

    for key, value in {
        "API_TITLE": "catalog API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": URL_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "security": [{"bearerToken": []}],
            "info": {
                "description": "Run your shows from scripts: the same rules as the studio. "
                "Errors are application/problem+json; lists are pages with links."
            },
        },
    }.items():
        app.config.setdefault(key, value)
    api = CatalogApi(app)
    api.spec.components.security_scheme(
        "bearerToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `catalog tokens create EMAIL --name NAME`.",
        },
    )
    api.register_blueprint(bp)
    csrf.exempt(bp)  # token auth: no cookies, so no cross-site request forgery
    answer_routing_errors_under(app, URL_PREFIX)


register_problem_handlers(bp)
