"""Two processes writing to one SQLite file never get "database is locked"."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
import traceback
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog import create_app, schema
from catalog.database import write_intent
from catalog.extensions import db
from catalog.models import Show
from catalog.sqlite_checkpoint import COMMIT_CHECKPOINT_BYTES, Checkpointer, background_checkpointer
from tests.factories import make_show

INCREMENTS = 150


def _increment_many(database_url: str, media_root: str, results: multiprocessing.Queue) -> None:
    """Read a counter and write it back, in one transaction, many times."""
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "CATALOG_MEDIA_ROOT": media_root,
                "SECRET_KEY": "x",
            }
        )
        with app.app_context():
            for _ in range(INCREMENTS):
                with write_intent():
                    show = db.session.scalars(select(Show).where(Show.slug == "counter")).one()
                    show.title = str(int(show.title) + 1)
                    db.session.commit()
        results.put("ok")
    except Exception:
        results.put(traceback.format_exc())


@pytest.fixture
def sqlite_app_config(tmp_path):
    """A migrated SQLite file, also when the rest of the run uses PostgreSQL."""
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
        "CATALOG_MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": "x",
    }
    app = create_app(config)
    with app.app_context():
        schema.upgrade_schema(app)
        make_show(slug="counter", title="0")
        db.session.commit()
        background_checkpointer(db.engine).wait_idle(30)
        db.engine.dispose()
    return config


def test_two_processes_read_then_write_without_lock_errors(sqlite_app_config):
    app_config = sqlite_app_config
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(
            target=_increment_many,
            args=(app_config["SQLALCHEMY_DATABASE_URI"], app_config["CATALOG_MEDIA_ROOT"], results),
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == ["ok", "ok"], "\n".join(outcomes)
    with create_app(app_config).app_context():
        final = db.session.scalar(select(Show.title).where(Show.slug == "counter"))
        db.engine.dispose()
    assert final == str(2 * INCREMENTS)


def test_deferred_transaction_that_reads_then_writes_fails_at_once(tmp_path):
    """The failure ``BEGIN IMMEDIATE`` prevents: a stale snapshot cannot wait for the lock."""
    path = tmp_path / "plain.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE counter (value INTEGER)")
    setup.execute("INSERT INTO counter VALUES (0)")
    first = sqlite3.connect(path, isolation_level=None, timeout=5)
    second = sqlite3.connect(path, isolation_level=None, timeout=5)
    first.execute("BEGIN")
    first.execute("SELECT value FROM counter").fetchone()
    second.execute("BEGIN IMMEDIATE")
    second.execute("UPDATE counter SET value = value + 1")
    second.execute("COMMIT")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        first.execute("UPDATE counter SET value = value + 1")


def test_a_new_sqlite_file_has_large_pages_and_a_write_ahead_log(sqlite_app_config):
    # A feed's item fragments are a few KB each: at 16 KiB four share a page,
    # where at 4 KiB each took its own.
    path = sqlite_app_config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (16384,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def _main_file_size(config: dict[str, str]) -> int:
    return Path(config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).stat().st_size


def _write_blob(size: int) -> None:
    with write_intent():
        show = db.session.scalars(select(Show).where(Show.slug == "counter")).one()
        show.description_html = "x" * size
        db.session.commit()


def test_a_commit_leaves_the_checkpoint_to_a_background_thread(sqlite_app_config):
    app = create_app(sqlite_app_config)
    with app.app_context():
        checkpointer = background_checkpointer(db.engine)
        assert checkpointer is not None
        assert checkpointer.wait_idle(30)
        before = _main_file_size(sqlite_app_config)
        with db.engine.connect() as connection:
            # Commits checkpoint by themselves only as a safety net, far above 1,000 pages.
            pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            assert pages == COMMIT_CHECKPOINT_BYTES // 16384
        _write_blob(4_000_000)  # far below either threshold: only the thread copies it back
        assert checkpointer.wait_idle(30)
        assert _main_file_size(sqlite_app_config) - before > 3_500_000
        db.engine.dispose()


def test_a_checkpoint_waits_for_no_reader_and_catches_up_after_it(sqlite_app_config):
    path = sqlite_app_config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    app = create_app(sqlite_app_config)
    with app.app_context():
        checkpointer = background_checkpointer(db.engine)
        assert checkpointer.wait_idle(30)
        before = _main_file_size(sqlite_app_config)
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            assert reader.execute("SELECT title FROM show").fetchone() == ("0",)
            _write_blob(4_000_000)  # commits while the reader holds its older snapshot
            assert checkpointer.wait_idle(3)  # PASSIVE: the checkpoint does not wait for it
            # The reader still sees its snapshot, so the new pages stay in the log.
            assert reader.execute("SELECT length(description_html) FROM show").fetchone()[0] < 10
            assert _main_file_size(sqlite_app_config) - before < 1_000_000
        finally:
            reader.execute("COMMIT")
            reader.close()
        _write_blob(10)  # the next commit asks again, and nothing holds the log back now
        assert checkpointer.wait_idle(30)
        assert _main_file_size(sqlite_app_config) - before > 3_500_000
        db.engine.dispose()


def test_an_idle_checkpoint_thread_ends_and_the_next_commit_starts_another(tmp_path):
    database = tmp_path / "idle.db"
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.execute("CREATE TABLE blob (value BLOB)")
    connection.close()
    checkpointer = Checkpointer(str(database), idle_seconds=0.5)
    for _ in range(2):
        before = database.stat().st_size
        with sqlite3.connect(database, isolation_level=None) as connection:
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            connection.execute("INSERT INTO blob VALUES (zeroblob(1000000))")
            checkpointer.request()
            assert checkpointer.has_thread
            assert checkpointer.wait_idle(30)
            assert database.stat().st_size >= before + 990_000
        connection.close()
        deadline = time.monotonic() + 30
        while checkpointer.has_thread and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not checkpointer.has_thread


def test_a_removed_database_file_is_not_created_again_by_the_checkpoint(tmp_path):
    database = tmp_path / "gone.db"
    checkpointer = Checkpointer(str(database))
    checkpointer.request()
    assert checkpointer.wait_idle(30)
    assert not database.exists()


def test_a_forked_child_starts_its_own_checkpoint_thread(tmp_path):
    database = tmp_path / "forked.db"
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    checkpointer = Checkpointer(str(database))
    checkpointer.request()  # the parent's thread, which the child does not inherit
    assert checkpointer.wait_idle(30)
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        code = 1
        try:
            started = not checkpointer.has_thread and checkpointer.wait_idle(0)
            checkpointer.request()
            code = 0 if started and checkpointer.has_thread and checkpointer.wait_idle(30) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_older_file_with_small_pages_gets_the_same_safety_net_in_bytes(tmp_path):
    database = tmp_path / "small-pages.db"
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "CATALOG_MEDIA_ROOT": str(tmp_path / "media"),
            "SECRET_KEY": "x",
        }
    )
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == COMMIT_CHECKPOINT_BYTES // 4096
    with app.app_context():
        db.engine.dispose()


def test_a_thread_that_cannot_start_leaves_nobody_waiting_and_the_next_request_tries_again(
    tmp_path, monkeypatch
):
    # Python refuses new threads at interpreter shutdown, where commits still
    # happen (download events are flushed at exit).
    database = tmp_path / "refused.db"
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    checkpointer = Checkpointer(str(database))

    def refuse(_thread: object) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", refuse)
        checkpointer.request()
    assert checkpointer.wait_idle(0)
    assert not checkpointer.has_thread
    checkpointer.request()
    assert checkpointer.has_thread
    assert checkpointer.wait_idle(30)
