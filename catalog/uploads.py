"""Accept audio and images: store the bytes (``storage``) and record them (``MediaFile``).

Studio, API, CLI and importer all come in through here, so a file is checked,
stored and recorded the same way whoever sends it.
"""

from __future__ import annotations

import dataclasses
from typing import IO, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.artwork import inspect_image
from catalog.models import MediaFile
from catalog.storage import MediaStore, StoredAudio, StoredImage


def add_audio(
    session: Session, store: MediaStore, stream: BinaryIO, *, filename: str, max_bytes: int
) -> MediaFile:
    """Store an uploaded audio file and return its MediaFile (the existing one for known bytes)."""
    stored = store.ingest_audio(stream, original_filename=filename, max_bytes=max_bytes)
    return record_audio(session, store, stored)


def receive_audio(
    session: Session, store: MediaStore, stream: IO[bytes], *, filename: str, max_bytes: int
) -> StoredAudio:
    """Stream an upload's body into the store with no transaction open.

    The caller's permission check began a transaction (the write lock, on SQLite);
    a long upload must not hold it, so this commits before the bytes arrive (the one
    exception to "the caller owns the transaction") and the caller records the file
    in a new transaction.
    """
    session.commit()
    return store.ingest_audio(stream, original_filename=filename, max_bytes=max_bytes)


def add_image(
    session: Session,
    store: MediaStore,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
    fix: bool = False,
) -> MediaFile:
    """Store an uploaded image and return its MediaFile (the existing one for known bytes)."""
    stored = store.ingest_image(stream, original_filename=filename, max_bytes=max_bytes, fix=fix)
    return record_image(session, stored)


def record_audio(session: Session, store: MediaStore, stored: StoredAudio) -> MediaFile:
    """Return the MediaFile row for stored audio, adding it (and its cover) once."""
    existing = known_media(session, stored.sha256)
    if existing is not None:
        return existing
    info = stored.info
    cover = None
    if stored.cover_key is not None:
        cover = _record_cover(session, store, stored.cover_key)
    media = MediaFile(
        kind="audio",
        sha256=stored.sha256,
        storage_key=stored.key,
        original_filename=stored.original_filename,
        mime_type=info.mime_type,
        size_bytes=stored.size,
        duration_seconds=info.duration_seconds,
        bitrate=info.bitrate,
        bitrate_mode=info.bitrate_mode,
        sample_rate=info.sample_rate,
        channels=info.channels,
        codec=info.codec,
        id3_size=info.id3_size,
        tags=_tag_snapshot(info),
        cover_id=cover.id if cover is not None else None,
    )
    session.add(media)
    session.flush()
    return media


def record_image(session: Session, stored: StoredImage) -> MediaFile:
    """Return the MediaFile row for a stored image, adding it once."""
    existing = known_media(session, stored.sha256)
    if existing is not None:
        return existing
    media = MediaFile(
        kind="image",
        sha256=stored.sha256,
        storage_key=stored.key,
        original_filename=stored.original_filename,
        mime_type=stored.mime_type,
        size_bytes=stored.size,
        width=stored.width,
        height=stored.height,
        tags={},
    )
    session.add(media)
    session.flush()
    return media


def known_media(session: Session, sha256: str) -> MediaFile | None:
    """Return the row already recorded for these bytes (identical uploads share one).

    A row ``catalog media sweep`` marked unused, or whose bytes it removed, is
    revived: the caller has just stored the bytes again and is about to use them.
    The update also locks the row against a sweep giving it up meanwhile.
    """
    existing: MediaFile | None = session.scalar(select(MediaFile).where(MediaFile.sha256 == sha256))
    if existing is not None and (existing.unused_since or existing.removed_at):
        existing.unused_since = None
        existing.removed_at = None
        session.flush()
    return existing


def _record_cover(session: Session, store: MediaStore, key: str) -> MediaFile:
    """Record cover art the store extracted from an audio file."""
    path = store.path_for(key)
    image = inspect_image(path)
    stored = StoredImage(
        key=key,
        sha256=path.stem,
        size=path.stat().st_size,
        width=image.width,
        height=image.height,
        mime_type=image.mime_type,
        original_filename="cover",
        problems=(),
        conversion=None,
    )
    return record_image(session, stored)


def _tag_snapshot(info: Any) -> dict[str, Any]:
    tags = dataclasses.asdict(info.tags)
    tags["chapters"] = [dataclasses.asdict(chapter) for chapter in info.chapters]
    return tags
