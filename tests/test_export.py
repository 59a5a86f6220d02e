"""Export a show to a directory and restore it into an empty database, field for field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import podcastparser
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import delete, select, update

from catalog import export
from catalog.extensions import db
from catalog.models import Chapter, Credit, Episode, MediaFile, Person, Show, Transcript
from catalog.models.feed import FeedCache, FeedItemCache
from catalog.storage import MediaStore
from tests.factories import make_show
from tests.test_importer import FeedServer, media_feed, run_import

# Each table with how its rows refer to others, by natural key rather than database id.
TABLES: list[tuple[type[Any], str]] = [
    (MediaFile, "sha256"),
    (Person, "slug"),
    (Show, "slug"),
    (Episode, "guid"),
    (Credit, ""),
    (Chapter, ""),
    (Transcript, ""),
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every column of every row of a show's tables, with ids replaced by natural keys."""
    keys: dict[tuple[str, int], str] = {}
    for model, key in TABLES:
        if key:
            for row in db.session.scalars(select(model)):
                keys[(model.__tablename__, row.id)] = getattr(row, key)
    state: dict[str, list[dict[str, Any]]] = {}
    for model, _ in TABLES:
        rows = []
        for row in db.session.scalars(select(model)):
            values: dict[str, Any] = {}
            for column in model.__table__.columns:
                value = getattr(row, column.key)
                if column.key == "id":
                    continue
                foreign = next(iter(column.foreign_keys), None)
                if foreign is not None and value is not None:
                    value = keys[(foreign.column.table.name, value)]
                values[column.key] = value
            rows.append(values)
        state[model.__tablename__] = sorted(rows, key=repr)
    return state


def empty_database(app: Flask) -> None:
    """Delete every row an export covers, and the media files, as on a new server."""
    db.session.execute(update(MediaFile).values(cover_id=None))
    for model in (FeedItemCache, FeedCache, Credit, Chapter, Transcript, Episode, Show, Person):
        db.session.execute(delete(model))
    db.session.execute(delete(MediaFile))
    db.session.commit()
    shutil.rmtree(app.config["CATALOG_MEDIA_ROOT"])


def drop_unused_media(show: Show) -> None:
    """Delete media rows the show does not use, so the database holds exactly one show."""
    used = (
        {show.artwork_id}
        | {e.audio_id for e in show.episodes}
        | {e.artwork_id for e in show.episodes}
    )
    covers = set(db.session.scalars(select(MediaFile.cover_id).where(MediaFile.id.in_(used))))
    keep = (used | covers) - {None}
    db.session.execute(update(MediaFile).where(MediaFile.id.not_in(keep)).values(cover_id=None))
    db.session.execute(delete(MediaFile).where(MediaFile.id.not_in(keep)))
    db.session.commit()


@pytest.fixture
def imported_show(app: Flask) -> Show:
    """A show with downloaded audio, artwork, people, credits, chapters and transcripts."""
    with FeedServer() as server:
        url = media_feed(server)
        report = run_import(app, url, download_media=True)
        server.mirror("buzzsprout.xml")
        run_import(app, server.url("/buzzsprout.xml"))
    assert report.failed == []
    return report.show


def test_export_writes_a_self_contained_archive(
    app: Flask, imported_show: Show, tmp_path: Path
) -> None:
    store = MediaStore(app.config["CATALOG_MEDIA_ROOT"])
    links = export.SiteLinks(app.config["CATALOG_BASE_URL"])

    summary = export.export_show(db.session, store, imported_show, tmp_path / "out", links=links)

    document = json.loads((tmp_path / "out" / "show.json").read_text())
    assert summary.episodes == len(document["episodes"]) == 3
    assert {row["guid"] for row in document["episodes"]} == {"local-1", "local-2", "local-3"}
    for row in document["media"]:
        assert (tmp_path / "out" / "media" / row["storage_key"]).is_file()
    feed = podcastparser.parse("", (tmp_path / "out" / "feed.xml").open("rb"))
    assert {episode["guid"] for episode in feed["episodes"]} == {"local-1", "local-2", "local-3"}


def test_export_refuses_a_directory_that_is_not_empty(
    app: Flask, imported_show: Show, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    store = MediaStore(app.config["CATALOG_MEDIA_ROOT"])

    with pytest.raises(export.InvalidArchive, match="not empty"):
        export.export_show(
            db.session, store, imported_show, tmp_path, links=export.SiteLinks("http://x.org")
        )


@pytest.mark.parametrize("feed", ["media", "buzzsprout"])
def test_export_then_import_archive_restores_every_field(
    app: Flask, imported_show: Show, runner: FlaskCliRunner, tmp_path: Path, feed: str
) -> None:
    show = imported_show
    if feed == "buzzsprout":
        show = db.session.scalar(select(Show).where(Show.slug != imported_show.slug))
        assert show is not None
        assert any(episode.credits for episode in show.episodes)
    for other in db.session.scalars(select(Show).where(Show.id != show.id)):
        db.session.delete(other)  # the archive holds one show; compare against just that
    db.session.execute(delete(Person).where(~Person.credits.any()))
    db.session.commit()
    drop_unused_media(show)
    before = snapshot()
    out = tmp_path / "archive"

    exported = runner.invoke(args=["export", show.slug, str(out)])
    assert exported.exit_code == 0, exported.output
    empty_database(app)
    restored = runner.invoke(args=["import-archive", str(out)])

    assert restored.exit_code == 0, restored.output
    db.session.expire_all()
    after = snapshot()
    assert after == before
    assert after["episode"]
    assert after["media_file"]
    store = MediaStore(app.config["CATALOG_MEDIA_ROOT"])
    assert all(store.exists(row["storage_key"]) for row in after["media_file"])


def test_import_archive_refuses_a_show_that_exists(
    app: Flask, imported_show: Show, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["export", imported_show.slug, str(tmp_path / "a")])

    result = runner.invoke(args=["import-archive", str(tmp_path / "a")])

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_import_archive_refuses_a_changed_media_file(
    app: Flask, imported_show: Show, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["export", imported_show.slug, str(tmp_path / "a")])
    empty_database(app)
    victim = next((tmp_path / "a" / "media").rglob("*.mp3"))
    victim.write_bytes(victim.read_bytes()[:-10])

    result = runner.invoke(args=["import-archive", str(tmp_path / "a")])

    assert result.exit_code == 1
    assert "checksum" in result.output
    assert db.session.scalar(select(Show.id)) is None


def test_opml_lists_every_show_feed(app: Flask, client: FlaskClient) -> None:
    make_show(slug="alpha", title="Alpha & Omega")
    make_show(slug="beta", title="Beta", new_feed_url="https://elsewhere.example/feed")
    db.session.commit()

    response = client.get("/opml.xml")

    assert response.status_code == 200
    assert response.mimetype == "text/x-opml"
    outlines = ElementTree.fromstring(response.data).findall("./body/outline")
    assert [(o.get("text"), o.get("xmlUrl")) for o in outlines] == [
        ("Alpha & Omega", "http://podcasts.example.org/shows/alpha/feed.xml"),
        ("Beta", "https://elsewhere.example/feed"),
    ]
