"""Create and change shows: every field the feed uses, artwork, moving to a new feed URL.

API (the caller commits; every function adds and flushes only):

- ``create_show(session, *, title, links, slug=None, editor=None, fields=None) -> Show``
- ``update_show(show, fields) -> Show``  (``fields``: any of ``SHOW_FIELDS``; partial is fine)
- ``move_show(show, new_feed_url, *, links) -> None`` / ``cancel_show_move(show) -> None``
- ``set_show_artwork(session, store, show, stream, *, filename, max_bytes, convert=False)
  -> ArtworkChange``
- ``accept_artwork(...)``: the same check for any artwork (episodes and people use it too).

Errors are ``InvalidInput`` subclasses whose ``field`` names the form field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.apple_categories import APPLE_CATEGORIES, is_valid_category
from catalog.errors import InvalidImage, InvalidInput, SlugTaken
from catalog.feed import podcast_guid_for
from catalog.links import SiteLinks
from catalog.models import MediaFile, Show, User
from catalog.models.show import SHOW_TYPES
from catalog.publishing import make_slug, unique_slug
from catalog.show_notes import render_notes
from catalog.storage import MediaStore
from catalog.text import clean_text
from catalog.uploads import record_image

# Text fields and their maximum lengths (the column sizes).
_LINES = {
    "title": 255,
    "subtitle": 255,
    "author": 255,
    "owner_name": 255,
    "copyright": 255,
    "funding_text": 128,
}
_URLS = {"link": 500, "funding_url": 500}
SHOW_FIELDS = frozenset(
    {*_LINES, *_URLS, "description", "language", "category", "subcategory", "is_explicit",
     "show_type", "owner_email", "is_locked"}
)  # fmt: skip
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class ArtworkChange:
    """The artwork now in use and what was done to make it acceptable."""

    media: MediaFile
    changes: tuple[str, ...]
    warnings: tuple[str, ...]


class ArtworkNeedsConversion(InvalidImage):
    """The image breaks Apple's artwork rules; the producer may let us convert it."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__(
            " ".join(problems) + " Tick “convert” to let us fix it, or upload another image."
        )
        self.problems = problems


def create_show(
    session: Session,
    *,
    title: str,
    links: SiteLinks,
    slug: str | None = None,
    editor: User | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Show:
    """Add a show; its podcast GUID is derived from its feed URL once and never again."""
    title = _required_line(title, "title")
    slug = _free_show_slug(session, title, slug)
    show = Show(slug=slug, title=title, podcast_guid=podcast_guid_for(links.feed(slug)))
    update_show(show, fields or {})
    if editor is not None and not editor.is_admin:
        show.editors.append(editor)
    session.add(show)
    session.flush()
    return show


def update_show(show: Show, fields: Mapping[str, Any]) -> Show:
    """Change the given fields after checking each; slug and podcast GUID never change here."""
    unknown = set(fields) - SHOW_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown show field: {', '.join(sorted(unknown))}.")
    values = dict(fields)
    for name, length in _LINES.items():
        if name in values:
            value = clean_text(values[name], max_length=length)
            if name == "title" and not value:
                raise InvalidInput("Give the show a title.", field="title")
            setattr(show, name, value)
    for name, length in _URLS.items():
        if name in values:
            setattr(show, name, web_url(values[name], name, max_length=length))
    if "description" in values:
        show.description = clean_text(values["description"], max_length=100_000, multiline=True)
        show.description_html = render_notes(show.description)
    if "language" in values:
        show.language = _language(values["language"])
    if "category" in values or "subcategory" in values:
        category = clean_text(values.get("category", show.category))
        subcategory = clean_text(values.get("subcategory", show.subcategory))
        _check_category(category, subcategory)
        show.category, show.subcategory = category, subcategory
    if "show_type" in values:
        if values["show_type"] not in SHOW_TYPES:
            raise InvalidInput("Choose episodic or serial.", field="show_type")
        show.show_type = values["show_type"]
    if "owner_email" in values:
        email = clean_text(values["owner_email"]).lower()
        if email and not _EMAIL.fullmatch(email):
            raise InvalidInput(f"“{email}” is not an email address.", field="owner_email")
        show.owner_email = email
    for flag in ("is_explicit", "is_locked"):
        if flag in values:
            setattr(show, flag, bool(values[flag]))
    return show


def move_show(show: Show, new_feed_url: str, *, links: SiteLinks) -> None:
    """Tell podcast apps the show now lives at ``new_feed_url`` (itunes:new-feed-url)."""
    url = web_url(new_feed_url, "new_feed_url", max_length=500)
    if not url:
        raise InvalidInput("Give the new feed's address.", field="new_feed_url")
    if url.rstrip("/") == links.feed(show.slug).rstrip("/"):
        raise InvalidInput("That is this show's own feed address.", field="new_feed_url")
    show.new_feed_url = url


def cancel_show_move(show: Show) -> None:
    """Keep the show here after all."""
    show.new_feed_url = ""


def set_show_artwork(
    session: Session,
    store: MediaStore,
    show: Show,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
    convert: bool = False,
) -> ArtworkChange:
    """Use an uploaded image as the show's artwork, converted if the producer asked."""
    change = accept_artwork(
        session, store, stream, filename=filename, max_bytes=max_bytes, convert=convert
    )
    show.artwork = change.media
    session.flush()
    return change


def accept_artwork(
    session: Session,
    store: MediaStore,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
    convert: bool = False,
) -> ArtworkChange:
    """Store an image that passes Apple's artwork rules (or is converted to); refuse others.

    A refused image leaves no file behind unless another record already uses the same bytes.
    """
    stored = store.ingest_image(
        stream, original_filename=filename, max_bytes=max_bytes, fix=convert
    )
    if stored.problems:
        recorded = select(MediaFile.id).where(
            MediaFile.sha256 == stored.sha256, MediaFile.removed_at.is_(None)
        )
        if session.scalar(recorded) is None:
            store.delete(stored.key)
        raise ArtworkNeedsConversion(tuple(problem.message for problem in stored.problems))
    media = record_image(session, stored)
    conversion = stored.conversion
    return ArtworkChange(
        media=media,
        changes=conversion.changes if conversion else (),
        warnings=conversion.warnings if conversion else (),
    )


def web_url(value: str | None, field: str, *, max_length: int = 500) -> str:
    """Return a cleaned http(s) URL, or "" for none; refuse anything else (javascript:, ...)."""
    url = clean_text(value, max_length=max_length * 2)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("Give a web address starting with https:// or http://.", field=field)
    if len(url) > max_length:
        raise InvalidInput(f"Keep the address under {max_length} characters.", field=field)
    return url


def category_choices() -> list[tuple[str, str]]:
    """Return Apple's categories as (value, label) pairs, "Category › Subcategory" for subs."""
    choices = [("", "— choose —")]
    for category, subcategories in APPLE_CATEGORIES.items():
        choices.append((category, category))
        choices.extend((f"{category}|{sub}", f"{category} › {sub}") for sub in subcategories)
    return choices


def _check_category(category: str, subcategory: str) -> None:
    if not category and not subcategory:
        return
    if not is_valid_category(category, subcategory or None):
        raise InvalidInput("Choose a category from Apple's list.", field="category")


def _language(value: str) -> str:
    language = clean_text(value, max_length=20).strip()
    if not _LANGUAGE.fullmatch(language):
        raise InvalidInput("Give a language code such as “en”, “de” or “pt-BR”.", field="language")
    return language


def _required_line(value: str, field: str) -> str:
    text = clean_text(value, max_length=255)
    if not text:
        raise InvalidInput("Give the show a title.", field=field)
    return text


def _free_show_slug(session: Session, title: str, slug: str | None) -> str:
    def is_taken(candidate: str) -> bool:
        return session.scalar(select(Show.id).where(Show.slug == candidate)) is not None

    if slug:
        wanted = make_slug(slug)
        if is_taken(wanted):
            raise SlugTaken(f"Another show already uses the address “{wanted}”.")
        return wanted
    return unique_slug(title, is_taken)
