"""Keep each show's built feed in the database and know when it must be rebuilt.

Why it works with many processes: the built feed (its state in ``FeedCache``,
the bytes around its items in ``FeedFrame``) and each episode's ``<item>``
(``FeedItemCache``) live in the database, and every change
to a show, an episode, its credits, people, chapters, transcripts or media
marks the cache stale *in the same transaction* (SQLAlchemy flush events, so no
caller has to remember). Once the change commits, every process sees the stale
mark on its next request.

Rebuilds are lazy: the first request after a change (or after the next
scheduled episode's publish time, ``valid_until``) rebuilds, rendering only the
items whose fragment was dropped. A burst of edits costs one rebuild, and the
editor's request never waits for a 10,000-episode feed. ``catalog feeds
rebuild`` warms the cache eagerly.

Concurrency: a rebuild locks the show's cache row first (``SELECT ... FOR
UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` serializes SQLite) and re-checks it,
so concurrent requests build once. Writers mark the row through an upsert that
waits for that lock, so a build can never overwrite a newer stale mark.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, Final

from sqlalchemy import bindparam, delete, event, func, insert, inspect, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, UOWTransaction

from catalog.database import HotRead, UTCDateTime, utcnow
from catalog.errors import NotFound
from catalog.feed import join_feed, render_frame, render_items
from catalog.feed_source import (
    VISIBLE_STATUSES,
    feed_channel,
    is_visible,
    load_feed_items,
)
from catalog.links import SiteLinks
from catalog.models import (
    Chapter,
    Credit,
    Episode,
    FeedCache,
    FeedFrame,
    FeedItemCache,
    MediaFile,
    Person,
    Show,
    Transcript,
)

# Podcast apps poll every few minutes to hours; CDNs may serve a slightly old
# copy while they revalidate, and keep serving it if we are down.
MAX_AGE_SECONDS: Final = 300
CACHE_CONTROL: Final = "public, max-age={max_age}, stale-while-revalidate=600, stale-if-error=86400"
# Each process keeps the newest copy of each feed it serves, up to this many
# bytes in all (the most recently served always).
_MEMO_BYTES: Final = 256 * 1024 * 1024
# Compressed once per process and ETag, so the best ratio is affordable.
_GZIP_LEVEL: Final = 6
_PENDING: Final = "catalog_feed_invalidation"


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a request needs to answer conditionally, without the body."""

    show_id: int
    new_feed_url: str
    etag: str
    built_at: datetime
    valid_until: datetime | None
    is_fresh: bool


class FeedBody:
    """The feed document; its gzipped copy is made on first demand, once per process.

    It also knows where each episode's ``<item>`` lies in it, so the next
    rebuild in this process takes unchanged items from here instead of
    reading them all back from the database.
    """

    __slots__ = ("_gzip", "_lock", "body", "items")

    def __init__(self, body: bytes, items: dict[int, tuple[int, int]]) -> None:
        self.body = body
        self.items = items  # episode id -> (start, end) of its fragment in body
        self._gzip: bytes | None = None
        self._lock = Lock()

    @classmethod
    def join(
        cls, head: bytes, fragments: list[tuple[int, bytes | memoryview]], tail: bytes
    ) -> FeedBody:
        """Join a frame and ``(episode id, fragment)`` pairs in feed order."""
        items = {}
        start = len(head)
        for episode_id, fragment in fragments:
            items[episode_id] = (start, start + len(fragment))
            start += len(fragment)
        return cls(join_feed(head, (fragment for _, fragment in fragments), tail), items)

    def fragments(self, episode_ids: Iterable[int]) -> dict[int, memoryview] | None:
        """Return the fragments of ``episode_ids`` without copying, or None if one is not here."""
        view = memoryview(self.body)
        try:
            return {episode_id: view[slice(*self.items[episode_id])] for episode_id in episode_ids}
        except KeyError:
            return None

    @property
    def body_gzip(self) -> bytes:
        """Return the document gzipped, compressing it the first time only."""
        if self._gzip is None:
            with self._lock:
                if self._gzip is None:
                    self._gzip = gzip.compress(self.body, compresslevel=_GZIP_LEVEL, mtime=0)
        return self._gzip


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """The feed after a rebuild, and how many items it rendered and how many it reused."""

    state: FeedState
    body: FeedBody
    rendered: int
    reused: int


# Bodies this process has read or built, by ETag (a content hash, so a hit is
# always the right bytes, whichever database or process built them), and the
# ETag of each show's copy: a rebuild replaces its show's copy, since no request
# asks for an older ETag's bytes (it gets the new feed or a 304 against the new ETag).
_memo: OrderedDict[str, FeedBody] = OrderedDict()
_memo_etag_by_show: dict[int, tuple[str, datetime]] = {}
_memo_lock = Lock()


_STATE_QUERY: Final = (
    select(
        Show.id,
        Show.new_feed_url,
        FeedCache.etag,
        FeedCache.built_at,
        FeedCache.valid_until,
        FeedCache.is_stale,
    )
    .outerjoin(FeedCache, FeedCache.show_id == Show.id)
    .where(Show.slug == bindparam("show_slug"))
)


_STATE_READ: Final = HotRead(_STATE_QUERY)


def feed_state(database: Engine | Session | Connection, show_slug: str, now: datetime) -> FeedState:
    """Read the show's cache state, in one indexed query; raise NotFound for an unknown show.

    Given the engine, it reads on a bare pooled connection: serving a feed
    needs neither the ORM session nor a transaction.
    """
    if isinstance(database, Engine):
        row = _STATE_READ.one_or_none(database, show_slug=show_slug)
    else:
        row = database.execute(_STATE_QUERY, {"show_slug": show_slug}).one_or_none()
    if row is None:
        raise NotFound(f"There is no show at “{show_slug}”.")
    show_id, new_feed_url, etag, built_at, valid_until, is_stale = row
    is_fresh = bool(etag) and not is_stale and (valid_until is None or now < valid_until)
    return FeedState(show_id, new_feed_url, etag or "", built_at or now, valid_until, is_fresh)


def feed_body(database: Session | Connection, state: FeedState) -> FeedBody | None:
    """Return the bytes of the feed ``state`` describes, or None when it has changed since.

    This process's copy answers when it has one; otherwise the feed is joined
    from its stored frame and item fragments and checked against the ETag, so
    a build or an edit committed meanwhile by another process is never served
    under the wrong name. On None, :func:`refresh_feed` settles it.
    """
    cached = _recall(state.etag)
    if cached is not None:
        return cached
    frame = database.execute(
        select(FeedFrame.head, FeedFrame.tail).where(
            FeedFrame.show_id == state.show_id, FeedFrame.etag == state.etag
        )
    ).one_or_none()
    if frame is None:
        return None
    listing = _feed_listing(database, state.show_id, state.built_at)
    stored = _stored_fragments(database, state.show_id)
    if any(episode_id not in stored for episode_id, _ in listing):
        return None  # an episode changed after the state was read
    body = FeedBody.join(
        frame.head, [(episode_id, stored[episode_id]) for episode_id, _ in listing], frame.tail
    )
    if _etag_of(body.body) != state.etag:
        return None
    return _remember(state.show_id, state.etag, body, state.built_at)


def _feed_listing(
    database: Session | Connection, show_id: int, moment: datetime
) -> list[tuple[int, bool]]:
    """Return the show's items visible at ``moment`` in feed order, and whether each is cached."""
    rows = database.execute(
        select(Episode.id, FeedItemCache.episode_id.is_not(None))
        .outerjoin(FeedItemCache, FeedItemCache.episode_id == Episode.id)
        .where(Episode.show_id == show_id, is_visible(moment))
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    )
    return [(episode_id, bool(is_cached)) for episode_id, is_cached in rows]


def _stored_fragments(database: Session | Connection, show_id: int) -> dict[int, bytes]:
    """Read every cached item fragment of the show."""
    rows = database.execute(
        select(FeedItemCache.episode_id, FeedItemCache.fragment)
        .join(Episode, Episode.id == FeedItemCache.episode_id)
        .where(Episode.show_id == show_id)
    )
    return {episode_id: fragment for episode_id, fragment in rows}


def _etag_of(body: bytes) -> str:
    """Name a feed document by its content, so every process agrees on it."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def forget_copies() -> None:
    """Drop this process's copies of feed bodies; the next requests re-join and check them."""
    with _memo_lock:
        _memo.clear()
        _memo_etag_by_show.clear()


def _recall(etag: str) -> FeedBody | None:
    """Return this process's copy of the feed named ``etag``, if it has one."""
    with _memo_lock:
        cached = _memo.get(etag)
        if cached is not None:
            _memo.move_to_end(etag)
        return cached


def _remember(show_id: int, etag: str, body: FeedBody, built_at: datetime) -> FeedBody:
    """Keep ``body`` as the show's copy unless a newer one is kept; forget beyond the cap."""
    with _memo_lock:
        current = _memo_etag_by_show.get(show_id)
        if current is not None and current[0] != etag:
            if current[1] > built_at:
                return body  # joined from an older build: serve it, keep the newer copy
            _memo.pop(current[0], None)
        _memo_etag_by_show[show_id] = (etag, built_at)
        _memo[etag] = body
        _memo.move_to_end(etag)
        size = sum(len(kept.body) for kept in _memo.values())
        while size > _MEMO_BYTES and len(_memo) > 1:
            size -= len(_memo.popitem(last=False)[1].body)
    return body


def refresh_feed(
    session: Session, show_slug: str, links: SiteLinks, now: datetime, *, force: bool = False
) -> RefreshResult:
    """Rebuild the show's feed if it is stale (or ``force``), rendering only missing items.

    Afterwards this process holds the feed's bytes (``feed_body`` answers at
    once). Call inside a write transaction (``write_intent``); the caller commits.
    """
    show = session.scalar(select(Show).where(Show.slug == show_slug))
    if show is None:
        raise NotFound(f"There is no show at “{show_slug}”.")
    _ensure_cache_row(session, show.id, now)
    cache = session.execute(
        select(
            FeedCache.etag,
            FeedCache.built_at,
            FeedCache.valid_until,
            FeedCache.is_stale,
            FeedCache.feed_url,
        )
        .where(FeedCache.show_id == show.id)
        .with_for_update()
    ).one()
    is_fresh = (
        bool(cache.etag)
        and not cache.is_stale
        and (cache.valid_until is None or now < cache.valid_until)
    )
    if not force and is_fresh:  # another request rebuilt it while we waited
        state = FeedState(
            show.id, show.new_feed_url, cache.etag, cache.built_at, cache.valid_until, True
        )
        body = feed_body(session, state)
        if body is not None:
            return RefreshResult(state, body, 0, 0)
        force = True  # fresh by its state, yet its parts do not make its ETag: start over
    feed_url = links.feed(show.slug)
    if force or cache.feed_url != feed_url:
        # A forced rebuild, or the base URL or slug changed: every item's links changed.
        drop_show_fragments(session, [show.id])
    # Reading and rendering make about a million short-lived objects and no
    # cycles; the collector stays off until they are gone, not while storing.
    with _collector_paused():
        built = _build(session, show, cache.etag, links, now)
    connection = session.connection()
    if built.rendered:
        _insert_fragments(connection, built.rendered, now)
    valid_until = session.scalar(
        select(func.min(Episode.publish_at)).where(
            Episode.show_id == show.id,
            Episode.status.in_(VISIBLE_STATUSES),
            Episode.publish_at > now,
        )
    )
    upsert = (
        _dialect(session)
        .insert(FeedFrame)
        .values(show_id=show.id, etag=built.etag, head=built.head, tail=built.tail)
    )
    connection.execute(
        upsert.on_conflict_do_update(
            index_elements=["show_id"],
            set_={
                "etag": upsert.excluded.etag,
                "head": upsert.excluded.head,
                "tail": upsert.excluded.tail,
            },
        )
    )
    connection.execute(
        update(FeedCache)
        .where(FeedCache.show_id == show.id)
        .values(
            etag=built.etag,
            built_at=now,
            valid_until=valid_until,
            is_stale=False,
            feed_url=feed_url,
        )
    )
    state = FeedState(show.id, show.new_feed_url, built.etag, now, valid_until, True)
    _remember(show.id, built.etag, built.body, now)
    return RefreshResult(state, built.body, len(built.rendered), built.reused)


@dataclass(frozen=True, slots=True)
class _Built:
    """A feed just joined: its bytes, frame and ETag, and the items rendered for it."""

    body: FeedBody
    head: bytes
    tail: bytes
    etag: str
    rendered: dict[int, memoryview]
    reused: int


def _build(
    session: Session, show: Show, previous_etag: str, links: SiteLinks, now: datetime
) -> _Built:
    """Render the show's items that have no fragment and join the feed (reads only)."""
    listing = _feed_listing(session, show.id, now)
    missing = [episode_id for episode_id, is_cached in listing if not is_cached]
    items = load_feed_items(session, show, missing, links)
    rendered = dict(zip(items, render_items(items.values()), strict=True))
    del items
    kept = _kept_fragments(session, show.id, previous_etag, listing)
    head, tail = render_frame(feed_channel(show, links, now))
    body = FeedBody.join(
        head,
        [
            (episode_id, kept[episode_id] if is_cached else rendered[episode_id])
            for episode_id, is_cached in listing
        ],
        tail,
    )
    return _Built(body, head, tail, _etag_of(body.body), rendered, len(listing) - len(rendered))


def _kept_fragments(
    session: Session, show_id: int, etag: str, listing: list[tuple[int, bool]]
) -> dict[int, bytes | memoryview]:
    """Return the cached fragments the rebuild keeps, from this process's copy when it has one.

    A cached fragment never changes (an edit deletes it), so the copy of the
    feed named by the cache row's current ETag holds exactly the stored bytes.
    """
    wanted = [episode_id for episode_id, is_cached in listing if is_cached]
    previous = _recall(etag) if etag else None
    sliced = previous.fragments(wanted) if previous is not None else None
    if sliced is not None:
        return dict(sliced)
    return dict(_stored_fragments(session, show_id))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a feed is built.

    A 10,000-episode build makes about a million short-lived objects (rows,
    items, lxml proxies, fragments) and none of them cyclic, yet each few
    hundred would trigger a collection over the growing heap: a fifth of the
    build's time. Concurrent builds in one process leave it enabled at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _insert_fragments(
    connection: Connection, fragments: Mapping[int, bytes | memoryview], now: datetime
) -> None:
    """Insert rendered items in one executemany of plain tuples, bypassing per-row ORM work."""
    table = FeedItemCache.__table__
    dialect = connection.dialect
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if marker is None:  # a driver we have no plain spelling for: let SQLAlchemy bind
        connection.execute(
            insert(table),
            [
                {"episode_id": episode_id, "fragment": fragment, "rendered_at": now}
                for episode_id, fragment in fragments.items()
            ],
        )
        return
    to_db = table.c.rendered_at.type.bind_processor(dialect)
    rendered_at = to_db(now) if to_db is not None else now
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} (episode_id, fragment, rendered_at) "
        f"VALUES ({marker}, {marker}, {marker})",
        [(episode_id, fragment, rendered_at) for episode_id, fragment in fragments.items()],
    )


def refresh_all(
    session: Session, links: SiteLinks, now: datetime, *, force: bool = False
) -> dict[str, RefreshResult]:
    """Rebuild every show's feed that needs it (all of them with ``force``)."""
    slugs = list(session.scalars(select(Show.slug).order_by(Show.slug)))
    return {slug: refresh_feed(session, slug, links, now, force=force) for slug in slugs}


def cache_control(state: FeedState, now: datetime) -> str:
    """Say how long apps and CDNs may keep the feed: never past the next scheduled episode."""
    max_age = MAX_AGE_SECONDS
    if state.valid_until is not None:
        max_age = max(0, min(max_age, int((state.valid_until - now).total_seconds())))
    return CACHE_CONTROL.format(max_age=max_age)


def gzip_etag(etag: str) -> str:
    """Name the gzipped representation: a strong ETag must differ per content coding."""
    return etag[:-1] + '-gzip"'


def mark_shows_stale(connection: Connection, show_ids: Iterable[int]) -> None:
    """Mark the shows' feeds stale, creating placeholder rows, in lock order."""
    ids = sorted(set(show_ids))
    if not ids:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(FeedCache).from_select(
        ["show_id", "etag", "built_at", "valid_until", "is_stale", "feed_url"],
        select(
            Show.id,
            literal(""),
            literal(utcnow(), UTCDateTime()),
            literal(None, UTCDateTime()),
            literal(True),
            literal(""),
        )
        .where(Show.id.in_(ids))
        .order_by(Show.id),
    )
    connection.execute(
        statement.on_conflict_do_update(index_elements=["show_id"], set_={"is_stale": True})
    )


def drop_show_fragments(session: Session, show_ids: Iterable[int]) -> None:
    """Forget every rendered item of the shows, so the next build renders them all."""
    ids = list(show_ids)
    if ids:
        session.execute(
            delete(FeedItemCache).where(
                FeedItemCache.episode_id.in_(select(Episode.id).where(Episode.show_id.in_(ids)))
            )
        )


def _ensure_cache_row(session: Session, show_id: int, now: datetime) -> None:
    """Create a stale placeholder row for a show built for the first time, so it can be locked."""
    session.execute(
        _dialect(session)
        .insert(FeedCache)
        .values(show_id=show_id, etag="", built_at=now, is_stale=True, feed_url="")
        .on_conflict_do_nothing(index_elements=["show_id"])
    )


def _dialect(session: Session) -> Any:
    """Return the dialect module whose ``insert`` can upsert on this database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


# --- Invalidation: flush events mark what a change affects -------------------


@dataclass
class _Pending:
    """What one flush changes, gathered before it runs and resolved after."""

    show_ids: set[int]
    moved_show_ids: set[int]  # slug changed: every item's links changed
    episode_ids: set[int]
    person_ids: set[int]
    media_ids: set[int]
    new_objects: list[Any]


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Note what the flush changes while deleted rows can still be read."""
    pending = _Pending(set(), set(), set(), set(), set(), [])
    for obj in session.dirty:
        if isinstance(obj, _WATCHED) and session.is_modified(obj, include_collections=False):
            _note(obj, pending, is_deleted=False)
    for obj in session.deleted:
        if isinstance(obj, _WATCHED):
            _note(obj, pending, is_deleted=True)
    pending.new_objects = [obj for obj in session.new if isinstance(obj, _WATCHED)]
    if pending.new_objects or any(
        (pending.show_ids, pending.episode_ids, pending.person_ids, pending.media_ids)
    ):
        session.info[_PENDING] = pending
    else:
        session.info.pop(_PENDING, None)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Drop the changed episodes' fragments and mark their shows stale, in the same transaction."""
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    for obj in pending.new_objects:
        _note(obj, pending, is_deleted=False)
    connection = session.connection()
    episode_ids = set(pending.episode_ids)
    person_ids = set(pending.person_ids)
    if pending.media_ids:
        media = list(pending.media_ids)
        episode_ids.update(
            connection.scalars(
                select(Episode.id).where(
                    Episode.audio_id.in_(media) | Episode.artwork_id.in_(media)
                )
            )
        )
        episode_ids.update(
            connection.scalars(select(Chapter.episode_id).where(Chapter.image_id.in_(media)))
        )
        person_ids.update(connection.scalars(select(Person.id).where(Person.photo_id.in_(media))))
        pending.show_ids.update(
            connection.scalars(select(Show.id).where(Show.artwork_id.in_(media)))
        )
    if person_ids:
        episode_ids.update(
            connection.scalars(
                select(Credit.episode_id).where(Credit.person_id.in_(list(person_ids)))
            )
        )
    show_ids = set(pending.show_ids) | pending.moved_show_ids
    if episode_ids:
        show_ids.update(
            connection.scalars(select(Episode.show_id).where(Episode.id.in_(list(episode_ids))))
        )
    # Lock order (cache rows first, then fragments) matches refresh_feed's; see the module doc.
    mark_shows_stale(connection, show_ids)
    if episode_ids:
        connection.execute(
            delete(FeedItemCache).where(FeedItemCache.episode_id.in_(sorted(episode_ids)))
        )
    if pending.moved_show_ids:
        connection.execute(
            delete(FeedItemCache).where(
                FeedItemCache.episode_id.in_(
                    select(Episode.id).where(Episode.show_id.in_(pending.moved_show_ids))
                )
            )
        )


def _note(obj: Any, pending: _Pending, *, is_deleted: bool) -> None:
    """Record which shows, episodes, people or media ``obj``'s change affects."""
    if isinstance(obj, Show):
        if obj.id is not None and not is_deleted:
            pending.show_ids.add(obj.id)
            if inspect(obj).attrs.slug.history.deleted:
                pending.moved_show_ids.add(obj.id)
    elif isinstance(obj, Episode):
        if obj.id is not None:
            pending.episode_ids.add(obj.id)
        pending.show_ids.update(_values(obj, "show_id"))
        show = obj.__dict__.get("show")  # set but not yet flushed into show_id
        if show is not None and show.id is not None:
            pending.show_ids.add(show.id)
    elif isinstance(obj, (Credit, Chapter, Transcript)):
        pending.episode_ids.update(_values(obj, "episode_id"))
        episode = obj.__dict__.get("episode")
        if episode is not None and episode.id is not None:
            pending.episode_ids.add(episode.id)
    elif isinstance(obj, Person):
        if obj.id is not None:
            pending.person_ids.add(obj.id)
    elif isinstance(obj, MediaFile) and obj.id is not None and not is_deleted:
        pending.media_ids.add(obj.id)


def _values(obj: Any, attribute: str) -> set[int]:
    """Return the current and previous value of a foreign key (an episode may move shows)."""
    history = inspect(obj).attrs[attribute].history
    values = {getattr(obj, attribute), *history.deleted}
    return {value for value in values if value is not None}


_WATCHED: Final = (Show, Episode, Credit, Chapter, Transcript, Person, MediaFile)

if not event.contains(Session, "before_flush", _before_flush):
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
