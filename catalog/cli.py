"""The ``catalog`` command: thin shells over domain functions."""

from __future__ import annotations

import functools
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from catalog.errors import CatalogError


def _create_app() -> Flask:
    from catalog import create_app

    return create_app()


def _one_line_errors(command: click.Command) -> None:
    """Make ``command`` (and its subcommands) print a domain error as one line and exit 1."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _one_line_errors(subcommand)
    callback = command.callback
    if callback is None or getattr(callback, "_catalog_errors", False):
        return

    @functools.wraps(callback)
    def reporting(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except CatalogError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)

    reporting._catalog_errors = True  # type: ignore[attr-defined]
    command.callback = reporting


def main() -> None:
    """Run the ``catalog`` command line."""
    cli = FlaskGroup(create_app=_create_app, add_version_option=False, add_default_commands=False)
    from flask.cli import routes_command, shell_command

    cli.add_command(shell_command)
    cli.add_command(routes_command)
    try:
        cli.main(prog_name="catalog")
    except CatalogError as error:  # raised while the app is created (configuration)
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


def register_commands(app: Flask) -> None:
    """Attach the catalog commands to ``app.cli``."""
    from catalog.commands import demo, episodes, setup, tokens, users

    for command in (setup.init_command, setup.run_command, demo.demo_command, users.users_group):
        app.cli.add_command(command)
    app.cli.add_command(episodes.episodes_group)
    app.cli.add_command(tokens.tokens_group)
    from catalog.commands import feeds

    app.cli.add_command(feeds.feeds_group)
    from catalog.commands import analytics

    app.cli.add_command(analytics.analytics_group)
    app.cli.add_command(analytics.stats_command)
    from catalog.commands import media, transfer

    app.cli.add_command(media.media_group)

    for command in transfer.commands:
        app.cli.add_command(command)
    for command in app.cli.commands.values():
        _one_line_errors(command)
