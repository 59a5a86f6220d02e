"""Small factories for tests: ``make_show(...)``, ``make_episode(show, ...)``, ..."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.extensions import db
from catalog.models import Credit, Episode, MediaFile, Person, Show

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


def make_audio(**fields: Any) -> MediaFile:
    number = next(_counter)
    sha = f"{number:064x}"
    values: dict[str, Any] = {
        "kind": "audio",
        "sha256": sha,
        "storage_key": f"{sha[:2]}/{sha[2:4]}/{sha}.mp3",
        "mime_type": "audio/mpeg",
        "size_bytes": 1_000_000,
        "duration_seconds": 62.5,
        "bitrate": 128_000,
        "tags": {},
    }
    values.update(fields)
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
        "publish_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number),
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
