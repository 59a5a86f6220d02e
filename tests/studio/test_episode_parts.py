"""Guests, chapters, transcripts and show notes of an episode, through the studio."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Person
from tests.factories import make_audio, make_episode, make_person, make_show


@pytest.fixture
def episode(app):
    show = make_show(
        slug="space-cafe-radio",
        description="d",
        description_html="<p>d</p>",
        link="https://spacewatch.global/",
    )
    audio = make_audio(
        tags={
            "chapters": [
                {"start_seconds": 0.0, "end_seconds": 10.0, "title": "Intro", "url": None},
                {"start_seconds": 10.0, "end_seconds": None, "title": "Talk", "url": None},
            ]
        }
    )
    episode = make_episode(show, slug="ispace", status="draft", publish_at=None, audio=audio)
    db.session.commit()
    return episode


URL = "/studio/shows/space-cafe-radio/episodes/ispace"


def test_guest_created_inline(admin_studio, episode):
    response = admin_studio.post(
        f"{URL}/credits", {"person_name": "Takeshi Hakamada", "role": "guest"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(c.person.name, c.role) for c in episode.credits] == [("Takeshi Hakamada", "guest")]


def test_guest_picked_from_existing_people(admin_studio, episode):
    person = make_person(name="Takeshi Hakamada", affiliation="founder and CEO, ispace")
    db.session.commit()
    found = admin_studio.get("/studio/people/search?q=haka").json["people"]
    assert [p["id"] for p in found] == [person.id]
    admin_studio.post(
        f"{URL}/credits",
        {"person_id": str(person.id), "person_name": "Takeshi Hakamada", "role": "guest"},
    )
    assert db.session.query(Person).count() == 1
    db.session.expire_all()
    assert episode.credits[0].person_id == person.id


def test_duplicate_credit_is_refused_next_to_the_field(admin_studio, episode):
    person = make_person(name="Takeshi Hakamada")
    db.session.commit()
    data = {"person_id": str(person.id), "person_name": "Takeshi Hakamada", "role": "guest"}
    admin_studio.post(f"{URL}/credits", data)
    response = admin_studio.post(f"{URL}/credits", data)
    assert response.status_code == 422
    assert 'id="person_name-error"' in response.get_data(as_text=True)


def test_remove_credit(admin_studio, episode):
    admin_studio.post(f"{URL}/credits", {"person_name": "A Person", "role": "host"})
    db.session.expire_all()
    credit_id = episode.credits[0].id
    assert admin_studio.post(f"{URL}/credits/{credit_id}/delete").status_code == 302
    db.session.expire_all()
    assert episode.credits == []


def test_edit_person(admin_studio, episode):
    person = make_person(slug="takeshi-hakamada", name="Takeshi Hakamada")
    db.session.commit()
    response = admin_studio.post(
        "/studio/people/takeshi-hakamada/",
        {
            "name": "Takeshi Hakamada",
            "affiliation": "founder and CEO, ispace",
            "bio": "Founded ispace.",
            "website": "https://ispace-inc.com/",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.affiliation == "founder and CEO, ispace"
    bad = admin_studio.post(
        "/studio/people/takeshi-hakamada/", {"name": "T", "website": "javascript:alert(1)"}
    )
    assert bad.status_code == 422
    assert 'id="website-error"' in bad.get_data(as_text=True)


def test_chapters_from_rows(admin_studio, episode):
    response = admin_studio.post(
        f"{URL}/chapters",
        {
            "rows-0-start": "00:00",
            "rows-0-title": "Intro",
            "rows-1-start": "0:30",
            "rows-1-title": "The interview",
            "rows-1-url": "https://ispace-inc.com/",
            "rows-2-start": "",
            "rows-2-title": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(c.start_seconds, c.title) for c in episode.chapters] == [
        (0.0, "Intro"),
        (30.0, "The interview"),
    ]


def test_chapters_after_the_end_are_refused(admin_studio, episode):
    response = admin_studio.post(
        f"{URL}/chapters", {"rows-0-start": "10:00", "rows-0-title": "Too late"}
    )
    assert response.status_code == 422
    assert "after the audio ends" in response.get_data(as_text=True)


def test_pasted_chapters_report_the_bad_line(admin_studio, episode):
    response = admin_studio.post(f"{URL}/chapters/paste", {"text": "00:00 Intro\nsoon Talk"})
    assert response.status_code == 422
    assert "Line 2" in response.get_data(as_text=True)
    ok = admin_studio.post(f"{URL}/chapters/paste", {"text": "00:00 Intro\n00:20 Talk"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert [c.title for c in episode.chapters] == ["Intro", "Talk"]


def test_chapters_imported_from_the_audio(admin_studio, episode):
    assert admin_studio.post(f"{URL}/chapters/import").status_code == 302
    db.session.expire_all()
    assert [c.title for c in episode.chapters] == ["Intro", "Talk"]


def test_transcript_upload_validates_and_stores(admin_studio, episode):
    body = b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n"
    response = admin_studio.post(
        f"{URL}/transcripts",
        {"transcript": (io.BytesIO(body), "t.vtt"), "language": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(t.format, t.language) for t in episode.transcripts] == [("vtt", "en")]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        (
            "t.srt",
            b"1\n00:00:00,000 --> 00:00:01,000\nhi\n\n2\n00:00:0x,000 --> 00:00:02,000\nyo\n",
            "Line 5",
        ),
        (
            "t.vtt",
            b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n\n00:05.000 --> 00:02.000\nyo\n",
            "Line 6: the cue ends before it starts",
        ),
        ("t.vtt", b"hello\n", "Line 1"),
        ("t.txt", b"hello\n", "WebVTT (.vtt) or SubRip (.srt)"),
    ],
)
def test_bad_transcript_shows_its_line(admin_studio, episode, name, body, message):
    response = admin_studio.post(
        f"{URL}/transcripts",
        {"transcript": (io.BytesIO(body), name), "language": "en"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="transcript-error"' in page
    assert message in page
    db.session.expire_all()
    assert episode.transcripts == []


HOSTILE = (
    'Hello <script>alert(1)</script> <a href="javascript:alert(2)">click</a> '
    "[also](javascript:alert(3)) "
    '<a href="https://ok.example/" onclick="steal()">ok</a> <img src=x onerror="boom()">'
)


def test_hostile_show_notes_come_out_clean_on_the_site_and_in_the_feed(admin_studio, episode):
    admin_studio.post(
        f"{URL}/",
        {"title": "Clean", "slug": "ispace", "episode_type": "full", "notes_markdown": HOSTILE},
    )
    admin_studio.post(f"{URL}/status", {"status": "published"})
    db.session.expire_all()
    assert episode.status == "published"
    site = admin_studio.get("/shows/space-cafe-radio/episodes/ispace/").get_data(as_text=True)
    feed = admin_studio.get("/shows/space-cafe-radio/feed.xml").get_data(as_text=True)
    for text in (site, feed):
        assert "Hello" in text
        for bad in (
            "alert(1)",
            "alert(2)",
            "steal()",
            "boom()",
            "onclick",
            "onerror",
            'href="javascript:',
            "&lt;script",
        ):
            assert bad not in text, bad
    assert 'href="https://ok.example/"' in site


def test_scheduled_episode_is_hidden_until_due(admin_studio, episode):
    episode.status, episode.publish_at = "scheduled", utcnow() + timedelta(hours=1)
    db.session.commit()
    assert admin_studio.get("/shows/space-cafe-radio/episodes/ispace/").status_code == 404


@pytest.mark.parametrize(
    ("cue", "status"),
    [("00:01.000 --> 00:01.500", 302), ("00:01.500 --> 00:01.200", 422)],
    ids=["half-second-cue", "ends-half-a-second-early"],
)
def test_transcript_cue_times_count_milliseconds(admin_studio, episode, cue, status):
    body = f"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n\n{cue}\nyo\n".encode()
    response = admin_studio.post(
        f"{URL}/transcripts",
        {"transcript": (io.BytesIO(body), "t.vtt"), "language": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == status
    db.session.expire_all()
    assert len(episode.transcripts) == (1 if status == 302 else 0)
