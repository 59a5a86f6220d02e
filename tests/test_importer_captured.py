"""Import feeds captured from real public podcasts (see fixtures/feeds/captured/SOURCES.md)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from flask import Flask
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import Episode, Show
from tests.importing import run_import

CAPTURED = Path(__file__).parent / "fixtures" / "feeds" / "captured"
NAMES = sorted(path.name for path in CAPTURED.glob("*.xml"))


def parsed(path: Path) -> dict[str, Any]:
    return podcastparser.parse("", io.BytesIO(path.read_bytes()))


def test_there_are_captured_feeds() -> None:
    assert len(NAMES) >= 5
    assert (CAPTURED / "SOURCES.md").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_captured_feed_imports_every_episode(app: Flask, name: str) -> None:
    path = CAPTURED / name
    expected = parsed(path)["episodes"]
    assert expected

    report = run_import(app, str(path))

    assert report.failed == []
    show = db.session.scalar(select(Show).where(Show.id == report.show.id))
    assert show is not None
    episodes = {e.guid: e for e in db.session.scalars(select(Episode).where(Episode.show == show))}
    assert len(episodes) == len(expected)
    assert set(episodes) == {item["guid"] for item in expected}
    for item in expected:
        episode = episodes[item["guid"]]
        assert episode.remote_audio_duration_seconds == (item["total_time"] or None)
        audio = [e for e in item["enclosures"] if e["mime_type"].startswith("audio/")]
        assert episode.remote_audio_url == audio[0]["url"]
        assert episode.publish_at == datetime.fromtimestamp(item["published"], UTC)
        assert episode.episode_type == item.get("type", "full")
        assert episode.number == item.get("number")
        assert episode.season == item.get("season")
        assert episode.is_explicit == bool(item.get("explicit"))


@pytest.mark.parametrize("name", NAMES)
def test_captured_feed_reimport_changes_nothing(app: Flask, name: str) -> None:
    path = str(CAPTURED / name)
    first = run_import(app, path)
    count = db.session.scalar(select(func.count()).select_from(Episode))

    again = run_import(app, path)

    assert again.is_new_show is False
    assert again.show.id == first.show.id
    assert {outcome.action for outcome in again.outcomes} == {"updated"}
    assert db.session.scalar(select(func.count()).select_from(Episode)) == count
