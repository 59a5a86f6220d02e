"""``catalog tokens ...``: API tokens for scripts and integrations."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from catalog import tokens
from catalog.database import utcnow, write_intent
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.models import User

tokens_group = AppGroup("tokens", help="Manage API tokens.")


def _user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"There is no account for {email}.")
    return user


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the token, e.g. “upload script”.")
def create_token_command(email: str, name: str) -> None:
    """Create an API token for an account and print it once."""
    with write_intent():
        token, plaintext = tokens.create_token(db.session, _user_by_email(email), name)
        db.session.commit()
    click.echo(f"Created token {token.id} “{token.name}” for {email}. It is shown only now:")
    click.echo(plaintext)


@tokens_group.command("list")
@click.argument("email")
def list_tokens_command(email: str) -> None:
    """List an account's tokens (never the tokens themselves)."""
    for token in tokens.tokens_of(db.session, _user_by_email(email)):
        used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "unused"
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else used
        click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\t{state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke a token by its number; it stops working at once."""
    with write_intent():
        token = tokens.revoke_token(db.session, token_id, utcnow())
        db.session.commit()
    click.echo(f"Revoked token {token.id} “{token.name}”.")
