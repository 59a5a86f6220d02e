"""Print how the episode page and search scale from 10 to 10,000 episodes.

    python benchmarks/pages.py [--seconds 3]

Each catalog gets its own SQLite file at the newest migration. Requests go through
the WSGI app in process (no network), so the figures measure our code and queries.
Targets: episode page req/s at 10,000 episodes >= 0.8 x at 10; search faster than
a LIKE scan over the same text.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select

from catalog import create_app, schema, search
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Chapter, Credit, Episode, MediaFile, Person, Show, Transcript

WORDS = (
    "orbit launcher lunar lander satellite regolith propellant cislunar payload rover "
    "booster fairing constellation debris telescope habitat docking thruster"
).split()


def _transcript(number: int) -> str:
    lines = ["WEBVTT", ""]
    for cue in range(20):
        text = " ".join(WORDS[(number * 7 + cue * 3 + k) % len(WORDS)] for k in range(12))
        lines += [
            f"00:{cue // 2:02d}:{(cue % 2) * 30:02d}.000 --> 00:{cue // 2:02d}:"
            f"{(cue % 2) * 30 + 29:02d}.000",
            text,
            "",
        ]
    return "\n".join(lines)


def build_catalog(size: int, directory: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / f'catalog-{size}.db'}",
            "CATALOG_MEDIA_ROOT": str(directory / "media"),
            "CATALOG_BASE_URL": "http://bench.example.org",
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        schema.upgrade_schema(app)
        show = Show(slug="bench", title="Bench Show", podcast_guid=str(uuid.uuid4()))
        guest = Person(slug="guest", name="Takeshi Hakamada", affiliation="ispace")
        db.session.add_all([show, guest])
        for number in range(size):
            if number and number % 500 == 0:
                db.session.commit()
                db.session.expunge_all()
                show, guest = db.session.merge(show), db.session.merge(guest)
            sha = f"{number:064x}"
            audio = MediaFile(
                kind="audio",
                sha256=sha,
                storage_key=f"{sha}.mp3",
                mime_type="audio/mpeg",
                size_bytes=1,
                duration_seconds=1800.0,
                tags={},
            )
            db.session.add(
                Episode(
                    show=show,
                    slug=f"episode-{number}",
                    guid=str(uuid.uuid4()),
                    title=f"Episode {number}: {WORDS[number % len(WORDS)]}",
                    summary="An interview about the space industry.",
                    notes_html=f"<p>We talk about {WORDS[(number * 5) % len(WORDS)]}.</p>",
                    status="published",
                    publish_at=datetime(2000, 1, 1, tzinfo=UTC) + timedelta(hours=number),
                    audio=audio,
                    credits=[Credit(person=guest, role="guest")],
                    chapters=[Chapter(start_seconds=60.0 * k, title=f"Part {k}") for k in range(5)],
                    transcripts=[Transcript(format="vtt", body=_transcript(number))],
                )
            )
        # A rare word, as a listener would search for it.
        db.session.add(
            Episode(
                show=show,
                slug="needle",
                guid=str(uuid.uuid4()),
                title="Hakuto",
                status="published",
                publish_at=datetime(1999, 1, 1, tzinfo=UTC),
                notes_html="<p>The XPRIZE story.</p>",
            )
        )
        db.session.commit()
    return app


def requests_per_second(app, url: str, seconds: float) -> float:
    client = app.test_client()
    assert client.get(url).status_code == 200
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.get(url)
        count += 1
    return count / (time.perf_counter() - start)


def timed(function, repeat: int = 30) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def like_scan(term: str) -> list:
    pattern = f"%{term}%"
    return list(
        db.session.scalars(
            select(Episode.id)
            .outerjoin(Transcript)
            .where(
                or_(
                    Episode.title.ilike(pattern),
                    Episode.notes_html.ilike(pattern),
                    Transcript.body.ilike(pattern),
                )
            )
            .limit(20)
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rates = {}
        for size in (10, 10_000):
            started = time.perf_counter()
            app = build_catalog(size, Path(folder))
            print(f"catalog of {size:>6} episodes built in {time.perf_counter() - started:.1f} s")
            url = f"/shows/bench/episodes/episode-{size // 2}/"
            rates[size] = requests_per_second(app, url, arguments.seconds)
            print(f"  episode page: {rates[size]:.0f} req/s")
            if size == 10_000:
                with app.app_context():
                    for term in ("xprize", "regolith"):
                        fts = timed(lambda t=term: search.search(db.session, t, utcnow()))
                        like = timed(lambda t=term: like_scan(t))
                        print(
                            f"  search {term!r}: full-text {fts:.2f} ms, LIKE scan {like:.2f} ms"
                            f" (x{like / fts:.1f})"
                        )
                    client = app.test_client()
                    page = timed(lambda c=client: c.get("/search?q=xprize"), 10)
                    print(f"  /search?q=xprize page: {page:.1f} ms")
        print(f"episode page ratio 10,000 / 10: {rates[10_000] / rates[10]:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
