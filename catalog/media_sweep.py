"""Find stored files that nothing uses any more and remove them after a grace period.

Files are addressed by content, so identical uploads share one file, and a
file's last user going away (an episode deleted, artwork replaced, audio
re-tagged into a new file) does not remove it at once: a podcast app may still
be downloading the old URL, and the same bytes may be uploaded again a minute
later. Instead ``catalog media sweep`` (from cron) marks the files nothing
uses, clears the mark of those used again, and removes the files that stayed
unused for the whole grace period. Files on disk that no record names at all
(an upload that failed between storing its file and recording it) go the same way.

Uploads race with a sweep safely: storing bytes that are already stored
freshens the file (``MediaStore.freshen``), recording them revives their row
(``uploads.known_media``), and the sweep moves a file aside before its last
checks (``MediaStore.remove_unless_stored_since``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, CursorResult, Update, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from catalog.database import write_intent
from catalog.models import MEDIA_REFERENCES, MediaFile
from catalog.storage import MediaStore

GRACE: Final = timedelta(days=7)
# What the sweep reports of each file it gives up.
_UNUSED_FILE: Final = (MediaFile.storage_key, MediaFile.size_bytes, MediaFile.unused_since)


@dataclass(frozen=True, slots=True)
class UnusedFile:
    """A stored file the sweep gave up on; its bytes are removed after the commit."""

    key: str
    size_bytes: int
    unused_since: datetime


@dataclass(frozen=True, slots=True)
class MarkResult:
    """What one sweep found in the database."""

    newly_unused: int
    used_again: int
    expired: list[UnusedFile]


def is_used(media: Any = MediaFile) -> ColumnElement[bool]:
    """Match media files a record names (``MEDIA_REFERENCES``); a cover only of live audio."""
    uses = []
    for model, columns in MEDIA_REFERENCES.items():
        user: Any = aliased(model)
        for column in columns:
            named = getattr(user, column) == media.id
            if model is MediaFile:  # a cover is used by its audio until that audio is removed
                named = and_(named, user.removed_at.is_(None))
            uses.append(exists().where(named))
    return or_(*uses)


def _used_again(media: Any) -> ColumnElement[bool]:
    return and_(or_(media.unused_since.is_not(None), media.removed_at.is_not(None)), is_used(media))


def _newly_unused(media: Any) -> ColumnElement[bool]:
    return and_(media.unused_since.is_(None), ~is_used(media))


def _expired(cutoff: datetime) -> Callable[[Any], ColumnElement[bool]]:
    return lambda media: and_(
        media.removed_at.is_(None), media.unused_since <= cutoff, ~is_used(media)
    )


def _unlocked(condition: Callable[[Any], ColumnElement[bool]], **values: Any) -> Update:
    """UPDATE the media rows meeting ``condition`` that no other transaction holds right now.

    On PostgreSQL the sweep locks only rows nobody else does (SKIP LOCKED): an
    import reviving several rows at once neither waits for it nor deadlocks with
    it, and what is skipped is swept next time. SQLite writers take turns anyway.
    ``condition`` is given the table to test, and is tested again once locked.
    """
    candidate = aliased(MediaFile)
    chosen = select(candidate.id).where(condition(candidate)).with_for_update(skip_locked=True)
    return (
        update(MediaFile)
        .where(MediaFile.id.in_(chosen), condition(MediaFile))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def mark_and_expire(session: Session, now: datetime, *, grace: timedelta = GRACE) -> MarkResult:
    """Mark unused files, unmark used ones, and give up the files unused for ``grace``.

    Call inside a write transaction; the caller commits and only then removes
    the expired files' bytes (:func:`remove_files`), so a failed commit loses
    no file. Rows stay (``removed_at`` is set): recounting past downloads needs
    their facts, and an upload of the same bytes revives them.
    """
    used_again = _count_updated(session, _unlocked(_used_again, unused_since=None, removed_at=None))
    newly_unused = _count_updated(session, _unlocked(_newly_unused, unused_since=now))
    expired = session.execute(
        _unlocked(_expired(now - grace), removed_at=now).returning(*_UNUSED_FILE)
    ).all()
    return MarkResult(
        newly_unused,
        used_again,
        [UnusedFile(key, size, since) for key, size, since in expired if since is not None],
    )


def preview(session: Session, now: datetime, *, grace: timedelta = GRACE) -> MarkResult:
    """Tell what :func:`mark_and_expire` would do, reading only (no locks taken)."""
    count = select(func.count()).select_from(MediaFile)
    expired = session.execute(select(*_UNUSED_FILE).where(_expired(now - grace)(MediaFile))).all()
    return MarkResult(
        session.scalar(count.where(_newly_unused(MediaFile))) or 0,
        session.scalar(count.where(_used_again(MediaFile))) or 0,
        [UnusedFile(key, size, since) for key, size, since in expired if since is not None],
    )


def _count_updated(session: Session, statement: Update) -> int:
    """Run an UPDATE and return how many rows it changed."""
    result = session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def remove_files(
    session: Session, store: MediaStore, files: Iterable[UnusedFile], now: datetime
) -> list[UnusedFile]:
    """Remove the bytes of files given up by a committed sweep; return those removed.

    A file stored again since it became unused, or whose row an upload revived
    or a record uses again, stays; a row still given up then has its bytes
    again and starts a new grace period from ``now``.
    """
    removed = []
    for file in files:
        if store.remove_unless_stored_since(
            file.key, file.unused_since, still_needed=partial(_needed, session, file.key)
        ):
            removed.append(file)
            continue
        session.rollback()  # write from a fresh transaction, not the checks' snapshot
        with write_intent():
            session.execute(
                update(MediaFile)
                .where(MediaFile.storage_key == file.key, MediaFile.removed_at.is_not(None))
                .values(removed_at=None, unused_since=now)
                .execution_options(synchronize_session=False)
            )
            session.commit()
    return removed


def _needed(session: Session, key: str) -> bool:
    """Tell whether a record needs the bytes of ``key``, as committed right now."""
    session.rollback()  # a fresh snapshot: see what committed since the sweep began
    return (
        session.scalar(
            select(MediaFile.id).where(
                MediaFile.storage_key == key, or_(MediaFile.removed_at.is_(None), is_used())
            )
        )
        is not None
    )


def stray_keys(session: Session, store: MediaStore) -> list[str]:
    """Return the keys of stored files that no record names (or only one given up)."""
    recorded = set(
        session.scalars(select(MediaFile.storage_key).where(MediaFile.removed_at.is_(None)))
    )
    return [key for key in store.keys() if key not in recorded]


def remove_stray_files(
    session: Session, store: MediaStore, now: datetime, *, grace: timedelta = GRACE
) -> int:
    """Remove files no record names that were stored more than ``grace`` ago; return how many."""
    removed = 0
    for key in stray_keys(session, store):
        if store.remove_unless_stored_since(
            key, now - grace, still_needed=partial(_needed, session, key)
        ):
            removed += 1
    return removed
