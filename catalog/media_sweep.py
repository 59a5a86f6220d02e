"""Find stored files that nothing uses any more and remove them after a grace period.

Files are addressed by content, so identical uploads share one file, and a
file's last user going away (an episode deleted, artwork replaced, audio
re-tagged into a new file) does not remove it at once: a podcast app may still
be downloading the old URL, and the same bytes may be uploaded again a minute
later. Instead ``catalog media sweep`` (from cron) marks the files nothing
uses, clears the mark of those used again, and removes the files that stayed
unused for the whole grace period. Files on disk that no record names at all
(an upload that failed between storing its file and recording it) go the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, CursorResult, Update, delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from catalog.models import Chapter, Episode, MediaFile, Person, Show
from catalog.storage import MediaStore

GRACE: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class UnusedFile:
    """A stored file whose record the sweep deleted; its bytes are removed after the commit."""

    key: str
    size_bytes: int
    unused_since: datetime


@dataclass(frozen=True, slots=True)
class MarkResult:
    """What one sweep found in the database."""

    newly_unused: int
    used_again: int
    expired: list[UnusedFile]


def is_used() -> ColumnElement[bool]:
    """Match media files that a show, episode, chapter, person or audio file (as its cover) uses."""
    audio = aliased(MediaFile)
    return or_(
        exists().where(Episode.audio_id == MediaFile.id),
        exists().where(Episode.artwork_id == MediaFile.id),
        exists().where(Show.artwork_id == MediaFile.id),
        exists().where(Chapter.image_id == MediaFile.id),
        exists().where(Person.photo_id == MediaFile.id),
        exists().where(audio.cover_id == MediaFile.id),
    )


def mark_and_expire(session: Session, now: datetime, *, grace: timedelta = GRACE) -> MarkResult:
    """Mark unused files, unmark used ones, and delete the records unused for ``grace``.

    Call inside a write transaction; the caller commits and only then removes
    the expired files' bytes (:func:`remove_files`), so a failed commit loses
    no file that a record still names.
    """
    used_again = _count_updated(
        session,
        update(MediaFile)
        .where(MediaFile.unused_since.is_not(None), is_used())
        .values(unused_since=None),
    )
    newly_unused = _count_updated(
        session,
        update(MediaFile)
        .where(MediaFile.unused_since.is_(None), ~is_used())
        .values(unused_since=now),
    )
    # Lock the expired records first: a show taking one as its artwork meanwhile
    # then waits for this transaction and fails, instead of losing its artwork to
    # ON DELETE SET NULL. The delete checks again, with the locks held.
    candidates = list(
        session.scalars(
            select(MediaFile.id)
            .where(MediaFile.unused_since <= now - grace, ~is_used())
            .with_for_update()
        )
    )
    if not candidates:
        return MarkResult(newly_unused, used_again, [])
    expired = session.execute(
        delete(MediaFile)
        .where(MediaFile.id.in_(candidates), ~is_used())
        .returning(MediaFile.storage_key, MediaFile.size_bytes, MediaFile.unused_since)
        .execution_options(synchronize_session=False)
    ).all()
    return MarkResult(
        newly_unused,
        used_again,
        [UnusedFile(key, size, since) for key, size, since in expired if since is not None],
    )


def _count_updated(session: Session, statement: Update) -> int:
    """Run an UPDATE and return how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def remove_files(
    session: Session, store: MediaStore, files: Iterable[UnusedFile]
) -> list[UnusedFile]:
    """Remove the bytes of files whose records were deleted and committed; return those removed.

    A file whose key a record names again (the same bytes were uploaded since),
    or that was stored again after it became unused, stays: a record will name it.
    """
    removed = []
    for file in files:
        if session.scalar(select(MediaFile.id).where(MediaFile.storage_key == file.key)):
            continue
        if store.delete_unless_stored_since(file.key, file.unused_since):
            removed.append(file)
    return removed


def stray_keys(session: Session, store: MediaStore) -> list[str]:
    """Return the keys of stored files that no record names."""
    recorded = set(session.scalars(select(MediaFile.storage_key)))
    return [key for key in store.keys() if key not in recorded]


def remove_stray_files(
    session: Session, store: MediaStore, now: datetime, *, grace: timedelta = GRACE
) -> int:
    """Remove files no record names that were stored more than ``grace`` ago; return how many."""
    removed = 0
    for key in stray_keys(session, store):
        if store.delete_unless_stored_since(key, now - grace):
            removed += 1
    return removed
