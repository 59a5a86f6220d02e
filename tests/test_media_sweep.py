"""Stored files nothing uses are removed a grace period later, and never while in use."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update

from catalog import downloads, episodes, media_sweep, uploads
from catalog.extensions import db
from catalog.models import Chapter, MediaFile, Show
from catalog.storage import MediaStore
from tests.factories import SAMPLE_MP3, make_audio, make_episode, make_person, make_show

DAY = timedelta(days=1)
MAX_BYTES = 50 * 1024 * 1024


def store_of(app: Flask) -> MediaStore:
    return MediaStore(app.config["CATALOG_MEDIA_ROOT"])


def later() -> datetime:
    """A sweep's clock, just after the files the test stored."""
    return datetime.now(UTC) + timedelta(minutes=1)


def stored_long_ago(path: Path) -> None:
    """Date a file's storing 60 days back, as if the test had waited."""
    long_ago = (datetime.now(UTC) - 60 * DAY).timestamp()
    os.utime(path, (long_ago, long_ago))


def sweep(now: datetime, store: MediaStore) -> tuple[media_sweep.MarkResult, int]:
    marked = media_sweep.mark_and_expire(db.session, now)
    db.session.commit()
    return marked, len(media_sweep.remove_files(db.session, store, marked.expired, now))


def upload_sample(store: MediaStore) -> MediaFile:
    """Store and record the sample MP3 the way the studio and the API do."""
    with SAMPLE_MP3.open("rb") as stream:
        return uploads.add_audio(
            db.session, store, stream, filename="episode.mp3", max_bytes=MAX_BYTES
        )


def media_row(key: str) -> MediaFile:
    db.session.expire_all()
    row = db.session.scalar(select(MediaFile).where(MediaFile.storage_key == key))
    assert row is not None
    return row


def given_up(
    store: MediaStore, audio: MediaFile, show: Show | None = None
) -> tuple[str, media_sweep.MarkResult, datetime]:
    """Delete the one episode using ``audio`` and sweep until its file is given up.

    The bytes are still there: the sweep has committed, not yet removed them.
    """
    key = audio.storage_key
    episode = make_episode(show or make_show(), audio=audio)
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    stored_long_ago(store.path_for(key))
    now = datetime.now(UTC)
    sweep(now - 10 * DAY, store)
    marked = media_sweep.mark_and_expire(db.session, now)
    db.session.commit()
    assert [file.key for file in marked.expired] == [key]
    return key, marked, now


def test_a_deleted_episodes_audio_is_removed_only_after_the_grace_period(app: Flask) -> None:
    store = store_of(app)
    episode = make_episode(make_show())
    key = episode.audio.storage_key
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    first = later()

    marked, removed = sweep(first, store)
    assert (marked.newly_unused, marked.expired, removed) == (1, [], 0)
    assert store.exists(key)  # an app may still be downloading it

    marked, removed = sweep(first + 6 * DAY, store)
    assert (marked.newly_unused, marked.expired, removed) == (0, [], 0)
    assert store.exists(key)

    marked, removed = sweep(first + 7 * DAY, store)
    assert [file.key for file in marked.expired] == [key]
    assert removed == 1
    assert not store.exists(key)
    # The row stays: recounting past downloads of this file still knows its size.
    assert media_row(key).removed_at == first + 7 * DAY
    assert key in downloads.media_facts(db.session)


def test_a_file_another_episode_still_uses_is_never_marked(app: Flask) -> None:
    show = make_show()
    kept = make_episode(show)
    deleted = make_episode(show, audio=kept.audio)
    db.session.commit()
    episodes.delete_episode(db.session, deleted)
    db.session.commit()

    marked, _ = sweep(later(), store_of(app))

    assert marked.newly_unused == 0
    assert kept.audio.unused_since is None
    assert store_of(app).exists(kept.audio.storage_key)


def test_every_kind_of_use_keeps_a_file(app: Flask) -> None:
    """Show artwork, episode artwork, person photos, chapter images and audio covers."""

    def image() -> MediaFile:
        return make_audio(kind="image", mime_type="image/jpeg", duration_seconds=None)

    cover = image()
    show = make_show(artwork=image())
    episode = make_episode(show, artwork=image(), audio=make_audio(cover_id=cover.id))
    make_person(photo=image())
    db.session.add(Chapter(episode=episode, start_seconds=0, title="Intro", image_id=image().id))
    unused = image()
    db.session.commit()

    marked, _ = sweep(later(), store_of(app))

    assert marked.newly_unused == 1
    assert db.session.scalars(
        select(MediaFile.id).where(MediaFile.unused_since.is_not(None))
    ).all() == [unused.id]


def test_a_file_used_again_within_the_grace_period_stays(app: Flask) -> None:
    store = store_of(app)
    show = make_show()
    episode = make_episode(show)
    audio_id, key = episode.audio.id, episode.audio.storage_key
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    first = later()
    sweep(first, store)
    assert media_row(key).unused_since == first

    make_episode(show, audio_id=audio_id)  # chosen again for a new episode
    db.session.commit()
    marked, removed = sweep(first + 30 * DAY, store)

    assert (marked.used_again, marked.expired, removed) == (1, [], 0)
    assert media_row(key).unused_since is None
    assert store.exists(key)


def test_uploading_the_same_bytes_after_they_were_removed_brings_them_back(app: Flask) -> None:
    store = store_of(app)
    show = make_show()
    audio = upload_sample(store)
    key = audio.storage_key
    episode = make_episode(show, audio=audio)
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    first = later()
    sweep(first, store)
    sweep(first + 8 * DAY, store)
    assert not store.exists(key)

    again = upload_sample(store)
    make_episode(show, audio=again)
    db.session.commit()

    assert again.storage_key == key
    assert store.exists(key)
    row = media_row(key)
    assert (row.unused_since, row.removed_at) == (None, None)


def test_an_upload_racing_the_sweep_keeps_its_file(app: Flask) -> None:
    """The sweep gave the file up; before it removes the bytes, the same bytes are uploaded."""
    store = store_of(app)
    key, marked, now = given_up(store, upload_sample(store))

    revived = upload_sample(store)  # freshens the file and revives the row
    db.session.commit()
    removed = media_sweep.remove_files(db.session, store, marked.expired, now)

    assert removed == []
    assert store.exists(key)
    assert media_row(revived.storage_key).removed_at is None


def test_a_record_using_the_file_before_its_bytes_go_keeps_them(app: Flask) -> None:
    store = store_of(app)
    show = make_show()
    audio = make_audio()
    audio_id = audio.id
    key, marked, now = given_up(store, audio, show)

    make_episode(show, audio_id=audio_id)  # chosen again, no bytes stored
    db.session.commit()
    removed = media_sweep.remove_files(db.session, store, marked.expired, now)

    assert removed == []
    assert store.exists(key)
    assert media_row(key).removed_at is None


def test_a_file_stored_again_but_not_yet_recorded_is_kept_and_watched_again(app: Flask) -> None:
    store = store_of(app)
    key, marked, now = given_up(store, upload_sample(store))

    with SAMPLE_MP3.open("rb") as stream:  # stored, its record not yet committed
        store.ingest_audio(stream, original_filename="episode.mp3", max_bytes=MAX_BYTES)
    removed = media_sweep.remove_files(db.session, store, marked.expired, now)

    assert removed == []
    assert store.exists(key)
    row = media_row(key)
    assert (row.removed_at, row.unused_since) == (None, now)  # a new grace period


def test_storing_bytes_already_stored_marks_the_file_as_just_stored(app: Flask) -> None:
    store = store_of(app)
    key = upload_sample(store).storage_key
    stored_long_ago(store.path_for(key))

    upload_sample(store)

    assert store.path_for(key).stat().st_mtime > (datetime.now(UTC) - DAY).timestamp()


def test_the_cover_of_removed_audio_goes_one_grace_period_later(app: Flask) -> None:
    store = store_of(app)
    cover = make_audio(kind="image", mime_type="image/jpeg", duration_seconds=None)
    episode = make_episode(make_show(), audio=make_audio(cover_id=cover.id))
    cover_id = cover.id
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    first = later()

    sweep(first, store)
    assert media_row(cover.storage_key).unused_since is None  # its audio is not removed yet
    sweep(first + 7 * DAY, store)  # the audio's bytes go; now nothing uses the cover
    marked, _ = sweep(first + 8 * DAY, store)

    assert marked.newly_unused == 1
    assert db.session.get(MediaFile, cover_id).unused_since == first + 8 * DAY


def test_a_failing_check_puts_the_file_back(app: Flask) -> None:
    store = store_of(app)
    key = make_audio().storage_key
    db.session.commit()
    stored_long_ago(store.path_for(key))

    def broken() -> bool:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        store.remove_unless_stored_since(key, datetime.now(UTC), still_needed=broken)

    assert store.exists(key)
    assert not list(store.incoming.glob("*.removing"))


def test_files_a_dead_sweep_set_aside_are_put_back(app: Flask) -> None:
    store = store_of(app)
    missing, present = make_audio().storage_key, make_audio().storage_key
    db.session.commit()
    store.incoming.mkdir(parents=True, exist_ok=True)
    for key in (missing, present):
        name = store.path_for(key).name
        shutil.copyfile(store.path_for(key), store.incoming / f"{name}.{'0' * 16}.removing")
    store.path_for(missing).unlink()

    assert store.restore_set_aside() == 1

    assert store.exists(missing)
    assert store.exists(present)
    assert not list(store.incoming.glob("*.removing"))


def test_removed_media_answers_404(app: Flask, client: FlaskClient) -> None:
    store = store_of(app)
    episode = make_episode(make_show())
    key = episode.audio.storage_key
    db.session.commit()
    assert client.head(f"/media/{key}/episode.mp3").status_code == 200
    episodes.delete_episode(db.session, episode)
    db.session.commit()
    first = later()
    sweep(first, store)
    sweep(first + 7 * DAY, store)

    response = client.get(f"/media/{key}/episode.mp3")

    assert response.status_code == 404


def test_files_no_record_names_are_removed_after_the_grace_period(app: Flask) -> None:
    store = store_of(app)
    recorded = make_audio()
    db.session.commit()
    stray_key = "ab/cd/abcd" + "0" * 60 + ".mp3"
    stray = store.path_for(stray_key)
    stray.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE_MP3, stray)
    incoming = store.incoming / ("f" * 32 + ".part")
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(b"still arriving")
    not_a_key = store.root / "ab" / "cd" / "notes.txt"
    not_a_key.write_text("left by an operator")

    assert media_sweep.stray_keys(db.session, store) == [stray_key]
    assert media_sweep.remove_stray_files(db.session, store, later()) == 0
    assert stray.exists()

    assert media_sweep.remove_stray_files(db.session, store, later() + 8 * DAY) == 1
    assert not stray.exists()
    assert store.exists(recorded.storage_key)
    assert incoming.exists()
    assert not_a_key.exists()


def two_deleted_episodes() -> tuple[str, str]:
    """Delete two episodes: one's audio unused for a month already, the other's just now."""
    episode = make_episode(make_show())
    audio_id, key = episode.audio.id, episode.audio.storage_key
    newly_deleted = make_episode(make_show())
    newly_unused_key = newly_deleted.audio.storage_key
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    episodes.delete_episode(db.session, newly_deleted)
    db.session.execute(
        update(MediaFile).where(MediaFile.id == audio_id).values(unused_since=later() - 30 * DAY)
    )
    db.session.commit()
    return key, newly_unused_key


def test_sweep_command_dry_run_changes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    store = store_of(app)
    key, _ = two_deleted_episodes()

    result = runner.invoke(args=["media", "sweep", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Would mark 1 file(s) unused and 0 in use again" in result.output
    assert "remove 1 file(s) unused for 7 day(s) or more" in result.output
    row = media_row(key)
    assert row.removed_at is None
    assert db.session.scalars(select(MediaFile.unused_since.is_(None))).all().count(True) == 1
    assert store.exists(key)


def test_sweep_command_removes_expired_files_and_abandoned_uploads(
    app: Flask, runner: FlaskCliRunner
) -> None:
    store = store_of(app)
    key, newly_unused_key = two_deleted_episodes()
    stored_long_ago(store.path_for(key))
    abandoned = store.incoming / ("e" * 32 + ".part")
    abandoned.parent.mkdir(parents=True, exist_ok=True)
    abandoned.write_bytes(b"half an upload")
    stored_long_ago(abandoned)

    result = runner.invoke(args=["media", "sweep"])

    assert result.exit_code == 0, result.output
    assert "1 file(s) newly unused, removed if still unused in 7 day(s)" in result.output
    assert "Removed 1 file(s) unused for 7 day(s) or more" in result.output
    assert "1 abandoned upload(s)" in result.output
    assert media_row(key).removed_at is not None
    assert not store.exists(key)
    assert store.exists(newly_unused_key)
    assert not abandoned.exists()


def test_sweep_command_refuses_a_grace_period_below_a_day(
    app: Flask, runner: FlaskCliRunner
) -> None:
    episode = make_episode(make_show())
    db.session.commit()
    episodes.delete_episode(db.session, episode)
    db.session.commit()

    result = runner.invoke(args=["media", "sweep", "--grace-days", "0"])

    assert result.exit_code == 2
    assert "--grace-days" in result.output
    assert "0 is not in the range" in result.output
    assert db.session.scalars(select(MediaFile.unused_since)).all() == [None]


def test_media_root_without_files_sweeps_cleanly(app: Flask, runner: FlaskCliRunner) -> None:
    shutil.rmtree(Path(app.config["CATALOG_MEDIA_ROOT"]), ignore_errors=True)

    result = runner.invoke(args=["media", "sweep"])

    assert result.exit_code == 0, result.output
    assert "Removed 0 file(s)" in result.output
