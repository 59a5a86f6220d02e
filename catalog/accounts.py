"""Studio accounts: creating users and checking passwords (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput
from catalog.models import User
from catalog.models.user import USER_ROLES

_hasher = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10

__all__ = [
    "USER_ROLES",
    "create_user",
    "hash_password",
    "reset_password",
    "set_enabled",
    "verify_password",
]


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, *, email: str, password: str, role: str = "producer") -> User:
    """Add a user after checking the email, the password length and that the email is free."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"“{email}” is not an email address.", field="email")
    if role not in USER_ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(USER_ROLES)}.", field="role")
    _check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidInput(f"There is already an account for {email}.", field="email")
    user = User(email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )


def reset_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password (argon2), lift any login lock and end their sessions.

    Whoever knew the old password may still hold a logged-in browser; the new
    session version makes every session opened before refuse its next request.
    """
    _check_password(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    session.flush()


def user_for_session(session: Session, session_id: str) -> User | None:
    """Return the enabled account a login session names, if the session is still current."""
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_enabled or user.session_version != int(version):
        return None
    return user


def set_enabled(session: Session, user: User, enabled: bool, *, by: User) -> None:
    """Enable or disable an account; a disabled one can neither log in nor use its tokens.

    Its open sessions end with their next request (the session loader refuses
    disabled accounts) and so do its API tokens. An admin cannot disable their
    own account, so the studio never loses its last way in by a slip.
    """
    if not enabled and user.id == by.id:
        raise InvalidInput("You cannot disable your own account.", field="enabled")
    user.is_enabled = enabled
    session.flush()
