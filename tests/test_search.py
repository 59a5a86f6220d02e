"""Search finds shows, episodes (titles, notes, transcripts) and people, ranked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog import search
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Transcript
from tests.factories import make_episode, make_person, make_show

TRANSCRIPT = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n"
    "We talked about regolith and the water ice near the lunar south pole.\n"
)


def _found(query: str) -> list[tuple[str, str]]:
    return [(hit.kind, hit.title.striptags()) for hit in search.search(db.session, query, utcnow())]


@pytest.fixture
def catalog_rows(app):
    show = make_show(title="Orbital Mechanics Weekly", description="Rockets and their paths.")
    notes = make_episode(
        show, title="A chat", notes_html="<p>We discuss <strong>propellant</strong> depots.</p>"
    )
    spoken = make_episode(show, title="Listening in")
    db.session.add(Transcript(episode=spoken, format="vtt", body=TRANSCRIPT))
    make_person(name="Takeshi Hakamada", affiliation="Founder and CEO, ispace")
    db.session.commit()
    return {"show": show, "notes": notes, "spoken": spoken}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("orbital", ("show", "Orbital Mechanics Weekly")),
        ("propellant", ("episode", "A chat")),
        ("regolith", ("episode", "Listening in")),
        ("Hakamada", ("person", "Takeshi Hakamada")),
        ("ispace founder", ("person", "Takeshi Hakamada")),
        ("depot", ("episode", "A chat")),  # stemmed: "depots"
    ],
)
def test_search_finds_each_kind_of_document(catalog_rows, query, expected):
    assert expected in _found(query)


def test_search_highlights_matches_in_snippets(catalog_rows):
    (hit,) = search.search(db.session, "regolith", utcnow())
    assert "<mark>regolith</mark>" in hit.snippet
    assert "00:00:01" not in hit.snippet


def test_search_escapes_stored_text_in_snippets(app):
    make_person(name="Eve", bio="Writes <script>alert(1)</script> about comets.")
    db.session.commit()
    (hit,) = search.search(db.session, "comets", utcnow())
    assert "<script>" not in hit.snippet
    assert "<mark>comets</mark>" in hit.snippet


def test_search_ranks_title_matches_above_body_matches(app):
    show = make_show()
    make_episode(show, title="Notes only", summary="We mention asteroids once.")
    make_episode(show, title="Asteroids", summary="An hour on small bodies.")
    db.session.commit()
    assert [title for _, title in _found("asteroids")] == ["Asteroids", "Notes only"]


def test_search_needs_every_word(catalog_rows):
    assert _found("regolith propellant") == []


def test_search_hides_drafts_and_scheduled_episodes_until_their_time(app):
    show = make_show()
    make_episode(show, title="Draft comet", status="draft", publish_at=None)
    future = make_episode(
        show, title="Future comet", status="scheduled", publish_at=utcnow() + timedelta(hours=1)
    )
    db.session.commit()
    assert _found("comet") == []
    later = search.search(db.session, "comet", utcnow() + timedelta(hours=2))
    assert [hit.item for hit in later] == [future]


def test_search_index_follows_edits_and_deletes(catalog_rows):
    episode = catalog_rows["notes"]
    episode.title = "Cryogenic chat"
    db.session.commit()
    assert ("episode", "Cryogenic chat") in _found("cryogenic")
    assert _found("chat") == [("episode", "Cryogenic chat")]
    db.session.delete(episode)
    db.session.commit()
    assert _found("cryogenic") == []


def test_search_index_follows_transcript_changes(catalog_rows):
    transcript = db.session.scalar(db.select(Transcript))
    transcript.body = TRANSCRIPT.replace("regolith", "basalt")
    db.session.commit()
    assert _found("regolith") == []
    assert _found("basalt") == [("episode", "Listening in")]
    db.session.delete(transcript)
    db.session.commit()
    assert _found("basalt") == []


def test_search_forgets_episodes_of_a_deleted_show(catalog_rows):
    db.session.delete(catalog_rows["show"])
    db.session.commit()
    assert _found("regolith") == []
    assert _found("orbital") == []


def test_search_index_can_be_rebuilt(catalog_rows):
    assert search.rebuild_index(db.session) == 4
    db.session.commit()
    assert ("episode", "Listening in") in _found("regolith")


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'regolith"',
        '"unbalanced',
        "*",
        "regolith*",
        "NEAR",
        "NEAR(regolith pole)",
        "regolith NEAR pole",
        "((regolith",
        "regolith)",
        "AND OR NOT",
        "title:regolith",
        "^regolith",
        "-regolith",
        "regolith & | ! :*",
        "'; DROP TABLE episode; --",
        "x" * 2000,
        "regolith " * 400,
        "   ",
        "",
        "\u0000",
    ],
)
def test_search_page_answers_any_query(client, catalog_rows, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_search_page_keeps_operators_as_words(client, catalog_rows):
    page = client.get("/search", query_string={"q": 'NEAR("regolith" *'}).get_data(as_text=True)
    assert "Listening in" in page


def test_search_page_links_results_to_their_pages(client, catalog_rows):
    page = client.get("/search?q=propellant").get_data(as_text=True)
    episode = catalog_rows["notes"]
    assert f'href="/shows/{episode.show.slug}/episodes/{episode.slug}/">A chat</a>' in page
    assert "<mark>propellant</mark>" in page


def test_search_page_without_a_query_shows_only_the_form(client, app):
    page = client.get("/search").get_data(as_text=True)
    assert 'id="search-page-input"' in page
    assert "results-heading" not in page


def test_search_index_is_invisible_to_autogenerate(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_query_terms_drop_operators_and_cap_length():
    assert search.query_terms('NEAR("moon" * (base') == ["NEAR", "moon", "base"]
    assert len(search.query_terms("word " * 1000)) == search.MAX_TERMS


def test_demo_guest_is_found(runner, client):
    assert runner.invoke(args=["demo"]).exit_code == 0
    page = client.get("/search?q=Hakamada").get_data(as_text=True)
    assert 'href="/people/takeshi-hakamada/"' in page
    assert 'href="/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/"' in page
