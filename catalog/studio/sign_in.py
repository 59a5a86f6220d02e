"""Check a studio login, locking an account for a while after repeated failures.

``authenticate(session, email, password, *, now) -> User`` raises ``LoginFailed``
with one message for every reason (unknown email, wrong password, locked,
disabled), so the answer tells an attacker nothing. The failure counters live
in the database so every worker process sees them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.accounts import hash_password, verify_password
from catalog.errors import CatalogError
from catalog.models import User

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
# Verifying against a real hash for unknown emails keeps response times alike.
_DUMMY_HASH = hash_password("not a password anyone has")


class LoginFailed(CatalogError):
    """The email and password do not open an account (whatever the reason)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Email or password is wrong, or the account is locked for a while.")


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User:
    """Return the user these credentials open; count failures and lock after too many."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise LoginFailed()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed()
    if not verify_password(user.password_hash, password) or not user.is_enabled:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_DURATION
            user.failed_logins = 0
        session.flush()
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user
