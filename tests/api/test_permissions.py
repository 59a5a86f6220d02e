"""A producer reaches only their own shows: everything of another show is 404, read or write."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from catalog.extensions import db
from catalog.models import Episode, Show
from tests.api.conftest import Headers, bearer, make_user
from tests.factories import make_credit, make_episode, make_person, make_show

EPISODE = "/api/v1/shows/theirs/episodes/secret-draft"
OTHER_SHOWS_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/shows/theirs", None),
    ("PATCH", "/api/v1/shows/theirs", {"title": "Taken over"}),
    ("GET", "/api/v1/shows/theirs/stats", None),
    ("GET", "/api/v1/shows/theirs/episodes", None),
    ("POST", "/api/v1/shows/theirs/episodes", {"title": "Planted"}),
    ("GET", EPISODE, None),
    ("PATCH", EPISODE, {"title": "Renamed"}),
    ("DELETE", EPISODE, None),
    ("PUT", f"{EPISODE}/status", {"status": "published"}),
    ("GET", f"{EPISODE}/stats", None),
    ("GET", f"{EPISODE}/credits", None),
    ("POST", f"{EPISODE}/credits", {"person": "guest", "role": "guest"}),
    ("GET", f"{EPISODE}/chapters", None),
    ("PUT", f"{EPISODE}/chapters", {"chapters": [{"start_seconds": 0, "title": "Mine"}]}),
    ("GET", f"{EPISODE}/transcripts", None),
    ("PUT", f"{EPISODE}/transcripts", {"format": "vtt", "body": "WEBVTT\n"}),
]


@pytest.fixture
def intruder(app: Flask) -> Headers:
    """A producer of one show, next to another producer's show with a draft and a credit."""
    theirs = make_show(slug="theirs")
    draft = make_episode(theirs, slug="secret-draft", status="draft", publish_at=None)
    make_credit(draft, make_person(slug="guest"))
    make_user(shows=(theirs,))
    return bearer(make_user(shows=(make_show(slug="mine"),)))


@pytest.mark.parametrize(("method", "url", "body"), OTHER_SHOWS_ROUTES)
def test_producer_gets_404_for_everything_of_another_show(
    client: FlaskClient, intruder: Headers, method: str, url: str, body: dict[str, Any] | None
) -> None:
    response = client.open(url, method=method, json=body, headers=intruder)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    db.session.expire_all()
    show = db.session.scalars(select(Show).where(Show.slug == "theirs")).one()
    assert show.title != "Taken over"
    titles = [episode.title for episode in db.session.scalars(select(Episode))]
    assert "Renamed" not in titles
    assert "Planted" not in titles
    draft = db.session.scalars(select(Episode).where(Episode.slug == "secret-draft")).one()
    assert draft.status == "draft"
    assert len(draft.credits) == 1
    assert not draft.chapters


def test_producer_gets_404_for_another_shows_audio_upload(
    client: FlaskClient, intruder: Headers
) -> None:
    for url, method in (
        (f"{EPISODE}/audio", "PUT"),
        ("/api/v1/shows/theirs/episode-uploads", "POST"),
    ):
        response = client.open(
            url, method=method, data=b"ID3", headers={**intruder, "Content-Type": "audio/mpeg"}
        )
        assert response.status_code == 404


def test_show_list_holds_only_the_producers_shows(client: FlaskClient, intruder: Headers) -> None:
    listed = client.get("/api/v1/shows", headers=intruder).json
    assert [show["slug"] for show in listed["items"]] == ["mine"]
    assert listed["total"] == 1


def test_admin_reaches_every_show(
    client: FlaskClient, intruder: Headers, admin_auth: Headers
) -> None:
    assert client.get(EPISODE, headers=admin_auth).status_code == 200
    slugs = {show["slug"] for show in client.get("/api/v1/shows", headers=admin_auth).json["items"]}
    assert slugs == {"mine", "theirs"}


def test_show_created_by_a_producer_is_theirs_alone(
    client: FlaskClient, intruder: Headers, auth: Headers
) -> None:
    created = client.post("/api/v1/shows", json={"title": "New Show"}, headers=auth)
    assert created.status_code == 201
    assert client.get(created.headers["Location"], headers=auth).status_code == 200
    assert client.get(created.headers["Location"], headers=intruder).status_code == 404


def test_producer_cannot_change_a_guest_of_another_show(
    client: FlaskClient, intruder: Headers
) -> None:
    response = client.patch("/api/v1/people/guest", json={"name": "Renamed"}, headers=intruder)
    assert response.status_code == 404
    assert client.get("/api/v1/people/guest", headers=intruder).json["name"] != "Renamed"
