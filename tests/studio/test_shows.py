"""Shows in the studio: create, edit every feed field, artwork with convert, moving."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from catalog.extensions import db
from catalog.feed import podcast_guid_for
from catalog.models import MediaFile, Show
from tests.studio.test_episodes import stored_files

FIELDS = {
    "title": "Space Café Radio",
    "subtitle": "Interviews about the space industry",
    "description": "Talks with **founders**.",
    "language": "en",
    "category": "Science|Astronomy",
    "show_type": "episodic",
    "author": "SpaceWatch.Global",
    "owner_name": "SpaceWatch.Global",
    "owner_email": "podcast@spacewatch.global",
    "copyright": "© SpaceWatch.Global",
    "link": "https://spacewatch.global/",
    "funding_url": "",
    "funding_text": "",
    "is_locked": "y",
}


def image_bytes(size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "navy").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def show(admin_studio):
    response = admin_studio.post("/studio/shows/new", FIELDS)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.query(Show).one()


def test_create_show_stores_every_field_and_a_guid_from_the_feed_url(show):
    assert show.slug == "space-cafe-radio"
    assert (show.category, show.subcategory) == ("Science", "Astronomy")
    assert show.description_html == "<p>Talks with <strong>founders</strong>.</p>"
    assert show.owner_email == "podcast@spacewatch.global"
    assert show.podcast_guid == podcast_guid_for(
        "http://podcasts.example.org/shows/space-cafe-radio/feed.xml"
    )


def test_edit_page_shows_the_guid_read_only(admin_studio, show):
    page = admin_studio.get("/studio/shows/space-cafe-radio/").get_data(as_text=True)
    assert f"<code>{show.podcast_guid}</code>" in page
    assert 'name="podcast_guid"' not in page


def test_guid_survives_edits(admin_studio, show):
    guid = show.podcast_guid
    admin_studio.post("/studio/shows/space-cafe-radio/", {**FIELDS, "title": "Renamed"})
    db.session.expire_all()
    assert show.title == "Renamed"
    assert show.podcast_guid == guid
    uuid.UUID(guid)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("owner_email", "not-an-email", "is not an email address"),
        ("language", "English", "language code"),
        ("link", "javascript:alert(1)", "https://"),
        ("category", "Made up", "Not a valid choice"),
        ("title", "", "This field is required"),
    ],
)
def test_show_form_errors_appear_next_to_the_field(admin_studio, show, field, value, message):
    response = admin_studio.post("/studio/shows/space-cafe-radio/", {**FIELDS, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page
    assert message in page
    db.session.expire_all()
    assert show.title == "Space Café Radio"


def test_category_choices_are_apples_list(admin_studio, show):
    page = admin_studio.get("/studio/shows/space-cafe-radio/").get_data(as_text=True)
    assert '<option selected value="Science|Astronomy">' in page
    assert "Society &amp; Culture" in page


def test_small_artwork_is_refused_with_the_reason_and_leaves_no_file(admin_studio, app, show):
    response = admin_studio.post(
        "/studio/shows/space-cafe-radio/artwork",
        {"artwork": (io.BytesIO(image_bytes((600, 400))), "small.jpg")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="artwork-error"' in page
    assert "convert" in page
    assert db.session.query(MediaFile).count() == 0
    assert stored_files(app) == []


def test_artwork_is_converted_when_asked(admin_studio, show):
    response = admin_studio.post(
        "/studio/shows/space-cafe-radio/artwork",
        {"artwork": (io.BytesIO(image_bytes((600, 400), "RGBA", "PNG")), "a.png"), "convert": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (show.artwork.width, show.artwork.height) == (1400, 1400)
    assert show.artwork.mime_type == "image/jpeg"


def test_good_artwork_is_used_as_is(admin_studio, show):
    response = admin_studio.post(
        "/studio/shows/space-cafe-radio/artwork",
        {"artwork": (io.BytesIO(image_bytes((1400, 1400))), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert show.artwork is not None


def test_move_needs_confirmation(admin_studio, show):
    url = "/studio/shows/space-cafe-radio/move"
    response = admin_studio.post(url, {"new_feed_url": "https://new.example/feed.xml"})
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not show.has_moved
    assert (
        admin_studio.post(
            url, {"new_feed_url": "https://new.example/feed.xml", "confirm": "y"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert show.new_feed_url == "https://new.example/feed.xml"
    admin_studio.post("/studio/shows/space-cafe-radio/move/cancel")
    db.session.expire_all()
    assert not show.has_moved


def test_move_to_its_own_feed_is_refused(admin_studio, show):
    response = admin_studio.post(
        "/studio/shows/space-cafe-radio/move",
        {
            "new_feed_url": "http://podcasts.example.org/shows/space-cafe-radio/feed.xml",
            "confirm": "y",
        },
    )
    assert response.status_code == 422
    assert "own feed address" in response.get_data(as_text=True)


def test_producer_creating_a_show_is_its_editor(studio, app):
    from tests.studio.conftest import make_user

    user = make_user("p@example.org")
    db.session.commit()
    studio.login(user.email)
    assert studio.post("/studio/shows/new", FIELDS).status_code == 302
    assert studio.get("/studio/shows/space-cafe-radio/").status_code == 200
