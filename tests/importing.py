"""Import a feed the way ``catalog import-feed`` does, for the importer tests."""

from __future__ import annotations

from typing import Any

from flask import Flask

from catalog import importer
from catalog.database import utcnow
from catalog.extensions import db
from catalog.links import SiteLinks
from catalog.storage import MediaStore

LINKS = SiteLinks("http://podcasts.example.org")


def fetcher() -> importer.Fetcher:
    """Return a fetcher that may reach 127.0.0.1, where the tests serve their feeds."""
    return importer.Fetcher(allow_private=True, timeout_seconds=30, connect_timeout_seconds=5)


def run_import(
    app: Flask, source: str, *, download_media: bool = False, max_bytes: int = 10**8, **options: Any
) -> importer.ImportReport:
    """Import ``source`` the way the command does, and commit."""
    client = fetcher()
    document = importer.read_feed(source, client, max_bytes=10**7)
    report = importer.import_feed(
        db.session,
        MediaStore(app.config["CATALOG_MEDIA_ROOT"]),
        document,
        client,
        links=LINKS,
        now=utcnow(),
        download_media=download_media,
        max_bytes=max_bytes,
        **options,
    )
    db.session.commit()
    return report
