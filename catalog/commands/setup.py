"""``catalog init`` and ``catalog run``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from catalog import schema


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database or upgrade it to the newest schema."""
    schema.upgrade_schema(current_app)
    click.echo("Database ready.")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@with_appcontext
def run_command(host: str, port: int, debug: bool) -> None:
    """Serve the catalog with the development server (use gunicorn in production)."""
    schema.check_schema_is_current(current_app)
    click.echo(f"Serving on http://{host}:{port}/")
    run_simple(
        host,
        port,
        current_app._get_current_object(),  # type: ignore[attr-defined]
        use_reloader=debug,
        use_debugger=debug,
        threaded=True,
    )
