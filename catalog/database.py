"""Database engine tuning and the column types every model shares.

SQLite serves several worker processes: WAL lets readers run beside one writer,
the busy timeout makes a second writer wait instead of failing, and write
transactions start with ``BEGIN IMMEDIATE``. A deferred transaction that reads
and then writes cannot wait for the lock under WAL (SQLite answers "database is
locked" at once, because waiting could not help a snapshot that is already
stale), so a unit of work that will write must take the write lock first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Select, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from catalog.sqlite_checkpoint import checkpoint_in_background

_writing: ContextVar[bool] = ContextVar("catalog_writing", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark transactions begun inside the block as writes (``BEGIN IMMEDIATE`` on SQLite)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def set_write_intent(value: bool) -> None:
    """Mark (or unmark) transactions begun from now on in this context as writes."""
    _writing.set(value)


def tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Configure a SQLite engine for several processes: WAL, busy timeout, immediate writes.

    Commits leave checkpointing the log to a background thread (see
    ``catalog.sqlite_checkpoint``).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Only a new, empty file takes this (an existing one keeps its pages).
        # A feed's item fragments are a few KB each: at 16 KiB four share a page
        # instead of one per 4 KiB page, and storing a big show's 10,000 of them
        # (insert, commit, checkpoint) took a third less time.
        cursor.execute("PRAGMA page_size = 16384")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")

    checkpoint_in_background(engine)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite has no time zones: values are stored as naive UTC and come back aware.
    Naive datetimes are refused, because guessing their zone is how feeds end up
    an hour off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """Read SQLite's ISO 8601 text with ``fromisoformat``, several times faster than its regex.

        A 10,000-episode feed reads 10,000 publish times.
        """
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        fallback = super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if isinstance(value, str):
                return self.process_result_value(datetime.fromisoformat(value), dialect)
            return fallback(value) if fallback is not None else value

        return process


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime: the one clock of the catalog."""
    return datetime.now(UTC)


class HotRead:
    """One small, fixed SELECT run on a pooled DBAPI connection, outside SQLAlchemy's transactions.

    Why: a podcast app polling its feed is the most frequent request of all,
    and for one indexed row SQLAlchemy's connection, ``BEGIN`` and rollback
    cost more than the query. The statement is compiled once per dialect and
    its columns' result types (aware datetimes, booleans) still apply.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, list[str] | None, list[Any]]] = {}

    def one_or_none(self, engine: Engine, **parameters: Any) -> tuple[Any, ...] | None:
        """Run the statement with ``parameters`` and return its only row, or None."""
        sql, order, processors = self._compile(engine.dialect)
        bound: Any = tuple(parameters[name] for name in order) if order else parameters
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, bound)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back any implicit transaction
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )

    def _compile(self, dialect: Dialect) -> tuple[str, list[str] | None, list[Any]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._statement.compile(dialect=dialect)
            order = list(statement.positiontup) if statement.positiontup else None
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self._statement.selected_columns
            ]
            compiled = self._compiled[dialect.name] = (str(statement), order, processors)
        return compiled
