"""Small factories for tests: ``make_show(...)``, ``make_episode(show, ...)``, ..."""

from __future__ import annotations

import itertools
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from catalog.extensions import db
from catalog.models import Credit, Episode, MediaFile, Person, Show
from catalog.storage import MediaStore

_counter = itertools.count(1)


def make_show(**fields: Any) -> Show:
    number = next(_counter)
    values: dict[str, Any] = {
        "slug": f"show-{number}",
        "title": f"Show {number}",
        "podcast_guid": str(uuid.uuid4()),
        "author": "Test Author",
        "owner_name": "Test Owner",
        "owner_email": "owner@example.org",
        "category": "Technology",
    }
    values.update(fields)
    show = Show(**values)
    db.session.add(show)
    db.session.flush()
    return show


SAMPLE_MP3 = Path(__file__).parent / "fixtures" / "audio" / "cbr.mp3"


def make_audio(**fields: Any) -> MediaFile:
    """Add an audio row backed by a real MP3 in the media root (its bytes are a sample's)."""
    number = next(_counter)
    sha = f"{number:064x}"
    values: dict[str, Any] = {
        "kind": "audio",
        "sha256": sha,
        "storage_key": f"{sha[:2]}/{sha[2:4]}/{sha}.mp3",
        "mime_type": "audio/mpeg",
        "size_bytes": SAMPLE_MP3.stat().st_size,
        "duration_seconds": 62.5,
        "bitrate": 128_000,
        "tags": {},
    }
    values.update(fields)
    if values["kind"] == "audio" and values["mime_type"] == "audio/mpeg":
        path = MediaStore(current_app.config["CATALOG_MEDIA_ROOT"]).path_for(values["storage_key"])
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAMPLE_MP3, path)
    media = MediaFile(**values)
    db.session.add(media)
    db.session.flush()
    return media


def make_episode(show: Show, **fields: Any) -> Episode:
    number = next(_counter)
    values: dict[str, Any] = {
        "show": show,
        "slug": f"episode-{number}",
        "guid": str(uuid.uuid4()),
        "title": f"Episode {number}",
        "status": "published",
        "publish_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number),
    }
    values.update(fields)
    if "audio" not in values and "audio_id" not in values:
        values["audio"] = make_audio()
    episode = Episode(**values)
    db.session.add(episode)
    db.session.flush()
    return episode


def make_person(**fields: Any) -> Person:
    number = next(_counter)
    values: dict[str, Any] = {"slug": f"person-{number}", "name": f"Person {number}"}
    values.update(fields)
    person = Person(**values)
    db.session.add(person)
    db.session.flush()
    return person


def make_credit(episode: Episode, person: Person, role: str = "guest") -> Credit:
    credit = Credit(episode=episode, person=person, role=role)
    db.session.add(credit)
    db.session.flush()
    return credit
