"""The feed cache: built once, rebuilt when something it shows changes or comes due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from catalog import feed_cache
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.links import SiteLinks
from catalog.models import Chapter, FeedCache, FeedItemCache, Show, Transcript
from catalog.models.feed import FeedFrame
from tests.factories import make_audio, make_credit, make_episode, make_person, make_show

NOW = datetime(2100, 1, 1, 12, 0, tzinfo=UTC)  # after every factory publish time
LINKS = SiteLinks("http://podcasts.example.org")


def feed_show(**fields: object) -> Show:
    """A show complete enough to have a feed."""
    return make_show(description_html="<p>About the show</p>", **fields)


def refresh(show: Show, now: datetime = NOW) -> feed_cache.RefreshResult:
    result = feed_cache.refresh_feed(db.session, show.slug, LINKS, now)
    db.session.commit()
    return result


def body_of(show: Show, now: datetime = NOW) -> bytes:
    state = feed_cache.feed_state(db.session, show.slug, now)
    return feed_cache.feed_body(db.session, state).body


def is_fresh(show: Show, now: datetime = NOW) -> bool:
    return feed_cache.feed_state(db.session, show.slug, now).is_fresh


def fragment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(FeedItemCache))


def test_feed_cache_builds_once_and_serves_until_something_changes(app: Flask) -> None:
    show = feed_show()
    make_episode(show)
    make_episode(show)
    db.session.commit()
    assert not is_fresh(show)

    first = refresh(show)
    second = refresh(show)

    assert (first.rendered, first.reused) == (2, 0)
    assert (second.rendered, second.reused) == (0, 0)  # fresh: nothing built at all
    assert second.state.etag == first.state.etag
    assert is_fresh(show)


def test_feed_cache_editing_one_episode_of_a_large_show_renders_one_item(app: Flask) -> None:
    show = feed_show()
    episodes = [make_episode(show) for _ in range(150)]
    db.session.commit()
    refresh(show)

    episodes[70].title = "Edited title"
    db.session.commit()
    assert not is_fresh(show)
    result = refresh(show)

    assert (result.rendered, result.reused) == (1, 149)
    assert b"<title>Edited title</title>" in body_of(show)


@pytest.mark.parametrize(
    ("change", "rendered", "reused"),
    [
        pytest.param(lambda show, episode, person: setattr(show, "title", "New"), 0, 2, id="show"),
        pytest.param(
            lambda show, episode, person: setattr(episode, "summary", "x"), 1, 1, id="episode"
        ),
        pytest.param(
            lambda show, episode, person: setattr(person, "name", "Renamed"), 1, 1, id="person"
        ),
        pytest.param(
            lambda show, episode, person: episode.chapters.append(
                Chapter(start_seconds=5, title="Five")
            ),
            1,
            1,
            id="chapter",
        ),
        pytest.param(
            lambda show, episode, person: episode.transcripts.append(
                Transcript(format="vtt", language="en", body="WEBVTT\n")
            ),
            1,
            1,
            id="transcript",
        ),
        pytest.param(
            lambda show, episode, person: setattr(episode.audio, "size_bytes", 42), 1, 1, id="media"
        ),
        pytest.param(lambda show, episode, person: db.session.delete(episode), 0, 1, id="deletion"),
        pytest.param(
            lambda show, episode, person: make_credit(episode, make_person(), "guest"),
            1,
            1,
            id="new-credit",
        ),
    ],
)
def test_feed_cache_goes_stale_when_what_it_shows_changes(
    app: Flask, change, rendered: int, reused: int
) -> None:
    show = feed_show()
    person = make_person()
    episode = make_episode(show)
    other = make_episode(show)
    make_credit(episode, person, "host")
    db.session.commit()
    refresh(show)

    change(show, episode, person)
    db.session.commit()

    assert not is_fresh(show)
    result = refresh(show)
    # Only what changed is rendered again; the untouched episode's item is reused.
    assert (result.rendered, result.reused) == (rendered, reused)
    assert db.session.get(FeedItemCache, other.id) is not None


def test_feed_cache_person_edit_drops_every_credited_episode_in_every_show(app: Flask) -> None:
    person = make_person(name="Takeshi Hakamada")
    shows = [feed_show(), feed_show()]
    for show in shows:
        make_credit(make_episode(show), person, "guest")
        make_episode(show)
    db.session.commit()
    for show in shows:
        refresh(show)

    person.name = "Takeshi HAKAMADA"
    db.session.commit()

    for show in shows:
        result = refresh(show)
        assert (result.rendered, result.reused) == (1, 1)
        assert b"Takeshi HAKAMADA" in body_of(show)


def test_feed_cache_unrelated_flushes_leave_feeds_fresh(app: Flask) -> None:
    show = feed_show()
    make_episode(show)
    other_show = feed_show()
    db.session.commit()
    refresh(show)

    make_episode(other_show)
    db.session.commit()

    assert is_fresh(show)


def test_feed_cache_scheduled_episode_appears_exactly_when_due(app: Flask) -> None:
    show = feed_show()
    make_episode(show, title="Out already", publish_at=NOW - timedelta(days=1))
    due = NOW + timedelta(hours=3)
    make_episode(show, title="Coming soon", status="scheduled", publish_at=due)
    db.session.commit()

    before = refresh(show)
    assert before.state.valid_until == due
    assert b"Coming soon" not in body_of(show)
    assert is_fresh(show, due - timedelta(microseconds=1))
    assert not is_fresh(show, due)

    refresh(show, due)

    assert b"Coming soon" in body_of(show, due)
    assert feed_cache.feed_state(db.session, show.slug, due).valid_until is None


def test_feed_cache_cache_control_never_outlives_the_next_scheduled_episode(app: Flask) -> None:
    show = feed_show()
    make_episode(show, status="scheduled", publish_at=NOW + timedelta(seconds=90))
    db.session.commit()
    state = refresh(show).state

    assert "max-age=90," in feed_cache.cache_control(state, NOW)


def test_feed_cache_slug_change_rerenders_links_and_keeps_guids(app: Flask) -> None:
    show = feed_show(slug="old-name")
    episode = make_episode(show, slug="first")
    db.session.commit()
    refresh(show)

    show.slug = "new-name"
    episode.slug = "renamed"
    db.session.commit()
    body = refresh(show) and body_of(show)

    assert b"/shows/new-name/episodes/renamed/" in body
    assert b"old-name" not in body
    assert f">{episode.guid}</guid>".encode() in body


def test_feed_cache_base_url_change_rerenders_every_item(app: Flask) -> None:
    show = feed_show()
    make_episode(show)
    make_episode(show)
    db.session.commit()
    refresh(show)

    result = feed_cache.refresh_feed(
        db.session, show.slug, SiteLinks("https://cdn.example.net"), NOW, force=True
    )
    db.session.commit()

    assert result.rendered == 2
    assert b"http://podcasts.example.org" not in body_of(show)


def test_feed_cache_unknown_show_is_not_found(app: Flask) -> None:
    with pytest.raises(NotFound):
        feed_cache.feed_state(db.session, "nope", NOW)


def test_feed_cache_new_show_gets_a_stale_placeholder_row(app: Flask) -> None:
    show = feed_show()
    db.session.commit()

    cache = db.session.get(FeedCache, show.id)

    assert cache is not None
    assert cache.is_stale
    assert cache.etag == ""
    assert db.session.get(FeedFrame, show.id) is None


def test_feed_cache_gzip_body_is_the_same_document(app: Flask) -> None:
    import gzip

    show = feed_show()
    make_episode(show, audio=make_audio())
    db.session.commit()
    refresh(show)
    state = feed_cache.feed_state(db.session, show.slug, NOW)

    body = feed_cache.feed_body(db.session, state)

    assert gzip.decompress(body.body_gzip) == body.body
    assert fragment_count() == 1


def test_feed_cache_a_process_without_a_copy_joins_the_feed_from_the_database(
    app: Flask,
) -> None:
    show = feed_show()
    for _ in range(3):
        make_episode(show, audio=make_audio())
    db.session.commit()
    built = refresh(show)
    feed_cache.forget_copies()

    state = feed_cache.feed_state(db.session, show.slug, NOW)
    joined = feed_cache.feed_body(db.session, state)

    assert joined is not None
    assert joined.body == built.body.body
    assert joined is not built.body  # read and checked, not this process's copy
    assert db.session.scalar(select(func.length(FeedFrame.head))) < 4000  # no second copy


def test_feed_cache_a_process_keeps_one_copy_of_each_feed(app: Flask) -> None:
    show = feed_show()
    episode = make_episode(show)
    db.session.commit()
    first = refresh(show)
    episode.title = "Edited"
    db.session.commit()

    second = refresh(show)

    # The first copy is gone from memory, and the database has moved on from it.
    assert feed_cache.feed_body(db.session, first.state) is None
    assert feed_cache.feed_body(db.session, second.state) is second.body


def test_feed_cache_an_older_copy_joined_late_does_not_replace_the_newer(app: Flask) -> None:
    """A request that read the state before a rebuild may finish joining after it."""
    show = feed_show()
    episode = make_episode(show)
    db.session.commit()
    older = refresh(show)
    episode.title = "Edited"
    db.session.commit()
    newer = refresh(show, NOW + timedelta(minutes=1))

    late = feed_cache._remember(show.id, older.state.etag, older.body, older.state.built_at)

    assert late is older.body
    assert feed_cache.feed_body(db.session, newer.state) is newer.body
    assert feed_cache.feed_body(db.session, older.state) is None


def test_feed_cache_an_edit_after_the_state_was_read_is_never_served_under_its_etag(
    app: Flask,
) -> None:
    show = feed_show()
    episodes = [make_episode(show) for _ in range(3)]
    db.session.commit()
    refresh(show)
    feed_cache.forget_copies()
    state = feed_cache.feed_state(db.session, show.slug, NOW)

    episodes[1].title = "Edited after the state was read"
    db.session.commit()

    assert feed_cache.feed_body(db.session, state) is None
    assert b"Edited after the state was read" in refresh(show).body.body


def test_feed_cache_a_rebuild_after_the_state_was_read_is_never_served_under_its_etag(
    app: Flask,
) -> None:
    show = feed_show()
    episode = make_episode(show)
    db.session.commit()
    refresh(show)
    feed_cache.forget_copies()
    state = feed_cache.feed_state(db.session, show.slug, NOW)

    episode.title = "Rebuilt meanwhile"
    db.session.commit()
    refresh(show)  # another process rebuilds: the frame now carries a new ETag
    feed_cache.forget_copies()

    assert feed_cache.feed_body(db.session, state) is None


def test_feed_cache_parts_that_do_not_make_the_etag_are_rebuilt(app: Flask) -> None:
    show = feed_show()
    episodes = [make_episode(show) for _ in range(3)]
    db.session.commit()
    built = refresh(show)
    db.session.execute(
        update(FeedItemCache)
        .where(FeedItemCache.episode_id == episodes[0].id)
        .values(fragment=b"<item><title>tampered</title></item>")
    )
    db.session.commit()
    feed_cache.forget_copies()

    state = feed_cache.feed_state(db.session, show.slug, NOW)
    assert state.is_fresh
    assert feed_cache.feed_body(db.session, state) is None
    repaired = refresh(show)

    assert (repaired.rendered, repaired.reused) == (3, 0)
    assert repaired.body.body == built.body.body
    assert b"tampered" not in repaired.body.body


@pytest.mark.parametrize("has_copy", [True, False], ids=["from-this-process", "from-database"])
def test_feed_cache_a_rebuild_after_an_edit_equals_a_full_build(app: Flask, has_copy: bool) -> None:
    show = feed_show()
    episodes = [make_episode(show, audio=make_audio()) for _ in range(6)]
    db.session.commit()
    refresh(show)
    episodes[2].title = "Only this one changed"
    db.session.commit()
    if not has_copy:
        feed_cache.forget_copies()

    rebuilt = refresh(show)
    full = feed_cache.refresh_feed(db.session, show.slug, LINKS, NOW, force=True)
    db.session.commit()

    assert (rebuilt.rendered, rebuilt.reused) == (1, 5)
    assert rebuilt.body.body == full.body.body
    assert rebuilt.state.etag == full.state.etag
