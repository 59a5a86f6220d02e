"""Build a show's RSS feed for Apple Podcasts and every other podcast app.

feedgen lives here and only here. Items are rendered one at a time into
fragments that the caller may cache: after one episode changes, the feed of a
10,000-episode show is reassembled from cached fragments and one new render.

Every fragment is the bytes of one ``<item>`` element whose prefixes
(``itunes:``, ``content:``, ``podcast:``) are declared once, on ``<rss>``, by
:func:`assemble_feed`; a fragment is therefore only valid inside a feed built
here.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.podcast import PodcastExtension as FeedgenItunesExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension as FeedgenItunesEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from catalog.apple_categories import is_valid_category
from catalog.errors import InvalidInput
from catalog.text import clean_text

ITUNES_NAMESPACE: Final = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NAMESPACE: Final = "https://podcastindex.org/namespace/1.0"
ATOM_NAMESPACE: Final = "http://www.w3.org/2005/Atom"
CONTENT_NAMESPACE: Final = "http://purl.org/rss/1.0/modules/content/"

# Exactly the prefixes feedgen declares on <rss> once our extensions are
# registered; fragments are serialized under the same map so their prefixes match.
_NAMESPACES: Final = {
    "itunes": ITUNES_NAMESPACE,
    "podcast": PODCAST_NAMESPACE,
    "atom": ATOM_NAMESPACE,
    "content": CONTENT_NAMESPACE,
}


_ITUNES: Final = f"{{{ITUNES_NAMESPACE}}}"
_PODCAST: Final = f"{{{PODCAST_NAMESPACE}}}"

# The Podcasting 2.0 namespace fixes this UUID for podcast:guid.
PODCAST_GUID_NAMESPACE: Final = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

CHAPTERS_TYPE: Final = "application/json+chapters"
TRANSCRIPT_TYPES: Final = frozenset({"text/vtt", "application/x-subrip"})
SHOW_TYPES: Final = frozenset({"episodic", "serial"})
EPISODE_TYPES: Final = frozenset({"full", "trailer", "bonus"})
# Apple Podcasts plays these; other audio types reach only some apps.
APPLE_AUDIO_TYPES: Final = frozenset({"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac"})
# Apple documents 4,000 as the limit for show and episode descriptions.
APPLE_DESCRIPTION_LIMIT: Final = 4000

# The feed must never shorten what a producer wrote; limits are checked, not enforced.
_UNLIMITED: Final = sys.maxsize
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_ARTWORK_SUFFIXES: Final = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True, slots=True)
class FeedChannel:
    """What the feed says about the show itself."""

    title: str
    subtitle: str
    description_html: str
    link: str
    feed_url: str
    language: str
    image_url: str | None
    category: str
    subcategory: str | None
    explicit: bool
    author: str
    owner_name: str
    owner_email: str
    copyright: str
    show_type: str
    podcast_guid: str
    is_locked: bool
    funding_url: str | None
    funding_text: str
    new_feed_url: str | None
    last_build_at: datetime


@dataclass(frozen=True, slots=True)
class FeedPerson:
    """A person credited on an episode (Podcasting 2.0 person taxonomy)."""

    name: str
    role: str
    group: str
    image_url: str | None
    href: str | None


@dataclass(frozen=True, slots=True)
class FeedTranscript:
    """A transcript file of an episode."""

    url: str
    mime_type: str
    language: str


@dataclass(slots=True)
class FeedItem:
    """What the feed says about one episode.

    Not frozen: a 10,000-episode build makes 10,000 of them, and a frozen
    dataclass takes twice as long to construct. Nothing changes one once built.
    """

    guid: str
    title: str
    link: str
    published_at: datetime
    summary: str
    notes_html: str
    enclosure_url: str
    enclosure_length: int
    enclosure_type: str
    duration_seconds: float
    episode_type: str
    season: int | None
    number: int | None
    explicit: bool
    image_url: str | None
    people: tuple[FeedPerson, ...] = ()
    chapters_url: str | None = None
    transcripts: tuple[FeedTranscript, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """Something Apple Podcasts would reject (error) or frown upon (warning)."""

    severity: Literal["error", "warning"]
    where: str
    message: str


class ItunesExtension(FeedgenItunesExtension):  # type: ignore[misc, unused-ignore]
    """feedgen's itunes: channel extension, minus the traps Apple trips over.

    feedgen writes ``itunes:explicit`` as yes/no (Apple wants true/false),
    silently drops artwork whose URL does not end in .jpg/.png (``.jpeg``, a
    query string) and refuses an owner without a name; we write those three.
    """

    def __init__(self) -> None:
        super().__init__()
        self._image_url: str | None = None
        self._is_explicit: bool | None = None
        self._owner: tuple[str, str] | None = None

    def itunes_image(self, itunes_image: str | None = None) -> str | None:
        """Set the show artwork URL whatever its suffix."""
        if itunes_image is not None:
            self._image_url = itunes_image
        return self._image_url

    def itunes_explicit(self, itunes_explicit: bool | None = None) -> bool | None:
        """Set whether the show is explicit, written as Apple's true/false."""
        if itunes_explicit is not None:
            self._is_explicit = itunes_explicit
        return self._is_explicit

    def itunes_owner(
        self, name: str | None = None, email: str | None = None
    ) -> tuple[str, str] | None:
        """Set the owner Apple contacts, even when only one part is known."""
        if name is not None or email is not None:
            self._owner = (name or "", email or "")
        return self._owner

    def extend_rss(self, rss_feed: Any) -> Any:
        """Add feedgen's itunes: elements, then the ones we write ourselves."""
        super().extend_rss(rss_feed)
        channel = rss_feed[0]
        if self._image_url:
            etree.SubElement(channel, _ITUNES + "image", href=self._image_url)
        if self._is_explicit is not None:
            explicit = etree.SubElement(channel, _ITUNES + "explicit")
            explicit.text = "true" if self._is_explicit else "false"
        if self._owner is not None:
            name, email = self._owner
            owner = etree.SubElement(channel, _ITUNES + "owner")
            if name:
                etree.SubElement(owner, _ITUNES + "name").text = name
            if email:
                etree.SubElement(owner, _ITUNES + "email").text = email
        return rss_feed


class ItunesEntryExtension(FeedgenItunesEntryExtension):  # type: ignore[misc, unused-ignore]
    """feedgen's itunes: item extension, with Apple's true/false and any artwork URL."""

    def __init__(self) -> None:
        super().__init__()
        self._image_url: str | None = None
        self._is_explicit: bool | None = None

    def itunes_image(self, itunes_image: str | None = None) -> str | None:
        """Set the episode artwork URL; feedgen would raise on ``.jpeg`` or a query."""
        if itunes_image is not None:
            self._image_url = itunes_image
        return self._image_url

    def itunes_explicit(self, itunes_explicit: bool | None = None) -> bool | None:
        """Set whether the episode is explicit, written as Apple's true/false."""
        if itunes_explicit is not None:
            self._is_explicit = itunes_explicit
        return self._is_explicit

    def extend_rss(self, entry: Any) -> Any:
        """Add feedgen's itunes: elements, then the ones we write ourselves."""
        super().extend_rss(entry)
        if self._image_url:
            etree.SubElement(entry, _ITUNES + "image", href=self._image_url)
        if self._is_explicit is not None:
            explicit = etree.SubElement(entry, _ITUNES + "explicit")
            explicit.text = "true" if self._is_explicit else "false"
        return entry


class LastBuildDateExtension(BaseExtension):  # type: ignore[misc, unused-ignore]
    """Write the channel's <lastBuildDate> in place of feedgen.

    feedgen formats dates by switching the whole process to the C locale and
    back (``formatRFC2822``), which races with the threads serving other
    requests; ``email.utils`` writes the same text without it.
    """

    def __init__(self) -> None:
        self._moment: datetime | None = None

    def last_build_date(self, moment: datetime) -> None:
        """Set when the feed was built (aware, UTC)."""
        self._moment = moment

    def extend_rss(self, rss_feed: Any) -> Any:
        """Append <lastBuildDate> after feedgen's own channel elements."""
        if self._moment is not None:
            etree.SubElement(rss_feed[0], "lastBuildDate").text = format_datetime(self._moment)
        return rss_feed


class PodcastExtension(BaseExtension):  # type: ignore[misc, unused-ignore]
    """Write the channel part of the Podcasting 2.0 ``podcast:`` namespace."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str] | None = None
        self._funding: tuple[str, str] | None = None

    def extend_ns(self) -> dict[str, str]:
        """Declare the podcast: prefix on <rss>."""
        return {"podcast": PODCAST_NAMESPACE}

    def guid(self, value: str) -> None:
        """Set the show's global GUID, which survives moves between hosts."""
        self._guid = value

    def locked(self, is_locked: bool, owner_email: str) -> None:
        """Tell other hosts whether they may import this show."""
        self._locked = (is_locked, owner_email)

    def funding(self, url: str, text: str) -> None:
        """Link listeners to a way to support the show."""
        self._funding = (url, text)

    def extend_rss(self, rss_feed: Any) -> Any:
        """Append the podcast: channel elements."""
        channel = rss_feed[0]
        if self._guid:
            etree.SubElement(channel, _PODCAST + "guid").text = self._guid
        if self._locked is not None:
            is_locked, owner_email = self._locked
            locked = etree.SubElement(channel, _PODCAST + "locked")
            if owner_email:
                locked.set("owner", owner_email)
            locked.text = "yes" if is_locked else "no"
        if self._funding is not None:
            url, text = self._funding
            etree.SubElement(channel, _PODCAST + "funding", url=url).text = text
        return rss_feed


class PodcastEntryExtension(BaseEntryExtension):  # type: ignore[misc, unused-ignore]
    """Write the item part of the Podcasting 2.0 ``podcast:`` namespace."""

    def __init__(self) -> None:
        self._people: tuple[FeedPerson, ...] = ()
        self._transcripts: tuple[FeedTranscript, ...] = ()
        self._chapters_url: str | None = None
        self._season: int | None = None
        self._episode: int | None = None

    def people(self, people: tuple[FeedPerson, ...]) -> None:
        """Credit hosts and guests so apps can link to their other appearances."""
        self._people = people

    def transcripts(self, transcripts: tuple[FeedTranscript, ...]) -> None:
        """Offer transcripts for captions and search."""
        self._transcripts = transcripts

    def chapters(self, url: str) -> None:
        """Link the JSON chapters file."""
        self._chapters_url = url

    def season(self, number: int) -> None:
        """Number the season for apps that read only the podcast: namespace."""
        self._season = number

    def episode(self, number: int) -> None:
        """Number the episode for apps that read only the podcast: namespace."""
        self._episode = number

    def extend_rss(self, entry: Any) -> Any:
        """Append the podcast: item elements."""
        for person in self._people:
            attributes, name = _person_element(person)
            etree.SubElement(entry, _PODCAST + "person", attributes).text = name
        for transcript in self._transcripts:
            element = etree.SubElement(
                entry,
                _PODCAST + "transcript",
                url=_line(transcript.url),
                type=_line(transcript.mime_type),
            )
            if transcript.language:
                element.set("language", _line(transcript.language))
            # WebVTT and SRT are timed, so apps may show them as captions.
            element.set("rel", "captions")
        if self._chapters_url:
            etree.SubElement(
                entry, _PODCAST + "chapters", url=self._chapters_url, type=CHAPTERS_TYPE
            )
        if self._season is not None:
            etree.SubElement(entry, _PODCAST + "season").text = str(self._season)
        if self._episode is not None:
            etree.SubElement(entry, _PODCAST + "episode").text = str(self._episode)
        return entry


@lru_cache(maxsize=4096)
def _person_element(person: FeedPerson) -> tuple[dict[str, str], str]:
    """Return a podcast:person's cleaned attributes and name, once per person and role.

    A host is credited on every episode of a show; cleaning their four strings
    10,000 times would be most of what writing the podcast: namespace costs.
    """
    attributes = {}
    if person.role:
        attributes["role"] = _line(person.role).lower()
    if person.group:
        attributes["group"] = _line(person.group).lower()
    if person.image_url:
        attributes["img"] = _line(person.image_url)
    if person.href:
        attributes["href"] = _line(person.href)
    return attributes, _line(person.name)


def podcast_guid_for(feed_url: str) -> str:
    """Derive the show's podcast:guid the way the Podcasting 2.0 spec does, so others agree."""
    address = _SCHEME.sub("", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, address))


def render_item(item: FeedItem) -> bytes:
    """Render one episode's ``<item>`` so it can be cached and reassembled later."""
    return bytes(render_items([item])[0])


def render_items(items: Iterable[FeedItem]) -> list[memoryview]:
    """Render episodes' ``<item>`` fragments, in order, a few hundred per lxml pass.

    Each fragment is exactly what rendering its item alone would give; one
    document and one serialization per batch is what makes a 10,000-episode
    build about as fast as feedgen building the feed itself. Batches, not one
    document for all: libxml2 then reuses the memory of the batch before
    instead of growing the heap by a whole feed's tree and freeing half a
    million nodes at once (a tenth of the build's time, measured), and peak
    memory stays one batch's tree. The fragments are views into each batch's
    serialization, not copies of it.
    """
    fragments: list[memoryview] = []
    batch: list[FeedItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == ITEMS_PER_PASS:
            fragments += _render_batch(batch)
            batch = []
    if batch:
        fragments += _render_batch(batch)
    return fragments


# Big enough that per-pass overhead vanishes, small enough that a pass's tree
# stays in the CPU caches and in memory libxml2 already has (100-500 measured alike).
ITEMS_PER_PASS: Final = 256


def _render_batch(items: list[FeedItem]) -> list[memoryview]:
    """Render ``items`` in one document and cut its serialization into fragments."""
    # The holder declares our prefixes, so lxml reuses them in every item
    # instead of inventing ns0:, ns1:, and the items themselves declare none.
    holder = etree.Element("channel", nsmap=_NAMESPACES)
    for item in items:
        entry, published = _entry(item)
        element = entry.rss_entry(extensions=False)
        # feedgen writes pubDate last of its own elements, and formats it by
        # switching the whole process to the C locale and back for each item:
        # slow (a tenth of rendering), and unsafe with threads serving other
        # requests. Same place, same text, without the switch.
        etree.SubElement(element, "pubDate").text = published
        holder.append(element)
        # Extensions write into an item that already sits under the holder, so
        # each itunes:/podcast: element finds its prefix there at once instead
        # of declaring it locally and being reconciled on append (~20% faster).
        entry.itunes.extend_rss(element)
        entry.podcast.extend_rss(element)
    # Serializing to text and encoding that is faster than having libxml2
    # write UTF-8 (~15%), and gives the same bytes.
    serialized = etree.tostring(holder, encoding="unicode").encode()
    view = memoryview(serialized)
    # Cut after each item's end tag. Text and attribute values are escaped
    # ("<" is written "&lt;") and no element inside an item is named plain
    # "item", so the end tag occurs exactly once per item; the count checks it.
    fragments = []
    start = serialized.index(b">") + 1  # after the holder's start tag
    end = serialized.find(_ITEM_END, start)
    while end != -1:
        end += len(_ITEM_END)
        fragments.append(view[start:end])
        start = end
        end = serialized.find(_ITEM_END, start)
    if len(fragments) != len(holder) or view[start:] != b"</channel>":
        return [memoryview(_serialize_alone(element)) for element in holder]
    return fragments


_ITEM_END: Final = b"</item>"


def _serialize_alone(element: Any) -> bytes:
    """Serialize one adopted item without the namespace declarations <rss> makes."""
    serialized: bytes = etree.tostring(element, encoding="UTF-8", xml_declaration=False)
    if serialized.startswith(_ITEM_OPEN_TAG_WITH_NAMESPACES):
        return b"<item>" + serialized[len(_ITEM_OPEN_TAG_WITH_NAMESPACES) :]
    return serialized


def _entry(item: FeedItem) -> tuple[FeedEntry, str]:
    """Describe one episode to feedgen, refusing what no app could read.

    Returns the entry and the item's pubDate text, which feedgen is not given.
    """
    entry = FeedEntry()
    entry.register_extension("itunes", ItunesEntryExtension)
    entry.register_extension("podcast", PodcastEntryExtension)
    itunes: ItunesEntryExtension = entry.itunes
    podcast: PodcastEntryExtension = entry.podcast

    title = _line(item.title)
    summary = _prose(item.summary)
    notes_html = _prose(item.notes_html)
    if not (title or summary or notes_html):
        raise InvalidInput(f"Episode {item.guid} needs a title.", field="title")
    if title:
        entry.title(title)
    if item.link:
        entry.link(href=_line(item.link))
    entry.guid(_line(item.guid), permalink=False)
    published = format_datetime(_utc(item.published_at, f'Episode "{title}"'))
    if notes_html:
        entry.description(notes_html)
        entry.content(notes_html)
    elif summary:
        entry.description(summary)
    if summary:
        itunes.itunes_summary(summary)
    if item.enclosure_url:
        if item.enclosure_length < 0:
            raise InvalidInput(f'Episode "{title}" has a negative audio size.', field="audio")
        entry.enclosure(
            _line(item.enclosure_url), str(item.enclosure_length), _line(item.enclosure_type)
        )
    itunes.itunes_duration(_whole_seconds(item.duration_seconds, title))
    if item.episode_type not in EPISODE_TYPES:
        raise InvalidInput(
            f'Episode "{title}" has an unknown type {item.episode_type!r}.', field="episode_type"
        )
    itunes.itunes_episode_type(item.episode_type)
    itunes.itunes_explicit(item.explicit)
    if item.image_url:
        itunes.itunes_image(_line(item.image_url))
    if item.season is not None:
        itunes.itunes_season(item.season)
        podcast.season(item.season)
    if item.number is not None:
        itunes.itunes_episode(item.number)
        podcast.episode(item.number)
    if item.people:
        podcast.people(item.people)
    if item.transcripts:
        podcast.transcripts(item.transcripts)
    if item.chapters_url:
        podcast.chapters(_line(item.chapters_url))

    return entry, published


def render_frame(channel: FeedChannel) -> tuple[bytes, bytes]:
    """Render the feed around its items: the bytes before the first item and after the last."""
    document = _render_channel(channel)
    # The channel always has a <title>, so feedgen always writes </channel>.
    head, _, tail = document.rpartition(b"</channel>")
    return head, b"</channel>" + tail


def assemble_feed(channel: FeedChannel, item_fragments: Iterable[bytes | memoryview]) -> bytes:
    """Wrap pre-rendered item fragments, in the given order, into the show's RSS document."""
    head, tail = render_frame(channel)
    return join_feed(head, item_fragments, tail)


def join_feed(head: bytes, item_fragments: Iterable[bytes | memoryview], tail: bytes) -> bytes:
    """Join a frame from :func:`render_frame` and fragments from :func:`render_items`."""
    parts: list[bytes | memoryview] = [head]
    for fragment in item_fragments:
        if fragment[:5] != b"<item":
            raise ValueError("a feed is joined from fragments made by render_item")
        parts.append(fragment)
    parts.append(tail)
    return b"".join(parts)


def build_feed(channel: FeedChannel, items: Iterable[FeedItem]) -> bytes:
    """Build the whole feed when no fragments are cached."""
    return assemble_feed(channel, render_items(items))


def check_feed(channel: FeedChannel, items: Iterable[FeedItem]) -> list[FeedProblem]:
    """List what Apple Podcasts would reject or warn about, so producers fix it first."""
    problems = _channel_problems(channel)
    seen_guids: set[str] = set()
    count = 0
    for item in items:
        count += 1
        problems.extend(_item_problems(item, channel))
        if item.guid and item.guid in seen_guids:
            problems.append(
                _error(item, f'Episode "{_line(item.title)}" has the same GUID as another episode.')
            )
        seen_guids.add(item.guid)
    if count == 0:
        problems.append(FeedProblem("error", "channel", "The show has no published episodes yet."))
    return problems


def _render_channel(channel: FeedChannel) -> bytes:
    """Render the feed without items; items are spliced in as bytes."""
    title = _line(channel.title)
    description = _prose(channel.description_html)
    link = _line(channel.link)
    if not title:
        raise InvalidInput("The show needs a title before its feed can be built.", field="title")
    if not description:
        raise InvalidInput(
            "The show needs a description before its feed can be built.", field="description"
        )
    if not link:
        raise InvalidInput(
            "The show needs a web address before its feed can be built.", field="link"
        )

    generator = FeedGenerator()
    # feedgen stamps every feed with a lastBuildDate of its own, written through
    # its locale switch; it has no way to unset it but its private attribute.
    generator._FeedGenerator__rss_lastBuildDate = None
    generator.register_extension("build", LastBuildDateExtension, None)
    generator.register_extension("itunes", ItunesExtension, ItunesEntryExtension)
    generator.register_extension("podcast", PodcastExtension, PodcastEntryExtension)
    itunes: ItunesExtension = generator.itunes
    podcast: PodcastExtension = generator.podcast

    generator.title(title)
    # feedgen uses the last link added as the RSS <link>, so self goes first.
    generator.link(href=_line(channel.feed_url), rel="self", type="application/rss+xml")
    generator.link(href=link, rel="alternate")
    generator.description(description)
    generator.generator("catalog")
    generator.build.last_build_date(_utc(channel.last_build_at, "The show's last build time"))
    if channel.language:
        generator.language(_line(channel.language))
    if channel.copyright:
        generator.copyright(_line(channel.copyright))
    if channel.image_url:
        image_url = _line(channel.image_url)
        generator.image(url=image_url, title=title, link=link)
        itunes.itunes_image(image_url)
    if channel.category and is_valid_category(channel.category, channel.subcategory):
        category = {"cat": channel.category}
        if channel.subcategory:
            category["sub"] = channel.subcategory
        itunes.itunes_category(category)
    itunes.itunes_explicit(channel.explicit)
    if channel.author:
        itunes.itunes_author(_line(channel.author))
    if channel.owner_name or channel.owner_email:
        itunes.itunes_owner(_line(channel.owner_name), _line(channel.owner_email))
    if channel.subtitle:
        itunes.itunes_subtitle(_line(channel.subtitle))
    if channel.show_type not in SHOW_TYPES:
        raise InvalidInput(
            f"The show type must be episodic or serial, not {channel.show_type!r}.",
            field="show_type",
        )
    itunes.itunes_type(channel.show_type)
    if channel.new_feed_url:
        itunes.itunes_new_feed_url(_line(channel.new_feed_url))
    if channel.podcast_guid:
        podcast.guid(_line(channel.podcast_guid))
    podcast.locked(channel.is_locked, _line(channel.owner_email))
    if channel.funding_url:
        podcast.funding(_line(channel.funding_url), _line(channel.funding_text))
    document: bytes = generator.rss_str(pretty=False, encoding="UTF-8", xml_declaration=True)
    return document


def _channel_problems(channel: FeedChannel) -> list[FeedProblem]:
    """Check the show's own fields against Apple's requirements."""
    problems: list[FeedProblem] = []

    def error(message: str) -> None:
        problems.append(FeedProblem("error", "channel", message))

    def warning(message: str) -> None:
        problems.append(FeedProblem("warning", "channel", message))

    if not _line(channel.title):
        error("The show has no title.")
    description = _prose(channel.description_html)
    if not description:
        error("The show has no description.")
    elif len(description) > APPLE_DESCRIPTION_LIMIT:
        warning(
            f"The show description is {len(description):,} characters; "
            f"Apple Podcasts shows at most {APPLE_DESCRIPTION_LIMIT:,}."
        )
    if not _is_web_url(channel.link):
        warning("The show's web page address is missing or not a full http(s) URL.")
    if not _is_web_url(channel.feed_url):
        error("The feed address is not a full http(s) URL.")
    problems.extend(_artwork_problems(channel.image_url, "channel", "The show", required=True))
    if not channel.language:
        error("The show has no language.")
    elif not _LANGUAGE.match(channel.language):
        warning(
            f'The language "{channel.language}" is not a language code such as "en" or "en-US".'
        )
    if not channel.category:
        error("The show has no Apple Podcasts category.")
    elif not is_valid_category(channel.category, channel.subcategory):
        shown = channel.category + (f" › {channel.subcategory}" if channel.subcategory else "")
        error(f'"{shown}" is not an Apple Podcasts category.')
    if not _line(channel.author):
        warning("The show has no author; Apple Podcasts shows the author under the title.")
    if not channel.owner_email:
        error("The show has no owner email; Apple Podcasts uses it to verify ownership.")
    elif "@" not in channel.owner_email:
        error(f'The owner email "{channel.owner_email}" is not an email address.')
    if not channel.owner_name:
        warning("The show has no owner name.")
    if channel.show_type not in SHOW_TYPES:
        error(f'The show type must be "episodic" or "serial", not "{channel.show_type}".')
    if channel.new_feed_url is not None and not _is_web_url(channel.new_feed_url):
        error("The new feed address is not a full http(s) URL.")
    if not _is_uuid(channel.podcast_guid):
        warning("The show's podcast GUID is not a UUID; Podcast Index apps may not match it.")
    if channel.funding_url is not None and not _is_web_url(channel.funding_url):
        warning("The funding link is not a full http(s) URL.")
    if channel.last_build_at.tzinfo is None:
        error("The feed's build time has no time zone.")
    return problems


def _item_problems(item: FeedItem, channel: FeedChannel) -> list[FeedProblem]:
    """Check one episode against Apple's requirements."""
    title = _line(item.title)
    name = f'Episode "{title}"' if title else f"Episode {item.guid}"
    problems: list[FeedProblem] = []

    def error(message: str) -> None:
        problems.append(_error(item, message))

    def warning(message: str) -> None:
        problems.append(FeedProblem("warning", _where(item), message))

    if not title:
        error(f"{name} has no title.")
    if not _line(item.guid):
        error(f"{name} has no GUID.")
    if not item.enclosure_url:
        error(f"{name} has no audio file.")
    elif not _is_web_url(item.enclosure_url):
        error(f"{name}'s audio address is not a full http(s) URL.")
    if item.enclosure_length <= 0:
        error(f"{name}'s audio file size is unknown; Apple needs the exact size in bytes.")
    if not item.enclosure_type:
        error(f"{name}'s audio file has no type.")
    elif not item.enclosure_type.startswith("audio/"):
        error(f'{name}\'s file type "{item.enclosure_type}" is not audio.')
    elif item.enclosure_type not in APPLE_AUDIO_TYPES:
        warning(
            f'{name}\'s audio type "{item.enclosure_type}" does not play in Apple Podcasts; '
            "use MP3 or AAC."
        )
    if not math.isfinite(item.duration_seconds) or round(item.duration_seconds) <= 0:
        error(f"{name} has no duration.")
    if item.published_at.tzinfo is None:
        error(f"{name}'s publish time has no time zone.")
    if item.episode_type not in EPISODE_TYPES:
        error(f'{name}\'s type must be "full", "trailer" or "bonus", not "{item.episode_type}".')
    if item.season is not None and item.season <= 0:
        warning(f"{name}'s season number must be 1 or more.")
    if item.number is not None and item.number <= 0:
        warning(f"{name}'s episode number must be 1 or more.")
    if channel.show_type == "serial" and item.number is None and item.episode_type == "full":
        warning(f"{name} has no episode number; Apple orders a serial show by episode number.")
    if item.image_url:
        problems.extend(_artwork_problems(item.image_url, _where(item), name, required=False))
    notes = _prose(item.notes_html) or _prose(item.summary)
    if not notes:
        warning(f"{name} has no description.")
    elif len(notes) > APPLE_DESCRIPTION_LIMIT:
        warning(
            f"{name}'s show notes are {len(notes):,} characters; "
            f"Apple Podcasts shows at most {APPLE_DESCRIPTION_LIMIT:,}."
        )
    if item.chapters_url is not None and not _is_web_url(item.chapters_url):
        warning(f"{name}'s chapters address is not a full http(s) URL.")
    for transcript in item.transcripts:
        if transcript.mime_type not in TRANSCRIPT_TYPES:
            warning(f'{name}\'s transcript type "{transcript.mime_type}" is not WebVTT or SRT.')
        if not _is_web_url(transcript.url):
            warning(f"{name}'s transcript address is not a full http(s) URL.")
    return problems


def _artwork_problems(
    url: str | None, where: str, name: str, *, required: bool
) -> list[FeedProblem]:
    """Check an artwork URL the way Apple does: present, absolute, JPEG or PNG."""
    if not url:
        if required:
            return [FeedProblem("error", where, f"{name} has no artwork.")]
        return []
    if not _is_web_url(url):
        return [FeedProblem("error", where, f"{name}'s artwork address is not a full http(s) URL.")]
    if not urlsplit(url).path.lower().endswith(_ARTWORK_SUFFIXES):
        return [
            FeedProblem(
                "warning",
                where,
                f"{name}'s artwork does not end in .jpg or .png; Apple accepts only JPEG or PNG.",
            )
        ]
    return []


def _error(item: FeedItem, message: str) -> FeedProblem:
    """Report an error on one episode."""
    return FeedProblem("error", _where(item), message)


def _where(item: FeedItem) -> str:
    """Name an episode by its GUID, the one thing about it that never changes."""
    return item.guid or _line(item.title)


def _line(value: str | None) -> str:
    """Clean one-line text without shortening it; a control character would break the feed.

    Text that is already clean (nearly all of it, since it was cleaned at
    ingest) is returned as is: a 10,000-episode feed cleans ~200,000 strings.
    """
    if (
        value
        and value.isprintable()  # no control, separator or unassigned characters but " "
        and "  " not in value
        and value[0] != " "
        and value[-1] != " "
        and unicodedata.is_normalized("NFC", value)
    ):
        return value
    return clean_text(value, max_length=_UNLIMITED)


def _prose(value: str | None) -> str:
    """Clean multi-line text or HTML without shortening it; already clean text is returned as is."""
    if (
        value
        and value[0] not in " \n"
        and value[-1] not in " \n"
        and " \n" not in value
        and _is_printable_nfc(value)
    ):
        return value
    return clean_text(value, max_length=_UNLIMITED, multiline=True)


def _is_printable_nfc(value: str) -> bool:
    """Whether ``value`` has no control character but newlines and is NFC already."""
    if value.isascii():
        # Most show notes: ASCII is NFC already, and deleting the control
        # characters from its bytes is the fastest way to find there are none.
        raw = value.encode("ascii")
        return len(raw.translate(None, _ASCII_CONTROLS_BUT_NEWLINE)) == len(raw)
    return value.replace("\n", "").isprintable() and unicodedata.is_normalized("NFC", value)


_ASCII_CONTROLS_BUT_NEWLINE: Final = bytes([*range(0x0A), *range(0x0B, 0x20), 0x7F])


def _utc(moment: datetime, what: str) -> datetime:
    """Return ``moment`` in UTC, refusing a naive time rather than guessing its zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{what} has no time zone.")
    return moment.astimezone(UTC)


def _whole_seconds(duration: float, title: str) -> int:
    """Round a duration to whole seconds, the only form every app reads."""
    if not math.isfinite(duration) or duration < 0:
        raise InvalidInput(f'Episode "{title}" has an invalid duration.', field="audio")
    return round(duration)


def _is_web_url(url: str | None) -> bool:
    """Tell whether ``url`` is an absolute http(s) URL apps can fetch."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_uuid(value: str) -> bool:
    """Tell whether ``value`` is a UUID in any of its usual spellings."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _item_open_tag_with_namespaces() -> bytes:
    """Find the exact start tag lxml writes for an item adopted under our namespaces."""
    holder = etree.Element("channel", nsmap=_NAMESPACES)
    item = etree.SubElement(holder, "item")
    item.text = "x"
    serialized: bytes = etree.tostring(item, encoding="UTF-8", xml_declaration=False)
    return serialized[: serialized.rindex(b">x</item>") + 1]


_ITEM_OPEN_TAG_WITH_NAMESPACES: Final = _item_open_tag_with_namespaces()
