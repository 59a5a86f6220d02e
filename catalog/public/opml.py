"""``/opml.xml``: every show's feed, for importing all of them into a podcast app at once."""

from __future__ import annotations

from flask import Response

from catalog import browse, export
from catalog.extensions import db
from catalog.links import site_links
from catalog.public import bp


@bp.get("/opml.xml")
def opml() -> Response:
    body = export.build_opml(browse.list_shows(db.session), site_links())
    return Response(body, content_type="text/x-opml; charset=utf-8")
