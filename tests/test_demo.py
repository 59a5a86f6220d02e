"""``catalog demo`` loads Space Café Radio once; running it again changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select

from catalog.extensions import db
from catalog.models import Episode, Person, Show


def _snapshot() -> dict[str, list[tuple]]:
    """Return every row of every table, to compare whole databases."""
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(
            tuple(str(value) for value in row) for row in db.session.execute(select(table))
        )
    return rows


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_demo_loads_the_show_episodes_and_guest(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    show = db.session.scalars(select(Show).where(Show.slug == "space-cafe-radio")).one()
    assert show.title == "Space Café Radio"
    assert show.author == "SpaceWatch.Global"
    assert show.artwork is not None
    assert show.artwork.width == 1400
    titles = {episode.title for episode in show.episodes}
    assert "ispace and the Japanese space journey" in titles
    assert len(titles) >= 3
    hakamada = db.session.scalars(select(Person).where(Person.slug == "takeshi-hakamada")).one()
    assert hakamada.affiliation == "Founder and CEO, ispace"
    interview = db.session.scalars(
        select(Episode).where(Episode.slug == "ispace-and-the-japanese-space-journey")
    ).one()
    assert {(credit.person.slug, credit.role) for credit in interview.credits} == {
        ("takeshi-hakamada", "guest"),
        ("torsten-kriening", "host"),
    }


def test_demo_episodes_carry_real_audio(runner, app):
    runner.invoke(args=["demo"])
    media_root = Path(app.config["CATALOG_MEDIA_ROOT"])
    for episode in db.session.scalars(select(Episode)):
        audio = episode.audio
        assert audio.mime_type == "audio/mpeg"
        assert 5 < audio.duration_seconds < 120
        stored = media_root / audio.storage_key
        assert stored.stat().st_size == audio.size_bytes


def test_demo_twice_changes_nothing(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before, files_before = _snapshot(), _files(Path(app.config["CATALOG_MEDIA_ROOT"]))
    second = runner.invoke(args=["demo"])
    db.session.expire_all()
    assert second.exit_code == 0, second.output
    assert _snapshot() == before
    assert _files(Path(app.config["CATALOG_MEDIA_ROOT"])) == files_before
    assert set(inspect(db.engine).get_table_names()) >= {"show", "episode", "person", "credit"}
