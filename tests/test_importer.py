"""Importing shows from other hosts' feeds, served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from catalog import feed_source, importer
from catalog.database import utcnow
from catalog.errors import InvalidFeed
from catalog.extensions import db
from catalog.models import Chapter, Credit, Episode, MediaFile, Person, Show, Transcript
from tests.importing import LINKS, fetcher, run_import

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
AUDIO = Path(__file__).parent / "fixtures" / "audio"
HOST_FEEDS = ["libsyn.xml", "anchor.xml", "buzzsprout.xml", "transistor.xml", "podlove.xml",
              "castopod.xml"]  # fmt: skip
VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nHello and welcome.\n\n"
    "00:00:04.500 --> 00:00:08.000\nToday: compost.\n"
)
SRT = "1\n00:00:00,000 --> 00:00:03,000\nBonjour.\n\n2\n00:00:03,500 --> 00:00:06,000\nBienvenue.\n"
CHAPTERS = {"version": "1.2.0", "chapters": [
    {"startTime": 0, "title": "Intro"},
    {"startTime": 95.5, "title": "Main topic", "url": "https://example.org/topic"},
    {"startTime": 600, "title": "Hidden", "toc": False},
]}  # fmt: skip


# --- a real HTTP server -----------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """Serve fixed replies by path on 127.0.0.1; count the requests each path gets."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[], Reply]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                route = server.routes.get(path) or server.fallback(path)
                reply = route() if callable(route) else route
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def fallback(self, path: str) -> Reply:
        """Stand in for the old hosts: audio, artwork, chapters and transcripts by file type."""
        plain = path.split("?", 1)[0]
        if plain.endswith((".mp3", ".m4a")):
            return Reply(
                body=(AUDIO / "cbr.mp3").read_bytes(), headers={"Content-Type": "audio/mpeg"}
            )
        if plain.endswith(".jpg"):
            return Reply(body=artwork_bytes(), headers={"Content-Type": "image/jpeg"})
        if plain.endswith("chapters.json"):
            return Reply(
                body=json.dumps(CHAPTERS).encode(), headers={"Content-Type": "application/json"}
            )
        if plain.endswith(".vtt"):
            return Reply(body=VTT.encode(), headers={"Content-Type": "text/vtt"})
        if plain.endswith(".srt"):
            return Reply(body=SRT.encode(), headers={"Content-Type": "application/x-subrip"})
        return Reply(404, b"not found", {"Content-Type": "text/plain"})

    def mirror(self, name: str) -> str:
        """Serve a committed feed with every https URL moved to this server; return its URL."""
        body = (FEEDS / name).read_text(encoding="utf-8")
        body = re.sub(
            r"""((?:url|href)=["']|<url>)https://([^/"'<\s]+)/""",
            lambda m: f"{m[1]}{self.base}/{m[2]}/",
            body,
        )
        self.routes[f"/{name}"] = Reply(
            body=body.encode(), headers={"Content-Type": "application/rss+xml"}
        )
        return self.url(f"/{name}")

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


_ARTWORK: list[bytes] = []


def artwork_bytes() -> bytes:
    if not _ARTWORK:
        buffer = io.BytesIO()
        Image.new("RGB", (1400, 1400), (40, 120, 90)).save(buffer, "JPEG", quality=80)
        _ARTWORK.append(buffer.getvalue())
    return _ARTWORK[0]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def parsed(body: bytes) -> dict[str, Any]:
    return podcastparser.parse("", io.BytesIO(body))


# --- real-world feeds -----------------------------------------------------------------------


@pytest.mark.parametrize("name", HOST_FEEDS)
def test_import_feed_keeps_every_episode_guid_and_duration(
    app: Flask, server: FeedServer, name: str
) -> None:
    url = server.mirror(name)
    expected = parsed((FEEDS / name).read_bytes())["episodes"]

    report = run_import(app, url)

    assert report.failed == []
    show = db.session.scalar(select(Show).where(Show.source_feed_url == url))
    assert show is not None
    episodes = {e.guid: e for e in db.session.scalars(select(Episode).where(Episode.show == show))}
    assert len(episodes) == len(expected)
    for item in expected:
        episode = episodes[item["guid"]]
        assert episode.remote_audio_duration_seconds == (item["total_time"] or None)
        assert episode.remote_audio_url.startswith(server.base)
        assert episode.publish_at == datetime.fromtimestamp(item["published"], UTC)
        assert episode.status == "published"
        assert episode.season == item.get("season")
        assert episode.number == item.get("number")
        assert episode.episode_type == item.get("type", "full")
        assert episode.is_explicit == bool(item.get("explicit"))
    assert show.artwork is not None


@pytest.mark.parametrize("name", HOST_FEEDS)
def test_import_feed_rerun_duplicates_nothing(app: Flask, server: FeedServer, name: str) -> None:
    url = server.mirror(name)
    run_import(app, url)
    before = [count(model) for model in (Show, Episode, Person, Credit, Chapter, Transcript)]

    report = run_import(app, url)

    assert report.is_new_show is False
    assert {outcome.action for outcome in report.outcomes} == {"updated"}
    assert [
        count(model) for model in (Show, Episode, Person, Credit, Chapter, Transcript)
    ] == before


def test_import_feed_rerun_updates_what_changed(app: Flask, server: FeedServer) -> None:
    url = server.mirror("transistor.xml")
    run_import(app, url)
    reply = server.routes["/transistor.xml"]
    assert isinstance(reply, Reply)
    reply.body = reply.body.replace(
        b"The Flaky Test Zoo</title>", b"The Flaky Test Zoo (remastered)</title>"
    )

    run_import(app, url)

    episode = db.session.scalar(
        select(Episode).where(Episode.guid == "c9e8d7b6-a5f4-4e3d-9c2b-1a0f9e8d7c6b")
    )
    assert episode is not None
    assert episode.title == "The Flaky Test Zoo (remastered)"
    assert count(Episode) == 2


def test_import_feed_reads_show_fields_and_sanitizes_notes(app: Flask, server: FeedServer) -> None:
    report = run_import(app, server.mirror("libsyn.xml"))

    show = report.show
    assert (show.title, show.author, show.owner_email) == (
        "The Workshop Hour",
        "Workshop Media",
        "editor@workshophour.example",
    )
    assert (show.category, show.subcategory, show.show_type) == ("Leisure", "Hobbies", "episodic")
    episode = db.session.scalar(select(Episode).where(Episode.number == 142))
    assert episode is not None
    assert "<strong>one</strong>" in episode.notes_html
    assert "script" not in episode.notes_html
    assert "onclick" not in episode.notes_html
    assert episode.remote_audio_length == 61204377
    assert episode.remote_audio_type == "audio/mpeg"


def test_import_feed_brings_people_chapters_and_transcripts(app: Flask, server: FeedServer) -> None:
    run_import(app, server.mirror("buzzsprout.xml"))

    episode = db.session.scalar(select(Episode).where(Episode.guid == "Buzzsprout-15012345"))
    assert episode is not None
    assert [(c.person.name, c.role) for c in episode.credits] == [
        ("Priya Raman", "host"),
        ("Joel Okafor", "co-host"),
        ("Dr. Hana Ito", "guest"),
    ]
    assert episode.credits[0].person.website == server.url("/gardennotes.example/priya")
    assert [(c.start_seconds, c.title) for c in episode.chapters] == [
        (0, "Intro"),
        (95.5, "Main topic"),
    ]
    assert [(t.format, t.language) for t in episode.transcripts] == [("vtt", "en")]
    assert count(Person) == 3  # the hosts of both episodes are the same people


def test_import_feed_reads_podlove_chapters_and_srt_transcripts(
    app: Flask, server: FeedServer
) -> None:
    run_import(app, server.mirror("podlove.xml"))
    run_import(app, server.mirror("castopod.xml"))

    podlove = db.session.scalar(select(Episode).where(Episode.number == 31))
    assert podlove is not None
    assert [c.title for c in podlove.chapters] == [
        "Intro",
        "Was ist Kurzwelle?",
        "DRM und die Zukunft",
        "Ausklang",
    ]
    assert "iframe" not in podlove.notes_html
    castopod = db.session.scalar(select(Episode).where(Episode.number == 4))
    assert castopod is not None
    assert [(t.format, t.language) for t in castopod.transcripts] == [("srt", "fr")]
    assert {c.role for c in castopod.credits} == {"host", "guest", "editor"}


def test_import_feed_from_a_local_file(app: Flask) -> None:
    document = importer.read_feed(str(FEEDS / "anchor.xml"), fetcher(), max_bytes=10**7)

    assert [episode.guid for episode in document.episodes] == [
        "6f1c2b3a-8d9e-4f0a-b1c2-d3e4f5a6b7c8",
        "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    ]
    assert document.source == str((FEEDS / "anchor.xml").resolve())


# --- with media -----------------------------------------------------------------------------


MEDIA_FILES = ["cbr.mp3", "vbr_xing.mp3", "vbr_vbri.mp3"]


def media_feed(server: FeedServer) -> str:
    """Serve a feed whose enclosures are real MP3s on the server, declared truthfully."""
    expected = json.loads((AUDIO / "expected.json").read_text())
    items = []
    for number, name in enumerate(MEDIA_FILES, start=1):
        body = (AUDIO / name).read_bytes()
        server.routes[f"/media/{name}"] = Reply(body=body, headers={"Content-Type": "audio/mpeg"})
        items.append(
            f'<item><title>Episode {number}</title><guid isPermaLink="false">local-{number}</guid>'
            f"<pubDate>Mon, 0{number} Jan 2024 10:00:00 +0000</pubDate>"
            f'<enclosure url="{server.url("/media/" + name)}" length="{len(body)}" '
            'type="audio/mpeg"/>'
            f"<itunes:duration>{round(expected[name]['duration_seconds'])}</itunes:duration>"
            f"<itunes:episode>{number}</itunes:episode></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        "<title>Local Media</title><description>Test</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>"
    )
    server.routes["/feed.xml"] = Reply(
        body=feed.encode(), headers={"Content-Type": "application/rss+xml"}
    )
    return server.url("/feed.xml")


def test_import_feed_with_media_makes_our_feed_match_the_source(
    app: Flask, server: FeedServer
) -> None:
    url = media_feed(server)
    progress: list[tuple[str, int | None, int]] = []

    @contextmanager
    def record(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
        done = [0]
        yield lambda n: done.__setitem__(0, done[0] + n)
        progress.append((label, total, done[0]))

    report = run_import(app, url, download_media=True, progress=record)

    assert report.failed == []
    source = {item["guid"]: item for item in parsed(server.routes["/feed.xml"].body)["episodes"]}  # type: ignore[union-attr]
    items = feed_source.all_feed_items(db.session, report.show, LINKS, utcnow())
    assert len(items) == len(source)
    for item in items:
        original = source[item.guid]
        assert item.enclosure_length == original["enclosures"][0]["file_size"]
        assert round(item.duration_seconds) == original["total_time"]
        assert item.enclosure_url.startswith("http://podcasts.example.org/media/")
    assert sorted(total for _, total, _ in progress) == sorted(
        (AUDIO / name).stat().st_size for name in MEDIA_FILES
    )
    assert all(total == done for _, total, done in progress)


def test_import_feed_with_media_resumes_without_downloading_again(
    app: Flask, server: FeedServer
) -> None:
    url = media_feed(server)
    server.routes["/media/vbr_vbri.mp3"] = Reply(404, b"gone")
    first = run_import(app, url, download_media=True)
    assert {o.guid: o.action for o in first.outcomes} == {
        "local-1": "created",
        "local-2": "created",
        "local-3": "failed",
    }
    server.routes["/media/vbr_vbri.mp3"] = Reply(
        body=(AUDIO / "vbr_vbri.mp3").read_bytes(), headers={"Content-Type": "audio/mpeg"}
    )

    second = run_import(app, url, download_media=True)

    assert {o.guid: o.action for o in second.outcomes} == {
        "local-1": "updated",
        "local-2": "updated",
        "local-3": "created",
    }
    assert server.hits["/media/cbr.mp3"] == 1
    assert server.hits["/media/vbr_vbri.mp3"] == 2
    assert count(Episode) == 3
    assert db.session.scalar(select(func.count()).where(Episode.audio_id.is_(None))) == 0


def test_import_feed_with_media_stores_episode_artwork(app: Flask, server: FeedServer) -> None:
    report = run_import(app, server.mirror("podlove.xml"), download_media=True)

    assert report.failed == []
    with_art = db.session.scalar(select(Episode).where(Episode.number == 31))
    without_art = db.session.scalar(select(Episode).where(Episode.number == 30))
    assert with_art is not None
    assert without_art is not None
    assert with_art.artwork is not None
    assert with_art.artwork.width == 1400
    assert without_art.artwork is None
    assert with_art.audio is not None
    assert with_art.remote_audio_url is None


def test_import_feed_command_reports_and_progresses(
    app: Flask, server: FeedServer, runner: Any
) -> None:
    app.config["CATALOG_IMPORT_ALLOW_PRIVATE"] = True
    url = media_feed(server)

    result = runner.invoke(args=["import-feed", url, "--download-media"])

    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 failed" in result.output
    assert db.session.scalar(select(func.count()).where(MediaFile.kind == "audio")) == 3


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<?xml version='1.0'?><rss><channel><title>Broken</title><item>", "not a well-formed"),
        (b"<!DOCTYPE html><html><head><title>Blog</title></head></html>", "web page"),
        (b"<html><body><p>Moved</p></body></html>", "web page"),
        (b"<rss version='2.0'><channel><title>Empty</title></channel></rss>", "no episodes"),
        (b"", "not a well-formed feed"),
    ],
)  # fmt: skip
def test_read_feed_refuses_what_is_not_a_feed(
    app: Flask, server: FeedServer, body: bytes, message: str
) -> None:
    server.routes["/bad.xml"] = Reply(body=body, headers={"Content-Type": "application/xml"})

    with pytest.raises(InvalidFeed, match=message):
        importer.read_feed(server.url("/bad.xml"), fetcher(), max_bytes=10**6)
    assert count(Show) == 0


def bad_feed(server: FeedServer, enclosures: list[tuple[str, str]]) -> str:
    """Serve a feed with one good MP3 first, then the given (guid, enclosure URL) items."""
    server.routes["/media/good.mp3"] = Reply(
        body=(AUDIO / "cbr.mp3").read_bytes(), headers={"Content-Type": "audio/mpeg"}
    )
    items = [("good", server.url("/media/good.mp3"))] + enclosures
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Mixed</title>"
        + "".join(
            f"<item><title>Item {guid}</title><guid>{guid}</guid>"
            f"<pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate>"
            f"<enclosure url='{url}' length='1000' type='audio/mpeg'/></item>"
            for guid, url in items
        )
        + "</channel></rss>"
    )
    server.routes["/mixed.xml"] = Reply(body=feed.encode())
    return server.url("/mixed.xml")


MPEG = {"Content-Type": "audio/mpeg"}
HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize(
    ("route", "reply", "message"),
    [
        ("/media/missing.mp3", Reply(404, b"nope"), "HTTP 404"),
        ("/media/page.mp3", Reply(body=b"<html>hi</html>" * 99, headers=HTML), "not audio"),
        ("/media/text.mp3", Reply(body=b"just text, not audio" * 99, headers=MPEG), ""),
        ("/media/loop.mp3", Reply(302, b"", {"Location": "/media/loop2.mp3"}), "loop"),
        ("/media/huge.mp3", Reply(body=(AUDIO / "cbr.mp3").read_bytes(), headers=MPEG), "limit"),
    ],
)  # fmt: skip
def test_import_feed_reports_a_bad_enclosure_and_goes_on(
    app: Flask, server: FeedServer, route: str, reply: Reply, message: str
) -> None:
    server.routes[route] = reply
    server.routes["/media/loop2.mp3"] = Reply(302, b"", {"Location": "/media/loop.mp3"})
    url = bad_feed(server, [("bad", server.url(route)), ("after", server.url("/media/good.mp3"))])
    limit = 47_000 if route == "/media/huge.mp3" else 10**8
    if limit < 10**8:  # the good file must fit: serve a smaller one for the others
        server.routes["/media/good.mp3"] = Reply(
            body=(AUDIO / "vbr_vbri.mp3").read_bytes(),
            headers={"Content-Type": "audio/mpeg"},
        )

    report = run_import(app, url, download_media=True, max_bytes=limit)

    outcomes = {o.guid: o for o in report.outcomes}
    assert outcomes["bad"].action == "failed"
    assert message in outcomes["bad"].message
    assert outcomes["after"].action == "created"
    assert db.session.scalar(select(Episode).where(Episode.guid == "bad")) is None
    incoming = Path(app.config["CATALOG_MEDIA_ROOT"]) / ".incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []


def test_import_feed_reports_a_duplicate_guid(app: Flask, server: FeedServer) -> None:
    url = bad_feed(server, [("good", server.url("/media/good.mp3"))])

    report = run_import(app, url)

    assert [o.action for o in report.outcomes] == ["created", "failed"]
    assert "appears twice" in report.outcomes[1].message
    assert count(Episode) == 1


def test_import_feed_without_media_refuses_an_enclosure_that_is_not_audio(
    app: Flask, server: FeedServer
) -> None:
    url = bad_feed(server, [])
    reply = server.routes["/mixed.xml"]
    assert isinstance(reply, Reply)
    reply.body = reply.body.replace(b"</channel>", (
        b"<item><title>Slides</title><guid>pdf</guid><enclosure url='https://x.example/a.pdf' "
        b"length='10' type='application/pdf'/></item></channel>"
    ))  # fmt: skip

    report = run_import(app, url)

    assert [o.action for o in report.outcomes] == ["created", "failed"]
    assert "not audio" in report.outcomes[1].message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://localhost/feed.xml",
        "http://10.1.2.3/feed.xml",
        "http://192.168.0.10/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
        "http://[fe80::1]/feed.xml",
        "http://0.0.0.0/feed.xml",
        "ftp://example.org/feed.xml",
        "file:///etc/passwd",
        "gopher://example.org/",
    ],
)
def test_fetcher_refuses_private_addresses_and_other_schemes(url: str) -> None:
    with pytest.raises(importer.ImportRefused):
        importer.Fetcher().check_url(url)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_fetcher_checks_every_redirect_hop(server: FeedServer, target: str) -> None:
    """The check the first URL passes is made again on every hop a server redirects to."""
    server.routes["/hop"] = Reply(302, b"", {"Location": target})

    with pytest.raises(importer.ImportRefused):
        fetcher().fetch_bytes(server.url("/hop"), max_bytes=1000)
    assert server.hits["/hop"] == 1


def test_fetcher_refuses_a_private_address_at_connect_time(server: FeedServer) -> None:
    """Even past check_url (a name that resolves elsewhere later), the socket is checked."""
    with pytest.raises(importer.ImportRefused, match="loopback"):
        importer.Fetcher(allow_private=False).http.get(server.url("/anything"), timeout=5)
    assert server.hits == {}


def test_import_feed_command_refuses_loopback_by_default(
    app: Flask, server: FeedServer, runner: Any
) -> None:
    url = server.mirror("libsyn.xml")

    result = runner.invoke(args=["import-feed", url])

    assert result.exit_code == 1
    assert "loopback" in result.output
    assert server.hits == {}
    assert count(Show) == 0
