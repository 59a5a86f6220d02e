"""``/media/<key>/<filename>``: audio and images by storage key, with HEAD, ranges and 304."""

from __future__ import annotations

from flask import Response, current_app, send_file

from catalog.errors import NotFound
from catalog.public import bp
from catalog.storage import MediaStore

ONE_YEAR = 365 * 24 * 3600


@bp.route("/media/<path:key>/<filename>", methods=["GET", "HEAD"])
def media(key: str, filename: str) -> Response:
    store = MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])
    path = store.path_for(key)
    if not path.is_file():
        raise NotFound("This file does not exist.")
    response = send_file(
        path, conditional=True, etag=True, max_age=ONE_YEAR, download_name=filename
    )
    response.headers["Accept-Ranges"] = "bytes"
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response
