"""API tokens from the studio: made once and shown once, usable at once, revoked at once."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalog import tokens
from catalog.extensions import db
from catalog.models import ApiToken
from tests.studio.conftest import Studio, make_user

TOKEN = re.compile(r"cat_[A-Za-z0-9_-]{43}")


def create_in_studio(studio: Studio, name: str = "upload script") -> str:
    response = studio.post("/studio/tokens", {"name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    shown = TOKEN.findall(response.get_data(as_text=True))
    assert len(shown) == 1
    return shown[0]


def test_token_made_in_the_studio_works_against_the_api_and_is_shown_once(studio, app):
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    plaintext = create_in_studio(studio)

    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.user_id == user.id
    assert stored.name == "upload script"
    assert stored.token_hash == tokens.hash_token(plaintext)
    listing = studio.get("/studio/tokens").get_data(as_text=True)
    assert stored.prefix in listing
    assert "never" in listing  # not used yet
    assert plaintext not in listing
    assert not TOKEN.search(listing)

    headers = {"Authorization": f"Bearer {plaintext}"}
    assert studio.client.get("/api/v1/shows", headers=headers).status_code == 200
    db.session.expire_all()
    assert stored.last_used_at is not None
    assert "never" not in studio.get("/studio/tokens").get_data(as_text=True)


def test_revoking_in_the_studio_refuses_the_token_with_the_next_request(studio, app):
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    plaintext = create_in_studio(studio)
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert studio.client.get("/api/v1/shows", headers=headers).status_code == 200
    token_id = db.session.scalars(select(ApiToken.id)).one()

    confirm = studio.get(f"/studio/tokens/{token_id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke the token" in confirm.get_data(as_text=True)
    unconfirmed = studio.post(f"/studio/tokens/{token_id}/revoke")
    assert unconfirmed.status_code == 422
    assert studio.client.get("/api/v1/shows", headers=headers).status_code == 200

    revoked = studio.post(f"/studio/tokens/{token_id}/revoke", {"confirm": "y"})
    assert revoked.status_code == 302
    refused = studio.client.get("/api/v1/shows", headers=headers)
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert "revoked" in studio.get("/studio/tokens").get_data(as_text=True)


def test_revoke_needs_the_csrf_token(studio, app):
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    plaintext = create_in_studio(studio)
    token_id = db.session.scalars(select(ApiToken.id)).one()
    response = studio.client.post(f"/studio/tokens/{token_id}/revoke", data={"confirm": "y"})
    assert response.status_code == 400
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert studio.client.get("/api/v1/shows", headers=headers).status_code == 200


def test_create_needs_the_csrf_token(studio, app):
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    response = studio.client.post("/studio/tokens", data={"name": "sneaky"})
    assert response.status_code == 400
    assert db.session.scalars(select(ApiToken)).first() is None


def test_another_users_token_cannot_be_seen_or_revoked(studio, app):
    owner = make_user("owner@example.org")
    make_user("other@example.org")
    token, plaintext = tokens.create_token(db.session, owner, "owner's script")
    db.session.commit()
    studio.login("other@example.org")

    assert "owner's script" not in studio.get("/studio/tokens").get_data(as_text=True)
    assert studio.get(f"/studio/tokens/{token.id}/revoke").status_code == 404
    assert studio.post(f"/studio/tokens/{token.id}/revoke", {"confirm": "y"}).status_code == 404
    db.session.expire_all()
    assert token.revoked_at is None
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert studio.client.get("/api/v1/shows", headers=headers).status_code == 200


def test_admins_cannot_revoke_other_peoples_tokens_here_either(admin_studio, app):
    owner = make_user("owner@example.org")
    token, _plaintext = tokens.create_token(db.session, owner, "owner's script")
    db.session.commit()
    assert (
        admin_studio.post(f"/studio/tokens/{token.id}/revoke", {"confirm": "y"}).status_code == 404
    )


def test_token_name_errors_show_next_to_the_field(studio, app):
    make_user("producer@example.org")
    db.session.commit()
    studio.login("producer@example.org")
    for name in ("", "   ", "x" * 101):
        response = studio.post("/studio/tokens", {"name": name})
        assert response.status_code == 422
        assert 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).first() is None


def test_tokens_page_needs_a_login(client):
    response = client.get("/studio/tokens")
    assert response.status_code == 302
    assert "/studio/login" in response.headers["Location"]
