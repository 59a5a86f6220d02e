"""``catalog users ...``: studio accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalog import accounts
from catalog.database import write_intent
from catalog.extensions import db

users_group = AppGroup("users", help="Manage studio accounts.")


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(accounts.USER_ROLES), default="producer", show_default=True
)
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, role: str, password: str) -> None:
    """Create a studio account."""
    with write_intent():
        user = accounts.create_user(db.session, email=email, password=password, role=role)
        db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")
