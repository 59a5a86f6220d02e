"""The RSS feed as podcast apps read it: Apple's rules, Podcasting 2.0, fragment caching."""

from __future__ import annotations

import calendar
import dataclasses
import io
import locale
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import podcastparser
import pytest
from lxml import etree

from catalog.apple_categories import APPLE_CATEGORIES, is_valid_category
from catalog.errors import InvalidInput
from catalog.feed import (
    ITEMS_PER_PASS,
    FeedChannel,
    FeedItem,
    FeedPerson,
    FeedProblem,
    FeedTranscript,
    assemble_feed,
    build_feed,
    check_feed,
    podcast_guid_for,
    render_item,
    render_items,
)
from catalog.text import clean_text

BASE_URL = "https://catalog.example.org"
FEED_URL = f"{BASE_URL}/shows/space-cafe-radio/feed.xml"
NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
CONTROL_CHARACTERS = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\ufffe"
# clean_text turns \x0b and \x0c into spaces before it drops the rest, which in a title
# would leave a double space next to a real one; titles get the others.
TITLE_CONTROL_CHARACTERS = "\x00\x01\x08\x1b\x7f\x85\ufffe"


def make_channel(**overrides: Any) -> FeedChannel:
    """Describe Space Café Radio, with ``overrides``."""
    fields: dict[str, Any] = {
        "title": "Space Café Radio",
        "subtitle": "Conversations about the space industry",
        "description_html": "<p>Interviews with the people building the space economy.</p>",
        "link": f"{BASE_URL}/shows/space-cafe-radio/",
        "feed_url": FEED_URL,
        "language": "en",
        "image_url": f"{BASE_URL}/media/ab12/cover.jpg",
        "category": "Science",
        "subcategory": "Astronomy",
        "explicit": False,
        "author": "SpaceWatch.Global",
        "owner_name": "SpaceWatch.Global",
        "owner_email": "podcast@spacewatch.example",
        "copyright": "© 2024 SpaceWatch.Global",
        "show_type": "episodic",
        "podcast_guid": podcast_guid_for(FEED_URL),
        "is_locked": True,
        "funding_url": f"{BASE_URL}/support",
        "funding_text": "Support the show",
        "new_feed_url": None,
        "last_build_at": datetime(2024, 6, 1, 8, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return FeedChannel(**fields)


def make_person(**overrides: Any) -> FeedPerson:
    """Describe Takeshi Hakamada as a guest, with ``overrides``."""
    fields: dict[str, Any] = {
        "name": "Takeshi Hakamada",
        "role": "guest",
        "group": "cast",
        "image_url": f"{BASE_URL}/media/cd34/hakamada.jpg",
        "href": f"{BASE_URL}/people/takeshi-hakamada/",
    }
    fields.update(overrides)
    return FeedPerson(**fields)


def make_item(index: int = 1, **overrides: Any) -> FeedItem:
    """Describe episode ``index`` of the show, with ``overrides``."""
    episode_url = f"{BASE_URL}/shows/space-cafe-radio/episodes/{index}/"
    fields: dict[str, Any] = {
        "guid": f"urn:uuid:6b1e3c1e-0000-4000-8000-{index:012d}",
        "title": f"ispace and the Japanese space journey, part {index}",
        "link": episode_url,
        "published_at": datetime(2024, 5, 1, 6, 0, tzinfo=UTC) + timedelta(days=index),
        "summary": "Takeshi Hakamada on Japan's role in lunar exploration.",
        "notes_html": '<p>With <a href="https://ispace-inc.com/">ispace</a> founder.</p>',
        "enclosure_url": f"{BASE_URL}/media/ef{index:02d}/episode-{index}.mp3",
        "enclosure_length": 38_000_000 + index,
        "enclosure_type": "audio/mpeg",
        "duration_seconds": 2400.0 + index,
        "episode_type": "full",
        "season": 1,
        "number": index,
        "explicit": False,
        "image_url": f"{BASE_URL}/media/ef{index:02d}/art.jpg",
        "people": (make_person(),),
        "chapters_url": f"{episode_url}chapters.json",
        "transcripts": (FeedTranscript(f"{episode_url}transcript.vtt", "text/vtt", "en"),),
    }
    fields.update(overrides)
    return FeedItem(**fields)


def make_normal_items() -> list[FeedItem]:
    """Describe three ordinary episodes, newest first."""
    return [make_item(3), make_item(2), make_item(1)]


def make_unusual_items() -> list[FeedItem]:
    """Describe episodes that break naive feed writers, newest first."""
    return [
        make_item(
            6,
            title="Ünïcödé & <tags> \"quotes\" 'apostrophes' — 宇宙 🚀🌕",
            notes_html="<p>" + "Lunar landers &amp; rovers 🌕 <b>bold</b> " * 500 + "</p>",
            season=2,
            number=1,
        ),
        make_item(
            5,
            title=f"Control{TITLE_CONTROL_CHARACTERS} characters\tin\na title",
            summary=f"A summary with{CONTROL_CHARACTERS} control characters.",
            notes_html=f"<p>Notes with{CONTROL_CHARACTERS} control characters.</p>",
            people=(make_person(name=f"Takeshi{CONTROL_CHARACTERS} Hakamada"),),
        ),
        make_item(4, title="No artwork, no people", image_url=None, people=(), transcripts=()),
        make_item(3, title="Trailer", episode_type="trailer", season=None, number=None),
        make_item(2, title="Bonus: Q&A", episode_type="bonus", number=None),
        make_item(
            1,
            title="Odd duration and a summary only",
            duration_seconds=59.5,
            notes_html="",
            chapters_url=None,
        ),
    ]


SHOWS = pytest.mark.parametrize(
    ("channel", "items"),
    [
        pytest.param(make_channel(), make_normal_items(), id="normal"),
        pytest.param(
            make_channel(
                title="Space & <Café> Radio 🚀",
                description_html="<p>Ünïcödé &amp; emoji 🌕</p>" * 200,
                image_url=f"{BASE_URL}/media/ab12/cover.jpeg?version=3",
                explicit=True,
            ),
            make_unusual_items(),
            id="unusual",
        ),
    ],
)


def parse_xml(document: bytes) -> etree._Element:
    """Parse the feed strictly, as an XML parser must."""
    return etree.fromstring(document, etree.XMLParser(recover=False, resolve_entities=False))


def parse_item(fragment: bytes) -> etree._Element:
    """Parse one fragment in the namespace context the feed gives it."""
    return parse_xml(assemble_feed(make_channel(), [fragment])).find("channel/item")


def expected_title(item: FeedItem) -> str:
    return clean_text(item.title, max_length=10_000)


def expected_duration(item: FeedItem) -> int:
    return round(item.duration_seconds)


@SHOWS
def test_build_feed_reads_the_same_in_podcastparser(
    channel: FeedChannel, items: list[FeedItem]
) -> None:
    parsed = podcastparser.parse(channel.feed_url, io.BytesIO(build_feed(channel, items)))

    episodes = sorted(parsed["episodes"], key=lambda episode: episode["published"], reverse=True)
    assert parsed["title"] == clean_text(channel.title)
    assert [
        (
            episode["title"],
            episode["guid"],
            episode["enclosures"][0]["url"],
            episode["enclosures"][0]["file_size"],
            episode["total_time"],
            episode["published"],
        )
        for episode in episodes
    ] == [
        (
            expected_title(item),
            item.guid,
            item.enclosure_url,
            item.enclosure_length,
            expected_duration(item),
            int(item.published_at.timestamp()),
        )
        for item in items
    ]


@SHOWS
def test_build_feed_reads_the_same_in_feedparser(
    channel: FeedChannel, items: list[FeedItem]
) -> None:
    parsed = feedparser.parse(build_feed(channel, items))

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == clean_text(channel.title)
    assert [
        (
            entry.title,
            entry.id,
            entry.enclosures[0].href,
            int(entry.enclosures[0].length),
            int(entry.itunes_duration),
            calendar.timegm(entry.published_parsed),
        )
        for entry in parsed.entries
    ] == [
        (
            expected_title(item),
            item.guid,
            item.enclosure_url,
            item.enclosure_length,
            expected_duration(item),
            int(item.published_at.timestamp()),
        )
        for item in items
    ]


@SHOWS
def test_build_feed_is_well_formed_with_items_in_the_given_order(
    channel: FeedChannel, items: list[FeedItem]
) -> None:
    root = parse_xml(build_feed(channel, items))

    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert [guid.text for guid in root.iterfind("channel/item/guid")] == [
        item.guid for item in items
    ]


def test_build_feed_keeps_long_show_notes_intact() -> None:
    notes = "<p>" + "Lunar landers &amp; rovers 🌕 " * 800 + "</p>"
    assert len(notes.encode()) > 20_000

    root = parse_xml(build_feed(make_channel(), [make_item(notes_html=notes)]))

    assert root.findtext("channel/item/content:encoded", namespaces=NAMESPACES) == notes
    assert root.findtext("channel/item/description") == notes


def test_build_feed_removes_control_characters_everywhere() -> None:
    dirty = f"Bad{CONTROL_CHARACTERS}"
    channel = make_channel(title=dirty, description_html=dirty, author=dirty, copyright=dirty)
    item = make_item(
        title=dirty,
        summary=dirty,
        notes_html=dirty,
        people=(make_person(name=dirty),),
    )

    document = build_feed(channel, [item])

    root = parse_xml(document)
    assert root.findtext("channel/title") == "Bad"
    assert root.findtext("channel/item/title") == "Bad"
    assert root.findtext("channel/item/podcast:person", namespaces=NAMESPACES) == "Bad"
    assert not any(character.encode() in document for character in CONTROL_CHARACTERS)


def test_render_item_declares_no_namespaces_of_its_own() -> None:
    fragment = render_item(make_item())

    assert fragment.startswith(b"<item><title>")
    assert fragment.endswith(b"</item>")
    assert b"xmlns" not in fragment


def test_render_items_in_one_pass_equals_rendering_each_alone() -> None:
    items = [
        *make_unusual_items(),
        make_item(
            guid="urn:x:</item><item>",
            title="Closing tags </item></channel> in a title",
            notes_html="<p>&lt;/item&gt; and </item> in the notes</p>",
            summary="</item>",
        ),
    ]

    fragments = render_items(items)

    assert [bytes(fragment) for fragment in fragments] == [render_item(item) for item in items]
    assert all(fragment.startswith(b"<item>") for fragment in map(bytes, fragments))
    # Text is escaped, so "</item>" in it does not cut: all items come from one serialization.
    assert len({id(fragment.obj) for fragment in fragments}) == 1


def test_render_items_beyond_one_batch_keeps_order_and_bytes() -> None:
    items = [
        make_item(guid=f"urn:x:{number}", title=f"Episode {number}")
        for number in range(2 * ITEMS_PER_PASS + 3)
    ]

    fragments = render_items(items)

    assert [bytes(fragment) for fragment in fragments] == [render_item(item) for item in items]
    # A few hundred items per serialization: a big feed's tree is never held whole.
    assert len({id(fragment.obj) for fragment in fragments}) == 3


def test_build_feed_declares_every_namespace_once_on_rss() -> None:
    document = build_feed(make_channel(), make_normal_items())

    root = parse_xml(document)
    assert root.nsmap == NAMESPACES
    for uri in NAMESPACES.values():
        assert document.count(uri.encode()) == 1


def test_assemble_feed_with_cached_fragments_equals_build_feed() -> None:
    channel, items = make_channel(), make_unusual_items()
    cached = [render_item(item) for item in items]

    assert assemble_feed(channel, cached) == build_feed(channel, items)


def test_assemble_feed_after_one_edit_equals_a_full_build() -> None:
    channel, items = make_channel(), make_normal_items()
    cached = [render_item(item) for item in items]

    items[1] = dataclasses.replace(items[1], title="Edited & renamed 🚀")
    cached[1] = render_item(items[1])

    assert assemble_feed(channel, cached) == build_feed(channel, items)


def test_assemble_feed_without_items_is_a_well_formed_feed() -> None:
    root = parse_xml(assemble_feed(make_channel(), []))

    assert root.find("channel/title") is not None
    assert root.find("channel/item") is None


def test_assemble_feed_refuses_what_is_not_an_item_fragment() -> None:
    with pytest.raises(ValueError, match="render_item"):
        assemble_feed(make_channel(), [b"<script/>"])


@pytest.mark.parametrize(("is_explicit", "text"), [(True, "true"), (False, "false")])
def test_build_feed_writes_explicit_as_true_or_false(is_explicit: bool, text: str) -> None:
    document = build_feed(make_channel(explicit=is_explicit), [make_item(explicit=is_explicit)])

    root = parse_xml(document)
    assert root.findtext("channel/itunes:explicit", namespaces=NAMESPACES) == text
    assert root.findtext("channel/item/itunes:explicit", namespaces=NAMESPACES) == text
    assert podcastparser.parse(FEED_URL, io.BytesIO(document))["explicit"] is is_explicit


@pytest.mark.parametrize(
    "image_url",
    [
        f"{BASE_URL}/media/ab12/cover.jpg",
        f"{BASE_URL}/media/ab12/cover.png",
        f"{BASE_URL}/media/ab12/cover.jpeg",
        f"{BASE_URL}/media/ab12/cover.jpg?version=3",
        f"{BASE_URL}/media/ab12/cover",
    ],
)
def test_build_feed_keeps_the_artwork_whatever_its_url(image_url: str) -> None:
    document = build_feed(make_channel(image_url=image_url), [make_item(image_url=image_url)])

    root = parse_xml(document)
    assert root.find("channel/itunes:image", NAMESPACES).get("href") == image_url
    assert root.findtext("channel/image/url") == image_url
    assert root.find("channel/item/itunes:image", NAMESPACES).get("href") == image_url
    assert podcastparser.parse(FEED_URL, io.BytesIO(document))["cover_url"] == image_url


def test_render_item_without_artwork_writes_no_image() -> None:
    item = parse_item(render_item(make_item(image_url=None)))

    assert item.find("itunes:image", NAMESPACES) is None


def test_build_feed_writes_apple_channel_elements() -> None:
    root = parse_xml(build_feed(make_channel(), make_normal_items()))
    channel = root.find("channel")

    def text(path: str) -> str | None:
        return channel.findtext(path, namespaces=NAMESPACES)

    assert channel.find("atom:link", NAMESPACES).attrib == {
        "href": FEED_URL,
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert text("title") == "Space Café Radio"
    assert text("link") == f"{BASE_URL}/shows/space-cafe-radio/"
    assert text("description") == make_channel().description_html
    assert text("language") == "en"
    assert text("copyright") == "© 2024 SpaceWatch.Global"
    assert text("lastBuildDate") == "Sat, 01 Jun 2024 08:30:00 +0000"
    assert text("itunes:author") == "SpaceWatch.Global"
    assert text("itunes:owner/itunes:name") == "SpaceWatch.Global"
    assert text("itunes:owner/itunes:email") == "podcast@spacewatch.example"
    assert text("itunes:type") == "episodic"
    category = channel.find("itunes:category", NAMESPACES)
    assert category.get("text") == "Science"
    assert [sub.get("text") for sub in category] == ["Astronomy"]
    assert channel.find("itunes:new-feed-url", NAMESPACES) is None


def test_build_feed_writes_new_feed_url_when_the_show_moved() -> None:
    new_url = "https://elsewhere.example/space-cafe-radio.xml"

    root = parse_xml(build_feed(make_channel(new_feed_url=new_url), make_normal_items()))

    assert root.findtext("channel/itunes:new-feed-url", namespaces=NAMESPACES) == new_url


def test_build_feed_writes_a_category_without_subcategory() -> None:
    root = parse_xml(build_feed(make_channel(category="Technology", subcategory=None), []))

    category = root.find("channel/itunes:category", NAMESPACES)
    assert category.get("text") == "Technology"
    assert len(category) == 0


def test_build_feed_writes_podcast_channel_elements() -> None:
    root = parse_xml(build_feed(make_channel(), make_normal_items()))
    channel = root.find("channel")

    assert channel.findtext("podcast:guid", namespaces=NAMESPACES) == podcast_guid_for(FEED_URL)
    locked = channel.find("podcast:locked", NAMESPACES)
    assert (locked.text, locked.get("owner")) == ("yes", "podcast@spacewatch.example")
    funding = channel.find("podcast:funding", NAMESPACES)
    assert (funding.text, funding.get("url")) == ("Support the show", f"{BASE_URL}/support")


def test_build_feed_writes_unlocked_as_no() -> None:
    root = parse_xml(build_feed(make_channel(is_locked=False), []))

    assert root.findtext("channel/podcast:locked", namespaces=NAMESPACES) == "no"


def test_render_item_writes_apple_item_elements() -> None:
    source = make_item(2)

    item = parse_item(render_item(source))

    def text(path: str) -> str | None:
        return item.findtext(path, namespaces=NAMESPACES)

    assert text("title") == source.title
    assert text("link") == source.link
    assert item.find("guid").attrib == {"isPermaLink": "false"}
    assert text("guid") == source.guid
    assert item.find("enclosure").attrib == {
        "url": source.enclosure_url,
        "length": str(source.enclosure_length),
        "type": "audio/mpeg",
    }
    assert text("pubDate") == "Fri, 03 May 2024 06:00:00 +0000"
    assert text("description") == source.notes_html
    assert text("content:encoded") == source.notes_html
    assert text("itunes:summary") == source.summary
    assert text("itunes:duration") == "2402"
    assert text("itunes:episodeType") == "full"
    assert text("itunes:season") == "1"
    assert text("itunes:episode") == "2"


@pytest.mark.parametrize("episode_type", ["full", "trailer", "bonus"])
def test_render_item_writes_the_episode_type(episode_type: str) -> None:
    item = parse_item(render_item(make_item(episode_type=episode_type)))

    assert item.findtext("itunes:episodeType", namespaces=NAMESPACES) == episode_type


@pytest.mark.parametrize(
    ("seconds", "written"),
    [(0.4, "0"), (59.5, "60"), (1800.49, "1800"), (3599.6, "3600"), (7200.0, "7200")],
)
def test_render_item_writes_duration_in_whole_seconds(seconds: float, written: str) -> None:
    item = parse_item(render_item(make_item(duration_seconds=seconds)))

    assert item.findtext("itunes:duration", namespaces=NAMESPACES) == written


def test_render_item_writes_pubdate_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    published_at = datetime(2024, 5, 2, 9, 0, tzinfo=tokyo)

    item = parse_item(render_item(make_item(published_at=published_at)))

    assert item.findtext("pubDate") == "Thu, 02 May 2024 00:00:00 +0000"


@pytest.mark.parametrize(
    ("notes_html", "written"),
    [
        ("<p>Bell\x07</p>", "<p>Bell</p>"),
        ("<p>Escape\x1b[0m</p>", "<p>Escape[0m</p>"),
        ("<p>Delete\x7f</p>", "<p>Delete</p>"),
        ("<p>Form\x0cfeed</p>", "<p>Formfeed</p>"),
        ("<p>Trailing </p> \n<p>space</p>", "<p>Trailing </p>\n<p>space</p>"),
        (" <p>Leading space</p>", "<p>Leading space</p>"),
        ("<p>Tab\tand</p>\n<p>newline</p>", "<p>Tab\tand</p>\n<p>newline</p>"),
    ],
)
def test_render_item_cleans_plain_ascii_notes(notes_html: str, written: str) -> None:
    item = parse_item(render_item(make_item(notes_html=notes_html)))

    assert item.findtext("description") == written
    assert item.findtext("content:encoded", namespaces=NAMESPACES) == written


def test_building_a_feed_never_switches_the_process_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # feedgen formats dates by switching the locale of the whole process and
    # back, which races with every other thread; our dates must not.
    switches: list[tuple[int, str]] = []
    query_or_switch = locale.setlocale

    def recording(category: int, value: str | None = None) -> str:
        if value is not None:
            switches.append((category, value))
        return query_or_switch(category, value)

    monkeypatch.setattr(locale, "setlocale", recording)

    document = build_feed(make_channel(), make_normal_items())

    assert switches == []
    # One lastBuildDate, ours: feedgen would add its own if it renamed the attribute we unset.
    assert parse_xml(document).findall("channel/lastBuildDate")[0].text == (
        "Sat, 01 Jun 2024 08:30:00 +0000"
    )
    assert document.count(b"<lastBuildDate>") == 1


def test_render_item_with_summary_only_describes_it_in_plain_text() -> None:
    item = parse_item(render_item(make_item(notes_html="", summary="Plain & short")))

    assert item.findtext("description") == "Plain & short"
    assert item.find("content:encoded", NAMESPACES) is None


def test_render_item_without_season_or_number_writes_neither() -> None:
    item = parse_item(render_item(make_item(season=None, number=None)))

    for path in ("itunes:season", "itunes:episode", "podcast:season", "podcast:episode"):
        assert item.find(path, NAMESPACES) is None


def test_render_item_writes_podcast_elements() -> None:
    source = make_item(
        7,
        season=2,
        people=(
            make_person(),
            make_person(name="Torsten Kriening", role="Host", image_url=None, href=None),
        ),
        transcripts=(
            FeedTranscript(f"{BASE_URL}/t.vtt", "text/vtt", "en"),
            FeedTranscript(f"{BASE_URL}/t.srt?language=ja", "application/x-subrip", "ja"),
        ),
    )

    item = parse_item(render_item(source))

    people = item.findall("podcast:person", NAMESPACES)
    assert [(person.text, dict(person.attrib)) for person in people] == [
        (
            "Takeshi Hakamada",
            {
                "role": "guest",
                "group": "cast",
                "img": f"{BASE_URL}/media/cd34/hakamada.jpg",
                "href": f"{BASE_URL}/people/takeshi-hakamada/",
            },
        ),
        ("Torsten Kriening", {"role": "host", "group": "cast"}),
    ]
    assert [dict(t.attrib) for t in item.findall("podcast:transcript", NAMESPACES)] == [
        {"url": f"{BASE_URL}/t.vtt", "type": "text/vtt", "language": "en", "rel": "captions"},
        {
            "url": f"{BASE_URL}/t.srt?language=ja",
            "type": "application/x-subrip",
            "language": "ja",
            "rel": "captions",
        },
    ]
    assert item.find("podcast:chapters", NAMESPACES).attrib == {
        "url": source.chapters_url,
        "type": "application/json+chapters",
    }
    assert item.findtext("podcast:season", namespaces=NAMESPACES) == "2"
    assert item.findtext("podcast:episode", namespaces=NAMESPACES) == "7"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"published_at": datetime(2024, 5, 1, 6, 0)}, None),
        ({"duration_seconds": float("nan")}, "audio"),
        ({"duration_seconds": -1.0}, "audio"),
        ({"enclosure_length": -1}, "audio"),
        ({"episode_type": "teaser"}, "episode_type"),
        ({"title": "", "summary": "", "notes_html": ""}, "title"),
    ],
)
def test_render_item_refuses_what_cannot_be_written(
    overrides: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        render_item(make_item(**overrides))

    assert caught.value.field == field


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": ""},
        {"description_html": ""},
        {"link": ""},
        {"show_type": "seasonal"},
        {"last_build_at": datetime(2024, 6, 1)},
    ],
)
def test_build_feed_refuses_a_channel_it_cannot_write(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        build_feed(make_channel(**overrides), [])


def test_check_feed_accepts_a_good_feed() -> None:
    assert check_feed(make_channel(), make_normal_items()) == []


CHANNEL = "channel"
ITEM = make_item().guid


@pytest.mark.parametrize(
    ("channel_overrides", "item_overrides", "expected"),
    [
        ({"image_url": None}, {}, ("error", CHANNEL, "no artwork")),
        ({"image_url": "/media/cover.jpg"}, {}, ("error", CHANNEL, "not a full http(s) URL")),
        (
            {"image_url": f"{BASE_URL}/cover.webp"},
            {},
            ("warning", CHANNEL, "does not end in .jpg or .png"),
        ),
        ({"description_html": ""}, {}, ("error", CHANNEL, "no description")),
        (
            {"description_html": "x" * 4001},
            {},
            ("warning", CHANNEL, "at most 4,000"),
        ),
        ({"title": " "}, {}, ("error", CHANNEL, "no title")),
        ({"category": ""}, {}, ("error", CHANNEL, "no Apple Podcasts category")),
        (
            {"category": "Science & Medicine"},
            {},
            ("error", CHANNEL, "not an Apple Podcasts category"),
        ),
        (
            {"subcategory": "Podcasting"},
            {},
            ("error", CHANNEL, "not an Apple Podcasts category"),
        ),
        ({"owner_email": ""}, {}, ("error", CHANNEL, "no owner email")),
        ({"owner_email": "nobody"}, {}, ("error", CHANNEL, "not an email address")),
        ({"owner_name": ""}, {}, ("warning", CHANNEL, "no owner name")),
        ({"author": ""}, {}, ("warning", CHANNEL, "no author")),
        ({"language": ""}, {}, ("error", CHANNEL, "no language")),
        ({"language": "English"}, {}, ("warning", CHANNEL, "not a language code")),
        ({"feed_url": "/feed.xml"}, {}, ("error", CHANNEL, "feed address")),
        ({"new_feed_url": "elsewhere"}, {}, ("error", CHANNEL, "new feed address")),
        ({"show_type": "seasonal"}, {}, ("error", CHANNEL, "episodic")),
        ({"podcast_guid": "not-a-uuid"}, {}, ("warning", CHANNEL, "not a UUID")),
        ({}, {"title": ""}, ("error", ITEM, "has no title")),
        ({}, {"enclosure_url": ""}, ("error", ITEM, "has no audio file")),
        ({}, {"enclosure_url": "episode.mp3"}, ("error", ITEM, "audio address")),
        ({}, {"enclosure_length": 0}, ("error", ITEM, "exact size in bytes")),
        ({}, {"enclosure_type": ""}, ("error", ITEM, "has no type")),
        ({}, {"enclosure_type": "video/mp4"}, ("error", ITEM, "is not audio")),
        ({}, {"enclosure_type": "audio/ogg"}, ("warning", ITEM, "does not play in Apple")),
        ({}, {"duration_seconds": 0.0}, ("error", ITEM, "no duration")),
        ({}, {"duration_seconds": 0.4}, ("error", ITEM, "no duration")),
        ({}, {"published_at": datetime(2024, 5, 1)}, ("error", ITEM, "no time zone")),
        ({}, {"episode_type": "teaser"}, ("error", ITEM, "full")),
        ({}, {"season": 0}, ("warning", ITEM, "season number")),
        ({}, {"number": 0}, ("warning", ITEM, "episode number must be 1 or more")),
        ({"show_type": "serial"}, {"number": None}, ("warning", ITEM, "serial show")),
        ({}, {"image_url": "art.jpg"}, ("error", ITEM, "artwork address")),
        ({}, {"image_url": f"{BASE_URL}/art.gif"}, ("warning", ITEM, "JPEG or PNG")),
        ({}, {"notes_html": "", "summary": ""}, ("warning", ITEM, "no description")),
        ({}, {"notes_html": "x" * 4001}, ("warning", ITEM, "at most 4,000")),
        ({}, {"chapters_url": "chapters.json"}, ("warning", ITEM, "chapters address")),
        (
            {},
            {"transcripts": (FeedTranscript(f"{BASE_URL}/t.txt", "text/plain", "en"),)},
            ("warning", ITEM, "not WebVTT or SRT"),
        ),
    ],
)
def test_check_feed_finds_the_problem(
    channel_overrides: dict[str, Any],
    item_overrides: dict[str, Any],
    expected: tuple[str, str, str],
) -> None:
    severity, where, message_part = expected

    problems = check_feed(make_channel(**channel_overrides), [make_item(**item_overrides)])

    assert [(p.severity, p.where) for p in problems] == [(severity, where)], problems
    assert message_part in problems[0].message


def test_check_feed_finds_a_show_without_episodes() -> None:
    assert check_feed(make_channel(), []) == [
        FeedProblem("error", "channel", "The show has no published episodes yet.")
    ]


def test_check_feed_finds_duplicate_guids() -> None:
    problems = check_feed(make_channel(), [make_item(1), make_item(2, guid=make_item(1).guid)])

    assert [(p.severity, p.where) for p in problems] == [("error", make_item(1).guid)]
    assert "same GUID" in problems[0].message


def test_check_feed_names_the_episode_in_its_message() -> None:
    (problem,) = check_feed(make_channel(), [make_item(title="Moon & Mars", enclosure_url="")])

    assert problem.message == 'Episode "Moon & Mars" has no audio file.'


@pytest.mark.parametrize(
    "feed_url",
    ["podnews.net/rss", "https://podnews.net/rss", "http://podnews.net/rss/", "podnews.net/rss//"],
)
def test_podcast_guid_for_matches_the_spec_example(feed_url: str) -> None:
    assert podcast_guid_for(feed_url) == "9b024349-ccf0-5f69-a609-6b82873eab3c"


@pytest.mark.parametrize(
    ("category", "subcategory", "is_valid"),
    [
        ("Science", "Astronomy", True),
        ("Science", None, True),
        ("Science", "", True),
        ("Technology", None, True),
        ("True Crime", None, True),
        ("Society & Culture", "Documentary", True),
        ("Education", "How To", True),
        ("Science", "Podcasting", False),
        ("Technology", "Podcasting", False),
        ("science", "Astronomy", False),
        ("Science & Medicine", None, False),
        ("", None, False),
    ],
)
def test_is_valid_category_follows_apples_list(
    category: str, subcategory: str | None, is_valid: bool
) -> None:
    assert is_valid_category(category, subcategory) is is_valid


def test_apple_categories_have_apples_110_entries() -> None:
    assert len(APPLE_CATEGORIES) == 19
    assert len(APPLE_CATEGORIES) + sum(map(len, APPLE_CATEGORIES.values())) == 110
