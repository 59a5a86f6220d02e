"""Create, upgrade and check the database schema (Alembic through Flask-Migrate)."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from catalog.errors import ConfigurationError
from catalog.extensions import db, migrate


def _display_url(app: Flask) -> str:
    return db.engine.url.render_as_string(hide_password=True)


def check_connection(app: Flask) -> None:
    """Connect once, so an unreachable database fails at start with one clear line."""
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigurationError(
            f"Cannot reach the database {_display_url(app)}: {reason}"
        ) from None


def upgrade_schema(app: Flask) -> None:
    """Create the database or bring it to the newest revision."""
    check_connection(app)
    upgrade(directory=migrate.directory)


def check_schema_is_current(app: Flask) -> None:
    """Refuse to serve a database that lacks tables the code expects."""
    check_connection(app)
    head = ScriptDirectory(migrate.directory).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise ConfigurationError(
            f"The database {_display_url(app)} is at revision {current or 'none'}, "
            f"the code needs {head}: run `catalog init`."
        )
