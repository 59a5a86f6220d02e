"""The schema enforces the catalog's invariants, not only the Python code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from catalog.extensions import db
from catalog.models import Episode
from tests.factories import make_credit, make_episode, make_person, make_show


def test_show_slug_is_unique(app):
    make_show(slug="same")
    with pytest.raises(IntegrityError):
        make_show(slug="same")


def test_show_podcast_guid_is_unique(app):
    make_show(podcast_guid="9b024349-ccf0-5f69-a609-6b82873eab3c")
    with pytest.raises(IntegrityError):
        make_show(podcast_guid="9b024349-ccf0-5f69-a609-6b82873eab3c")


def test_episode_slug_is_unique_within_a_show(app):
    show = make_show()
    make_episode(show, slug="pilot")
    with pytest.raises(IntegrityError):
        make_episode(show, slug="pilot")


def test_episode_slug_may_repeat_across_shows(app):
    make_episode(make_show(), slug="pilot")
    make_episode(make_show(), slug="pilot")
    assert db.session.query(Episode).filter_by(slug="pilot").count() == 2


def test_episode_guid_is_unique_within_a_show(app):
    show = make_show()
    make_episode(show, guid="guid-1")
    with pytest.raises(IntegrityError):
        make_episode(show, guid="guid-1")


def test_person_slug_is_unique(app):
    make_person(slug="takeshi-hakamada")
    with pytest.raises(IntegrityError):
        make_person(slug="takeshi-hakamada")


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("episode", "status", "'live'"),
        ("episode", "episode_type", "'teaser'"),
        ("show", "show_type", "'weekly'"),
    ],
)
def test_enum_columns_are_checked_by_the_database(app, table, column, value):
    show = make_show()
    episode = make_episode(show)
    row_id = episode.id if table == "episode" else show.id
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE {table} SET {column} = {value} WHERE id = {row_id}"))


def test_credit_role_is_checked_by_the_database(app):
    episode = make_episode(make_show())
    with pytest.raises(IntegrityError):
        make_credit(episode, make_person(), role="mascot")


def test_published_episode_needs_a_publish_time(app):
    with pytest.raises(IntegrityError):
        make_episode(make_show(), status="published", publish_at=None)


def test_credit_needs_an_existing_person(app):
    episode = make_episode(make_show())
    insert = text(
        "INSERT INTO credit (episode_id, person_id, role, position) VALUES (:e, 999, 'guest', 0)"
    )
    with pytest.raises(IntegrityError):
        db.session.execute(insert, {"e": episode.id})


def test_datetimes_come_back_aware_utc(app):
    tokyo = timezone(timedelta(hours=9))
    episode = make_episode(make_show(), publish_at=datetime(2024, 5, 7, 16, 0, tzinfo=tokyo))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Episode, episode.id)
    assert stored.publish_at == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)
    assert stored.publish_at.tzinfo is not None


def test_naive_datetimes_are_refused(app):
    with pytest.raises(StatementError, match="naive datetime"):
        make_episode(make_show(), publish_at=datetime(2024, 5, 7, 7, 0))


@pytest.mark.parametrize(
    ("status", "offset", "visible"),
    [
        ("published", -1, True),
        ("scheduled", -1, True),
        ("scheduled", +1, False),
        ("draft", None, False),
    ],
)
def test_episode_is_published_only_from_its_time(app, status, offset, visible):
    now = datetime(2025, 1, 1, tzinfo=UTC)
    publish_at = None if offset is None else now + timedelta(minutes=offset)
    episode = make_episode(make_show(), status=status, publish_at=publish_at)
    assert episode.is_published(now) is visible
