"""Keep media requests cheaply and turn them into the download numbers the studio shows.

``catalog.analytics`` decides what counts; this module stores and reads:

- ``EventRecorder`` buffers requests in memory and writes them in one
  multi-row INSERT every ``flush_events`` requests or ``flush_seconds``
  seconds, and at interpreter exit. A request costs a list append under a
  lock, never a transaction; a worker killed with SIGKILL loses at most one
  buffer. IP addresses live only in that buffer: they are hashed with the
  day's salt (``SaltTable``, discarded after the day) when written.
- ``compute_daily_counts`` / ``store_daily_counts`` recompute whole UTC days
  of ``DailyDownloads`` from raw events, so running them twice changes nothing.
- ``ingest_requests`` brings requests from an nginx access log through the same path.
- ``show_stats`` and ``daily_counts`` return the plain data the studio charts.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from catalog.analytics import (
    DailyCount,
    MediaFacts,
    MediaRequest,
    NginxLogReader,
    ReleaseWindow,
    SaltRing,
    StoredEvent,
    count_downloads,
    downloads_after_release,
    rollup,
    to_stored_event,
    totals_by_app,
    totals_by_day,
    totals_by_episode,
    utc_day,
)
from catalog.database import utcnow, write_intent
from catalog.models import AnalyticsSalt, DailyDownloads, DownloadEvent, Episode, MediaFile, Show

log = logging.getLogger(__name__)

# Flask-SQLAlchemy hands out a scoped session; the recorder opens plain ones.
DbSession = Session | scoped_session[Any]

INSERT_BATCH = 5000
# A database outage must not eat a worker's memory: beyond this, the oldest requests are dropped.
MAX_PENDING = 100_000

# ------------------------------------------------------------ media lookup


@dataclass(frozen=True, slots=True)
class MediaTarget:
    """What delivery needs to know about a stored file: its type and whose audio it is."""

    key: str
    mime_type: str
    episode_id: int | None


def find_media_target(session: DbSession, key: str) -> MediaTarget | None:
    """Return the stored file under ``key`` and the episode it is the audio of, if any.

    Identical uploads share one file; the oldest episode using it gets the download.
    """
    row = session.execute(
        select(MediaFile.storage_key, MediaFile.mime_type, Episode.id)
        .outerjoin(Episode, Episode.audio_id == MediaFile.id)
        .where(MediaFile.storage_key == key)
        .order_by(Episode.id)
        .limit(1)
    ).first()
    return None if row is None else MediaTarget(row[0], row[1], row[2])


def episode_ids_by_media_key(session: DbSession) -> dict[str, int]:
    """Map every episode audio key to its (oldest) episode, for importing logs in bulk."""
    rows = session.execute(
        select(MediaFile.storage_key, func.min(Episode.id))
        .join(Episode, Episode.audio_id == MediaFile.id)
        .group_by(MediaFile.storage_key)
    )
    return {key: episode_id for key, episode_id in rows}


def media_facts(session: DbSession) -> dict[str, MediaFacts]:
    """Return size, bitrate and tag size of every audio file, as counting needs them."""
    facts = {}
    rows = session.execute(
        select(
            MediaFile.storage_key,
            MediaFile.size_bytes,
            MediaFile.bitrate,
            MediaFile.id3_size,
            MediaFile.duration_seconds,
        ).where(MediaFile.kind == "audio")
    )
    for key, size, bitrate, id3_size, duration in rows:
        if not bitrate and duration:
            bitrate = int(size * 8 / duration)  # older rows: the average is close enough
        if bitrate:
            facts[key] = MediaFacts(size=size, bitrate=bitrate, id3_size=id3_size or 0)
    return facts


# ------------------------------------------------------------------- salts


class SaltTable(MutableMapping[str, str]):
    """The ``analytics_salt`` table as the mapping ``SaltRing`` keeps its salts in.

    ``setdefault`` is an ``INSERT ... ON CONFLICT DO NOTHING`` then a read, so
    every worker process hashes one listener the same way all day. Salts read
    once are remembered for the life of the object (one flush).
    """

    def __init__(self, session: DbSession) -> None:
        self.session = session
        self._known: dict[str, str] = {}

    def __getitem__(self, day: str) -> str:
        if day not in self._known:
            salt = self.session.execute(
                select(AnalyticsSalt.salt).where(AnalyticsSalt.day == date.fromisoformat(day))
            ).scalar()
            if salt is None:
                raise KeyError(day)
            self._known[day] = salt
        return self._known[day]

    def __setitem__(self, day: str, salt: str) -> None:
        self.session.execute(
            delete(AnalyticsSalt).where(AnalyticsSalt.day == date.fromisoformat(day))
        )
        self.session.execute(insert(AnalyticsSalt).values(day=date.fromisoformat(day), salt=salt))
        self._known[day] = salt

    def __delitem__(self, day: str) -> None:
        result = self.session.execute(
            delete(AnalyticsSalt).where(AnalyticsSalt.day == date.fromisoformat(day))
        )
        self._known.pop(day, None)
        if not getattr(result, "rowcount", 0):
            raise KeyError(day)

    def __iter__(self) -> Iterator[str]:
        days = self.session.execute(select(AnalyticsSalt.day).order_by(AnalyticsSalt.day))
        return iter([day.isoformat() for day in days.scalars()])

    def __len__(self) -> int:
        return int(
            self.session.execute(select(func.count()).select_from(AnalyticsSalt)).scalar_one()
        )

    def setdefault(self, day: str, default: str | None = None) -> str:
        """Store ``default`` unless another process stored a salt for ``day`` first."""
        if day in self._known:
            return self._known[day]
        if default is None:
            raise ValueError("a salt is needed to store one")
        dialect = self.session.get_bind().dialect.name
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AnalyticsSalt)
        self.session.execute(
            upsert.values(day=date.fromisoformat(day), salt=default).on_conflict_do_nothing()
        )
        return self[day]


def discard_expired_salts(session: DbSession, *, now: datetime) -> list[date]:
    """Delete the salts of days that are over, so their listener hashes can never be reversed."""
    return SaltRing(SaltTable(session)).discard_expired(today=utc_day(now))


# --------------------------------------------------------------- recording


def store_requests(session: DbSession, requests: list[MediaRequest], *, now: datetime) -> int:
    """Hash the listeners of ``requests`` and insert them as ``DownloadEvent`` rows in bulk."""
    ring = SaltRing(SaltTable(session))
    # Logs can be older than the salts we keep: their days get a salt that is never stored.
    oldest = ring.oldest_usable_day(utc_day(now))
    forgotten = SaltRing({}, keep_days=100 * 366)
    rows = []
    for request in requests:
        salts = ring if utc_day(request.at) >= oldest else forgotten
        rows.append(_event_row(to_stored_event(request, salts, now=now)))
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(DownloadEvent.__table__), rows[start : start + INSERT_BATCH])
    ring.discard_expired(today=utc_day(now))
    return len(rows)


_EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(StoredEvent))


def _event_row(event: StoredEvent) -> dict[str, Any]:
    """Return the row of an event (``asdict`` deep-copies every value, ten times slower)."""
    row = {name: getattr(event, name) for name in _EVENT_FIELDS}
    row["user_agent"] = event.user_agent[:500]
    row["method"] = event.method[:8]
    return row


class EventRecorder:
    """Buffer media requests in memory and write them in one INSERT now and then.

    Chosen over a spool file per worker: the buffer needs no files to
    rotate, clean up or find after a crash, and one multi-row INSERT every
    few seconds is cheap on SQLite (WAL) and PostgreSQL alike. The price is
    that a worker killed without a chance to exit loses its last buffer.
    """

    def __init__(self, engine: Engine, *, flush_events: int, flush_seconds: float) -> None:
        self.engine = engine
        self.flush_events = max(1, flush_events)
        self.flush_seconds = flush_seconds
        self._pending: list[MediaRequest] = []
        self._first_pending_at = 0.0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        _live_recorders.add(self)

    @property
    def pending(self) -> int:
        """Return how many requests wait to be written."""
        return len(self._pending)

    def record(self, request: MediaRequest) -> None:
        """Keep one request; write the buffer when it is full."""
        with self._lock:
            if not self._pending:
                self._first_pending_at = time.monotonic()
            self._pending.append(request)
            is_full = len(self._pending) >= self.flush_events
        _start_flusher()
        if is_full:
            self.flush()

    def is_due(self, monotonic_now: float) -> bool:
        """Say whether the oldest buffered request has waited ``flush_seconds``."""
        return bool(self._pending) and monotonic_now - self._first_pending_at >= self.flush_seconds

    def flush(self, *, now: datetime | None = None) -> int:
        """Write every buffered request in one transaction; return how many were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                with write_intent(), Session(self.engine) as session, session.begin():
                    return store_requests(session, batch, now=now or utcnow())
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                    del self._pending[: max(0, len(self._pending) - MAX_PENDING)]
                raise


_live_recorders: weakref.WeakSet[EventRecorder] = weakref.WeakSet()
_flusher_pid: int | None = None
_flusher_start = threading.Lock()


def _start_flusher() -> None:
    """Start this process's flushing thread once (after a fork, again in the child)."""
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    with _flusher_start:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
        threading.Thread(target=_flush_when_due, name="catalog-downloads", daemon=True).start()
        atexit.register(flush_all_recorders)


def _flush_when_due() -> None:
    """Write each recorder's buffer once its oldest request has waited long enough."""
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        for recorder in list(_live_recorders):
            if recorder.is_due(now):
                try:
                    recorder.flush()
                except Exception:
                    log.exception("could not write download events; will retry")


def flush_all_recorders() -> None:
    """Write what every recorder of this process still holds (at exit)."""
    for recorder in list(_live_recorders):
        try:
            recorder.flush()
        except Exception:
            log.exception("could not write download events at exit")


# ------------------------------------------------------------------ rollup


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return the first moment of a UTC day and of the next one."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def recent_days(*, now: datetime, days: int = 2) -> list[date]:
    """Return the last ``days`` UTC days up to today: what a periodic rollup refreshes."""
    today = utc_day(now)
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def days_with_events(session: DbSession) -> list[date]:
    """Return every UTC day from the first recorded event to the last."""
    first, last = session.execute(
        select(func.min(DownloadEvent.at), func.max(DownloadEvent.at))
    ).one()
    if first is None:
        return []
    first_day, last_day = utc_day(first), utc_day(last)
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def stored_events(session: DbSession, day: date) -> Iterator[StoredEvent]:
    """Yield the raw events of one UTC day in time order, a few thousand rows at a time."""
    start, end = day_bounds(day)
    columns = [getattr(DownloadEvent, field.name) for field in dataclasses.fields(StoredEvent)]
    rows = session.execute(
        select(*columns)
        .where(DownloadEvent.at >= start, DownloadEvent.at < end)
        .order_by(DownloadEvent.at, DownloadEvent.id)
        .execution_options(yield_per=INSERT_BATCH)
    )
    for row in rows:
        yield StoredEvent(*row)


def compute_daily_counts(session: DbSession, days: Iterable[date]) -> dict[date, list[DailyCount]]:
    """Count the downloads of each day from its raw events (reads only)."""
    facts = media_facts(session)
    return {
        day: rollup(count_downloads(stored_events(session, day), facts))
        for day in sorted(set(days))
    }


def store_daily_counts(session: DbSession, counts: dict[date, list[DailyCount]]) -> int:
    """Replace the rollup rows of each day by its new counts; return the downloads stored."""
    total = 0
    for day, day_counts in counts.items():
        session.execute(delete(DailyDownloads).where(DailyDownloads.day == day))
        rows = [dataclasses.asdict(count) for count in day_counts]
        if rows:
            session.execute(insert(DailyDownloads), rows)
        total += sum(count.downloads for count in day_counts)
    session.flush()
    return total


# ---------------------------------------------------------------- log import


def read_media_log(lines: Iterable[str], reader: NginxLogReader) -> Iterator[MediaRequest]:
    """Yield the media requests of an access log written in ``NGINX_LOG_FORMAT``."""
    return reader.read(lines)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an imported log held: requests stored, requests for unknown files, days touched."""

    stored: int
    unknown: int
    days: list[date]


def ingest_requests(
    session: DbSession, requests: Iterable[MediaRequest], *, now: datetime
) -> IngestResult:
    """Store logged requests for episode audio as events, in batches; return the days touched."""
    episodes = episode_ids_by_media_key(session)
    stored = unknown = 0
    days: set[date] = set()
    batch: list[MediaRequest] = []
    for request in requests:
        episode_id = episodes.get(request.media_key)
        if episode_id is None:
            unknown += 1
            continue
        batch.append(dataclasses.replace(request, episode_id=episode_id))
        days.add(utc_day(request.at))
        if len(batch) >= INSERT_BATCH:
            stored += store_requests(session, batch, now=now)
            batch = []
    if batch:
        stored += store_requests(session, batch, now=now)
    session.flush()
    return IngestResult(stored=stored, unknown=unknown, days=sorted(days))


# ------------------------------------------------------------------ stats


@dataclass(frozen=True, slots=True)
class EpisodeDownloads:
    """One episode's downloads: all time and in its first 7 and 30 days."""

    episode_id: int
    slug: str
    guid: str
    title: str
    released_at: datetime | None
    downloads: int
    first_7_days: ReleaseWindow | None
    first_30_days: ReleaseWindow | None


@dataclass(frozen=True, slots=True)
class ShowStats:
    """A show's downloads per episode (newest first), per UTC day and per app."""

    show_slug: str
    total: int
    episodes: list[EpisodeDownloads]
    by_day: dict[date, int]
    by_app: dict[str, int]


def daily_counts(
    session: DbSession,
    *,
    show_id: int | None = None,
    episode_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[DailyCount]:
    """Return rollup rows, optionally for one show or episode and a range of days."""
    query = select(
        DailyDownloads.day, DailyDownloads.episode_id, DailyDownloads.app, DailyDownloads.downloads
    ).order_by(DailyDownloads.day, DailyDownloads.episode_id, DailyDownloads.app)
    if show_id is not None:
        query = query.join(Episode, Episode.id == DailyDownloads.episode_id).where(
            Episode.show_id == show_id
        )
    if episode_id is not None:
        query = query.where(DailyDownloads.episode_id == episode_id)
    if since is not None:
        query = query.where(DailyDownloads.day >= since)
    if until is not None:
        query = query.where(DailyDownloads.day <= until)
    return [DailyCount(*row) for row in session.execute(query)]


def show_stats(session: DbSession, show: Show, *, now: datetime) -> ShowStats:
    """Return the numbers the studio and ``catalog stats`` show for one show."""
    counts = daily_counts(session, show_id=show.id)
    episodes = session.scalars(
        select(Episode).where(Episode.show_id == show.id).order_by(Episode.publish_at.desc())
    ).all()
    released = {
        episode.id: episode.publish_at
        for episode in episodes
        if episode.publish_at is not None and episode.is_published(now)
    }
    totals = totals_by_episode(counts)
    first_7 = downloads_after_release(counts, released, days=7, now=now)
    first_30 = downloads_after_release(counts, released, days=30, now=now)
    return ShowStats(
        show_slug=show.slug,
        total=sum(totals.values()),
        episodes=[
            EpisodeDownloads(
                episode_id=episode.id,
                slug=episode.slug,
                guid=episode.guid,
                title=episode.title,
                released_at=released.get(episode.id),
                downloads=totals.get(episode.id, 0),
                first_7_days=first_7.get(episode.id),
                first_30_days=first_30.get(episode.id),
            )
            for episode in episodes
        ],
        by_day=totals_by_day(counts),
        by_app=totals_by_app(counts),
    )
