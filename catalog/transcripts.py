"""Transcripts: WebVTT and SRT files checked with their parsing libraries, errors by line.

API (the caller commits):

- ``transcript_format(filename, content_type="") -> str``: "vtt" or "srt"
- ``validate_transcript(body, format) -> str``: the text, or ``InvalidTranscript`` with a line
- ``add_transcript(session, episode, *, body, format, language="en") -> Transcript``:
  replaces one in the same language and format
- ``remove_transcript(session, transcript) -> None``
- ``cues(body, format) -> list[Cue]``: the timed lines of stored text, for pages and search

webvtt-py and srt live here and only here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import srt
import webvtt
from sqlalchemy.orm import Session
from webvtt.errors import MalformedCaptionError, MalformedFileError

from catalog.errors import InvalidInput
from catalog.models import Episode, Transcript
from catalog.text import decode_bytes

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_FORMATS = {".vtt": "vtt", ".srt": "srt", "text/vtt": "vtt", "application/x-subrip": "srt"}
_TAG = re.compile(r"<[^>]*>")


class InvalidTranscript(InvalidInput):
    """A transcript file does not parse; the message names the line."""

    status_code = 422
    field = "transcript"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line else message)
        self.line = line


def transcript_format(filename: str, content_type: str = "") -> str:
    """Tell the transcript's format from its file name or content type."""
    lowered = filename.lower()
    for suffix, kind in _FORMATS.items():
        if lowered.endswith(suffix) or content_type.split(";")[0].strip() == suffix:
            return kind
    raise InvalidTranscript("Upload a WebVTT (.vtt) or SubRip (.srt) file.")


def validate_transcript(body: bytes | str, format: str) -> str:
    """Return the transcript's text if it parses and its cues make sense, else say where not."""
    if isinstance(body, bytes):
        if len(body) > MAX_TRANSCRIPT_BYTES:
            raise InvalidTranscript("The transcript is larger than 5 MB.")
        body = decode_bytes(body)
    text = body.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidTranscript("The transcript is empty.")
    if format == "vtt":
        spans = _vtt_spans(text)
    elif format == "srt":
        spans = _srt_spans(text)
    else:
        raise InvalidTranscript("Upload a WebVTT (.vtt) or SubRip (.srt) file.")
    if not spans:
        raise InvalidTranscript("The transcript has no cues.")
    timing_lines = [number for number, line in enumerate(text.split("\n"), 1) if "-->" in line]
    previous_start = timedelta(0)
    for index, (start, end) in enumerate(spans):
        line = timing_lines[index] if index < len(timing_lines) else None
        if end <= start:
            raise InvalidTranscript("the cue ends before it starts.", line=line)
        if start < previous_start:
            raise InvalidTranscript("the cue starts before the one above it.", line=line)
        previous_start = start
    return text


def add_transcript(
    session: Session, episode: Episode, *, body: bytes | str, format: str, language: str = "en"
) -> Transcript:
    """Attach a checked transcript, replacing one in the same language and format."""
    language = language.strip() or "en"
    if not _LANGUAGE.fullmatch(language):
        raise InvalidInput("Give a language code such as “en” or “pt-BR”.", field="language")
    text = validate_transcript(body, format)
    for existing in list(episode.transcripts):
        if existing.language == language and existing.format == format:
            episode.transcripts.remove(existing)
    session.flush()
    transcript = Transcript(format=format, language=language, body=text)
    episode.transcripts.append(transcript)
    session.flush()
    return transcript


def remove_transcript(session: Session, transcript: Transcript) -> None:
    """Take a transcript off its episode."""
    transcript.episode.transcripts.remove(transcript)
    session.flush()


@dataclass(frozen=True)
class Cue:
    """One timed line of a transcript."""

    start: float
    end: float
    text: str
    speaker: str = ""


def cues(body: str, format: str) -> list[Cue]:
    """Return the cues of a stored WebVTT or SRT transcript ([] when it cannot be read).

    Lenient where ``validate_transcript`` is strict: a restored archive may hold
    text that never passed the check, and a page must still render.
    """
    try:
        if format == "srt":
            captions = webvtt.from_buffer(body.splitlines(keepends=True), format="srt")
        else:
            captions = webvtt.from_string(body)
    except (MalformedFileError, MalformedCaptionError, ValueError):
        return []
    return [
        Cue(
            _seconds(caption.start),
            _seconds(caption.end),
            html.unescape(_TAG.sub("", caption.text)).strip(),
            getattr(caption, "voice", None) or "",
        )
        for caption in captions.captions
        if caption.text.strip()
    ]


def _seconds(timestamp: str) -> float:
    parts = timestamp.replace(",", ".").split(":")
    return sum(float(part) * 60.0**power for power, part in enumerate(reversed(parts)))


def _vtt_spans(text: str) -> list[tuple[timedelta, timedelta]]:
    try:
        captions = webvtt.from_string(text, strict=True)
    except MalformedFileError:
        raise InvalidTranscript("a WebVTT file must start with “WEBVTT”.", line=1) from None
    except MalformedCaptionError as error:
        raise InvalidTranscript(
            "this cue's timing is not “00:00:01.000 --> 00:00:04.000”.",
            line=_line_of_block(text, str(error)),
        ) from None
    # start_in_seconds drops the milliseconds, which would refuse a half-second cue.
    return [
        (timedelta(seconds=_seconds(caption.start)), timedelta(seconds=_seconds(caption.end)))
        for caption in captions.captions
    ]


def _srt_spans(text: str) -> list[tuple[timedelta, timedelta]]:
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        # The unparsed text begins at expected_start, after the last block that parsed.
        start = len(text) - len(text[error.expected_start :].lstrip())
        line = text.count("\n", 0, start) + 1
        raise InvalidTranscript(
            "this block is not “number, 00:00:01,000 --> 00:00:04,000, text”.", line=line
        ) from None
    except srt.TimestampParseError:
        raise InvalidTranscript("a timestamp cannot be read.") from None
    return [(subtitle.start, subtitle.end) for subtitle in subtitles]


def _line_of_block(text: str, message: str) -> int | None:
    """Find where the cue block webvtt-py quotes in its error message begins."""
    match = re.search(r"\['(.*?)'", message)
    if match is None:
        return None
    first = match[1].encode().decode("unicode_escape", errors="ignore")
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == first.strip():
            return number
    return None
