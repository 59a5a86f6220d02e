"""``catalog episodes import-audio`` turns audio files into draft episodes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import Episode, MediaFile
from tests.factories import make_show

CORPUS = Path(__file__).parent / "fixtures" / "audio"


def _stored_files(app) -> list[Path]:
    root = Path(app.config["CATALOG_MEDIA_ROOT"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_import_audio_creates_drafts_prefilled_from_tags(app, runner):
    make_show(slug="imports")
    db.session.commit()
    result = runner.invoke(
        args=[
            "episodes",
            "import-audio",
            "imports",
            str(CORPUS / "cbr.mp3"),
            str(CORPUS / "flac.flac"),
        ]
    )
    assert result.exit_code == 0, result.output
    drafts = db.session.scalars(select(Episode).order_by(Episode.id)).all()
    assert [episode.status for episode in drafts] == ["draft", "draft"]
    assert all(episode.audio is not None for episode in drafts)
    assert "cbr.mp3: draft" in result.output


def test_import_audio_reports_bad_files_and_keeps_the_good_ones(app, runner):
    make_show(slug="imports")
    db.session.commit()
    bad = [CORPUS / name for name in ("empty.mp3", "truncated.mp3", "text_named.mp3")]
    result = runner.invoke(
        args=["episodes", "import-audio", "imports", *map(str, bad), str(CORPUS / "cbr.mp3")]
    )
    assert result.exit_code == 1
    assert "empty.mp3: The file is empty." in result.output
    assert "text_named.mp3:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 1
    audio_rows = db.session.scalar(
        select(func.count()).select_from(MediaFile).where(MediaFile.kind == "audio")
    )
    assert audio_rows == 1
    assert not [path for path in _stored_files(app) if ".incoming" in path.parts and path.is_file()]


def test_import_audio_into_unknown_show_fails_with_one_line(runner):
    result = runner.invoke(args=["episodes", "import-audio", "nope", str(CORPUS / "cbr.mp3")])
    assert result.exit_code == 1
    assert "There is no show at “nope”." in result.output
