"""Fixtures: a real database (SQLite file, or PostgreSQL with --postgres), the app, clients."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from catalog import create_app
from catalog.extensions import db
from tests.postgres_server import PostgresServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        help="run the database tests on a PostgreSQL server started from the installed binaries",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return "database: " + (
        "PostgreSQL (server started by the test setup)"
        if config.getoption("--postgres")
        else "SQLite file"
    )


@pytest.fixture(scope="session")
def database_kind(request: pytest.FixtureRequest) -> str:
    return "postgresql" if request.config.getoption("--postgres") else "sqlite"


@pytest.fixture(scope="session")
def template_database(
    database_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Create a database at the newest migration once per run; tests get copies or clean tables."""
    if database_kind == "postgresql":
        server = PostgresServer()
        url = server.start()
        print(f"\nPostgreSQL started from {server.bin_dir} on port {server.port}")
        try:
            _migrate(url, tmp_path_factory.mktemp("pg-media"))
            yield url
        finally:
            server.stop()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{path}"
        _migrate(url, tmp_path_factory.mktemp("media"))
        yield url


def _migrate(url: str, media_root: Path) -> None:
    from catalog import schema

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CATALOG_MEDIA_ROOT": str(media_root),
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        schema.upgrade_schema(app)
        db.engine.dispose()


@pytest.fixture
def database_url(template_database: str, database_kind: str, tmp_path: Path) -> Iterator[str]:
    """Return a database with the current schema and no rows, for one test."""
    if database_kind == "sqlite":
        copy = tmp_path / "catalog.db"
        # SQLite's backup API, not a file copy: recent commits may still be in the
        # template's write-ahead log, which a background thread checkpoints.
        with closing(sqlite3.connect(template_database.removeprefix("sqlite:///"))) as source:
            with closing(sqlite3.connect(copy)) as target:
                source.backup(target)
        yield f"sqlite:///{copy}"
        return
    yield template_database
    engine = create_engine(template_database)
    with engine.begin() as connection:
        tables = [
            name
            for name in connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            if name != "alembic_version"
        ]
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CATALOG_MEDIA_ROOT": str(tmp_path / "media"),
        "CATALOG_BASE_URL": "http://podcasts.example.org",
        "SECRET_KEY": "test-secret",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
