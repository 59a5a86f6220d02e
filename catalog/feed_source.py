"""Describe a show and its visible episodes in the terms ``catalog.feed`` renders.

The models know what a show is; ``catalog.feed`` knows what a feed says. This
module is the one translation between them, so the feed, the feed check and the
chapters/transcript files agree on every URL and every visible episode.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from catalog.feed import FeedChannel, FeedItem, FeedPerson, FeedTranscript
from catalog.links import SiteLinks, quote
from catalog.models import Chapter, Credit, Episode, MediaFile, Person, Show, Transcript
from catalog.models.person import ROLE_GROUPS

VISIBLE_STATUSES: Final = ("published", "scheduled")
TRANSCRIPT_TYPES: Final = {"vtt": "text/vtt", "srt": "application/x-subrip"}
CHAPTERS_VERSION: Final = "1.2.0"
# Up to this many episodes are read by id; more are read by show, under every
# database's parameter limit and without a query per batch.
_IN_LIST_LIMIT: Final = 500


def is_visible(now: datetime) -> ColumnElement[bool]:
    """Match episodes listeners may see at ``now`` (the SQL twin of ``Episode.is_published``)."""
    return and_(Episode.status.in_(VISIBLE_STATUSES), Episode.publish_at <= now)


def feed_channel(show: Show, links: SiteLinks, now: datetime) -> FeedChannel:
    """Describe the show as the feed's channel."""
    feed_url = links.feed(show.slug)
    return FeedChannel(
        title=show.title,
        subtitle=show.subtitle,
        description_html=show.description_html or show.description,
        link=show.link or links.show(show.slug),
        feed_url=feed_url,
        language=show.language,
        image_url=links.media(show.artwork) if show.artwork is not None else None,
        category=show.category,
        subcategory=show.subcategory or None,
        explicit=show.is_explicit,
        author=show.author,
        owner_name=show.owner_name,
        owner_email=show.owner_email,
        copyright=show.copyright,
        show_type=show.show_type,
        podcast_guid=show.podcast_guid,
        is_locked=show.is_locked,
        funding_url=show.funding_url or None,
        funding_text=show.funding_text,
        new_feed_url=show.new_feed_url or None,
        last_build_at=now,
    )


def feed_item(show: Show, episode: Episode, links: SiteLinks) -> FeedItem:
    """Describe one episode as a feed item; its audio is ours or still at its old host."""
    if episode.audio is not None:
        audio = episode.audio
        enclosure_url = links.media(audio, f"{episode.slug}.{audio.extension}")
        enclosure_length = audio.size_bytes
        enclosure_type = audio.mime_type
        duration = audio.duration_seconds or 0.0
    else:
        enclosure_url = episode.remote_audio_url or ""
        enclosure_length = episode.remote_audio_length or 0
        enclosure_type = episode.remote_audio_type or ""
        duration = episode.remote_audio_duration_seconds or 0.0
    return FeedItem(
        guid=episode.guid,
        title=episode.title,
        link=links.episode(show.slug, episode.slug),
        published_at=_published_at(episode),
        summary=episode.summary,
        notes_html=episode.notes_html,
        enclosure_url=enclosure_url,
        enclosure_length=enclosure_length,
        enclosure_type=enclosure_type,
        duration_seconds=duration,
        episode_type=episode.episode_type,
        season=episode.season,
        number=episode.number,
        explicit=episode.is_explicit,
        image_url=links.media(episode.artwork) if episode.artwork is not None else None,
        people=tuple(_feed_person(credit, links) for credit in episode.credits),
        chapters_url=links.chapters(show.slug, episode.slug) if episode.chapters else None,
        transcripts=tuple(
            FeedTranscript(
                transcript_url(show, episode, transcript, links),
                TRANSCRIPT_TYPES[transcript.format],
                transcript.language,
            )
            for transcript in _ordered_transcripts(episode.transcripts)
        ),
    )


def visible_episode_ids(session: Session, show: Show, now: datetime) -> list[int]:
    """Return the ids of the show's visible episodes in feed order, newest first."""
    return list(
        session.scalars(
            select(Episode.id)
            .where(Episode.show_id == show.id, is_visible(now))
            .order_by(Episode.publish_at.desc(), Episode.id.desc())
        )
    )


def load_feed_items(
    session: Session, show: Show, episode_ids: Sequence[int], links: SiteLinks
) -> dict[int, FeedItem]:
    """Load the episodes ``episode_ids`` of ``show`` as feed items, in five queries.

    Reads plain rows of just the columns the feed shows, through the
    session's connection rather than the ORM: a 10,000-episode rebuild would
    otherwise spend more time building objects and ORM rows than rendering XML.
    Many episodes are read by show (one scan, filtered here) rather than
    through ever longer ``IN`` lists.
    """
    wanted = set(episode_ids)
    if not wanted:
        return {}
    session.flush()  # the connection does not autoflush as the session would
    connection = session.connection()
    if len(wanted) <= _IN_LIST_LIMIT:
        scope: Any = sorted(wanted)
    else:
        scope = select(Episode.id).where(Episode.show_id == show.id).scalar_subquery()
    people = _people_by_episode(connection, scope, wanted, links)
    transcripts = _transcripts_by_episode(connection, scope, wanted)
    with_chapters = set(
        connection.scalars(
            select(Chapter.episode_id).distinct().where(Chapter.episode_id.in_(scope))
        )
    )
    audio, artwork = aliased(MediaFile), aliased(MediaFile)
    rows = connection.execute(
        select(
            Episode.id,
            Episode.slug,
            Episode.guid,
            Episode.title,
            Episode.summary,
            Episode.notes_html,
            Episode.publish_at,
            Episode.season,
            Episode.number,
            Episode.episode_type,
            Episode.is_explicit,
            Episode.remote_audio_url,
            Episode.remote_audio_length,
            Episode.remote_audio_type,
            Episode.remote_audio_duration_seconds,
            audio.kind,
            audio.storage_key,
            audio.size_bytes,
            audio.mime_type,
            audio.duration_seconds,
            artwork.kind,
            artwork.storage_key,
        )
        .outerjoin(audio, audio.id == Episode.audio_id)
        .outerjoin(artwork, artwork.id == Episode.artwork_id)
        .where(Episode.id.in_(scope))
    ).all()
    items: dict[int, FeedItem] = {}
    # URLs are built here exactly as ``SiteLinks`` builds them, from prefixes
    # computed once per show: 10,000 items would otherwise quote the same show
    # slug and base URL 30,000 times.
    episode_prefix = links.episode(show.slug, "")[:-1]  # ".../episodes/"
    media_prefix = links.base_url.rstrip("/") + "/media/"
    for row in rows:
        (episode_id, slug, guid, title, summary, notes_html, publish_at, season, number,
         episode_type, is_explicit, remote_url, remote_length, remote_type, remote_duration,
         audio_kind, audio_key, audio_size, audio_type, audio_duration,
         artwork_kind, artwork_key) = row  # fmt: skip
        if episode_id not in wanted:
            continue
        assert publish_at is not None  # visible episodes always have a publish time
        link = episode_prefix + quote(slug) + "/"
        if audio_key is not None:
            enclosure_url = (
                media_prefix + audio_key + "/" + quote(f"{slug}.{audio_key.rsplit('.', 1)[-1]}")
            )
            enclosure = (enclosure_url, audio_size, audio_type, audio_duration or 0.0)
        else:
            enclosure = (
                remote_url or "",
                remote_length or 0,
                remote_type or "",
                remote_duration or 0.0,
            )
        found = transcripts.get(episode_id)
        items[episode_id] = FeedItem(
            guid=guid,
            title=title,
            link=link,
            published_at=publish_at,
            summary=summary,
            notes_html=notes_html,
            enclosure_url=enclosure[0],
            enclosure_length=enclosure[1],
            enclosure_type=enclosure[2],
            duration_seconds=enclosure[3],
            episode_type=episode_type,
            season=season,
            number=number,
            explicit=is_explicit,
            image_url=(
                media_prefix
                + artwork_key
                + "/"
                + _media_name(artwork_kind, artwork_key.rsplit(".", 1)[-1])
                if artwork_key
                else None
            ),
            people=people.get(episode_id, ()),
            chapters_url=(link + "chapters.json" if episode_id in with_chapters else None),
            transcripts=(
                tuple(
                    FeedTranscript(link + f"transcript.{extension}" + query, mime_type, language)
                    for extension, query, mime_type, language in found
                )
                if found
                else ()
            ),
        )
    return items


def _people_by_episode(
    connection: Connection, scope: Any, wanted: set[int], links: SiteLinks
) -> dict[int, tuple[FeedPerson, ...]]:
    """Return, per episode, the people credited on it, in credit order."""
    photo = aliased(MediaFile)
    rows = connection.execute(
        select(
            Credit.episode_id,
            Credit.role,
            Person.id,
            Person.name,
            Person.slug,
            photo.kind,
            photo.storage_key,
        )
        .join(Person, Person.id == Credit.person_id)
        .outerjoin(photo, photo.id == Person.photo_id)
        .where(Credit.episode_id.in_(scope))
        .order_by(Credit.episode_id, Credit.position, Credit.id)
    ).all()
    people: dict[int, list[FeedPerson]] = {}
    # A host credited on every episode is described once.
    described: dict[tuple[int, str], FeedPerson] = {}
    for episode_id, role, person_id, name, slug, photo_kind, photo_key in rows:
        if episode_id not in wanted:
            continue
        person = described.get((person_id, role))
        if person is None:
            person = described[person_id, role] = FeedPerson(
                name=name,
                role=role,
                group=ROLE_GROUPS[role],
                image_url=links.media(_media(photo_kind, photo_key)) if photo_key else None,
                href=links.person(slug),
            )
        people.setdefault(episode_id, []).append(person)
    return {episode_id: tuple(credited) for episode_id, credited in people.items()}


def _transcripts_by_episode(
    connection: Connection, scope: Any, wanted: set[int]
) -> dict[int, list[tuple[str, str, str, str]]]:
    """Return, per episode, (extension, URL query, MIME type, language) of each transcript."""
    rows = connection.execute(
        select(Transcript.episode_id, Transcript.format, Transcript.language)
        .where(Transcript.episode_id.in_(scope))
        .order_by(Transcript.episode_id, Transcript.format, Transcript.language, Transcript.id)
    ).all()
    found: dict[int, list[tuple[str, str, str, str]]] = {}
    seen_formats: set[tuple[int, str]] = set()
    for episode_id, extension, language in rows:
        if episode_id not in wanted:
            continue
        query = f"?language={language}" if (episode_id, extension) in seen_formats else ""
        seen_formats.add((episode_id, extension))
        found.setdefault(episode_id, []).append(
            (extension, query, TRANSCRIPT_TYPES[extension], language)
        )
    return found


@lru_cache(maxsize=256)
def _media_name(kind: str, extension: str) -> str:
    """Return the quoted display name ``SiteLinks.media`` gives a file without a filename."""
    return quote(f"{kind}.{extension}")


def _media(kind: str, storage_key: str) -> MediaFile:
    """Name a stored file for ``SiteLinks.media`` without loading an ORM object."""
    return cast(MediaFile, _MediaRef(kind, storage_key))


@dataclass(frozen=True, slots=True)
class _MediaRef:
    """The two facts a media URL is made of."""

    kind: str
    storage_key: str

    @property
    def extension(self) -> str:
        return self.storage_key.rsplit(".", 1)[-1]


def all_feed_items(session: Session, show: Show, links: SiteLinks, now: datetime) -> list[FeedItem]:
    """Return every visible episode of the show as feed items, newest first."""
    ids = visible_episode_ids(session, show, now)
    items = load_feed_items(session, show, ids, links)
    return [items[episode_id] for episode_id in ids]


def chapters_document(episode: Episode, links: SiteLinks) -> dict[str, Any]:
    """Describe the episode's chapters in the Podcasting 2.0 JSON chapters format."""
    chapters = []
    for chapter in episode.chapters:
        entry: dict[str, Any] = {
            "startTime": _seconds(chapter.start_seconds),
            "title": chapter.title,
        }
        if chapter.url:
            entry["url"] = chapter.url
        chapters.append(entry)
    return {"version": CHAPTERS_VERSION, "chapters": chapters}


def find_transcript(episode: Episode, extension: str, language: str | None) -> Transcript | None:
    """Pick the transcript a URL names: its format, and its language when several share it."""
    candidates = [t for t in _ordered_transcripts(episode.transcripts) if t.format == extension]
    if language is not None:
        candidates = [t for t in candidates if t.language == language]
    return candidates[0] if candidates else None


def transcript_url(show: Show, episode: Episode, transcript: Transcript, links: SiteLinks) -> str:
    """Return the transcript's URL; a second language of one format is told apart by a query."""
    url = links.transcript(show.slug, episode.slug, transcript.format)
    first = find_transcript(episode, transcript.format, None)
    if first is not None and first is not transcript:
        url += f"?language={transcript.language}"
    return url


def _ordered_transcripts(transcripts: Iterable[Transcript]) -> list[Transcript]:
    """Order transcripts so the same one is 'first' in the feed and in the route."""
    return sorted(transcripts, key=lambda t: (t.format, t.language, t.id or 0))


def _feed_person(credit: Credit, links: SiteLinks) -> FeedPerson:
    person = credit.person
    return FeedPerson(
        name=person.name,
        role=credit.role,
        group=credit.group,
        image_url=links.media(person.photo) if person.photo is not None else None,
        href=links.person(person.slug),
    )


def _published_at(episode: Episode) -> datetime:
    # Only visible episodes reach the feed, and those always have a publish time.
    assert episode.publish_at is not None
    return episode.publish_at


def _seconds(value: float) -> float | int:
    """Write whole seconds as integers, the way chapter editors do."""
    return int(value) if float(value).is_integer() else round(value, 3)
