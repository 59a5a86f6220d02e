"""Request bodies the API accepts: JSON objects, or raw audio streamed to storage."""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app, request
from werkzeug.exceptions import UnsupportedMediaType

from catalog.errors import FileTooLarge

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def require_json_body(raw_body_endpoints: frozenset[str]) -> None:
    """Refuse a body that is not JSON (415) on every endpoint that reads JSON."""
    if request.method not in BODY_METHODS or request.endpoint in raw_body_endpoints:
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if has_body and not request.is_json:
        raise UnsupportedMediaType(
            f"Send the body as JSON with “Content-Type: application/json”, "
            f"not {request.mimetype or 'no content type'}."
        )


def audio_body() -> BinaryIO:
    """Return the request body as a stream of audio, refusing other types and oversize bodies.

    The body is never read here: storage copies it to disk in chunks and stops
    at the size limit even when the client sent no Content-Length.
    """
    if not request.mimetype.startswith("audio/"):
        raise UnsupportedMediaType(
            "Send the audio file itself as the body, with its type, e.g. "
            f"“Content-Type: audio/mpeg”, not {request.mimetype or 'no content type'}."
        )
    limit = max_upload_bytes()
    if request.content_length is not None and request.content_length > limit:
        raise FileTooLarge(
            f"The file is larger than {limit // (1024 * 1024)} MB, the most allowed."
        )
    stream: BinaryIO = request.stream  # type: ignore[assignment]
    return stream


def max_upload_bytes() -> int:
    """Return the largest upload the configuration allows."""
    return int(current_app.config["CATALOG_MAX_UPLOAD_BYTES"])
