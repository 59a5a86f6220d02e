"""Importing a show from the studio: by feed URL, into shows the producer may edit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import Episode, Show
from tests.studio.conftest import Studio, make_user
from tests.test_importer import FeedServer


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # The test's feed server runs on loopback, which production refuses by default.
    return {**app_config, "CATALOG_IMPORT_ALLOW_PRIVATE": True}


@pytest.fixture
def feed_url() -> Iterator[str]:
    with FeedServer() as server:
        yield server.mirror("buzzsprout.xml")


def _episodes() -> int:
    return db.session.scalar(select(func.count()).select_from(Episode)) or 0


def test_producer_imports_a_show_and_becomes_its_editor(studio: Studio, feed_url: str) -> None:
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    response = studio.post("/studio/import", {"url": feed_url})
    assert response.status_code == 200, response.get_data(as_text=True)
    show = db.session.scalars(select(Show)).one()
    assert user in show.editors
    assert f"{_episodes()} episodes created" in response.get_data(as_text=True)
    again = studio.post("/studio/import", {"url": feed_url})
    assert "0 episodes created" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Show)) == 1


def test_producer_cannot_reimport_someone_elses_show(studio: Studio, feed_url: str) -> None:
    owner = make_user("owner@example.org")
    other = make_user("other@example.org")
    db.session.commit()
    studio.login(owner.email)
    studio.post("/studio/import", {"url": feed_url})
    count = _episodes()
    studio.post("/studio/logout", {})
    studio.login(other.email)
    response = studio.post("/studio/import", {"url": feed_url})
    assert response.status_code == 422
    assert "no show of yours" in response.get_data(as_text=True)
    assert _episodes() == count


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/etc/passwd", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("", "This field is required."),
    ],
)
def test_import_refuses_what_is_not_a_web_feed(studio: Studio, url: str, message: str) -> None:
    user = make_user("producer@example.org")
    db.session.commit()
    studio.login(user.email)
    response = studio.post("/studio/import", {"url": url})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Show)) == 0
