"""Login, logout, throttling, cookies, CSRF and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.database import utcnow
from catalog.extensions import db
from catalog.studio.sign_in import MAX_FAILURES
from tests.factories import make_show
from tests.studio.conftest import PASSWORD, Studio, make_user


def test_studio_sends_visitors_to_login(client):
    response = client.get("/studio/")
    assert response.status_code == 302
    assert "/studio/login" in response.headers["Location"]


def test_login_opens_the_studio_and_logout_closes_it(studio, admin):
    assert studio.login(admin.email).status_code == 302
    assert studio.get("/studio/").status_code == 200
    assert studio.post("/studio/logout").status_code == 302
    assert studio.get("/studio/").status_code == 302


@pytest.mark.parametrize("email", ["admin@example.org", "nobody@example.org"])
def test_login_failure_says_the_same_whatever_the_reason(studio, admin, email):
    response = studio.login(email, "wrong password!!")
    assert response.status_code == 401
    assert "Email or password is wrong" in response.get_data(as_text=True)


def test_login_locks_the_account_after_five_failures(studio, admin):
    for _ in range(MAX_FAILURES):
        assert studio.login(admin.email, "wrong password!!").status_code == 401
    assert studio.login(admin.email).status_code == 401  # right password, but locked
    db.session.expire_all()
    assert admin.locked_until is not None
    assert admin.locked_until - utcnow() > timedelta(minutes=14)


def test_login_works_again_when_the_lock_expires(studio, admin):
    admin.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert studio.login(admin.email).status_code == 302


def test_session_cookie_is_httponly_and_lax(studio, admin):
    response = studio.login(admin.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test base URL is http


def test_session_cookie_is_secure_behind_https(app_config):
    from catalog import create_app

    app = create_app({**app_config, "CATALOG_BASE_URL": "https://podcasts.example.org"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_form_without_csrf_token_is_refused(client, admin):
    response = client.post("/studio/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/studio/").status_code == 302


def test_upload_without_csrf_header_is_refused(app, admin):
    show = make_show()
    db.session.commit()
    studio = Studio(app.test_client())
    studio.login(admin.email)
    response = studio.client.post(
        f"/studio/shows/{show.slug}/uploads", data=b"ID3", headers={"Content-Type": "audio/mpeg"}
    )
    assert response.status_code == 400


def test_login_does_not_redirect_off_site(studio, admin):
    response = studio.client.post(
        "/studio/login?next=https://evil.example/",
        data={"csrf_token": studio.token(), "email": admin.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/studio/"


def test_users_page_is_for_admins_only(studio, app):
    make_user("producer@example.org")
    db.session.commit()
    studio.login("producer@example.org")
    assert studio.get("/studio/users").status_code == 403


def test_admin_creates_a_producer_and_assigns_a_show(admin_studio):
    show = make_show()
    db.session.commit()
    response = admin_studio.post(
        "/studio/users",
        {"email": "new@example.org", "password": "long enough pw", "role": "producer"},
    )
    assert response.status_code == 302
    from catalog.models import User

    user = db.session.query(User).filter_by(email="new@example.org").one()
    admin_studio.post(f"/studio/users/{user.id}/shows", {"shows": [str(show.id)]})
    db.session.expire_all()
    assert [s.slug for s in user.shows] == [show.slug]


def test_admin_form_shows_errors_next_to_fields(admin_studio):
    response = admin_studio.post(
        "/studio/users", {"email": "x@example.org", "password": "short", "role": "producer"}
    )
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert "at least 10 characters" in page
