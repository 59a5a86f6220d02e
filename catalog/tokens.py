"""API tokens: made once, stored only as a sha256, checked on every request, revocable.

A token is ``cat_`` followed by 43 random URL-safe characters (256 bits), so
a plain sha256 is enough to store it: nobody can guess their way back from it,
and a lookup by hash is one indexed query. The plaintext is returned once, at
creation, and exists nowhere afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput, NotFound
from catalog.models import ApiToken, User
from catalog.text import clean_text

TOKEN_PREFIX = "cat_"
SHOWN_PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100

__all__ = [
    "authenticate",
    "create_token",
    "hash_token",
    "revoke_token",
    "token_of",
    "tokens_of",
]


def hash_token(plaintext: str) -> str:
    """Return the sha256 under which a token is stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Add a token for ``user`` and return it with its plaintext, which is never seen again."""
    name = clean_text(name, max_length=10 * MAX_NAME_LENGTH).strip()
    if not name:
        raise InvalidInput(
            "Name the token after what will use it, e.g. “upload script”.", field="name"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Keep the name under {MAX_NAME_LENGTH} characters.", field="name")
    if not user.is_enabled:
        raise InvalidInput(f"The account {user.email} is disabled.", field="email")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:SHOWN_PREFIX_LENGTH],
    )
    session.add(token)
    session.flush()
    return token, plaintext


def authenticate(session: Session, plaintext: str, now: datetime) -> User | None:
    """Return the enabled user a live token belongs to, noting when it was used, or None."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or token.revoked_at is not None or not token.user.is_enabled:
        return None
    token.last_used_at = now
    return token.user


def token_of(session: Session, token_id: int, *, owner: User | None = None) -> ApiToken:
    """Return a token by id; another user's token is as absent as a missing one."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound("There is no such API token.")
    return token


def revoke_token(
    session: Session, token_id: int, now: datetime, *, owner: User | None = None
) -> ApiToken:
    """Stop a token from working from the next request on; ``owner`` limits whose tokens."""
    token = token_of(session, token_id, owner=owner)
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """Return a user's tokens, newest first, revoked ones included."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )
