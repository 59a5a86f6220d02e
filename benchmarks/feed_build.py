"""Measure what feed building costs against bare feedgen, and what caching saves.

Prints two ratios for a show of 10,000 synthetic episodes:

- full build: ``catalog.feed.build_feed`` / bare feedgen building the same
  items from plain Python objects (target <= 1.2);
- one-edit refresh: one ``render_item`` + ``assemble_feed`` of 10,000 cached
  fragments / a full ``build_feed`` (target <= 0.1).

The baseline sets every field bare feedgen can express (its own itunes:
extension, with ``.jpg`` artwork so it does not drop it); ``build_feed`` also
cleans all text and writes the podcast: elements, which the baseline cannot.

Run: ``python benchmarks/feed_build.py [--items N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.feed import (  # noqa: E402
    CHAPTERS_TYPE,
    FeedChannel,
    FeedItem,
    FeedPerson,
    FeedTranscript,
    assemble_feed,
    build_feed,
    podcast_guid_for,
    render_item,
)
from catalog.feed import (
    PODCAST_NAMESPACE as PODCAST,
)

BASE_URL = "https://catalog.example.org"
NOTES_PARAGRAPH = (
    "<p>In this episode we talk with the founder of a lunar exploration company about "
    'landers, rovers, <a href="https://example.org/moon">resources on the Moon</a> and '
    "what it takes to build a business in cislunar space &amp; beyond.</p>"
)


def make_channel() -> FeedChannel:
    """Describe a typical show."""
    feed_url = f"{BASE_URL}/shows/space-cafe-radio/feed.xml"
    return FeedChannel(
        title="Space Café Radio",
        subtitle="Conversations about the space industry",
        description_html="<p>Interviews with the people building the space economy.</p>",
        link=f"{BASE_URL}/shows/space-cafe-radio/",
        feed_url=feed_url,
        language="en",
        image_url=f"{BASE_URL}/media/cover.jpg",
        category="Science",
        subcategory="Astronomy",
        explicit=False,
        author="SpaceWatch.Global",
        owner_name="SpaceWatch.Global",
        owner_email="podcast@spacewatch.example",
        copyright="© 2024 SpaceWatch.Global",
        show_type="episodic",
        podcast_guid=podcast_guid_for(feed_url),
        is_locked=True,
        funding_url=f"{BASE_URL}/support",
        funding_text="Support the show",
        new_feed_url=None,
        last_build_at=datetime(2024, 6, 1, tzinfo=UTC),
    )


def make_items(count: int) -> list[FeedItem]:
    """Describe ``count`` typical episodes, newest first."""
    start = datetime(2024, 6, 1, tzinfo=UTC)
    host = FeedPerson(
        "Torsten Kriening", "host", "cast", f"{BASE_URL}/media/host.jpg", f"{BASE_URL}/people/host/"
    )
    items = []
    for number in range(count, 0, -1):
        episode_url = f"{BASE_URL}/shows/space-cafe-radio/episodes/{number}/"
        guest = FeedPerson(
            f"Guest {number}", "guest", "cast", None, f"{BASE_URL}/people/guest-{number}/"
        )
        items.append(
            FeedItem(
                guid=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
                title=f"Episode {number}: ispace and the Japanese space journey",
                link=episode_url,
                published_at=start - timedelta(days=count - number),
                summary="A conversation about Japan's role in lunar exploration.",
                notes_html=NOTES_PARAGRAPH * 4,
                enclosure_url=f"{BASE_URL}/media/{number:08x}/episode-{number}.mp3",
                enclosure_length=40_000_000 + number,
                enclosure_type="audio/mpeg",
                duration_seconds=2400.5 + number,
                episode_type="full",
                season=1 + number // 100,
                number=number,
                explicit=False,
                image_url=f"{BASE_URL}/media/{number:08x}/art.jpg" if number % 2 else None,
                people=(host, guest),
                chapters_url=f"{episode_url}chapters.json",
                transcripts=(FeedTranscript(f"{episode_url}transcript.vtt", "text/vtt", "en"),),
            )
        )
    return items


class BarePodcastEntryExtension(BaseEntryExtension):  # type: ignore[misc, unused-ignore]
    """Write the same podcast: item elements as catalog.feed, the plainest way."""

    def __init__(self) -> None:
        self.item: FeedItem | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST}

    def extend_rss(self, entry: Any) -> Any:
        item = self.item
        assert item is not None
        for person in item.people:
            attributes = {"role": person.role, "group": person.group}
            if person.image_url:
                attributes["img"] = person.image_url
            if person.href:
                attributes["href"] = person.href
            etree.SubElement(entry, f"{{{PODCAST}}}person", attributes).text = person.name
        for transcript in item.transcripts:
            etree.SubElement(
                entry,
                f"{{{PODCAST}}}transcript",
                url=transcript.url,
                type=transcript.mime_type,
                language=transcript.language,
                rel="captions",
            )
        if item.chapters_url:
            etree.SubElement(
                entry, f"{{{PODCAST}}}chapters", url=item.chapters_url, type=CHAPTERS_TYPE
            )
        if item.season is not None:
            etree.SubElement(entry, f"{{{PODCAST}}}season").text = str(item.season)
        if item.number is not None:
            etree.SubElement(entry, f"{{{PODCAST}}}episode").text = str(item.number)
        return entry


class BarePodcastExtension(BaseExtension):  # type: ignore[misc, unused-ignore]
    """Declare the podcast: namespace for the plain extension."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST}


def build_with_bare_feedgen(
    channel: FeedChannel, items: list[FeedItem], *, with_podcast_namespace: bool
) -> bytes:
    """Build the same feed the way a plain feedgen user would.

    Without the podcast: namespace, the feed holds only what feedgen itself can
    write; with it, a plain extension adds the same podcast: item elements as ours.
    """
    generator = FeedGenerator()
    generator.load_extension("podcast")
    if with_podcast_namespace:
        generator.register_extension(
            "podcastindex", BarePodcastExtension, BarePodcastEntryExtension
        )
    generator.title(channel.title)
    generator.link(href=channel.feed_url, rel="self")
    generator.link(href=channel.link, rel="alternate")
    generator.description(channel.description_html)
    generator.language(channel.language)
    generator.copyright(channel.copyright)
    generator.lastBuildDate(channel.last_build_at)
    generator.image(url=channel.image_url, title=channel.title, link=channel.link)
    generator.podcast.itunes_image(channel.image_url)
    generator.podcast.itunes_category({"cat": channel.category, "sub": channel.subcategory})
    generator.podcast.itunes_explicit("yes" if channel.explicit else "no")
    generator.podcast.itunes_author(channel.author)
    generator.podcast.itunes_owner(channel.owner_name, channel.owner_email)
    generator.podcast.itunes_subtitle(channel.subtitle)
    generator.podcast.itunes_type(channel.show_type)
    for item in items:
        entry = generator.add_entry(order="append")
        entry.title(item.title)
        entry.link(href=item.link)
        entry.guid(item.guid, permalink=False)
        entry.pubDate(item.published_at)
        entry.description(item.notes_html)
        entry.content(item.notes_html)
        entry.enclosure(item.enclosure_url, str(item.enclosure_length), item.enclosure_type)
        entry.podcast.itunes_summary(item.summary)
        entry.podcast.itunes_duration(round(item.duration_seconds))
        entry.podcast.itunes_episode_type(item.episode_type)
        entry.podcast.itunes_season(item.season)
        entry.podcast.itunes_episode(item.number)
        entry.podcast.itunes_explicit("yes" if item.explicit else "no")
        if item.image_url:
            entry.podcast.itunes_image(item.image_url)
        if with_podcast_namespace:
            entry.podcastindex.item = item
    document: bytes = generator.rss_str(encoding="UTF-8")
    return document


def fastest_times(actions: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Time each action once per round, interleaved, and keep each one's fastest run.

    Interleaving spreads machine noise over all actions alike; the fastest run
    is the one least disturbed by other processes.
    """
    fastest = dict.fromkeys(actions, float("inf"))
    for _ in range(rounds):
        for name, action in actions.items():
            gc.collect()
            started = time.process_time()
            action()
            fastest[name] = min(fastest[name], time.process_time() - started)
    return fastest


def main() -> None:
    """Print the full-build and one-edit-refresh ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()

    channel = make_channel()
    items = make_items(arguments.items)
    cached = [render_item(item) for item in items]
    edited_index = len(items) // 2
    edited = dataclasses.replace(items[edited_index], title="Edited title")

    def refresh_after_one_edit() -> bytes:
        fragments = list(cached)
        fragments[edited_index] = render_item(edited)
        return assemble_feed(channel, fragments)

    times = fastest_times(
        {
            "bare feedgen": lambda: build_with_bare_feedgen(
                channel, items, with_podcast_namespace=False
            ),
            "bare feedgen + podcast:": lambda: build_with_bare_feedgen(
                channel, items, with_podcast_namespace=True
            ),
            "build_feed": lambda: build_feed(channel, items),
            "refresh": refresh_after_one_edit,
        },
        arguments.repeat,
    )
    full, refresh = times["build_feed"], times["refresh"]

    print(f"items: {len(items):,} (CPU time, fastest of {arguments.repeat} interleaved rounds)")
    for name, seconds in times.items():
        print(f"  {name + ':':26} {seconds * 1000:9.1f} ms")
    print(
        "full build ratio, build_feed / bare feedgen + podcast: (same XML; target <= 1.2): "
        f"{full / times['bare feedgen + podcast:']:.3f}"
    )
    print(
        "full build ratio, build_feed / bare feedgen (no podcast: elements): "
        f"{full / times['bare feedgen']:.3f}"
    )
    print(f"refresh ratio, one-edit refresh / build_feed (target <= 0.1): {refresh / full:.4f}")


if __name__ == "__main__":
    main()
