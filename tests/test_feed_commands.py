"""``catalog feeds rebuild`` and ``catalog feeds check`` as an operator runs them."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import FeedCache, FeedItemCache
from tests.factories import make_episode, make_show


def test_feeds_check_passes_the_demo_show(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0

    result = runner.invoke(args=["feeds", "check", "space-cafe-radio"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Space Café Radio: 0 error(s), 0 warning(s)."


def test_feeds_check_prints_what_apple_would_reject_and_fails(runner: FlaskCliRunner) -> None:
    show = make_show(slug="no-artwork", title="No Artwork", description_html="<p>About</p>")
    make_episode(show)
    db.session.commit()

    result = runner.invoke(args=["feeds", "check", "no-artwork"])

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert any("artwork" in line.lower() or "image" in line.lower() for line in errors), (
        result.output
    )
    assert result.output.splitlines()[-1].startswith(f"No Artwork: {len(errors)} error(s)")


def test_feeds_rebuild_renders_every_item_of_one_show(runner: FlaskCliRunner) -> None:
    show = make_show(slug="rebuilt", description_html="<p>About</p>")
    make_episode(show)
    make_episode(show)
    other = make_show(slug="left-alone", description_html="<p>About</p>")
    make_episode(other)
    db.session.commit()

    result = runner.invoke(args=["feeds", "rebuild", "rebuilt"])

    assert result.exit_code == 0, result.output
    assert "rebuilt: 2 episodes rendered." in result.output
    assert "Rebuilt 1 feed(s)" in result.output
    db.session.expire_all()
    cache = db.session.get(FeedCache, show.id)
    assert cache is not None
    assert cache.etag
    assert not cache.is_stale
    assert db.session.scalar(select(func.count()).select_from(FeedItemCache)) == 2
    again = runner.invoke(args=["feeds", "rebuild", "rebuilt"])
    assert "rebuilt: 2 episodes rendered." in again.output  # forced: cached items too


def test_feeds_rebuild_without_a_show_rebuilds_them_all(runner: FlaskCliRunner) -> None:
    for slug in ("first", "second"):
        make_episode(make_show(slug=slug, description_html="<p>About</p>"))
    db.session.commit()

    result = runner.invoke(args=["feeds", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "first: 1 episodes rendered." in result.output
    assert "second: 1 episodes rendered." in result.output
    assert "Rebuilt 2 feed(s)" in result.output


def test_feeds_commands_name_an_unknown_show_in_one_line(runner: FlaskCliRunner) -> None:
    for command in ("rebuild", "check"):
        result = runner.invoke(args=["feeds", command, "nowhere"])

        assert result.exit_code == 1, result.output
        assert "nowhere" in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
