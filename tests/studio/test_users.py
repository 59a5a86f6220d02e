"""The admin's users page: disabling and enabling accounts, setting a new password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from catalog import tokens
from catalog.accounts import user_for_session, verify_password
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import User
from tests.studio.conftest import PASSWORD, Studio, make_user

NEW_PASSWORD = "a brand new passphrase"


PER_BROWSER = ("_login_user", "csrf_token")


class SeparateClient(FlaskClient):
    """A second browser next to the fixture's client.

    Test requests share the test's app context, so what ``g`` caches for one
    browser (Flask-Login's current user, the CSRF token) would leak to the
    other; forget it before and after each request of this one.
    """

    def open(self, *args, **kwargs) -> TestResponse:  # type: ignore[no-untyped-def]
        for name in PER_BROWSER:
            g.pop(name, None)
        try:
            return super().open(*args, **kwargs)
        finally:
            for name in PER_BROWSER:
                g.pop(name, None)


def another_browser(app: Flask) -> Studio:
    return Studio(SeparateClient(app, app.response_class, use_cookies=True))


def test_disabling_ends_the_sessions_and_tokens_of_an_account(app, admin_studio):
    producer = make_user("producer@example.org")
    _token, plaintext = tokens.create_token(db.session, producer, "script")
    db.session.commit()
    theirs = another_browser(app)
    assert theirs.login(producer.email).status_code == 302
    assert theirs.get("/studio/").status_code == 200
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert theirs.client.get("/api/v1/shows", headers=bearer).status_code == 200

    response = admin_studio.post(f"/studio/users/{producer.id}/enabled", {"enabled": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert producer.is_enabled is False
    assert "disabled" in admin_studio.get("/studio/users").get_data(as_text=True)

    # The open session stops with its next request, the token too, and so does logging in.
    assert theirs.get("/studio/").status_code == 302
    assert theirs.client.get("/api/v1/shows", headers=bearer).status_code == 401
    assert another_browser(app).login(producer.email).status_code == 401

    assert (
        admin_studio.post(f"/studio/users/{producer.id}/enabled", {"enabled": "1"}).status_code
        == 302
    )
    db.session.expire_all()
    assert producer.is_enabled is True
    assert theirs.client.get("/api/v1/shows", headers=bearer).status_code == 200
    assert another_browser(app).login(producer.email).status_code == 302


def test_admin_cannot_disable_their_own_account(admin_studio, admin):
    response = admin_studio.post(f"/studio/users/{admin.id}/enabled", {"enabled": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert admin.is_enabled is True
    assert "cannot disable your own account" in admin_studio.get("/studio/users").get_data(
        as_text=True
    )


def test_disabling_needs_the_csrf_token(admin_studio):
    producer = make_user("producer@example.org")
    db.session.commit()
    response = admin_studio.client.post(
        f"/studio/users/{producer.id}/enabled", data={"enabled": "0"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert producer.is_enabled is True


def test_admin_sets_a_new_password_and_lifts_a_lock(app, admin_studio):
    producer = make_user("producer@example.org")
    producer.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert admin_studio.get(f"/studio/users/{producer.id}/password").status_code == 200

    response = admin_studio.post(
        f"/studio/users/{producer.id}/password", {"password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert producer.password_hash.startswith("$argon2id$")
    assert verify_password(producer.password_hash, NEW_PASSWORD)
    assert producer.locked_until is None
    assert another_browser(app).login(producer.email, PASSWORD).status_code == 401
    assert another_browser(app).login(producer.email, NEW_PASSWORD).status_code == 302


def test_a_short_new_password_is_refused_next_to_the_field(admin_studio):
    producer = make_user("producer@example.org")
    db.session.commit()
    old_hash = producer.password_hash
    response = admin_studio.post(f"/studio/users/{producer.id}/password", {"password": "short"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert "at least 10 characters" in page
    db.session.expire_all()
    assert producer.password_hash == old_hash


def test_account_actions_are_for_admins_only(app, studio):
    producer = make_user("producer@example.org")
    victim = make_user("victim@example.org")
    db.session.commit()
    studio.login(producer.email)
    assert studio.post(f"/studio/users/{victim.id}/enabled", {"enabled": "0"}).status_code == 403
    assert studio.get(f"/studio/users/{victim.id}/password").status_code == 403
    response = studio.post(f"/studio/users/{victim.id}/password", {"password": NEW_PASSWORD})
    assert response.status_code == 403
    db.session.expire_all()
    assert victim.is_enabled is True
    assert verify_password(victim.password_hash, PASSWORD)


def test_unknown_account_is_404(admin_studio):
    assert admin_studio.post("/studio/users/9999/enabled", {"enabled": "0"}).status_code == 404
    assert admin_studio.get("/studio/users/9999/password").status_code == 404
    assert db.session.get(User, 9999) is None


def test_a_new_password_ends_the_accounts_open_sessions(app, admin_studio):
    producer = make_user("producer@example.org")
    db.session.commit()
    theirs = another_browser(app)
    assert theirs.login(producer.email).status_code == 302
    assert theirs.get("/studio/").status_code == 200

    response = admin_studio.post(
        f"/studio/users/{producer.id}/password", {"password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert theirs.get("/studio/").status_code == 302  # whoever knew the old password is out
    assert theirs.login(producer.email, NEW_PASSWORD).status_code == 302
    assert theirs.get("/studio/").status_code == 200


def test_an_admin_who_sets_their_own_password_stays_in_and_their_other_sessions_end(
    app, admin_studio, admin
):
    elsewhere = another_browser(app)
    assert elsewhere.login(admin.email).status_code == 302
    assert elsewhere.get("/studio/").status_code == 200

    response = admin_studio.post(f"/studio/users/{admin.id}/password", {"password": NEW_PASSWORD})

    assert response.status_code == 302
    assert admin_studio.get("/studio/users").status_code == 200
    assert elsewhere.get("/studio/").status_code == 302


@pytest.mark.parametrize(
    ("session_id", "is_current"),
    [("{id}.0", True), ("{id}.1", False), ("{id}", False), ("{id}.x", False), ("x.0", False)],
)
def test_a_session_names_the_account_and_its_version(app, session_id, is_current):
    producer = make_user("producer@example.org")
    db.session.commit()

    found = user_for_session(db.session, session_id.format(id=producer.id))

    assert (found is producer) is is_current
