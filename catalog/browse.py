"""What listeners can see: shows, published episodes, people and their appearances.

Every query here filters by publish time, so a draft or a scheduled episode never
leaks onto a page, and loads what a page shows in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from catalog.errors import NotFound
from catalog.links import SiteLinks
from catalog.models import Credit, Episode, Person, Show
from catalog.transcripts import Cue, cues


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    items: list[Episode]
    number: int
    size: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _visible(now: datetime) -> Select[Episode]:
    return select(Episode).where(
        Episode.status.in_(("published", "scheduled")), Episode.publish_at <= now
    )


def list_shows(session: Session) -> list[Show]:
    """Return every show, alphabetically."""
    return list(session.scalars(select(Show).order_by(Show.title)))


def get_show(session: Session, slug: str) -> Show:
    """Return the show with ``slug`` or raise NotFound."""
    show = session.scalar(select(Show).where(Show.slug == slug))
    if show is None:
        raise NotFound(f"There is no show at “{slug}”.")
    return show


def show_episodes(
    session: Session, show: Show, now: datetime, page: int = 1, size: int = 20
) -> Page:
    """Return one page of the show's published episodes, newest first."""
    page = max(page, 1)
    query = _visible(now).where(Episode.show_id == show.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(Episode.audio))
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return Page(list(items), page, size, total)


def get_episode(session: Session, show: Show, slug: str, now: datetime) -> Episode:
    """Return the published episode ``slug`` of ``show`` with its credits, or raise NotFound."""
    episode = session.scalar(
        _visible(now)
        .where(Episode.show_id == show.id, Episode.slug == slug)
        .options(
            selectinload(Episode.audio),
            selectinload(Episode.chapters),
            selectinload(Episode.credits).selectinload(Credit.person),
            selectinload(Episode.transcripts),
            selectinload(Episode.artwork),
        )
    )
    if episode is None:
        raise NotFound(f"There is no episode “{slug}” in {show.title}.")
    return episode


def get_person(session: Session, slug: str) -> Person:
    """Return the person with ``slug`` or raise NotFound."""
    person = session.scalar(select(Person).where(Person.slug == slug))
    if person is None:
        raise NotFound(f"There is no one at “{slug}”.")
    return person


def person_appearances(
    session: Session, person: Person, now: datetime
) -> list[tuple[Episode, str]]:
    """Return (episode, role) for each published episode crediting the person, newest first."""
    rows = session.execute(
        select(Episode, Credit.role)
        .join(Credit, Credit.episode_id == Episode.id)
        .where(
            Credit.person_id == person.id,
            Episode.status.in_(("published", "scheduled")),
            Episode.publish_at <= now,
        )
        # Joined, not selectin: an IN list is cut into batches of 500 on a long career.
        .options(joinedload(Episode.show), joinedload(Episode.audio), joinedload(Episode.artwork))
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
    )
    return [(episode, role) for episode, role in rows]


def episode_neighbours(
    session: Session, episode: Episode, now: datetime
) -> tuple[Episode | None, Episode | None]:
    """Return the published episodes just before and just after ``episode`` in its show."""
    same_show = _visible(now).where(Episode.show_id == episode.show_id, Episode.id != episode.id)
    # A row-value range, so both databases walk the (show, status, publish_at) index.
    here = tuple_(literal(episode.publish_at, Episode.publish_at.type), literal(episode.id))
    earlier = tuple_(Episode.publish_at, Episode.id) < here
    later = tuple_(Episode.publish_at, Episode.id) > here
    previous = session.scalar(
        same_show.where(earlier).order_by(Episode.publish_at.desc(), Episode.id.desc()).limit(1)
    )
    following = session.scalar(
        same_show.where(later).order_by(Episode.publish_at, Episode.id).limit(1)
    )
    return previous, following


@dataclass(frozen=True)
class Season:
    """Episodes of one season on a page (``number`` None: no seasons, or none given)."""

    number: int | None
    episodes: list[Episode]


def group_by_season(show: Show, episodes: list[Episode]) -> list[Season]:
    """Group a serial show's page by season, keeping order; an episodic show is one group."""
    if show.show_type != "serial":
        return [Season(None, episodes)]
    seasons: list[Season] = []
    for episode in episodes:
        if not seasons or seasons[-1].number != episode.season:
            seasons.append(Season(episode.season, []))
        seasons[-1].episodes.append(episode)
    return seasons


# Transcripts


def episode_cues(episode: Episode, language: str) -> list[Cue]:
    """Return the cues of the episode's transcript in ``language``, else of its first one."""
    transcripts = sorted(episode.transcripts, key=lambda item: item.language != language)
    return cues(transcripts[0].body, transcripts[0].format) if transcripts else []


# Subscribing and sharing


@dataclass(frozen=True)
class AppLink:
    """A link that opens a podcast app, a directory or a sharing service."""

    name: str
    url: str


def subscribe_links(show: Show, feed_url: str) -> list[AppLink]:
    """Return where listeners can follow the show, Apple first when the show is listed there."""
    bare_feed = feed_url.split("://", 1)[-1]
    encoded = quote(feed_url, safe="")
    links = []
    if show.apple_podcasts_id:
        links.append(
            AppLink(
                "Apple Podcasts", f"https://podcasts.apple.com/podcast/id{show.apple_podcasts_id}"
            )
        )
        links.append(AppLink("Overcast", f"https://overcast.fm/itunes{show.apple_podcasts_id}"))
    else:
        links.append(AppLink("Overcast", f"overcast://x-callback-url/add?url={encoded}"))
    links += [
        AppLink("Pocket Casts", f"pktc://subscribe/{bare_feed}"),
        AppLink(
            "AntennaPod",
            f"https://antennapod.org/deeplink/subscribe?url={encoded}&title={quote(show.title)}",
        ),
        AppLink("Podcast Addict", f"https://podcastaddict.com/feed/{encoded}"),
        AppLink("Podcast Index", f"https://podcastindex.org/search?q={quote(show.title)}"),
        AppLink("Other apps", f"podcast://{bare_feed}"),
    ]
    return links


def share_links(url: str, title: str) -> list[AppLink]:
    """Return links that share a page on social networks or by email."""
    encoded_url, encoded_title = quote(url, safe=""), quote(title, safe="")
    return [
        AppLink("Bluesky", f"https://bsky.app/intent/compose?text={encoded_title}%20{encoded_url}"),
        AppLink("Mastodon", f"https://mastodonshare.com/?text={encoded_title}&url={encoded_url}"),
        AppLink("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={encoded_url}"),
        AppLink("X", f"https://x.com/intent/post?text={encoded_title}&url={encoded_url}"),
        AppLink("Email", f"mailto:?subject={encoded_title}&body={encoded_url}"),
    ]


# What search engines and link previews see


@dataclass(frozen=True)
class PageMeta:
    """A page's title, description, canonical URL, preview image and schema.org data."""

    title: str
    description: str
    canonical_url: str
    image_url: str = ""
    open_graph_type: str = "website"
    structured_data: dict[str, Any] | None = None
    feed_url: str = ""


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def home_meta(links: SiteLinks) -> PageMeta:
    """Describe the home page."""
    return PageMeta("Podcasts", "Shows, episodes and the people in them.", links.home())


def show_meta(show: Show, links: SiteLinks) -> PageMeta:
    """Describe a show page as a schema.org PodcastSeries."""
    image = links.media(show.artwork) if show.artwork else ""
    description = _short(show.subtitle or show.description or show.title)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "description": description,
        "url": links.show(show.slug),
        "webFeed": links.feed(show.slug),
        "inLanguage": show.language,
        "author": {"@type": "Organization", "name": show.author},
    }
    if image:
        data["image"] = image
    return PageMeta(
        show.title,
        description,
        links.show(show.slug),
        image,
        "website",
        data,
        links.feed(show.slug),
    )


def episode_meta(show: Show, episode: Episode, links: SiteLinks) -> PageMeta:
    """Describe an episode page as a schema.org PodcastEpisode."""
    artwork = episode.artwork or show.artwork
    image = links.media(artwork) if artwork else ""
    url = links.episode(show.slug, episode.slug)
    description = _short(episode.summary or episode.title)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "description": description,
        "url": url,
        "datePublished": episode.publish_at.date().isoformat() if episode.publish_at else None,
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": show.title,
            "url": links.show(show.slug),
        },
        "actor": [
            {"@type": "Person", "name": credit.person.name, "url": links.person(credit.person.slug)}
            for credit in episode.credits
        ],
    }
    if episode.number is not None:
        data["episodeNumber"] = episode.number
    if episode.audio:
        data["associatedMedia"] = {
            "@type": "MediaObject",
            "contentUrl": links.media(episode.audio, f"{episode.slug}.{episode.audio.extension}"),
            "encodingFormat": episode.audio.mime_type,
        }
        if episode.audio.duration_seconds:
            data["timeRequired"] = f"PT{int(episode.audio.duration_seconds)}S"
    if image:
        data["image"] = image
    return PageMeta(
        f"{episode.title} · {show.title}",
        description,
        url,
        image,
        "article",
        data,
        links.feed(show.slug),
    )


def person_meta(person: Person, links: SiteLinks) -> PageMeta:
    """Describe a guest page as a schema.org Person."""
    image = links.media(person.photo) if person.photo else ""
    description = _short(
        ", ".join(part for part in (person.name, person.affiliation) if part)
        + (f". {person.bio}" if person.bio else "")
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": person.name,
        "url": links.person(person.slug),
        "description": _short(person.bio or person.affiliation or person.name),
    }
    if person.affiliation:
        data["jobTitle"] = person.affiliation
    if person.website:
        data["sameAs"] = [person.website]
    if image:
        data["image"] = image
    return PageMeta(person.name, description, links.person(person.slug), image, "profile", data)


def search_meta(query: str, links: SiteLinks) -> PageMeta:
    """Describe a search page; its canonical URL is the empty search, so results are not indexed."""
    title = f"Search: {_short(query, 60)}" if query.strip() else "Search"
    return PageMeta(
        title, "Search shows, episodes, transcripts and people.", links.home() + "search"
    )
