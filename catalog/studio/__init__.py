"""The producer studio: shows, episodes, guests, chapters, transcripts, statistics."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Send visitors to the login page; keep session cookies off plain HTTP behind TLS."""
    from catalog.extensions import login_manager

    app = state.app
    login_manager.login_view = "studio.login"
    login_manager.login_message = "Log in to use the studio."
    is_https = urlsplit(app.config["CATALOG_BASE_URL"]).scheme == "https"
    if is_https:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_SECURE", is_https)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")


from catalog.studio import views  # noqa: E402,F401  (routes register on bp)
