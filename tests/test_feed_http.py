"""The feed, chapters and transcripts over HTTP: validators, gzip, moves, several processes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import podcastparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from catalog import create_app
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Chapter, Episode, Show, Transcript
from tests.factories import make_episode, make_show

FEED = "/shows/{slug}/feed.xml"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello, Moon.\n"
SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello, Moon.\n"


def feed_show(**fields: Any) -> Show:
    return make_show(description_html="<p>About the show</p>", **fields)


def guids(response_data: bytes) -> list[str]:
    parsed = podcastparser.parse("feed", io.BytesIO(response_data))
    return [episode["guid"] for episode in parsed["episodes"]]


@pytest.fixture
def show(app: Flask) -> Show:
    created = feed_show(slug="orbit")
    episode = make_episode(created, slug="first", title="First")
    episode.chapters = [
        Chapter(start_seconds=0, title="Start"),
        Chapter(start_seconds=61.5, title="Next"),
    ]
    episode.transcripts = [
        Transcript(format="vtt", language="en", body=VTT),
        Transcript(format="srt", language="en", body=SRT),
    ]
    make_episode(created, slug="second", title="Second")
    db.session.commit()
    return created


def test_feed_http_serves_rss_with_cache_headers(client: FlaskClient, show: Show) -> None:
    response = client.get(FEED.format(slug="orbit"))

    assert response.status_code == 200
    assert response.content_type == "application/rss+xml; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.last_modified is not None
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize(
    "path",
    [
        FEED.format(slug="orbit"),
        "/shows/orbit/episodes/first/chapters.json",
        "/shows/orbit/episodes/first/transcript.vtt",
    ],
)
def test_feed_http_public_files_do_not_vary_by_cookie(
    client: FlaskClient, show: Show, path: str
) -> None:
    client.set_cookie("session", "someone-elses")

    response = client.get(path)

    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers


def test_feed_http_pages_still_vary_by_cookie(client: FlaskClient, show: Show) -> None:
    response = client.get("/shows/orbit/")

    assert "Cookie" in response.headers.get("Vary", "")


def test_feed_http_serving_does_not_rebuild(client: FlaskClient, show: Show) -> None:
    first = client.get(FEED.format(slug="orbit"))
    time.sleep(1.1)
    second = client.get(FEED.format(slug="orbit"))

    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]


@pytest.mark.parametrize("validator", ["If-None-Match", "If-Modified-Since"])
def test_feed_http_answers_304_to_either_validator(
    client: FlaskClient, show: Show, validator: str
) -> None:
    first = client.get(FEED.format(slug="orbit"))
    source = {"If-None-Match": "ETag", "If-Modified-Since": "Last-Modified"}[validator]

    again = client.get(FEED.format(slug="orbit"), headers={validator: first.headers[source]})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_feed_http_changed_feed_is_not_304(client: FlaskClient, show: Show) -> None:
    etag = client.get(FEED.format(slug="orbit")).headers["ETag"]
    episode = db.session.scalar(select(Episode).where(Episode.slug == "second"))
    episode.title = "Second, retitled"
    db.session.commit()

    again = client.get(FEED.format(slug="orbit"), headers={"If-None-Match": etag})

    assert again.status_code == 200
    assert b"Second, retitled" in again.data


def test_feed_http_gzips_when_asked(client: FlaskClient, show: Show) -> None:
    plain = client.get(FEED.format(slug="orbit"))
    zipped = client.get(FEED.format(slug="orbit"), headers={"Accept-Encoding": "gzip, br"})

    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # strong tags differ per coding
    assert "Content-Encoding" not in plain.headers
    revalidated = client.get(
        FEED.format(slug="orbit"),
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert revalidated.status_code == 304


def test_feed_http_head_sends_headers_only(client: FlaskClient, show: Show) -> None:
    get = client.get(FEED.format(slug="orbit"))
    head = client.head(FEED.format(slug="orbit"))

    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(get.data))
    assert head.headers["ETag"] == get.headers["ETag"]


def test_feed_http_unknown_show_is_a_404_page(client: FlaskClient, app: Flask) -> None:
    response = client.get(FEED.format(slug="no-such-show"))

    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_feed_http_moved_show_redirects_and_names_the_new_feed(
    client: FlaskClient, show: Show
) -> None:
    show.new_feed_url = "https://new-host.example.com/orbit.rss"
    db.session.commit()

    response = client.get(FEED.format(slug="orbit"))

    assert response.status_code == 301
    assert response.headers["Location"] == "https://new-host.example.com/orbit.rss"
    parsed = podcastparser.parse("feed", io.BytesIO(response.data))
    assert parsed["new_url"] == "https://new-host.example.com/orbit.rss"
    assert client.head(FEED.format(slug="orbit")).status_code == 301


def test_feed_http_scheduled_episode_appears_when_due(client: FlaskClient, show: Show) -> None:
    due = utcnow() + timedelta(seconds=1.5)
    make_episode(show, slug="soon", title="Soon", status="scheduled", publish_at=due)
    db.session.commit()

    before = client.get(FEED.format(slug="orbit"))
    assert b"<title>Soon</title>" not in before.data
    assert (
        "max-age=1," in before.headers["Cache-Control"]
        or "max-age=0," in before.headers["Cache-Control"]
    )
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.05)
    after = client.get(FEED.format(slug="orbit"))

    assert b"<title>Soon</title>" in after.data


def test_feed_http_guids_survive_edits_and_slug_changes(client: FlaskClient, show: Show) -> None:
    before = guids(client.get(FEED.format(slug="orbit")).data)
    episode = db.session.scalar(select(Episode).where(Episode.slug == "first"))
    episode.title = "First, renamed"
    episode.slug = "first-renamed"
    show.slug = "orbit-two"
    db.session.commit()

    response = client.get(FEED.format(slug="orbit-two"))

    assert guids(response.data) == before
    assert b"/shows/orbit-two/episodes/first-renamed/" in response.data
    assert b"/shows/orbit/" not in response.data


def test_feed_http_links_chapters_and_transcripts(client: FlaskClient, show: Show) -> None:
    body = client.get(FEED.format(slug="orbit")).data

    base = b"http://podcasts.example.org/shows/orbit/episodes/first/"
    assert (
        b'<podcast:chapters url="' + base + b'chapters.json" type="application/json+chapters"/>'
        in body
    )
    assert b'url="' + base + b'transcript.vtt" type="text/vtt"' in body
    assert b'url="' + base + b'transcript.srt" type="application/x-subrip"' in body
    assert body.count(b"<podcast:chapters") == 1  # "second" has none


def test_feed_http_serves_json_chapters(client: FlaskClient, show: Show) -> None:
    response = client.get("/shows/orbit/episodes/first/chapters.json")

    assert response.status_code == 200
    assert response.content_type == "application/json+chapters"
    assert json.loads(response.data) == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0, "title": "Start"}, {"startTime": 61.5, "title": "Next"}],
    }
    assert client.get("/shows/orbit/episodes/second/chapters.json").status_code == 404


@pytest.mark.parametrize(
    ("extension", "content_type", "body"),
    [("vtt", "text/vtt; charset=utf-8", VTT), ("srt", "application/x-subrip; charset=utf-8", SRT)],
)
def test_feed_http_serves_transcripts(
    client: FlaskClient, show: Show, extension: str, content_type: str, body: str
) -> None:
    response = client.get(f"/shows/orbit/episodes/first/transcript.{extension}")

    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.get_data(as_text=True) == body


@pytest.mark.parametrize("path", ["chapters.json", "transcript.vtt"])
def test_feed_http_side_files_of_unpublished_episodes_are_404(
    client: FlaskClient, show: Show, path: str
) -> None:
    draft = make_episode(show, slug="draft", status="draft", publish_at=None)
    draft.chapters = [Chapter(start_seconds=0, title="Secret")]
    draft.transcripts = [Transcript(format="vtt", language="en", body=VTT)]
    db.session.commit()

    assert client.get(f"/shows/orbit/episodes/draft/{path}").status_code == 404


@pytest.fixture
def worker(app_config: dict[str, Any]) -> Iterator[FlaskClient]:
    """A client of another app on the same database, used the way a worker process is.

    Unlike the fixture app, no app context outlives a request, so every request
    has its own session and transaction, as in production.
    """
    other = create_app(app_config)
    yield other.test_client()
    with other.app_context():
        db.engine.dispose()


def test_feed_http_change_through_one_app_is_served_by_another_at_once(
    show: Show, worker: FlaskClient
) -> None:
    before = worker.get(FEED.format(slug="orbit"))  # the worker now holds the old feed
    episode = db.session.scalar(select(Episode).where(Episode.slug == "second"))
    episode.title = "Second, retitled"
    db.session.commit()

    after = worker.get(FEED.format(slug="orbit"), headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert b"Second, retitled" in after.data


def test_feed_http_change_committed_by_another_process_is_served_at_once(
    show: Show, worker: FlaskClient, app_config: dict[str, Any]
) -> None:
    etag = worker.get(FEED.format(slug="orbit")).headers["ETag"]
    script = textwrap.dedent(
        f"""
        from sqlalchemy import select
        from catalog import create_app
        from catalog.database import write_intent
        from catalog.extensions import db
        from catalog.models import Episode
        app = create_app({app_config!r})
        with app.app_context(), write_intent():
            episode = db.session.scalar(select(Episode).where(Episode.slug == "first"))
            episode.title = "Edited elsewhere"
            db.session.commit()
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    response = worker.get(FEED.format(slug="orbit"), headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert b"<title>Edited elsewhere</title>" in response.data


def test_feed_http_feed_built_by_another_process_is_served_without_rebuilding(
    show: Show, worker: FlaskClient, app_config: dict[str, Any]
) -> None:
    script = textwrap.dedent(
        f"""
        import hashlib
        from catalog import create_app, feed_cache
        from catalog.database import utcnow, write_intent
        from catalog.extensions import db
        from catalog.links import site_links
        app = create_app({app_config!r})
        with app.app_context(), write_intent():
            result = feed_cache.refresh_feed(db.session, "orbit", site_links(), utcnow())
            db.session.commit()
            print(result.state.etag, hashlib.sha256(result.body.body).hexdigest())
        """
    )
    built = subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=60, capture_output=True, text=True
    )
    etag, digest = built.stdout.split()

    response = worker.get(FEED.format(slug="orbit"))

    assert response.status_code == 200
    assert response.headers["ETag"] == etag  # joined from the stored parts, not rebuilt
    assert hashlib.sha256(response.data).hexdigest() == digest
