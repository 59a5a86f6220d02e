"""Each public page runs the same number of SQL statements for 10 and for 1,000 episodes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from catalog.extensions import db
from catalog.models import Chapter, Credit, Episode, Transcript
from tests.factories import make_audio, make_person, make_show


def _build_catalog(name: str, size: int) -> None:
    show = make_show(slug=name)
    guest, host = make_person(slug=f"{name}-guest"), make_person(slug=f"{name}-host")
    for number in range(size):
        episode = Episode(
            show=show,
            slug=f"episode-{number}",
            guid=str(uuid.uuid4()),
            title=f"{name} comet talk {number}",
            status="published",
            publish_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=number),
            audio=make_audio(),
            credits=[
                Credit(person=host, role="host", position=0),
                Credit(person=guest, role="guest", position=1),
            ],
            chapters=[
                Chapter(start_seconds=0, title="Start"),
                Chapter(start_seconds=9, title="On"),
            ],
            transcripts=[Transcript(format="vtt", body="WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n")],
        )
        db.session.add(episode)
    db.session.commit()


def _pages(name: str) -> dict[str, str]:
    return {
        "home": "/",
        "show": f"/shows/{name}/",
        "episode": f"/shows/{name}/episodes/episode-5/",
        "guest": f"/people/{name}-guest/",
        "search": f"/search?q={name}+comet",
    }


@contextmanager
def _counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _statements_per_page(client, name: str) -> dict[str, int]:
    counts = {}
    for page, url in _pages(name).items():
        db.session.remove()
        with _counted() as statements:
            assert client.get(url).status_code == 200, url
        counts[page] = len(statements)
    return counts


def test_pages_run_the_same_number_of_queries_for_10_and_1000_episodes(client):
    _build_catalog("small", 10)
    small = _statements_per_page(client, "small")
    _build_catalog("large", 1000)
    large = _statements_per_page(client, "large")
    assert large == small
    assert max(small.values()) <= 10, small
