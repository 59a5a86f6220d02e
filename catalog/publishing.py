"""What it means to draft, schedule and publish; slugs and GUIDs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from slugify import slugify

from catalog.errors import InvalidInput
from catalog.models import Episode

MAX_SLUG_LENGTH = 80


def make_slug(text: str) -> str:
    """Turn a title or name into a URL slug (ASCII, lowercase, hyphens)."""
    slug = slugify(text, max_length=MAX_SLUG_LENGTH, word_boundary=True)
    if not slug:
        raise InvalidInput("Give a title with at least one letter or digit.", field="slug")
    return slug


def unique_slug(text: str, is_taken: Callable[[str], bool]) -> str:
    """Return a slug for ``text`` that ``is_taken`` says is free, adding -2, -3, ... if needed."""
    base = make_slug(text)
    candidate, suffix = base, 2
    while is_taken(candidate):
        candidate = f"{base[: MAX_SLUG_LENGTH - 6]}-{suffix}"
        suffix += 1
    return candidate


def new_episode_guid() -> str:
    """Return a GUID for a new episode: opaque, so it never depends on a title or URL."""
    return str(uuid.uuid4())


def publish_episode(episode: Episode, *, at: datetime | None, now: datetime) -> None:
    """Publish now, or schedule for ``at`` if it lies in the future."""
    if episode.audio_id is None and episode.audio is None:
        raise InvalidInput(
            "Add audio before publishing: podcast apps need an enclosure.", field="audio"
        )
    when = at or now
    if when.tzinfo is None:
        raise InvalidInput("Give the publish time with its time zone.", field="publish_at")
    episode.publish_at = when
    episode.status = "scheduled" if when > now else "published"


def unpublish_episode(episode: Episode) -> None:
    """Take an episode back to draft; its GUID stays, so it comes back as the same item."""
    episode.status = "draft"
    episode.publish_at = None
