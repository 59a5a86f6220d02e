"""Who is calling: ``Authorization: Bearer <token>`` on every API request."""

from __future__ import annotations

from flask import g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from catalog import tokens
from catalog.database import utcnow, write_intent
from catalog.extensions import db
from catalog.models import User

_CHALLENGE = WWWAuthenticate("bearer", {"realm": "catalog API"})


def authenticate_request() -> None:
    """Refuse the request unless it carries a live token; remember whose it is.

    The token is looked up on every request (no cache), so a revoked token
    stops working with the very next request.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized(
            "Send an API token: “Authorization: Bearer <token>”. "
            "Create one with “catalog tokens create EMAIL --name NAME”.",
            www_authenticate=_CHALLENGE,
        )
    # Noting last use writes; take SQLite's write lock first, even for a GET.
    with write_intent():
        user = tokens.authenticate(db.session, credentials.strip(), utcnow())
        if user is None:
            db.session.rollback()
            raise Unauthorized(
                "This API token is not valid: it was revoked, mistyped or its account is disabled.",
                www_authenticate=_CHALLENGE,
            )
        db.session.commit()
    g.api_user = user


def api_user() -> User:
    """Return the user whose token authenticated this request."""
    user: User = g.api_user
    return user
