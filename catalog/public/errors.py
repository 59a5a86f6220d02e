"""Error pages: a person reads what went wrong and where to go next."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from catalog.errors import CatalogError


def register_error_pages(app: Flask) -> None:
    """Render domain errors and HTTP errors with the site's error page."""

    @app.errorhandler(CatalogError)
    def _catalog_error(error: CatalogError) -> tuple[str, int]:
        return render_template(
            "error.html", title=_title(error.status_code), message=str(error)
        ), error.status_code

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        return render_template(
            "error.html", title=_title(error.code), message=error.description
        ), error.code


def _title(status_code: int) -> str:
    return {404: "Not found", 403: "Not allowed", 413: "Too large"}.get(
        status_code, "Something is wrong"
    )
