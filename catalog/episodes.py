"""Create and change episodes: from uploaded audio, edits, new audio, status, deletion.

API (the caller commits; every function adds and flushes only):

- ``create_episode_from_audio(session, store, show, stream, *, filename, max_bytes) -> Episode``:
  a draft whose title, summary and chapters come from the file's tags
- ``create_episode_from_stored_audio(session, store, show, stored) -> Episode``: the same
  for bytes already streamed to ``MediaStore.ingest_audio`` (so no transaction stays open
  while a large upload arrives)
- ``create_episode(session, show, *, title, fields=None) -> Episode``: a draft without audio
- ``update_episode(episode, fields) -> Episode``  (``fields``: any of ``EPISODE_FIELDS``)
- ``replace_audio(session, store, episode, stream, *, filename, max_bytes) -> MediaFile``:
  new file and URL, same GUID (``replace_audio_with_stored(session, store, episode, stored)``)
- ``set_episode_artwork(session, store, episode, stream, *, filename, max_bytes, convert=False)``
- ``set_episode_status(episode, status, *, now, at=None)``: draft / scheduled / published
- ``change_episode_status(session, store, episode, status, *, now, at, links, max_bytes)``:
  the same, and on publication the MP3 gets our ID3 tags (a new file; see ``tagging``)
- ``publish_time_from_local(day, clock, zone) -> datetime``: a wall-clock time to UTC
- ``delete_episode(session, episode) -> None``
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import PurePath
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import publishing
from catalog.chapters import chapters_from_audio, set_chapters
from catalog.errors import InvalidInput, SlugTaken
from catalog.links import SiteLinks
from catalog.models import Episode, MediaFile, Show
from catalog.models.episode import EPISODE_STATUSES, EPISODE_TYPES
from catalog.show_notes import render_notes
from catalog.shows import ArtworkChange, accept_artwork
from catalog.storage import MediaStore, StoredAudio, display_filename
from catalog.tagging import tag_for_publication
from catalog.text import clean_text
from catalog.uploads import record_audio

EPISODE_FIELDS = frozenset(
    {"title", "slug", "summary", "notes_markdown", "season", "number", "episode_type",
     "is_explicit", "keywords"}
)  # fmt: skip
MAX_SUMMARY_LENGTH = 4000


def create_episode_from_audio(
    session: Session,
    store: MediaStore,
    show: Show,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
) -> Episode:
    """Store uploaded audio and add a draft episode prefilled from the file's tags."""
    stored = store.ingest_audio(stream, original_filename=filename, max_bytes=max_bytes)
    return create_episode_from_stored_audio(session, store, show, stored)


def create_episode_from_stored_audio(
    session: Session, store: MediaStore, show: Show, stored: StoredAudio
) -> Episode:
    """Add a draft episode for audio already in the store, prefilled from its tags."""
    audio = record_audio(session, store, stored)
    tags = audio.tags or {}
    title = clean_text(tags.get("title")) or _title_from_filename(audio.original_filename)
    episode = create_episode(session, show, title=title)
    episode.audio = audio
    episode.summary = clean_text(tags.get("comment"), max_length=MAX_SUMMARY_LENGTH, multiline=True)
    session.flush()
    entries = chapters_from_audio(audio)
    if entries:
        try:
            set_chapters(session, episode, entries)
        except InvalidInput:
            pass  # broken chapters in a file must not cost the producer their upload
    return episode


def create_episode(
    session: Session, show: Show, *, title: str, fields: Mapping[str, Any] | None = None
) -> Episode:
    """Add a draft episode with a new GUID and a slug free in its show."""
    title = clean_text(title)
    if not title:
        raise InvalidInput("Give the episode a title.", field="title")
    episode = Episode(
        show=show,
        title=title,
        slug=_free_slug(session, show, title, None, None),
        guid=publishing.new_episode_guid(),
        status="draft",
    )
    session.add(episode)
    session.flush()
    if fields:
        update_episode(episode, fields)
        session.flush()
    return episode


def update_episode(episode: Episode, fields: Mapping[str, Any]) -> Episode:
    """Change the given fields after checking each; the GUID never changes."""
    unknown = set(fields) - EPISODE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown episode field: {', '.join(sorted(unknown))}.")
    if "title" in fields:
        title = clean_text(fields["title"])
        if not title:
            raise InvalidInput("Give the episode a title.", field="title")
        episode.title = title
    if fields.get("slug"):
        session = Session.object_session(episode)
        assert session is not None, "the episode must be in a session to change its slug"
        episode.slug = _free_slug(session, episode.show, fields["slug"], episode.id, "slug")
    if "summary" in fields:
        episode.summary = clean_text(
            fields["summary"], max_length=MAX_SUMMARY_LENGTH, multiline=True
        )
    if "notes_markdown" in fields:
        episode.notes_markdown = clean_text(
            fields["notes_markdown"], max_length=100_000, multiline=True
        )
        episode.notes_html = render_notes(episode.notes_markdown)
    for name, minimum in (("season", 1), ("number", 0)):
        if name in fields:
            setattr(episode, name, _optional_number(fields[name], name, minimum))
    if "episode_type" in fields:
        if fields["episode_type"] not in EPISODE_TYPES:
            raise InvalidInput("Choose full, trailer or bonus.", field="episode_type")
        episode.episode_type = fields["episode_type"]
    if "is_explicit" in fields:
        episode.is_explicit = bool(fields["is_explicit"])
    if "keywords" in fields:
        episode.keywords = clean_text(fields["keywords"], max_length=500)
    return episode


def replace_audio(
    session: Session,
    store: MediaStore,
    episode: Episode,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
) -> MediaFile:
    """Give the episode new audio: a new file at a new URL, the same GUID.

    The old file stays: apps that cached its URL keep getting the same bytes
    until ``catalog media sweep`` removes it, a grace period after its last use.
    """
    stored = store.ingest_audio(stream, original_filename=filename, max_bytes=max_bytes)
    return replace_audio_with_stored(session, store, episode, stored)


def replace_audio_with_stored(
    session: Session, store: MediaStore, episode: Episode, stored: StoredAudio
) -> MediaFile:
    """Give the episode audio already in the store; its GUID stays."""
    audio = record_audio(session, store, stored)
    episode.audio = audio
    episode.remote_audio_url = None
    session.flush()
    return audio


def set_episode_artwork(
    session: Session,
    store: MediaStore,
    episode: Episode,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
    convert: bool = False,
) -> ArtworkChange:
    """Use an uploaded image as the episode's own artwork."""
    change = accept_artwork(
        session, store, stream, filename=filename, max_bytes=max_bytes, convert=convert
    )
    episode.artwork = change.media
    session.flush()
    return change


def set_episode_status(
    episode: Episode, status: str, *, now: datetime, at: datetime | None = None
) -> None:
    """Make the episode a draft, publish it now, or schedule it for ``at``."""
    if status not in EPISODE_STATUSES:
        raise InvalidInput("Choose draft, scheduled or published.", field="status")
    if status == "draft":
        publishing.unpublish_episode(episode)
    elif status == "published":
        publishing.publish_episode(episode, at=None, now=now)
    else:
        if at is None:
            raise InvalidInput("Give the date and time to publish at.", field="publish_at")
        if at <= now:
            raise InvalidInput("Choose a time in the future to schedule.", field="publish_at")
        publishing.publish_episode(episode, at=at, now=now)


def change_episode_status(
    session: Session,
    store: MediaStore,
    episode: Episode,
    status: str,
    *,
    now: datetime,
    at: datetime | None = None,
    links: SiteLinks,
    max_bytes: int,
) -> None:
    """Change the status; on publication, point the episode at a copy of its MP3 with our tags."""
    set_episode_status(episode, status, now=now, at=at)
    if status != "draft":
        episode_url = links.episode(episode.show.slug, episode.slug)
        tag_for_publication(session, store, episode, episode_url=episode_url, max_bytes=max_bytes)


def publish_time_from_local(day: date, clock: time, zone: str) -> datetime:
    """Turn a date and time on the producer's wall clock in ``zone`` into UTC."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"“{zone}” is not a time zone we know.", field="time_zone") from None
    local = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz)
    moment = local.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(
            f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks jump forward); "
            "choose another time.",
            field="publish_at",
        )
    return moment


def time_zone_names() -> list[str]:
    """Return the IANA time zone names a producer can choose from."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


def delete_episode(session: Session, episode: Episode) -> None:
    """Remove the episode with its credits, chapters and transcripts; stored files stay.

    Files are addressed by content and may be shared, so ``catalog media sweep``
    removes them once nothing has used them for a grace period.
    """
    session.delete(episode)
    session.flush()


def _title_from_filename(filename: str) -> str:
    stem = PurePath(display_filename(filename) or "Untitled").stem
    return clean_text(stem.replace("_", " ").replace("-", " ")) or "Untitled episode"


def _optional_number(value: Any, field: str, minimum: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Give a whole number.", field=field) from None
    if number < minimum or number > 100_000:
        raise InvalidInput(f"Give a number from {minimum} to 100000.", field=field)
    return number


def _free_slug(
    session: Session, show: Show, text: str, episode_id: int | None, field: str | None
) -> str:
    def is_taken(candidate: str) -> bool:
        query = select(Episode.id).where(Episode.show_id == show.id, Episode.slug == candidate)
        if episode_id is not None:
            query = query.where(Episode.id != episode_id)
        return session.scalar(query) is not None

    if field is None:
        return publishing.unique_slug(text, is_taken)
    wanted = publishing.make_slug(text)
    if is_taken(wanted):
        raise SlugTaken(f"Another episode of this show already uses “{wanted}”.")
    return wanted
