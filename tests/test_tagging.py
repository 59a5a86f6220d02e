"""Publishing writes our tags into a new MP3; the original and its URL never change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from catalog import uploads
from catalog.audio import probe
from catalog.extensions import db
from catalog.models import Chapter
from catalog.storage import MediaStore
from catalog.tagging import is_tagged, tag_for_publication
from tests.factories import make_episode, make_show

CORPUS = Path(__file__).parent / "fixtures" / "audio"
LIMIT = 50 * 1024 * 1024


@pytest.fixture
def store(app) -> MediaStore:
    return MediaStore(app.config["CATALOG_MEDIA_ROOT"])


def _upload(store, name):
    with (CORPUS / name).open("rb") as stream:
        return uploads.add_audio(db.session, store, stream, filename=name, max_bytes=LIMIT)


def test_publication_tags_a_new_file_and_leaves_the_original(store):
    original = _upload(store, "vbr_xing.mp3")
    original_path = store.path_for(original.storage_key)
    before = hashlib.sha256(original_path.read_bytes()).hexdigest()
    show = make_show(title="Space Café Radio", author="SpaceWatch.Global")
    episode = make_episode(
        show, title="ispace and the Japanese space journey", number=7, audio=original
    )
    episode.chapters = [
        Chapter(start_seconds=0, title="Welcome"),
        Chapter(start_seconds=2, title="Moon"),
    ]
    db.session.flush()

    tagged = tag_for_publication(
        db.session, store, episode, episode_url="https://example.org/e/7/", max_bytes=LIMIT
    )

    assert tagged is not None
    assert episode.audio is tagged
    assert tagged.storage_key != original.storage_key
    assert hashlib.sha256(original_path.read_bytes()).hexdigest() == before
    info = probe(store.path_for(tagged.storage_key))
    assert info.tags.title == "ispace and the Japanese space journey"
    assert info.tags.album == "Space Café Radio"
    assert info.tags.track == "7"
    assert [chapter.title for chapter in info.chapters] == ["Welcome", "Moon"]
    assert abs(info.duration_seconds - original.duration_seconds) < 0.1


def test_publication_tags_only_once(store):
    episode = make_episode(make_show(), audio=_upload(store, "cbr.mp3"))
    first = tag_for_publication(
        db.session, store, episode, episode_url="https://e/", max_bytes=LIMIT
    )
    assert first is not None
    assert is_tagged(first)
    again = tag_for_publication(
        db.session, store, episode, episode_url="https://e/", max_bytes=LIMIT
    )
    assert again is None
    assert episode.audio is first


def test_publication_leaves_non_mp3_audio_alone(store):
    flac = _upload(store, "flac.flac")
    episode = make_episode(make_show(), audio=flac)
    assert (
        tag_for_publication(db.session, store, episode, episode_url="https://e/", max_bytes=LIMIT)
        is None
    )
    assert episode.audio is flac


def test_publishing_through_change_episode_status_tags_the_audio(store):
    from datetime import UTC, datetime

    from catalog.episodes import change_episode_status
    from catalog.links import SiteLinks

    show = make_show(slug="tagged-show", title="Tagged Show")
    episode = make_episode(show, status="draft", publish_at=None, audio=_upload(store, "cbr.mp3"))
    original_key = episode.audio.storage_key
    change_episode_status(
        db.session,
        store,
        episode,
        "published",
        now=datetime(2025, 1, 1, tzinfo=UTC),
        links=SiteLinks("https://pods.example.org"),
        max_bytes=LIMIT,
    )
    assert episode.status == "published"
    assert episode.audio.storage_key != original_key
    assert probe(store.path_for(episode.audio.storage_key)).tags.album == "Tagged Show"
