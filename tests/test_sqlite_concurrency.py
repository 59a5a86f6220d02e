"""Two processes writing to one SQLite file never get "database is locked"."""

from __future__ import annotations

import multiprocessing
import sqlite3
import traceback

import pytest
from sqlalchemy import select

from catalog import create_app, schema
from catalog.database import write_intent
from catalog.extensions import db
from catalog.models import Show
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
