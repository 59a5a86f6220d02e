"""Episodes in the studio: streamed upload, prefilled metadata, edits, status, replace, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Episode, MediaFile
from tests.factories import make_episode, make_show
from tests.studio.conftest import AUDIO


@pytest.fixture
def show(app):
    show = make_show(
        slug="space-cafe-radio",
        title="Space Café Radio",
        description="Interviews.",
        description_html="<p>Interviews.</p>",
        link="https://spacewatch.global/",
    )
    db.session.commit()
    return show


def stored_files(app) -> list[Path]:
    root = Path(app.config["CATALOG_MEDIA_ROOT"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload_cbr(studio, show) -> Episode:
    response = studio.upload(
        f"/studio/shows/{show.slug}/uploads", (AUDIO / "cbr.mp3").read_bytes(), filename="cbr.mp3"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return db.session.query(Episode).filter_by(show_id=show.id).one()


def test_upload_creates_a_draft_prefilled_from_tags(admin_studio, show):
    episode = upload_cbr(admin_studio, show)
    assert episode.title == "Episode one: the corpus"
    assert episode.summary == "First line.\nSecond line."
    assert episode.status == "draft"
    assert len(episode.chapters) == 2
    assert episode.audio.original_filename == "cbr.mp3"
    page = admin_studio.get(f"/studio/shows/{show.slug}/episodes/{episode.slug}/")
    assert page.status_code == 200
    assert "Episode one: the corpus" in page.get_data(as_text=True)


def test_upload_answers_with_the_edit_page(admin_studio, show):
    response = admin_studio.upload(
        f"/studio/shows/{show.slug}/uploads", (AUDIO / "cbr.mp3").read_bytes()
    )
    assert response.json["edit_url"].startswith(f"/studio/shows/{show.slug}/episodes/")


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("text_named.mp3", 422, "This file is text, not audio"),
        ("truncated.mp3", 422, "ends early"),
        ("empty.mp3", 422, "empty"),
    ],
)
def test_failed_upload_leaves_no_file_and_no_row(admin_studio, app, show, name, status, message):
    response = admin_studio.upload(
        f"/studio/shows/{show.slug}/uploads", (AUDIO / name).read_bytes(), filename=name
    )
    assert response.status_code == status
    assert message in response.json["error"]
    assert response.json["field"] == "audio"
    assert db.session.query(Episode).count() == 0
    assert db.session.query(MediaFile).count() == 0
    assert stored_files(app) == []


def test_upload_over_the_limit_is_413_with_a_message(admin_studio, app, show):
    app.config["CATALOG_MAX_UPLOAD_BYTES"] = 10_000
    response = admin_studio.upload(
        f"/studio/shows/{show.slug}/uploads", (AUDIO / "cbr.mp3").read_bytes()
    )
    assert response.status_code == 413
    assert "larger than" in response.json["error"]
    assert db.session.query(Episode).count() == 0
    assert stored_files(app) == []


def test_upload_needs_an_audio_content_type(admin_studio, show):
    response = admin_studio.upload(
        f"/studio/shows/{show.slug}/uploads", b"x", content_type="text/plain"
    )
    assert response.status_code == 415


def test_edit_episode_fixes_the_title(admin_studio, show):
    episode = upload_cbr(admin_studio, show)
    url = f"/studio/shows/{show.slug}/episodes/{episode.slug}/"
    response = admin_studio.post(
        url,
        {
            "title": "ispace and the Japanese space journey",
            "slug": episode.slug,
            "episode_type": "full",
            "season": "1",
            "number": "3",
            "notes_markdown": "**Hi**",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert episode.title == "ispace and the Japanese space journey"
    assert (episode.season, episode.number) == (1, 3)
    assert episode.notes_html == "<p><strong>Hi</strong></p>"


def test_edit_episode_shows_errors_next_to_fields(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None)
    other = make_episode(show, slug="taken")
    db.session.commit()
    response = admin_studio.post(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/",
        {"title": "", "slug": other.slug, "episode_type": "full", "season": "0"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in page
    assert 'id="season-error"' in page


def test_slug_taken_is_shown_next_to_the_slug(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None)
    make_episode(show, slug="taken")
    db.session.commit()
    response = admin_studio.post(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/",
        {"title": "A title", "slug": "taken", "episode_type": "full"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="slug-error"' in page
    assert "already uses" in page


def test_schedule_in_the_producers_time_zone_stores_utc(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None)
    db.session.commit()
    year = utcnow().year + 1
    response = admin_studio.post(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/status",
        {
            "status": "scheduled",
            "publish_date": f"{year}-07-01",
            "publish_time": "12:00",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert episode.status == "scheduled"
    assert episode.publish_at == datetime(year, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"publish_date": "2001-01-01", "publish_time": "10:00", "time_zone": "UTC"}, "future"),
        ({"publish_date": "", "publish_time": "", "time_zone": "UTC"}, "Give the date"),
        (
            {"publish_date": "2099-03-29", "publish_time": "02:30", "time_zone": "Europe/Berlin"},
            "does not exist",
        ),
        (
            {"publish_date": "2099-03-29", "publish_time": "10:00", "time_zone": "Mars/Olympus"},
            "not a time zone",
        ),
    ],
)
def test_schedule_refuses_bad_times_next_to_the_field(admin_studio, show, data, message):
    episode = make_episode(show, status="draft", publish_at=None)
    db.session.commit()
    response = admin_studio.post(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/status", {"status": "scheduled", **data}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert episode.status == "draft"


def test_publish_without_audio_is_refused(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None, audio=None)
    db.session.commit()
    response = admin_studio.post(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/status", {"status": "published"}
    )
    assert response.status_code == 422
    assert "Add audio before publishing" in response.get_data(as_text=True)


def test_replace_audio_keeps_the_guid(admin_studio, show):
    episode = upload_cbr(admin_studio, show)
    guid, old_audio = episode.guid, episode.audio_id
    response = admin_studio.upload(
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/audio",
        (AUDIO / "vbr_xing.mp3").read_bytes(),
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert episode.guid == guid
    assert episode.audio_id != old_audio


def test_delete_needs_confirmation(admin_studio, show):
    episode = make_episode(show)
    db.session.commit()
    url = f"/studio/shows/{show.slug}/episodes/{episode.slug}/delete"
    assert admin_studio.get(url).status_code == 200
    assert admin_studio.post(url, {}).status_code == 422
    assert db.session.query(Episode).count() == 1
    assert admin_studio.post(url, {"confirm": "y"}).status_code == 302
    assert db.session.query(Episode).count() == 0


def test_episode_page_shows_the_feed_checklist(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None)
    db.session.commit()
    page = admin_studio.get(f"/studio/shows/{show.slug}/episodes/{episode.slug}/").get_data(
        as_text=True
    )
    assert "Before publishing" in page
    assert "has no description" in page


def test_feed_preview_renders_the_episode_item(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None, title="Preview me")
    db.session.commit()
    response = admin_studio.get(f"/studio/shows/{show.slug}/episodes/{episode.slug}/feed-preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;title&gt;Preview me&lt;/title&gt;" in page
    db.session.expire_all()
    assert episode.publish_at is None


def test_feed_preview_says_why_a_feed_cannot_be_built(admin_studio, show):
    show.description_html = show.description = ""
    db.session.commit()
    page = admin_studio.get(f"/studio/shows/{show.slug}/feed-preview").get_data(as_text=True)
    assert "The feed cannot be built yet: The show needs a description" in page
    assert admin_studio.get(f"/studio/shows/{show.slug}/feed-preview").status_code == 200


def test_notes_preview_renders_sanitized_html(admin_studio):
    response = admin_studio.post("/studio/preview", {"markdown": "**a** <script>x()</script>"})
    assert response.status_code == 200
    assert "<strong>a</strong>" in response.get_data(as_text=True)
    assert "<script" not in response.get_data(as_text=True)


def test_stats_pages_draw_an_svg_chart(admin_studio, show):
    from catalog.models import DailyDownloads

    episode = make_episode(show, publish_at=utcnow() - timedelta(days=3))
    db.session.add(
        DailyDownloads(day=utcnow().date(), episode_id=episode.id, app="Overcast", downloads=7)
    )
    db.session.commit()
    for url in (
        f"/studio/shows/{show.slug}/stats",
        f"/studio/shows/{show.slug}/episodes/{episode.slug}/stats",
    ):
        page = admin_studio.get(url).get_data(as_text=True)
        assert "<svg" in page
        assert "Overcast" in page
        assert "<strong>7</strong>" in page


def test_episode_stats_count_the_first_7_and_30_days_from_release(admin_studio, show):
    from catalog.models import DailyDownloads

    now = utcnow()
    episode = make_episode(show, publish_at=now - timedelta(days=10))
    released = episode.publish_at.date()
    for offset, count in ((-1, 100), (0, 3), (6, 4), (7, 5), (10, 6)):
        db.session.add(
            DailyDownloads(
                day=released + timedelta(days=offset),
                episode_id=episode.id,
                app="Overcast",
                downloads=count,
            )
        )
    db.session.commit()
    page = admin_studio.get(f"/studio/shows/{show.slug}/episodes/{episode.slug}/stats")
    text = page.get_data(as_text=True)
    assert "<strong>118</strong>" in text
    window_7 = text.split("<dt>First 7 days</dt>")[1].split("</dd>")[0]
    window_30 = text.split("<dt>First 30 days</dt>")[1].split("</dd>")[0]
    assert "<dd>7" in window_7
    assert "so far" not in window_7
    assert "<dd>18 " in window_30
    assert "so far" in window_30


def test_stats_of_an_unreleased_episode_have_no_release_windows(admin_studio, show):
    episode = make_episode(show, status="draft", publish_at=None)
    db.session.commit()
    page = admin_studio.get(f"/studio/shows/{show.slug}/episodes/{episode.slug}/stats")
    assert page.status_code == 200
    assert "First 7 days" not in page.get_data(as_text=True)
