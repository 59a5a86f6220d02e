"""Studio fixtures: accounts, and a client that posts forms with the token the page gave it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from catalog.accounts import create_user
from catalog.extensions import db
from catalog.models import Show, User

PASSWORD = "correct horse battery staple"
AUDIO = Path(__file__).parent.parent / "fixtures" / "audio"
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Studio:
    """A browser stand-in: fetches a studio page for its CSRF token and posts with it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/studio/login").get_data(as_text=True)
            match = _TOKEN.search(page)
            assert match, "the studio page carries no CSRF token"
            self._token = match[1]
        return self._token

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, **kwargs)

    def upload(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str = "audio/mpeg",
        filename: str = "upload.mp3",
    ) -> TestResponse:
        return self.client.post(
            url,
            data=body,
            headers={
                "Content-Type": content_type,
                "X-CSRFToken": self.token(),
                "X-File-Name": filename,
            },
        )

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/studio/login", {"email": email, "password": password})


def make_user(email: str, *, role: str = "producer", shows: tuple[Show, ...] = ()) -> User:
    user = create_user(db.session, email=email, password=PASSWORD, role=role)
    user.shows.extend(shows)
    db.session.flush()
    return user


@pytest.fixture
def studio(client: FlaskClient) -> Studio:
    return Studio(client)


@pytest.fixture
def admin(app: Flask) -> User:
    user = make_user("admin@example.org", role="admin")
    db.session.commit()
    return user


@pytest.fixture
def admin_studio(studio: Studio, admin: User) -> Studio:
    response = studio.login(admin.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return studio
