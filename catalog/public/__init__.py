"""The listener web site, feeds and media delivery."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from catalog.public import feeds, media, opml, views  # noqa: E402,F401  (routes register on bp)
