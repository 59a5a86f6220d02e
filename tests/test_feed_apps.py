"""What podcast apps read from our feed over HTTP: podcastparser (gPodder) and feedparser."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser
import podcastparser
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from catalog.extensions import db
from catalog.links import SiteLinks
from catalog.models import Episode, Show
from tests.factories import make_audio, make_credit, make_episode, make_person, make_show

FEED_URL = "/shows/{slug}/feed.xml"


@dataclass(frozen=True)
class Expected:
    """What an app must see for one episode, read from the database."""

    guid: str
    title: str
    enclosure_url: str
    enclosure_length: int
    duration: int


def expected_episodes(app: Flask, show: Show) -> list[Expected]:
    links = SiteLinks(app.config["CATALOG_BASE_URL"])
    episodes = db.session.scalars(
        select(Episode)
        .where(Episode.show_id == show.id, Episode.status == "published")
        .order_by(Episode.publish_at.desc())
    )
    return [
        Expected(
            episode.guid,
            episode.title,
            links.media(episode.audio, f"{episode.slug}.{episode.audio.extension}"),
            episode.audio.size_bytes,
            round(episode.audio.duration_seconds),
        )
        for episode in episodes
    ]


def by_guid(episode: Expected) -> str:
    return episode.guid


def read_with_podcastparser(client: FlaskClient, slug: str) -> list[Expected]:
    response = client.get(FEED_URL.format(slug=slug))
    assert response.status_code == 200
    parsed = podcastparser.parse(FEED_URL.format(slug=slug), io.BytesIO(response.data))
    return [
        Expected(
            episode["guid"],
            episode["title"],
            episode["enclosures"][0]["url"],
            episode["enclosures"][0]["file_size"],
            episode["total_time"],
        )
        for episode in parsed["episodes"]
    ]


def read_with_feedparser(client: FlaskClient, slug: str) -> list[Expected]:
    response = client.get(FEED_URL.format(slug=slug))
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [
        Expected(
            entry.id,
            entry.title,
            entry.enclosures[0].href,
            int(entry.enclosures[0].length),
            int(entry.itunes_duration),
        )
        for entry in parsed.entries
    ]


def make_unusual_show() -> Show:
    """A show whose text exercises escaping, Unicode and every episode type."""
    show = make_show(
        slug="rock-and-roll",
        title="Rock & Roll < Jazz 🎷 — Ünïcødé “quotes”",
        description_html="<p>Everything &amp; more &lt;tags&gt; 日本語 🚀</p>",
        show_type="serial",
        link="https://example.org/?a=1&b=2",
    )
    long_notes = (
        "<p>" + ("Long notes with &amp; and &lt;angle&gt; brackets, ünïcødé, 🚀. " * 400) + "</p>"
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    trailer = make_episode(
        show,
        title="Trailer: what's <coming> & why 🎙️",
        episode_type="trailer",
        publish_at=start,
        notes_html="<p>Short &amp; sweet</p>",
    )
    make_episode(
        show,
        title="S1E1 — Ça commence «ici» & now",
        season=1,
        number=1,
        publish_at=start + timedelta(days=1),
        notes_html=long_notes,
        artwork=make_audio(
            kind="image",
            mime_type="image/jpeg",
            size_bytes=1000,
            storage_key="aa/bb/cover-e1.jpg",
            sha256="e1" * 32,
        ),
        audio=make_audio(size_bytes=123_456_789, duration_seconds=3599.6),
    )
    make_episode(
        show,
        title="Bonus: 日本の宇宙 🌕",
        episode_type="bonus",
        season=1,
        publish_at=start + timedelta(days=2),
        audio=make_audio(
            mime_type="audio/mp4",
            storage_key="cc/dd/bonus.m4a",
            sha256="b0" * 32,
            duration_seconds=59.4,
        ),
    )
    make_episode(
        show,
        title="S2E7 & the <script>alert(1)</script> test",
        season=2,
        number=7,
        publish_at=start + timedelta(days=3),
    )
    make_episode(show, title="Draft that must not appear", status="draft", publish_at=None)
    make_credit(trailer, make_person(name="Zoë O'Brien & Co."), role="host")
    db.session.commit()
    return show


@pytest.fixture
def demo_show(app: Flask, runner: FlaskCliRunner) -> Show:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(Show).where(Show.slug == "space-cafe-radio"))


@pytest.mark.parametrize("read", [read_with_podcastparser, read_with_feedparser])
def test_apps_read_the_demo_show_as_stored(
    app: Flask, client: FlaskClient, demo_show: Show, read
) -> None:
    expected = expected_episodes(app, demo_show)
    assert len(expected) == 3
    assert read(client, demo_show.slug) == expected


@pytest.mark.parametrize("read", [read_with_podcastparser, read_with_feedparser])
def test_apps_read_unusual_content_as_stored(app: Flask, client: FlaskClient, read) -> None:
    show = make_unusual_show()
    expected = expected_episodes(app, show)
    assert len(expected) == 4
    # podcastparser lists a serial show oldest first, as gPodder plays it.
    assert sorted(read(client, show.slug), key=by_guid) == sorted(expected, key=by_guid)


def test_podcastparser_reads_types_seasons_numbers_and_artwork(client: FlaskClient) -> None:
    make_unusual_show()
    response = client.get(FEED_URL.format(slug="rock-and-roll"))
    parsed = podcastparser.parse("feed", io.BytesIO(response.data))
    by_title = {episode["title"]: episode for episode in parsed["episodes"]}
    assert parsed["title"] == "Rock & Roll < Jazz 🎷 — Ünïcødé “quotes”"
    assert by_title["Trailer: what's <coming> & why 🎙️"]["type"] == "trailer"
    assert by_title["Bonus: 日本の宇宙 🌕"]["type"] == "bonus"
    assert by_title["S2E7 & the <script>alert(1)</script> test"]["number"] == 7
    assert by_title["S1E1 — Ça commence «ici» & now"]["episode_art_url"].endswith(
        "/aa/bb/cover-e1.jpg/image.jpg"
    )
    assert not by_title["Bonus: 日本の宇宙 🌕"].get("episode_art_url")
    assert len(by_title["S1E1 — Ça commence «ici» & now"]["description_html"]) > 20_000


def test_feedparser_reads_people_and_long_notes(client: FlaskClient) -> None:
    make_unusual_show()
    parsed = feedparser.parse(client.get(FEED_URL.format(slug="rock-and-roll")).data)
    notes = {entry.title: entry.content[0].value for entry in parsed.entries if "content" in entry}
    assert "ünïcødé" in notes["S1E1 — Ça commence «ici» & now"]
    assert parsed.feed.itunes_type == "serial"
