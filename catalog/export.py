"""Let a show leave with everything: a self-contained archive, its restore, and OPML.

API:

- ``export_show(session, store, show, directory, *, links) -> ExportSummary``: writes
  ``show.json`` (the show, episodes, people, credits, chapters, transcripts and media
  records, every column), ``media/<storage key>`` for each file and the current ``feed.xml``.
- ``import_archive(session, store, directory) -> Show``: restores an archive exactly (same
  slugs, GUIDs, timestamps, storage keys); the caller commits.
- ``build_opml(shows, links) -> bytes``: every show's feed as OPML 2.0.

Rows are written column by column from the models' tables, so a column added to a model
is exported and restored without touching this module; database ids are replaced by
references (storage keys for media, slugs for people).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import DateTime, select
from sqlalchemy.orm import Session

from catalog.database import utcnow
from catalog.errors import InvalidInput
from catalog.feed import build_feed
from catalog.feed_source import all_feed_items, feed_channel
from catalog.links import SiteLinks
from catalog.models import (
    MEDIA_REFERENCES,
    Chapter,
    Credit,
    Episode,
    MediaFile,
    Person,
    Show,
    Transcript,
)
from catalog.storage import MediaStore
from catalog.uploads import known_media

ARCHIVE_FORMAT = "catalog-show-archive"
ARCHIVE_VERSION = 1
MANIFEST = "show.json"
MEDIA_DIR = "media"

# Ids are the target's own; whether a file is in use is the target's sweep's business.
_SKIPPED = {"id", "show_id", "episode_id", "person_id", "unused_since", "removed_at"}


class InvalidArchive(InvalidInput):
    """A directory is not a show archive this version can restore."""


@dataclass(frozen=True)
class ExportSummary:
    episodes: int
    media_files: int


def export_show(
    session: Session, store: MediaStore, show: Show, directory: Path, *, links: SiteLinks
) -> ExportSummary:
    """Write the show's archive into ``directory`` (created; must be empty if it exists)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise InvalidArchive(f"{directory} is not empty; export into a new directory.")
    directory.mkdir(parents=True, exist_ok=True)
    episodes = sorted(show.episodes, key=lambda episode: episode.id)
    media: dict[int, MediaFile] = {}

    def note(file: MediaFile | None) -> None:
        if file is not None and file.id not in media:
            media[file.id] = file
            if file.cover_id is not None:
                note(session.get(MediaFile, file.cover_id))

    note(show.artwork)
    people: dict[int, Person] = {}
    for episode in episodes:
        note(episode.audio)
        note(episode.artwork)
        for credit in episode.credits:
            people[credit.person_id] = credit.person
            note(credit.person.photo)
        for chapter in episode.chapters:
            if chapter.image_id is not None:
                note(session.get(MediaFile, chapter.image_id))
    document = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "exported_at": utcnow().isoformat(),
        "show": _row(session, show),
        "media": [_row(session, file) for file in sorted(media.values(), key=lambda m: m.id)],
        "people": [_row(session, person) for person in sorted(people.values(), key=lambda p: p.id)],
        "episodes": [
            {
                **_row(session, episode),
                "credits": [
                    {**_row(session, credit), "person": credit.person.slug}
                    for credit in episode.credits
                ],
                "chapters": [_row(session, chapter) for chapter in episode.chapters],
                "transcripts": [
                    _row(session, transcript)
                    for transcript in sorted(episode.transcripts, key=lambda t: t.id)
                ],
            }
            for episode in episodes
        ],
    }
    for file in media.values():
        target = directory / MEDIA_DIR / file.storage_key
        target.parent.mkdir(parents=True, exist_ok=True)
        with store.open(file.storage_key) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    now = utcnow()
    feed = build_feed(feed_channel(show, links, now), all_feed_items(session, show, links, now))
    (directory / "feed.xml").write_bytes(feed)
    (directory / MANIFEST).write_text(
        json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return ExportSummary(episodes=len(episodes), media_files=len(media))


def import_archive(session: Session, store: MediaStore, directory: Path) -> Show:
    """Restore an exported show; refuse it if its slug or podcast GUID is already used here."""
    directory = Path(directory)
    try:
        document = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidArchive(f"{directory} holds no readable {MANIFEST}.") from None
    if document.get("format") != ARCHIVE_FORMAT or document.get("version") != ARCHIVE_VERSION:
        raise InvalidArchive(f"{directory / MANIFEST} is not a version {ARCHIVE_VERSION} archive.")
    record = document["show"]
    taken = session.scalar(
        select(Show.id).where(
            (Show.slug == record["slug"]) | (Show.podcast_guid == record["podcast_guid"])
        )
    )
    if taken is not None:
        raise InvalidArchive(f"A show “{record['slug']}” (or its podcast GUID) already exists.")
    media = _restore_media(session, store, directory, document["media"])
    people: dict[str, Person] = {}
    for row in document["people"]:
        person = session.scalar(select(Person).where(Person.slug == row["slug"]))
        if person is None:
            person = Person(**_values(Person, row, media))
            session.add(person)
        people[row["slug"]] = person
    show = Show(**_values(Show, record, media))
    session.add(show)
    for row in document["episodes"]:
        episode = Episode(**_values(Episode, row, media), show=show)
        for credit in row["credits"]:
            episode.credits.append(
                Credit(**_values(Credit, credit, media), person=people[credit["person"]])
            )
        episode.chapters.extend(Chapter(**_values(Chapter, c, media)) for c in row["chapters"])
        episode.transcripts.extend(
            Transcript(**_values(Transcript, t, media)) for t in row["transcripts"]
        )
        session.add(episode)
    session.flush()
    return show


def build_opml(shows: Iterable[Show], links: SiteLinks) -> bytes:
    """List every show's feed as OPML 2.0."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "Podcasts"
    ElementTree.SubElement(head, "dateCreated").text = utcnow().strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    body = ElementTree.SubElement(root, "body")
    for show in shows:
        ElementTree.SubElement(
            body,
            "outline",
            type="rss",
            text=show.title,
            title=show.title,
            xmlUrl=show.new_feed_url or links.feed(show.slug),
            htmlUrl=links.show(show.slug),
        )
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _row(session: Session, record: Any) -> dict[str, Any]:
    """Return every column of ``record`` as JSON values, media ids as storage keys."""
    references = MEDIA_REFERENCES.get(type(record), ())
    row: dict[str, Any] = {}
    for column in record.__table__.columns:
        if column.key in _SKIPPED:
            continue
        value = getattr(record, column.key)
        if column.key in references:
            file = session.get(MediaFile, value) if value is not None else None
            row[column.key.removesuffix("_id")] = file.storage_key if file else None
        elif isinstance(value, datetime):
            row[column.key] = value.isoformat()
        else:
            row[column.key] = value
    return row


def _values(model: type[Any], row: dict[str, Any], media: dict[str, MediaFile]) -> dict[str, Any]:
    """Turn an archived row back into constructor arguments for ``model``."""
    references = MEDIA_REFERENCES.get(model, ())
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        key = column.key
        if key in _SKIPPED:
            continue
        if key in references:
            # Media rows are flushed first, so their ids are known; covers are linked after.
            storage_key = row.get(key.removesuffix("_id"))
            linked = media.get(storage_key) if storage_key and model is not MediaFile else None
            values[key] = linked.id if linked is not None else None
            continue
        if key not in row:
            continue  # an older archive without this column: the model's default applies
        value = row[key]
        if value is not None and isinstance(getattr(column.type, "impl", column.type), DateTime):
            value = datetime.fromisoformat(value)
        values[key] = value
    return values


def _restore_media(
    session: Session, store: MediaStore, directory: Path, rows: list[dict[str, Any]]
) -> dict[str, MediaFile]:
    """Copy the archive's files into the store (checking their hashes) and record them."""
    media: dict[str, MediaFile] = {}
    for row in rows:
        key = row["storage_key"]
        source = directory / MEDIA_DIR / key
        store.path_for(key)  # refuses a malformed key before it becomes a path
        if not source.is_file():
            raise InvalidArchive(f"The archive lacks the media file {key}.")
        with source.open("rb") as handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() != row["sha256"]:
                raise InvalidArchive(f"The media file {key} does not match its checksum.")
        target = store.path_for(key)
        if not store.freshen(key):
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            shutil.copyfile(source, partial)
            partial.replace(target)
        existing = known_media(session, row["sha256"])
        media[key] = existing or MediaFile(**_values(MediaFile, row, media))
        session.add(media[key])
    session.flush()
    for row in rows:
        cover = row.get("cover")
        if cover:
            media[row["storage_key"]].cover_id = media[cover].id
    session.flush()
    return media
