"""Chapters: parse pasted lists, import the audio's ID3 chapters, check and store them.

API (the caller commits):

- ``ChapterEntry(start_seconds, title, url="")``: a chapter before it is stored
- ``parse_timestamp(text) -> float`` / ``format_timestamp(seconds) -> str``
- ``parse_chapter_list(text) -> list[ChapterEntry]``: "00:00 Intro" / "1:02:03 Title" lines
- ``chapters_from_audio(media) -> list[ChapterEntry]``: from ``MediaFile.tags["chapters"]``
- ``validate_chapters(entries, duration_seconds=None) -> list[ChapterEntry]``
- ``set_chapters(session, episode, entries) -> list[Chapter]``: replaces the episode's chapters
- ``import_audio_chapters(session, episode) -> list[Chapter]``

Errors are ``InvalidInput(field="chapters")`` and name the line or chapter at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalog.errors import InvalidInput
from catalog.models import Chapter, Episode, MediaFile
from catalog.shows import web_url
from catalog.text import clean_text

FIELD = "chapters"
MAX_CHAPTERS = 500
_TIMESTAMP = re.compile(r"(?:(\d{1,3}):)?(\d{1,3}):(\d{2})(?:[.,](\d{1,3}))?")
_LINE = re.compile(
    r"\s*[\[(]?(?P<time>[\d:.,]+)[\])]?\s*(?:[-–—|:]\s*)?(?P<title>.*?)\s*"
    r"(?:<(?P<url>https?://[^>\s]+)>|(?P<bare>https?://\S+))?\s*"
)


@dataclass(frozen=True)
class ChapterEntry:
    """A chapter as the producer gave it, before it is stored."""

    start_seconds: float
    title: str
    url: str = ""


def parse_timestamp(text: str) -> float:
    """Read "MM:SS", "H:MM:SS" or either with ".mmm" into seconds."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(f"“{text}” is not a time like 05:30 or 1:02:03.", field=FIELD)
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        raise InvalidInput(f"“{text}” has more than 59 minutes or seconds.", field=FIELD)
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def format_timestamp(seconds: float) -> str:
    """Write seconds as "MM:SS" or "H:MM:SS" (with ".mmm" when not whole)."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return f"{text}.{millis:03d}" if millis else text


def parse_chapter_list(text: str) -> list[ChapterEntry]:
    """Parse one chapter per line ("00:00 Intro", "1:02:03 – Title <https://...>")."""
    entries: list[ChapterEntry] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None or not _TIMESTAMP.fullmatch(match["time"]):
            raise InvalidInput(
                f"Line {number}: start each line with a time, like “00:00 Intro”.", field=FIELD
            )
        try:
            start = parse_timestamp(match["time"])
        except InvalidInput as error:
            raise InvalidInput(f"Line {number}: {error}", field=FIELD) from None
        title = clean_text(match["title"])
        if not title:
            raise InvalidInput(f"Line {number}: give the chapter a title.", field=FIELD)
        entries.append(ChapterEntry(start, title, match["url"] or match["bare"] or ""))
    return validate_chapters(entries, keep_order=True)


def chapters_from_audio(media: MediaFile | None) -> list[ChapterEntry]:
    """Return the chapters found in the audio file's tags (ID3 CHAP frames), if any."""
    if media is None:
        return []
    raw = (media.tags or {}).get("chapters") or []
    entries = [
        ChapterEntry(
            start_seconds=max(0.0, float(item.get("start_seconds") or 0.0)),
            title=clean_text(item.get("title")) or f"Chapter {index}",
            url=clean_text(item.get("url"), max_length=500),
        )
        for index, item in enumerate(raw, start=1)
    ]
    return sorted(entries, key=lambda entry: entry.start_seconds)


def validate_chapters(
    entries: Sequence[ChapterEntry],
    duration_seconds: float | None = None,
    *,
    keep_order: bool = False,
) -> list[ChapterEntry]:
    """Check titles, times, order and duplicates; return the chapters sorted by start.

    With ``keep_order`` (pasted lists) chapters out of order are an error,
    because a line typed in the wrong place is usually a typo in its time.
    """
    if len(entries) > MAX_CHAPTERS:
        raise InvalidInput(f"Keep to at most {MAX_CHAPTERS} chapters.", field=FIELD)
    checked: list[ChapterEntry] = []
    seen: dict[float, int] = {}
    for number, entry in enumerate(entries, start=1):
        title = clean_text(entry.title)
        if not title:
            raise InvalidInput(f"Chapter {number}: give it a title.", field=FIELD)
        start = round(float(entry.start_seconds), 3)
        if start < 0:
            raise InvalidInput(f"Chapter {number}: a start time cannot be negative.", field=FIELD)
        if duration_seconds is not None and start >= duration_seconds:
            raise InvalidInput(
                f"Chapter {number} (“{title}”) starts at {format_timestamp(start)}, "
                f"after the audio ends ({format_timestamp(duration_seconds)}).",
                field=FIELD,
            )
        if start in seen:
            raise InvalidInput(
                f"Chapters {seen[start]} and {number} both start at {format_timestamp(start)}.",
                field=FIELD,
            )
        if keep_order and checked and start < checked[-1].start_seconds:
            raise InvalidInput(
                f"Chapter {number} (“{title}”) starts before the chapter above it; "
                "list chapters in order.",
                field=FIELD,
            )
        seen[start] = number
        checked.append(ChapterEntry(start, title, web_url(entry.url, FIELD)))
    return sorted(checked, key=lambda entry: entry.start_seconds)


def set_chapters(
    session: Session, episode: Episode, entries: Iterable[ChapterEntry]
) -> list[Chapter]:
    """Replace the episode's chapters with ``entries`` after checking them."""
    duration = episode.audio.duration_seconds if episode.audio is not None else None
    checked = validate_chapters(list(entries), duration)
    episode.chapters.clear()
    session.flush()  # old rows go first: (episode, start) is unique
    chapters = [
        Chapter(start_seconds=entry.start_seconds, title=entry.title, url=entry.url)
        for entry in checked
    ]
    episode.chapters.extend(chapters)
    session.flush()
    return chapters


def import_audio_chapters(session: Session, episode: Episode) -> list[Chapter]:
    """Replace the episode's chapters with those embedded in its audio file."""
    entries = chapters_from_audio(episode.audio)
    if not entries:
        raise InvalidInput("The audio file has no chapters to import.", field=FIELD)
    return set_chapters(session, episode, entries)
