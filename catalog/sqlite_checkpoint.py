"""Copy SQLite's write-ahead log back into the database beside the requests, not inside one.

By default SQLite checkpoints inside whichever commit takes the log past 1,000
pages: that commit writes every logged page a second time and waits for two
fsyncs (40-70 ms after a big show's feed build, more on a slower disk), and the
person who pressed Save waits with it. Here a commit only appends to the log;
when a connection that committed goes back to the pool, a thread of the process
checkpoints (PASSIVE: it waits for no reader and no writer), as PostgreSQL's
checkpointer does.

Nothing depends on the thread for correctness: the log is durable and complete
either way. If a process ends before its thread ran, the next commit of any
process asks again, and SQLite checkpoints when the last connection closes.
Should the thread fail altogether, a commit still checkpoints by itself once the
log holds ``COMMIT_CHECKPOINT_BYTES``. As before, a reader that keeps one
transaction open holds every later page in the log until it ends.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

# A commit checkpoints by itself only once the log holds this much: a safety net
# the background thread keeps from being reached (a 10,000-episode feed build
# logs about 40 MB).
COMMIT_CHECKPOINT_BYTES = 128 * 1024 * 1024
# Another process's checkpoint holds the checkpoint lock: try again this often.
_BUSY_RETRIES = 3
_COMMITTED = "catalog_committed"
_checkpointers: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()
_all_checkpointers: weakref.WeakSet[Checkpointer] = weakref.WeakSet()


class Checkpointer:
    """A per-process thread that checkpoints one SQLite file when asked, and ends when idle."""

    def __init__(self, database_path: str, idle_seconds: float = 10.0) -> None:
        # mode=rw: a file removed meanwhile is an error, never a new empty database.
        self._uri = Path(database_path).absolute().as_uri() + "?mode=rw"
        self._idle_seconds = idle_seconds
        self._start_afresh()
        _all_checkpointers.add(self)

    def _start_afresh(self) -> None:
        """Begin with no thread and nothing asked (also in a forked child, which has no thread)."""
        # Reentrant: a garbage collection inside ``request`` may check a leaked
        # connection back in, which calls ``request`` again on the same thread.
        self._lock = threading.RLock()
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._has_thread = False

    def request(self) -> None:
        """Ask for a checkpoint soon; start this process's thread if it has none running."""
        with self._lock:
            self._idle.clear()
            self._wanted.set()
            if self._has_thread:
                return
            self._has_thread = True
        try:
            threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True).start()
        except RuntimeError as error:  # at interpreter shutdown, for one
            with self._lock:
                self._has_thread = False
                self._idle.set()
            # The log stays valid; SQLite checkpoints when the last connection closes.
            logger.info("No background checkpoint of %s: %s", self._uri, error)

    @property
    def has_thread(self) -> bool:
        """Whether this process has a checkpoint thread (which ends after ``idle_seconds``)."""
        with self._lock:
            return self._has_thread

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every checkpoint asked for has run; False if ``timeout`` passed first."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        try:
            while True:
                if not self._wanted.wait(self._idle_seconds):
                    with self._lock:  # a request made now sees no thread and starts one
                        if not self._wanted.is_set():
                            self._has_thread = False
                            return
                    continue
                self._wanted.clear()
                self._checkpoint()
                with self._lock:
                    if not self._wanted.is_set():
                        self._idle.set()
        except BaseException:
            with self._lock:  # the next request starts a new thread; nobody waits forever
                self._has_thread = False
                self._idle.set()
            raise

    def _checkpoint(self) -> None:
        try:
            # A connection per checkpoint: cheap beside the checkpoint, and none is held
            # open on a file that a test or an operator may remove meanwhile.
            connection = sqlite3.connect(self._uri, uri=True, isolation_level=None)
            try:
                for attempt in range(1, _BUSY_RETRIES + 1):
                    busy, _logged, _copied = connection.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    ).fetchone()
                    if not busy:  # done, or held back by a reader: its next commit asks again
                        break
                    time.sleep(0.05 * attempt)  # another process is checkpointing
            finally:
                connection.close()
        except sqlite3.Error as error:
            logger.warning("SQLite checkpoint of %s failed: %s", self._uri, error)


def checkpoint_in_background(engine: Engine) -> None:
    """Make commits on ``engine`` (a SQLite file) leave checkpoints to a background thread."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # nothing on disk to checkpoint, or a URI we do not rewrite
    checkpointer = _checkpointers[engine] = Checkpointer(database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        (page_size,) = cursor.execute("PRAGMA page_size").fetchone()
        pages = max(1000, COMMIT_CHECKPOINT_BYTES // page_size)
        cursor.execute(f"PRAGMA wal_autocheckpoint = {pages}")
        cursor.close()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        # This runs just before the commit: ask only once the connection is back.
        connection.info[_COMMITTED] = True

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        try:
            if record is not None and record.info.pop(_COMMITTED, False):
                checkpointer.request()
        except Exception:  # the commit went through: never fail its caller now
            logger.exception("Could not ask for a background checkpoint")


def background_checkpointer(engine: Engine) -> Checkpointer | None:
    """Return the engine's background checkpointer, if its commits use one."""
    return _checkpointers.get(engine)


def _after_fork_in_child() -> None:
    for checkpointer in list(_all_checkpointers):
        checkpointer._start_afresh()


os.register_at_fork(after_in_child=_after_fork_in_child)
