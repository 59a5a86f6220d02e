"""The demo catalog: Space Café Radio, its ispace interview, and Takeshi Hakamada's page.

Loading is idempotent: records are found by slug and left alone when present, so
running ``catalog demo`` twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import uploads
from catalog.models import Chapter, Credit, Episode, MediaFile, Person, Show
from catalog.publishing import new_episode_guid
from catalog.show_notes import render_notes
from catalog.storage import MediaStore

MEDIA = Path(__file__).resolve().parent / "media"
DEMO_LIMIT_BYTES = 10 * 1024 * 1024

SHOW = {
    "slug": "space-cafe-radio",
    "title": "Space Café Radio",
    "subtitle": "Conversations with the people building the space industry",
    "description": (
        "**Space Café Radio** is the interview show of SpaceWatch.Global. Founders, engineers, "
        "investors and policy makers talk about launchers, satellites, the Moon and the business "
        "of space — without the press-release varnish."
    ),
    "language": "en",
    "category": "Science",
    "subcategory": "Astronomy",
    "author": "SpaceWatch.Global",
    "owner_name": "SpaceWatch.Global",
    "owner_email": "podcast@spacewatch.global",
    "copyright": "© SpaceWatch.Global",
    "link": "https://spacewatch.global/",
}

PEOPLE: dict[str, dict[str, str | None]] = {
    "takeshi-hakamada": {
        "name": "Takeshi Hakamada",
        "affiliation": "Founder and CEO, ispace",
        "bio": (
            "Takeshi Hakamada founded ispace, the Tokyo-based lunar exploration company, and leads "
            "it as chief executive. Before ispace he led the HAKUTO team in the Google Lunar "
            "XPRIZE. "
            "His company builds small landers and rovers to carry customers' payloads to the Moon."
        ),
        "website": "https://ispace-inc.com/",
        "photo": "takeshi-hakamada.jpg",
    },
    "torsten-kriening": {
        "name": "Torsten Kriening",
        "affiliation": "Publisher, SpaceWatch.Global",
        "bio": "Publisher of SpaceWatch.Global and host of Space Café Radio.",
        "website": "https://spacewatch.global/",
        "photo": None,
    },
}

ISPACE_NOTES = """\
Why would a Tokyo start-up want to fly to the Moon, and why now? **Takeshi Hakamada**,
founder and CEO of ispace, tells the story of Japan's path from national missions to
commercial lunar landers.

We talk about:

- how the HAKUTO team of the Google Lunar XPRIZE turned into a company,
- what a failed landing teaches an engineering team, and why ispace flew again,
- why small, frequent landers could make the Moon a place for business as well as science,
- Japan's role beside the United States and Europe in the Artemis era, and the idea of a
  *cislunar economy* built on lunar water.

Links: [ispace](https://ispace-inc.com/) · [SpaceWatch.Global](https://spacewatch.global/)
"""

EPISODES: list[dict[str, Any]] = [
    {
        "slug": "welcome-to-space-cafe-radio",
        "title": "Welcome to Space Café Radio",
        "summary": "What this show is about and who you will hear.",
        "notes": "A short trailer: who we are, what we ask, and why the space industry deserves "
        "better interviews.",
        "episode_type": "trailer",
        "number": None,
        "publish_at": datetime(2024, 3, 12, 7, 0, tzinfo=UTC),
        "credits": [("torsten-kriening", "host")],
        "chapters": [],
    },
    {
        "slug": "ispace-and-the-japanese-space-journey",
        "title": "ispace and the Japanese space journey",
        "summary": (
            "Takeshi Hakamada, founder and CEO of ispace, on Japan's role in lunar exploration."
        ),
        "notes": ISPACE_NOTES,
        "episode_type": "full",
        "number": 1,
        "publish_at": datetime(2024, 5, 7, 7, 0, tzinfo=UTC),
        "credits": [("torsten-kriening", "host"), ("takeshi-hakamada", "guest")],
        "chapters": [
            (0.0, "Welcome"),
            (9.0, "Lessons from landing"),
            (16.0, "The cislunar economy"),
        ],
    },
    {
        "slug": "europes-launcher-question",
        "title": "Europe's launcher question",
        "summary": "New rockets, new companies, new rules: who gets Europe to orbit?",
        "notes": "How Europe's launch landscape is changing, and what it means for the "
        "satellites it wants to fly.",
        "episode_type": "full",
        "number": 2,
        "publish_at": datetime(2024, 6, 18, 7, 0, tzinfo=UTC),
        "credits": [("torsten-kriening", "host")],
        "chapters": [],
    },
]


def load_demo(session: Session, store: MediaStore, *, podcast_guid: str) -> Show:
    """Add the demo show, people and episodes that are missing; leave present ones alone."""
    people = {slug: _ensure_person(session, store, slug, data) for slug, data in PEOPLE.items()}
    show = session.scalar(select(Show).where(Show.slug == SHOW["slug"]))
    if show is None:
        show = Show(
            **SHOW,
            description_html=render_notes(SHOW["description"]),
            podcast_guid=podcast_guid,
            artwork=_image(session, store, "space-cafe-radio.jpg"),
        )
        session.add(show)
        session.flush()
    for data in EPISODES:
        _ensure_episode(session, store, show, people, data)
    session.flush()
    return show


def _image(session: Session, store: MediaStore, name: str) -> MediaFile:
    with (MEDIA / name).open("rb") as stream:
        return uploads.add_image(session, store, stream, filename=name, max_bytes=DEMO_LIMIT_BYTES)


def _ensure_person(
    session: Session, store: MediaStore, slug: str, data: dict[str, str | None]
) -> Person:
    person = session.scalar(select(Person).where(Person.slug == slug))
    if person is None:
        photo = _image(session, store, data["photo"]) if data["photo"] else None
        fields = {key: value for key, value in data.items() if key != "photo"}
        person = Person(slug=slug, photo=photo, **fields)
        session.add(person)
        session.flush()
    return person


def _ensure_episode(
    session: Session, store: MediaStore, show: Show, people: dict[str, Person], data: dict
) -> None:
    slug = data["slug"]
    if session.scalar(select(Episode.id).where(Episode.show_id == show.id, Episode.slug == slug)):
        return
    with (MEDIA / f"{slug}.mp3").open("rb") as stream:
        audio = uploads.add_audio(
            session, store, stream, filename=f"{slug}.mp3", max_bytes=DEMO_LIMIT_BYTES
        )
    episode = Episode(
        show=show,
        slug=slug,
        guid=new_episode_guid(),
        title=data["title"],
        summary=data["summary"],
        notes_markdown=data["notes"],
        notes_html=render_notes(data["notes"]),
        status="published",
        publish_at=data["publish_at"],
        number=data["number"],
        episode_type=data["episode_type"],
        audio=audio,
    )
    episode.credits = [
        Credit(person=people[person_slug], role=role, position=index)
        for index, (person_slug, role) in enumerate(data["credits"])
    ]
    episode.chapters = [
        Chapter(start_seconds=start, title=title) for start, title in data["chapters"]
    ]
    session.add(episode)
