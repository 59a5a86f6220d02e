"""A producer cannot read or change another show's anything through any studio route (404)."""

from __future__ import annotations

import pytest

from catalog.extensions import db
from catalog.models import Chapter, Episode, Transcript
from tests.factories import make_credit, make_episode, make_person, make_show
from tests.studio.conftest import make_user


@pytest.fixture
def other(app):
    """Another producer's show with a draft that has a credit, a chapter and a transcript."""
    show = make_show(slug="secret-show", title="Secret show")
    episode = make_episode(
        show, slug="secret-draft", title="Secret draft", status="draft", publish_at=None
    )
    person = make_person(slug="secret-guest", name="Secret Guest")
    credit = make_credit(episode, person)
    episode.chapters.append(Chapter(start_seconds=0, title="Intro"))
    episode.transcripts.append(Transcript(format="vtt", language="en", body="WEBVTT\n"))
    make_user("owner@example.org", shows=(show,))
    mine = make_show(slug="my-show")
    make_user("producer@example.org", shows=(mine,))
    db.session.commit()
    return {"credit": credit.id, "transcript": episode.transcripts[0].id}


@pytest.fixture
def producer(studio, other):
    assert studio.login("producer@example.org").status_code == 302
    return studio


SHOW = "/studio/shows/secret-show"
EPISODE = f"{SHOW}/episodes/secret-draft"
READS = [
    f"{SHOW}/",
    f"{SHOW}/feed-preview",
    f"{SHOW}/stats",
    f"{SHOW}/episodes/new",
    f"{EPISODE}/",
    f"{EPISODE}/feed-preview",
    f"{EPISODE}/stats",
    f"{EPISODE}/delete",
    "/studio/people/secret-guest/",
]
WRITES = [
    (f"{SHOW}/", {"title": "Hijacked", "language": "en", "show_type": "episodic"}),
    (f"{SHOW}/artwork", {}),
    (f"{SHOW}/move", {"new_feed_url": "https://evil.example/feed", "confirm": "y"}),
    (f"{SHOW}/move/cancel", {}),
    (f"{EPISODE}/", {"title": "Hijacked", "slug": "x", "episode_type": "full"}),
    (f"{EPISODE}/status", {"status": "published"}),
    (f"{EPISODE}/artwork", {}),
    (f"{EPISODE}/delete", {"confirm": "y"}),
    (f"{EPISODE}/credits", {"person_name": "Someone", "role": "guest"}),
    (f"{EPISODE}/credits/{{credit}}/delete", {}),
    (f"{EPISODE}/chapters", {"rows-0-start": "00:00", "rows-0-title": "Hijacked"}),
    (f"{EPISODE}/chapters/paste", {"text": "00:00 Hijacked"}),
    (f"{EPISODE}/chapters/import", {}),
    (f"{EPISODE}/transcripts", {}),
    (f"{EPISODE}/transcripts/{{transcript}}/delete", {}),
    ("/studio/people/secret-guest/", {"name": "Hijacked"}),
]


@pytest.mark.parametrize("url", READS)
def test_producer_cannot_read_another_shows_pages(producer, url):
    response = producer.get(url)
    assert response.status_code == 404
    assert "Secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("url", "data"), WRITES)
def test_producer_cannot_change_another_show(producer, other, url, data):
    response = producer.post(url.format(**other), data)
    assert response.status_code == 404
    db.session.expire_all()
    episode = db.session.query(Episode).filter_by(slug="secret-draft").one()
    assert episode.title == "Secret draft"
    assert episode.status == "draft"
    assert [c.title for c in episode.chapters] == ["Intro"]
    assert len(episode.credits) == 1
    assert len(episode.transcripts) == 1
    assert episode.show.title == "Secret show"
    assert not episode.show.new_feed_url
    assert episode.credits[0].person.name == "Secret Guest"


@pytest.mark.parametrize("url", [f"{SHOW}/uploads", f"{EPISODE}/audio"])
def test_producer_cannot_upload_to_another_show(producer, url):
    response = producer.upload(url, b"ID3" + b"\0" * 100)
    assert response.status_code == 404
    assert db.session.query(Episode).count() == 1


def test_dashboard_lists_only_assigned_shows(producer):
    page = producer.get("/studio/").get_data(as_text=True)
    assert "my-show" in page
    assert "secret-show" not in page


def test_owner_can_read_their_draft(studio, other):
    studio.login("owner@example.org")
    assert studio.get(f"{EPISODE}/").status_code == 200


def test_admin_can_read_every_show(admin_studio, other):
    assert admin_studio.get(f"{EPISODE}/").status_code == 200
