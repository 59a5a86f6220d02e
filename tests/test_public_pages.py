"""The minimal listener site shows the demo catalog and answers unknown slugs with 404 pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.extensions import db
from catalog.links import SiteLinks
from tests.factories import make_credit, make_episode, make_person, make_show


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def test_home_lists_the_demo_show(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert "Space Café Radio" in page
    assert 'href="/shows/space-cafe-radio/"' in page


def test_show_page_lists_episodes_newest_first(client, demo):
    response = client.get("/shows/space-cafe-radio/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    positions = [
        page.index(title)
        for title in (
            "Europe&#39;s launcher question",
            "ispace and the Japanese space journey",
            "Welcome to Space Café Radio",
        )
    ]
    assert positions == sorted(positions)


def test_episode_page_shows_player_guest_and_notes(client, demo):
    response = client.get("/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'preload="none"' in page
    assert 'href="/people/takeshi-hakamada/"' in page
    assert "<strong>Takeshi Hakamada</strong>" in page


def test_guest_page_lists_the_episode(client, demo):
    response = client.get("/people/takeshi-hakamada/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Takeshi Hakamada" in page
    assert "Founder and CEO, ispace" in page
    assert 'href="/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/"' in page


def test_episode_audio_is_served(client, demo):
    page = client.get("/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/")
    source = page.get_data(as_text=True).split('src="', 1)[1].split('"', 1)[0]
    with client.get(source) as audio:
        assert audio.status_code == 200
        assert audio.mimetype == "audio/mpeg"
        assert audio.data.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3"))  # a tag or an MPEG frame


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/shows/no-such-show/", "There is no show at “no-such-show”."),
        (
            "/shows/space-cafe-radio/episodes/no-such-episode/",
            "There is no episode “no-such-episode”",
        ),
        ("/people/nobody/", "There is no one at “nobody”."),
        ("/nowhere", "The requested URL was not found"),
    ],
)
def test_unknown_slugs_get_a_helpful_404_page(client, demo, url, message):
    response = client.get(url)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert message in page
    assert 'href="/"' in page


def test_drafts_and_future_episodes_stay_hidden(client, app):
    show = make_show(slug="hidden")
    draft = make_episode(show, slug="draft", status="draft", publish_at=None)
    future = make_episode(
        show, slug="future", status="scheduled", publish_at=datetime.now(UTC) + timedelta(days=1)
    )
    person = make_person(slug="guest")
    make_credit(draft, person)
    make_credit(future, person)
    db.session.commit()
    assert (
        "draft" not in client.get("/shows/hidden/").get_data(as_text=True).split("Episodes", 1)[1]
    )
    assert client.get("/shows/hidden/episodes/draft/").status_code == 404
    assert client.get("/shows/hidden/episodes/future/").status_code == 404
    assert "No published appearances yet." in client.get("/people/guest/").get_data(as_text=True)


def test_site_links_match_the_routes(app):
    links = SiteLinks("http://podcasts.example.org")
    adapter = app.url_map.bind("podcasts.example.org")
    cases = {
        links.show("s"): "public.show_detail",
        links.episode("s", "e"): "public.episode_detail",
        links.person("p"): "public.person_detail",
    }
    for url, endpoint in cases.items():
        assert adapter.match(url.removeprefix("http://podcasts.example.org"))[0] == endpoint
