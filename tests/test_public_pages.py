"""The minimal listener site shows the demo catalog and answers unknown slugs with 404 pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from catalog.extensions import db
from catalog.links import SiteLinks
from catalog.models import Transcript
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
    source = page.get_data(as_text=True).split('data-audio src="', 1)[1].split('"', 1)[0]
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


EPISODE_URL = "/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/"
BASE = "http://podcasts.example.org"


def _structured_data(page: str) -> dict:
    return json.loads(page.split('<script type="application/ld+json">', 1)[1].split("</script>")[0])


@pytest.mark.parametrize(
    ("url", "canonical", "schema_type", "has_feed"),
    [
        ("/shows/space-cafe-radio/", f"{BASE}/shows/space-cafe-radio/", "PodcastSeries", True),
        (EPISODE_URL, BASE + EPISODE_URL, "PodcastEpisode", True),
        ("/people/takeshi-hakamada/", f"{BASE}/people/takeshi-hakamada/", "Person", False),
    ],
)
def test_pages_carry_metadata_for_search_engines_and_previews(
    client, demo, url, canonical, schema_type, has_feed
):
    page = client.get(url).get_data(as_text=True)
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert f'<meta property="og:url" content="{canonical}">' in page
    assert '<meta property="og:title"' in page
    assert '<meta name="twitter:card"' in page
    assert '<meta name="description" content="' in page
    assert _structured_data(page)["@type"] == schema_type
    feed_link = '<link rel="alternate" type="application/rss+xml" title="'
    assert (feed_link in page) is has_feed
    if has_feed:
        assert f'href="{BASE}/shows/space-cafe-radio/feed.xml"' in page


def test_episode_structured_data_names_the_series_and_the_guest(client, demo):
    data = _structured_data(client.get(EPISODE_URL).get_data(as_text=True))
    assert data["partOfSeries"]["name"] == "Space Café Radio"
    assert {
        "@type": "Person",
        "name": "Takeshi Hakamada",
        "url": f"{BASE}/people/takeshi-hakamada/",
    } in data["actor"]
    assert data["associatedMedia"]["encodingFormat"] == "audio/mpeg"


def test_show_page_offers_subscribe_links_and_the_feed_to_copy(client, app):
    make_show(slug="listed", title="Listed", apple_podcasts_id="1234567")
    make_show(slug="unlisted", title="Unlisted")
    db.session.commit()
    listed = client.get("/shows/listed/").get_data(as_text=True)
    unlisted = client.get("/shows/unlisted/").get_data(as_text=True)
    assert 'href="https://podcasts.apple.com/podcast/id1234567"' in listed
    assert "podcasts.apple.com" not in unlisted
    feed = f"{BASE}/shows/unlisted/feed.xml"
    assert f'value="{feed}"' in unlisted
    assert 'data-copy="#feed-url"' in unlisted
    assert "antennapod.org/deeplink/subscribe?url=" + quote(feed, safe="") in unlisted
    assert "podcastindex.org" in unlisted


def test_show_page_paginates_twenty_episodes_at_a_time(client, app):
    show = make_show(slug="long")
    for number in range(1, 46):
        make_episode(
            show,
            title=f"Number {number:02d}",
            slug=f"n{number}",
            publish_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number),
        )
    db.session.commit()
    first = client.get("/shows/long/").get_data(as_text=True)
    third = client.get("/shows/long/?page=3").get_data(as_text=True)
    assert "Number 45" in first
    assert "Number 26" in first
    assert "Number 25" not in first
    assert 'href="?page=2" rel="next"' in first
    assert "Number 05" in third
    assert "Number 01" in third
    assert 'rel="next"' not in third
    assert client.get("/shows/long/?page=x").status_code == 200


def test_serial_show_page_groups_episodes_by_season(client, app):
    show = make_show(slug="serial", show_type="serial")
    for season, number in ((1, 1), (1, 2), (2, 1)):
        make_episode(
            show,
            season=season,
            number=number,
            title=f"S{season}E{number}",
            publish_at=datetime(2024, season, number, tzinfo=UTC),
        )
    db.session.commit()
    page = client.get("/shows/serial/").get_data(as_text=True)
    assert page.index("Season 2</h3>") < page.index("S2E1") < page.index("Season 1</h3>")
    assert page.index("Season 1</h3>") < page.index("S1E2") < page.index("S1E1")


def test_episodic_show_page_has_no_season_headings(client, app):
    show = make_show(slug="episodic")
    make_episode(show, season=1, title="Seasoned")
    db.session.commit()
    assert "season-heading" not in client.get("/shows/episodic/").get_data(as_text=True)


def test_episode_page_lists_chapters_as_seek_buttons(client, demo):
    page = client.get(EPISODE_URL).get_data(as_text=True)
    assert '<button type="button" class="chapter" data-start="9.0">' in page
    assert "Lessons from landing" in page


def test_episode_page_links_guests_with_photo_and_role(client, demo):
    page = client.get(EPISODE_URL).get_data(as_text=True)
    chip = page.split('class="person-chip" href="/people/takeshi-hakamada/"', 1)[1].split("</a>")[0]
    assert "<img" in chip
    assert "Guest" in chip
    assert "Founder and CEO, ispace" in chip


def test_episode_page_links_previous_and_next_episodes(client, demo):
    page = client.get(EPISODE_URL).get_data(as_text=True)
    assert 'rel="prev" href="/shows/space-cafe-radio/episodes/welcome-to-space-cafe-radio/"' in page
    assert 'rel="next" href="/shows/space-cafe-radio/episodes/europes-launcher-question/"' in page


def test_episode_page_has_share_links(client, demo):
    page = client.get(EPISODE_URL).get_data(as_text=True)
    assert "https://bsky.app/intent/compose?text=" in page
    assert "mailto:?subject=" in page
    assert quote(BASE + EPISODE_URL, safe="") in page


@pytest.mark.parametrize(
    ("transcript_format", "body"),
    [
        (
            "vtt",
            "WEBVTT\n\n00:00:01.500 --> 00:00:04.000\n"
            "<v Takeshi Hakamada>We landed &amp; learned.\n",
        ),
        ("srt", "1\n00:00:01,500 --> 00:00:04,000\nWe landed &amp; learned.\n"),
    ],
)
def test_episode_page_shows_the_transcript_with_timings(client, app, transcript_format, body):
    show = make_show(slug="talk")
    episode = make_episode(show, slug="one")
    db.session.add(Transcript(episode=episode, format=transcript_format, body=body))
    db.session.commit()
    page = client.get("/shows/talk/episodes/one/").get_data(as_text=True)
    assert 'class="cue" data-start="1.5" data-end="4.0"' in page
    assert "We landed &amp; learned." in page
    assert 'id="transcript-filter"' in page


def test_episode_page_survives_a_malformed_transcript(client, app):
    show = make_show(slug="broken")
    episode = make_episode(show, slug="one")
    db.session.add(Transcript(episode=episode, format="vtt", body="not a transcript at all"))
    db.session.commit()
    response = client.get("/shows/broken/episodes/one/")
    assert response.status_code == 200
    assert "data-transcript" not in response.get_data(as_text=True)


def test_guest_page_lists_every_appearance_across_shows_with_role(client, app):
    person = make_person(slug="ada", name="Ada")
    first, second = make_show(title="First Show"), make_show(title="Second Show")
    make_credit(make_episode(first, title="Hosted one"), person, "host")
    make_credit(make_episode(second, title="Guested one"), person, "guest")
    db.session.commit()
    page = client.get("/people/ada/").get_data(as_text=True)
    hosted = page.split("Hosted one", 1)[1].split("</li>")[0]
    guested = page.split("Guested one", 1)[1].split("</li>")[0]
    assert "First Show" in hosted
    assert "Host" in hosted
    assert "Second Show" in guested
    assert "Guest" in guested


def test_error_page_offers_search(client, app):
    page = client.get("/people/nobody/").get_data(as_text=True)
    assert 'action="/search"' in page
