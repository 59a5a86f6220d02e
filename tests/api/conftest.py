"""API test fixtures: accounts with tokens, and the headers that carry them."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from flask import Flask

from catalog import accounts, tokens
from catalog.extensions import db
from catalog.models import Show, User

_emails = itertools.count(1)
Headers = dict[str, str]


def make_user(role: str = "producer", *, shows: tuple[Show, ...] = ()) -> User:
    user = accounts.create_user(
        db.session, email=f"user{next(_emails)}@example.org", password="correct horse", role=role
    )
    user.shows.extend(shows)
    db.session.flush()
    return user


def bearer(user: User) -> Headers:
    _token, plaintext = tokens.create_token(db.session, user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def producer(app: Flask) -> User:
    user = make_user()
    db.session.commit()
    return user


@pytest.fixture
def auth(producer: User) -> Headers:
    """Headers of a producer with no shows yet."""
    return bearer(producer)


@pytest.fixture
def admin_auth(app: Flask) -> Headers:
    return bearer(make_user("admin"))


@pytest.fixture
def auth_for() -> Callable[[User], Headers]:
    return bearer
