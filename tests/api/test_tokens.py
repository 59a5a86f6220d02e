"""API tokens: printed once by the CLI, stored only as a hash, refused at once when revoked."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from catalog import tokens
from catalog.database import utcnow
from catalog.errors import InvalidInput, NotFound
from catalog.extensions import db
from catalog.models import ApiToken, User
from tests.api.conftest import Headers, make_user

TOKEN = re.compile(r"cat_[A-Za-z0-9_-]{43}")


def test_tokens_create_command_prints_the_token_once_and_stores_only_its_hash(
    runner: FlaskCliRunner, producer: User
) -> None:
    result = runner.invoke(args=["tokens", "create", producer.email, "--name", "upload script"])
    assert result.exit_code == 0, result.output
    printed = TOKEN.findall(result.output)
    assert len(printed) == 1
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == tokens.hash_token(printed[0])
    assert printed[0] not in (stored.token_hash, stored.prefix, stored.name)
    listing = runner.invoke(args=["tokens", "list", producer.email])
    assert stored.prefix in listing.output
    assert printed[0] not in listing.output


def test_tokens_create_command_refuses_an_unknown_email(
    runner: FlaskCliRunner, app: object
) -> None:
    result = runner.invoke(args=["tokens", "create", "nobody@example.org", "--name", "x"])
    assert result.exit_code != 0
    assert db.session.scalars(select(ApiToken)).first() is None


def test_token_authenticates_and_notes_its_last_use(client: FlaskClient, auth: Headers) -> None:
    assert client.get("/api/v1/shows", headers=auth).status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_revoked_token_is_refused_with_the_next_request(
    client: FlaskClient, runner: FlaskCliRunner, auth: Headers
) -> None:
    assert client.get("/api/v1/shows", headers=auth).status_code == 200
    token_id = db.session.scalars(select(ApiToken.id)).one()
    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    refused = client.get("/api/v1/shows", headers=auth)
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert "revoked" in refused.json["detail"]


def test_token_of_a_disabled_account_is_refused(
    client: FlaskClient, auth: Headers, producer: User
) -> None:
    producer.is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/shows", headers=auth).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer cat_notatoken", "Bearer x" * 3],
)
def test_requests_without_a_live_token_are_refused(
    client: FlaskClient, auth: Headers, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/api/v1/shows", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401


def test_revoke_token_limits_owners_to_their_own_tokens(app: object) -> None:
    owner, other = make_user(), make_user()
    token, _plaintext = tokens.create_token(db.session, owner, "ci")
    with pytest.raises(NotFound):
        tokens.revoke_token(db.session, token.id, utcnow(), owner=other)
    assert tokens.revoke_token(db.session, token.id, utcnow(), owner=owner).revoked_at is not None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_token_refuses_a_missing_or_long_name(app: object, name: str) -> None:
    with pytest.raises(InvalidInput):
        tokens.create_token(db.session, make_user(), name)
