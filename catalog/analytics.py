"""Decide what counts as a download, the way IAB Tech Lab Podcast Measurement v2.3 does.

Podcast apps fetch audio in many small pieces, probe files with tiny ranges,
and robots fetch everything; a studio number is only worth something if every
host counts the same way. This module holds those rules as pure functions over
plain values, so the web app, the nginx log importer and the tests share them:

1. A ``MediaRequest`` is what the server saw (it has the IP address).
2. ``to_stored_event`` turns it into a ``StoredEvent``, the only form that is
   stored: the IP address is replaced by a salted ``listener_hash`` whose salt
   is thrown away a day later (``SaltRing``).
3. ``count_downloads`` turns stored events into ``Download`` rows (one per
   episode, listener and UTC day) and ``rollup`` turns those into
   ``DailyCount`` rows (day, episode, app); the studio helpers read rollups.

Nothing here imports Flask or SQLAlchemy: the persistence layer feeds it rows.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import importlib.resources
import ipaddress
import json
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote

from catalog.errors import InvalidInput

UNKNOWN_APP = "Unknown"
UNKNOWN_DEVICE = "unknown"
DEVICE_KINDS = frozenset(
    {"phone", "tablet", "desktop", "watch", "speaker", "tv", "car", UNKNOWN_DEVICE}
)

# Only these answers carry audio; 304 and every 1xx/3xx/4xx/5xx carry none.
COUNTED_STATUSES = frozenset({200, 206})
# Apps probe a file with "bytes=0-1" to learn its size; that is not listening.
PROBE_MAX_BYTES = 2

# ---------------------------------------------------------------- data types


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """One answered request for a media file, as the server saw it.

    ``range_start``/``range_end`` (inclusive) are the byte range the server
    answered with (its ``Content-Range``), not the range the client asked
    for; both are None for a whole-file answer. ``bytes_sent`` is what
    actually left the server, less than the range when the client hung up.
    """

    at: datetime
    ip: str
    user_agent: str
    method: str
    status: int
    range_start: int | None
    range_end: int | None
    bytes_sent: int
    media_key: str
    episode_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A ``MediaRequest`` safe to keep: the IP address is replaced by a day-salted hash.

    The User-Agent is kept (not just the app name) so downloads can be
    recounted when ``user_agents.json`` learns about a new bot.
    """

    at: datetime
    listener_hash: str
    user_agent: str
    method: str
    status: int
    range_start: int | None
    range_end: int | None
    bytes_sent: int
    media_key: str
    episode_id: int | None


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """What counting needs to know about one audio file: size and bytes per minute."""

    size: int
    bitrate: int
    id3_size: int = 0


@dataclass(frozen=True, slots=True)
class AppInfo:
    """Which app (and kind of device) made a request, and whether it may be counted."""

    name: str
    device: str
    is_bot: bool
    is_duplicate: bool = False

    @property
    def is_counted(self) -> bool:
        """Say whether requests from this agent can ever become downloads."""
        return not (self.is_bot or self.is_duplicate)


@dataclass(frozen=True, slots=True)
class Download:
    """One IAB download: an episode, a listener, a UTC day."""

    day: date
    episode_id: int
    media_key: str
    listener_hash: str
    app: str
    device: str


@dataclass(frozen=True, slots=True)
class DailyCount:
    """The rollup row the studio reads: downloads of an episode through an app on a day."""

    day: date
    episode_id: int
    app: str
    downloads: int


@dataclass(frozen=True, slots=True)
class ReleaseWindow:
    """Downloads of an episode in its first ``days`` UTC days (release day is day 1)."""

    episode_id: int
    first_day: date
    last_day: date
    downloads: int
    is_complete: bool


class MalformedLogLine(InvalidInput):
    """A line of an access log is not in the catalog log format."""


# ------------------------------------------------------------ request rules


class _AnsweredRequest(Protocol):
    """The fields both ``MediaRequest`` and ``StoredEvent`` have, so one rule serves both."""

    @property
    def user_agent(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def range_start(self) -> int | None: ...
    @property
    def range_end(self) -> int | None: ...
    @property
    def bytes_sent(self) -> int: ...


def exclusion_reason(request: _AnsweredRequest) -> str | None:
    """Return why a request can never be part of a download, or None when it can.

    The reasons are short phrases meant to be shown (or counted) as they are.
    """
    reason = answer_exclusion_reason(request)
    if reason is not None:
        return reason
    app = recognize_app(request.user_agent)
    if app.is_bot:
        return "bot"
    if app.is_duplicate:
        return "duplicate agent (Apple Watch)"
    return None


def answer_exclusion_reason(request: _AnsweredRequest) -> str | None:
    """Return why the answer itself rules a request out (method, status, probe), whoever asked.

    Unlike bot lists, these rules never change, so delivery need not even record such requests.
    """
    if request.method.upper() != "GET":
        return f"{request.method.upper()} request"
    if request.status == 304:
        return "not modified (304)"
    if request.status not in COUNTED_STATUSES:
        return f"status {request.status}"
    asked = _answered_length(request)
    if request.bytes_sent <= PROBE_MAX_BYTES or (asked is not None and asked <= PROBE_MAX_BYTES):
        return "probe of 2 bytes or fewer"
    return None


def _answered_length(request: _AnsweredRequest) -> int | None:
    """Return the length of the answered range, or None for a whole-file answer."""
    if request.status != 206 or request.range_start is None or request.range_end is None:
        return None
    return request.range_end - request.range_start + 1


# ---------------------------------------------------------- listener identity


def utc_day(at: datetime) -> date:
    """Return the UTC day of a moment, refusing naive datetimes that would shift days."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"timestamp {at.isoformat()} has no time zone; analytics needs UTC")
    return at.astimezone(UTC).date()


def listener_network(ip: str) -> str:
    """Return the part of an IP address that identifies a listener.

    IPv6 hosts rotate the lower 64 bits (privacy extensions), so one phone
    shows up under many addresses of one /64; IPv4 addresses are kept whole.
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        raise InvalidInput(f"{ip!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def listener_hash(ip: str, user_agent: str, salt: bytes) -> str:
    """Return the salted hash that stands for (network, User-Agent), so no IP is stored."""
    if not 16 <= len(salt) <= 64:
        raise InvalidInput("a listener salt must be 16 to 64 bytes long")
    message = f"{listener_network(ip)}\n{user_agent}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(message, key=salt, digest_size=16).hexdigest()


class SaltRing:
    """Hand out one random salt per UTC day and forget it once the day is over.

    ``storage`` maps an ISO day ("2024-05-01") to a hex salt; it is a plain
    mapping the caller persists (a table, a file) so every worker process
    hashes a listener the same way all day. New salts are put in with
    ``setdefault``: a storage whose ``setdefault`` is atomic (an ``INSERT ...
    ON CONFLICT DO NOTHING`` then a read) keeps one salt per day across
    processes. The salt is random rather than derived from a secret because a
    kept salt lets anyone holding it hash all 2**32 IPv4 addresses in minutes;
    once ``discard_expired`` has dropped it, a stored hash cannot be linked to
    an address, not even by us. ``keep_days=2`` keeps yesterday's salt for
    requests logged just before midnight and processed after it.
    """

    SALT_BYTES = 32

    def __init__(self, storage: MutableMapping[str, str], *, keep_days: int = 2) -> None:
        if keep_days < 1:
            raise InvalidInput("a salt ring must keep at least today's salt")
        self.storage = storage
        self.keep_days = keep_days

    def oldest_usable_day(self, today: date) -> date:
        """Return the first day whose salt may still be used or created."""
        return today - timedelta(days=self.keep_days - 1)

    def salt_for(self, day: date, *, today: date) -> bytes:
        """Return the salt of ``day``, creating it on first use."""
        if day < self.oldest_usable_day(today):
            raise InvalidInput(
                f"the listener salt for {day.isoformat()} has been discarded; "
                f"requests older than {self.keep_days} days can no longer be counted"
            )
        salt = self.storage.setdefault(day.isoformat(), secrets.token_hex(self.SALT_BYTES))
        return bytes.fromhex(salt)

    def discard_expired(self, *, today: date) -> list[date]:
        """Forget salts of days that are over, so their hashes can never be reversed."""
        oldest = self.oldest_usable_day(today)
        expired = [day for day in map(date.fromisoformat, list(self.storage)) if day < oldest]
        for day in expired:
            del self.storage[day.isoformat()]
        return sorted(expired)


def to_stored_event(request: MediaRequest, salts: SaltRing, *, now: datetime) -> StoredEvent:
    """Replace the IP address of a request by its listener hash for the request's UTC day."""
    salt = salts.salt_for(utc_day(request.at), today=utc_day(now))
    return StoredEvent(
        at=request.at.astimezone(UTC),
        listener_hash=listener_hash(request.ip, request.user_agent, salt),
        user_agent=request.user_agent,
        method=request.method,
        status=request.status,
        range_start=request.range_start,
        range_end=request.range_end,
        bytes_sent=request.bytes_sent,
        media_key=request.media_key,
        episode_id=request.episode_id,
    )


# ------------------------------------------------------------ app recognition


@dataclass(frozen=True, slots=True)
class _AgentRule:
    """A name (and maybe a device kind) given to every User-Agent one of the patterns matches."""

    name: str
    device: str | None
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, user_agent: str) -> bool:
        """Say whether any pattern of the rule is found in the User-Agent."""
        return any(pattern.search(user_agent) for pattern in self.patterns)


class AppRecognizer:
    """Name the app, device and bot status of a User-Agent from rules like ``user_agents.json``."""

    def __init__(self, rules: Mapping[str, Any]) -> None:
        self.bots = _compile_rules(rules, "bots")
        self.duplicates = _compile_rules(rules, "duplicates")
        self.apps = _compile_rules(rules, "apps")
        self.devices = tuple(
            _AgentRule(entry["device"], entry["device"], _compile_patterns(entry, "devices"))
            for entry in _rule_entries(rules, "devices")
        )

    def recognize(self, user_agent: str) -> AppInfo:
        """Return the first matching bot, duplicate or app rule, in that order."""
        device = next(
            (rule.name for rule in self.devices if rule.matches(user_agent)), UNKNOWN_DEVICE
        )
        for rule in self.bots:
            if rule.matches(user_agent):
                return AppInfo(rule.name, rule.device or device, is_bot=True)
        for rule in self.duplicates:
            if rule.matches(user_agent):
                return AppInfo(rule.name, rule.device or device, is_bot=False, is_duplicate=True)
        for rule in self.apps:
            if rule.matches(user_agent):
                return AppInfo(rule.name, rule.device or device, is_bot=False)
        return AppInfo(UNKNOWN_APP, device, is_bot=False)


def _rule_entries(rules: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    """Return one section of the rules, refusing a file that lacks it."""
    entries = rules.get(section)
    if not isinstance(entries, list):
        raise InvalidInput(f"user-agent rules: section {section!r} must be a list")
    return entries


def _compile_rules(rules: Mapping[str, Any], section: str) -> tuple[_AgentRule, ...]:
    """Compile a section once, so recognizing an agent never parses a pattern."""
    compiled = []
    for entry in _rule_entries(rules, section):
        device = entry.get("device")
        if device is not None and device not in DEVICE_KINDS:
            name = entry.get("name")
            raise InvalidInput(f"user-agent rules: {name!r} has unknown device {device!r}")
        compiled.append(_AgentRule(entry["name"], device, _compile_patterns(entry, section)))
    return tuple(compiled)


def _compile_patterns(entry: Mapping[str, Any], section: str) -> tuple[re.Pattern[str], ...]:
    """Compile an entry's patterns, naming the entry when one is not a valid expression."""
    label = entry.get("name") or entry.get("device")
    patterns = entry.get("patterns")
    if not patterns:
        raise InvalidInput(f"user-agent rules: {section} entry {label!r} has no patterns")
    try:
        return tuple(re.compile(pattern) for pattern in patterns)
    except re.error as error:
        raise InvalidInput(f"user-agent rules: {section} entry {label!r}: {error}") from None


@functools.cache
def default_recognizer() -> AppRecognizer:
    """Load ``user_agents.json`` once per process."""
    rules_file = importlib.resources.files(__package__ or "catalog") / "user_agents.json"
    return AppRecognizer(json.loads(rules_file.read_text("utf-8")))


@functools.lru_cache(maxsize=8192)
def recognize_app(user_agent: str) -> AppInfo:
    """Return the app behind a User-Agent; cached because a few agents make most requests."""
    return default_recognizer().recognize(user_agent)


# ---------------------------------------------------------------- counting


def one_minute_threshold(bitrate_bps: int, id3_size: int = 0) -> int:
    """Return how many bytes from the start of a file hold its tags and first minute of audio."""
    if bitrate_bps <= 0:
        raise InvalidInput(f"a bitrate must be positive to count downloads, not {bitrate_bps}")
    if id3_size < 0:
        raise InvalidInput(f"an ID3 tag size cannot be negative ({id3_size})")
    return id3_size + -(-bitrate_bps * 60 // 8)


class _ByteCoverage:
    """The distinct bytes of one file a listener received, as sorted disjoint spans."""

    __slots__ = ("covered", "spans")

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.covered = 0

    def add(self, start: int, end: int) -> None:
        """Merge the half-open span [start, end), so a range fetched twice counts once."""
        spans = self.spans
        first = bisect.bisect_left(spans, (start, start))
        if first > 0 and spans[first - 1][1] >= start:
            first -= 1
        last = first
        while last < len(spans) and spans[last][0] <= end:
            start, end = min(start, spans[last][0]), max(end, spans[last][1])
            self.covered -= spans[last][1] - spans[last][0]
            last += 1
        spans[first:last] = [(start, end)]
        self.covered += end - start


def _received_span(event: StoredEvent, size: int) -> tuple[int, int] | None:
    """Return the half-open byte span of the file the event delivered, or None if empty."""
    start = 0 if event.status == 200 or event.range_start is None else event.range_start
    length = event.bytes_sent
    if event.status == 206 and event.range_end is not None:
        length = min(length, event.range_end - start + 1)
    end = min(start + length, size)
    return (start, end) if end > start else None


class DownloadCounter:
    """Turn stored events into downloads one event at a time.

    Events may come in any order; a download is reported by ``add`` the
    moment its listener has received enough distinct bytes. Work per event is
    constant apart from merging the listener's few byte ranges, and memory
    grows with the listeners of the days seen, so a caller streaming events in
    time order can call ``forget_before`` at each new day.
    """

    def __init__(self, media: Mapping[str, MediaFacts]) -> None:
        self.media = media
        self.skipped: Counter[str] = Counter()
        self._required: dict[str, int] = {}
        self._coverage: dict[tuple[date, str, str], _ByteCoverage] = {}
        self._counted: set[tuple[date, int, str]] = set()

    def add(self, event: StoredEvent) -> Download | None:
        """Take one event into account and return the download it completes, if any."""
        day = utc_day(event.at)
        if event.episode_id is None:
            self.skipped["no episode"] += 1
            return None
        facts = self.media.get(event.media_key)
        if facts is None:
            # Artwork, transcripts and deleted files share /media/ but are not episodes' audio.
            self.skipped["not episode audio"] += 1
            return None
        download_key = (day, event.episode_id, event.listener_hash)
        if download_key in self._counted:
            self.skipped["already counted that day"] += 1
            return None
        reason = exclusion_reason(event)
        if reason is not None:
            self.skipped[reason] += 1
            return None
        span = _received_span(event, facts.size)
        if span is None:
            self.skipped["no bytes of the file"] += 1
            return None
        coverage_key = (day, event.listener_hash, event.media_key)
        coverage = self._coverage.setdefault(coverage_key, _ByteCoverage())
        coverage.add(*span)
        if coverage.covered < self._required_bytes(event.media_key, facts):
            return None
        del self._coverage[coverage_key]
        self._counted.add(download_key)
        app = recognize_app(event.user_agent)
        return Download(
            day, event.episode_id, event.media_key, event.listener_hash, app.name, app.device
        )

    def forget_before(self, day: date) -> None:
        """Drop what is kept about days before ``day``; later events of those days would recount."""
        self._coverage = {key: value for key, value in self._coverage.items() if key[0] >= day}
        self._counted = {key for key in self._counted if key[0] >= day}

    def _required_bytes(self, media_key: str, facts: MediaFacts) -> int:
        """Return the distinct bytes that make a download: a minute, or all of a shorter file."""
        required = self._required.get(media_key)
        if required is None:
            try:
                threshold = one_minute_threshold(facts.bitrate, facts.id3_size)
            except InvalidInput as error:
                raise InvalidInput(f"media {media_key}: {error}") from None
            required = self._required[media_key] = max(1, min(threshold, facts.size))
        return required


def iter_downloads(
    events: Iterable[StoredEvent], media: Mapping[str, MediaFacts]
) -> Iterator[Download]:
    """Yield downloads as soon as the events complete them, holding no list of events."""
    counter = DownloadCounter(media)
    for event in events:
        download = counter.add(event)
        if download is not None:
            yield download


def count_downloads(
    events: Iterable[StoredEvent], media: Mapping[str, MediaFacts]
) -> list[Download]:
    """Return every download the events make, in the order they were completed."""
    return list(iter_downloads(events, media))


def rollup(downloads: Iterable[Download]) -> list[DailyCount]:
    """Return download counts per (day, episode, app), sorted, ready to upsert."""
    counts = Counter((download.day, download.episode_id, download.app) for download in downloads)
    return [
        DailyCount(day, episode_id, app, downloads)
        for (day, episode_id, app), downloads in sorted(counts.items())
    ]


# --------------------------------------------------------- studio numbers


def totals_by_episode(counts: Iterable[DailyCount]) -> dict[int, int]:
    """Return all-time downloads per episode, most downloaded first."""
    totals: Counter[int] = Counter()
    for count in counts:
        totals[count.episode_id] += count.downloads
    return dict(totals.most_common())


def totals_by_day(counts: Iterable[DailyCount]) -> dict[date, int]:
    """Return downloads per UTC day in day order, for a chart over time."""
    totals: defaultdict[date, int] = defaultdict(int)
    for count in counts:
        totals[count.day] += count.downloads
    return dict(sorted(totals.items()))


def totals_by_app(counts: Iterable[DailyCount]) -> dict[str, int]:
    """Return downloads per app, most used first."""
    totals: Counter[str] = Counter()
    for count in counts:
        totals[count.app] += count.downloads
    return dict(totals.most_common())


def downloads_after_release(
    counts: Iterable[DailyCount],
    released_at: Mapping[int, datetime],
    *,
    days: int,
    now: datetime,
) -> dict[int, ReleaseWindow]:
    """Return each released episode's downloads in its first ``days`` UTC days.

    Rollups are daily, so the window is whole UTC days with the release day
    as day 1 (7 and 30 are the usual choices); that makes episodes comparable
    whatever the hour they came out. ``is_complete`` is False while the
    window is still open, so the studio can say "so far".
    """
    if days < 1:
        raise InvalidInput(f"a release window must be at least one day long, not {days}")
    windows = {
        episode_id: (first := utc_day(at), first + timedelta(days=days - 1))
        for episode_id, at in released_at.items()
    }
    totals: Counter[int] = Counter()
    for count in counts:
        window = windows.get(count.episode_id)
        if window is not None and window[0] <= count.day <= window[1]:
            totals[count.episode_id] += count.downloads
    today = utc_day(now)
    return {
        episode_id: ReleaseWindow(
            episode_id, first, last, totals[episode_id], is_complete=today > last
        )
        for episode_id, (first, last) in windows.items()
    }


# ------------------------------------------------------------- nginx logs

NGINX_LOG_FORMAT = """\
log_format catalog '$remote_addr [$time_iso8601] "$request_method $request_uri" '
    '$status $body_bytes_sent "$sent_http_content_range" "$http_user_agent"';"""
MEDIA_PATH_PREFIX = "/media/"

_LOG_LINE = re.compile(
    r'(?P<ip>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<uri>\S+)" '
    r'(?P<status>\d{3}) (?P<bytes_sent>\d+) "(?P<content_range>[^"]*)" "(?P<user_agent>[^"]*)"'
)
_CONTENT_RANGE = re.compile(r"bytes (?:(?P<start>\d+)-(?P<end>\d+)|\*)/(?:\d+|\*)")
_NGINX_ESCAPE = re.compile(r"(?:\\x[0-9A-Fa-f]{2})+")


def parse_nginx_log_line(line: str) -> MediaRequest | None:
    """Read one line written with ``NGINX_LOG_FORMAT``; None when it is not a media request.

    The format, to put in nginx's ``http`` block and use as
    ``access_log /var/log/nginx/catalog.log catalog;``::

        log_format catalog '$remote_addr [$time_iso8601] "$request_method $request_uri" '
            '$status $body_bytes_sent "$sent_http_content_range" "$http_user_agent"';

    The response's Content-Range is logged rather than the request's Range
    header because it is the range actually answered: open ("bytes=100-"),
    suffix ("bytes=-500") and past-the-end ranges are already resolved.
    Raises ``MalformedLogLine`` with the reason when the line is not in
    that format.
    """
    text = line.rstrip("\r\n")
    match = _LOG_LINE.fullmatch(text)
    if match is None:
        raise MalformedLogLine(f"not in the catalog log format: {_excerpt(text)}")
    path = _unescape_nginx(match["uri"]).split("?", 1)[0]
    if not path.startswith(MEDIA_PATH_PREFIX):
        return None
    # Storage keys hold slashes (ab/cd/<sha256>.mp3); the display filename is the last segment.
    key, _, filename = path[len(MEDIA_PATH_PREFIX) :].rpartition("/")
    if not key or not filename:
        return None
    try:
        at = datetime.fromisoformat(match["time"])
    except ValueError:
        raise MalformedLogLine(f"time {match['time']!r} is not ISO 8601 ($time_iso8601)") from None
    if at.tzinfo is None:
        raise MalformedLogLine(f"time {match['time']!r} has no UTC offset, unlike $time_iso8601")
    try:
        ip = str(ipaddress.ip_address(match["ip"]))
    except ValueError:
        raise MalformedLogLine(f"{match['ip']!r} is not an IP address ($remote_addr)") from None
    range_start, range_end = _parse_content_range(match["content_range"])
    user_agent = match["user_agent"]
    return MediaRequest(
        at=at.astimezone(UTC),
        ip=ip,
        user_agent="" if user_agent == "-" else _unescape_nginx(user_agent),
        method=match["method"],
        status=int(match["status"]),
        range_start=range_start,
        range_end=range_end,
        bytes_sent=int(match["bytes_sent"]),
        media_key=unquote(key),
    )


def _parse_content_range(value: str) -> tuple[int | None, int | None]:
    """Return the inclusive byte range of a logged Content-Range ("-" when there was none)."""
    if value == "-":
        return None, None
    match = _CONTENT_RANGE.fullmatch(value)
    if match is None:
        raise MalformedLogLine(f"Content-Range {value!r} is not 'bytes START-END/SIZE'")
    if match["start"] is None:
        return None, None
    return int(match["start"]), int(match["end"])


def _unescape_nginx(value: str) -> str:
    """Undo nginx's \\xHH escaping of quotes, backslashes and non-ASCII bytes."""
    return _NGINX_ESCAPE.sub(
        lambda match: bytes.fromhex(match[0].replace("\\x", "")).decode("utf-8", "replace"), value
    )


def _excerpt(text: str, limit: int = 120) -> str:
    """Return the start of a line, quoted, for an error message a person can read."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


class NginxLogReader:
    """Read a whole access log, skipping and counting the lines that are malformed.

    A log cut mid-line by rotation must not lose a day of downloads, so bad
    lines are skipped; ``malformed`` counts them and ``errors`` keeps the
    first few messages ("line 12: ...") so a person can find them.
    """

    MAX_ERRORS = 10

    def __init__(self) -> None:
        self.lines = 0
        self.malformed = 0
        self.errors: list[str] = []

    def read(self, lines: Iterable[str]) -> Iterator[MediaRequest]:
        """Yield the media requests of the log, line by line."""
        for number, line in enumerate(lines, start=self.lines + 1):
            self.lines = number
            if not line.strip():
                continue
            try:
                request = parse_nginx_log_line(line)
            except MalformedLogLine as error:
                self.malformed += 1
                if len(self.errors) < self.MAX_ERRORS:
                    self.errors.append(f"line {number}: {error}")
                continue
            if request is not None:
                yield request
