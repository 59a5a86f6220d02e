"""Read other hosts' feeds: bring a show here with every GUID, date, credit and chapter.

API (the caller commits; every function adds and flushes only):

- ``Fetcher(allow_private=False, timeout_seconds=..., max_redirects=5)``: the only way the
  importer reaches the network: http(s) only, every redirect hop checked against private,
  loopback and link-local addresses, sizes and time limited.
- ``read_feed(source, fetcher, *, max_bytes) -> FeedDocument``: a URL or a local file, parsed
  (podcastparser, plus the ``podcast:transcript`` list it does not keep); a whole-feed problem
  raises ``InvalidFeed``.
- ``import_feed(session, store, document, fetcher, *, links, now, download_media, max_bytes,
  progress=None, after_episode=None) -> ImportReport``: create or update the show (matched by
  its source feed URL) and its episodes (matched by GUID). Each episode is written in a
  savepoint after its media has been fetched, so a failed one leaves nothing behind and is
  reported while the rest goes on. ``after_episode`` lets a command commit as it goes, so an
  interrupted ``--download-media`` run resumes where it stopped.

podcastparser lives here and only here.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urljoin, urlsplit

import podcastparser
import requests
import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import episodes as episode_operations
from catalog.apple_categories import is_valid_category
from catalog.chapters import ChapterEntry, set_chapters
from catalog.errors import CatalogError, FileTooLarge, InvalidAudio, InvalidFeed, InvalidInput
from catalog.links import SiteLinks
from catalog.models import Episode, Person, Show
from catalog.models.person import ROLES
from catalog.people import add_credit, create_person
from catalog.show_notes import sanitize_html
from catalog.shows import accept_artwork, create_show, update_show, web_url
from catalog.storage import MediaStore, StoredAudio
from catalog.text import clean_text
from catalog.transcripts import MAX_TRANSCRIPT_BYTES, add_transcript
from catalog.uploads import record_audio

MAX_SIDE_FILE_BYTES = MAX_TRANSCRIPT_BYTES
MAX_ARTWORK_BYTES = 20 * 1024 * 1024
CHUNK_SIZE = 256 * 1024
PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
_TRANSCRIPT_FORMATS = {
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
}
_REDIRECTS = (301, 302, 303, 307, 308)

ProgressFactory = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]


class ImportRefused(InvalidInput):
    """A URL the importer must not fetch (scheme, private address, redirect loop, ...)."""


class DownloadFailed(InvalidInput):
    """A download did not arrive whole (HTTP error, time limit, broken connection)."""


# --- reaching the network -------------------------------------------------------------------


class Fetcher:
    """Fetch http(s) URLs for the importer without letting a feed reach internal services."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout_seconds: float = 3600.0,
        connect_timeout_seconds: float = 10.0,
        max_redirects: int = 5,
    ) -> None:
        self.allow_private = allow_private
        self.timeout_seconds = timeout_seconds
        self.connect_timeout_seconds = connect_timeout_seconds
        self.max_redirects = max_redirects
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy would resolve names where we cannot check
        self.http.headers["User-Agent"] = "catalog-importer/1.0"
        if not allow_private:
            # A name may resolve to another address when requests connects than when
            # check_url looked (DNS rebinding): check the address actually connected to.
            self.http.mount("http://", _PublicOnlyAdapter())
            self.http.mount("https://", _PublicOnlyAdapter())

    def check_url(self, url: str) -> None:
        """Refuse anything but http(s) to a public address (unless private ones are allowed)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImportRefused(f"Only http and https addresses can be imported, not “{url}”.")
        if self.allow_private:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
        except (OSError, ValueError):
            raise DownloadFailed(f"The host “{parts.hostname}” cannot be found.") from None
        for info in infos:
            _refuse_private(parts.hostname, str(info[4][0]))

    @contextmanager
    def open(self, url: str) -> Iterator[tuple[requests.Response, str]]:
        """Open ``url`` following redirects by hand, checking every hop; yield it and its URL."""
        seen: set[str] = set()
        current = url
        for _ in range(self.max_redirects + 1):
            if current in seen:
                raise DownloadFailed(f"{url} redirects in a loop.")
            seen.add(current)
            self.check_url(current)
            try:
                response = self.http.get(
                    current,
                    stream=True,
                    allow_redirects=False,
                    timeout=(self.connect_timeout_seconds, self.connect_timeout_seconds * 3),
                )
            except requests.RequestException as error:
                raise DownloadFailed(f"{current} cannot be fetched: {_reason(error)}.") from None
            if response.status_code in _REDIRECTS and response.headers.get("Location"):
                response.close()
                current = urljoin(current, response.headers["Location"])
                continue
            try:
                if response.status_code != 200:
                    raise DownloadFailed(
                        f"{current} answered HTTP {response.status_code} {response.reason}."
                    )
                yield response, current
            finally:
                response.close()
            return
        raise DownloadFailed(f"{url} redirects more than {self.max_redirects} times (a loop?).")

    def fetch_bytes(self, url: str, *, max_bytes: int) -> bytes:
        """Return the body of ``url`` if it is at most ``max_bytes`` long."""
        buffer = BytesIO()
        with self.open(url) as (response, _final):
            for chunk in self.chunks(response, max_bytes=max_bytes, url=url):
                buffer.write(chunk)
        return buffer.getvalue()

    def chunks(self, response: requests.Response, *, max_bytes: int, url: str) -> Iterator[bytes]:
        """Yield the body, stopping at ``max_bytes`` or when the time limit runs out."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FileTooLarge(
                f"{url} is {_megabytes(int(declared))} MB, over the limit of "
                f"{_megabytes(max_bytes)} MB."
            )
        deadline = time.monotonic() + self.timeout_seconds
        size = 0
        try:
            for chunk in response.iter_content(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(
                        f"{url} is larger than the limit of {_megabytes(max_bytes)} MB."
                    )
                if time.monotonic() > deadline:
                    raise DownloadFailed(
                        f"{url} took longer than {self.timeout_seconds:.0f} s to download."
                    )
                yield chunk
        except requests.RequestException as error:
            raise DownloadFailed(f"{url} broke off: {_reason(error)}.") from None


def _refuse_private(host: str, address_text: str) -> None:
    address = ipaddress.ip_address(address_text.split("%", 1)[0])
    if not address.is_global or address.is_multicast:
        raise ImportRefused(
            f"“{host}” is a private, loopback or link-local address ({address}); "
            "the importer does not fetch from those."
        )


def _public_only(host: str, sock: socket.socket) -> socket.socket:
    """Refuse a new connection whose peer is not public: the address it reached, not the name."""
    try:
        _refuse_private(host, str(sock.getpeername()[0]))
    except ImportRefused:
        sock.close()
        raise
    return sock


class _PublicHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _public_only(self.host, super()._new_conn())


class _PublicHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _public_only(self.host, super()._new_conn())


class _PublicHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    """Connect only to public addresses, whatever a name resolves to at connect time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPPool,
            "https": _PublicHTTPSPool,
        }


class _ResponseReader:
    """A file-like view of a download for ``MediaStore.ingest_audio``, reporting progress."""

    def __init__(self, chunks: Iterator[bytes], advance: Callable[[int], None]) -> None:
        self._chunks = chunks
        self._advance = advance
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = chunk
        if size < 0 or size >= len(self._pending):
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        self._advance(len(data))
        return data


def _reason(error: Exception) -> str:
    text = str(error.__class__.__name__)
    if "Timeout" in text:
        return "no answer in time"
    if "ConnectionError" in text:
        return "the connection failed"
    return "the request failed"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".removesuffix(".0")


# --- reading a feed -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTranscript:
    url: str
    format: str
    language: str


@dataclass(frozen=True)
class SourceEpisode:
    """One item of the source feed, as podcastparser (and our transcript pass) read it."""

    guid: str
    title: str
    published: int
    summary: str
    notes_html: str
    season: int | None
    number: int | None
    episode_type: str
    is_explicit: bool
    enclosure_url: str
    enclosure_length: int | None
    enclosure_type: str
    duration_seconds: int
    artwork_url: str
    people: tuple[dict[str, Any], ...]
    chapters: tuple[dict[str, Any], ...]
    chapters_url: str
    transcripts: tuple[SourceTranscript, ...]


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed: the channel's fields and its items in feed order."""

    source: str
    data: dict[str, Any]
    episodes: tuple[SourceEpisode, ...]


def read_feed(source: str, fetcher: Fetcher, *, max_bytes: int) -> FeedDocument:
    """Fetch (or read) and parse a feed; one clear ``InvalidFeed`` when it is not one."""
    scheme = urlsplit(source).scheme
    if scheme in ("http", "https"):
        body = fetcher.fetch_bytes(source, max_bytes=max_bytes)
    elif scheme in ("", "file") or (len(scheme) == 1 and Path(source).exists()):
        path = Path(source.removeprefix("file://"))
        if not path.is_file():
            raise InvalidFeed(f"There is no feed file at {path}.")
        if path.stat().st_size > max_bytes:
            raise FileTooLarge(f"{path} is over the feed size limit of {_megabytes(max_bytes)} MB.")
        body = path.read_bytes()
        source = str(path.resolve())
    else:
        raise ImportRefused("Only http and https addresses and local files can be imported.")
    return parse_feed(body, source)


def parse_feed(body: bytes, source: str) -> FeedDocument:
    """Parse feed bytes; name the problem when they are HTML, broken XML or hold no episodes."""
    head = body.lstrip()[:512].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise InvalidFeed(f"{source} is a web page (HTML), not a podcast feed.")
    base = source if urlsplit(source).scheme in ("http", "https") else ""
    try:
        # No base URL: podcastparser would resolve permalink GUIDs against it, changing them.
        data = podcastparser.parse("", BytesIO(body))
    except podcastparser.FeedParseError as error:
        message = str(error)
        if "Unsupported feed type: html" in message:
            raise InvalidFeed(f"{source} is a web page (HTML), not a podcast feed.") from None
        raise InvalidFeed(f"{source} is not a well-formed feed: {message}.") from None
    items = data.get("episodes") or []
    if not items:
        raise InvalidFeed(f"{source} has no episodes to import.")
    tags = _podcast_tags_by_guid(body, base)
    episodes = tuple(_source_episode(item, tags, base) for item in items)
    if data.get("cover_url"):
        data["cover_url"] = urljoin(base, str(data["cover_url"]))
    return FeedDocument(source=source, data=data, episodes=episodes)


def _source_episode(
    item: dict[str, Any], tags: dict[str, _PodcastTags], base: str
) -> SourceEpisode:
    enclosures = item.get("enclosures") or []
    audio = next(
        (e for e in enclosures if str(e.get("mime_type", "")).startswith("audio/")),
        enclosures[0] if enclosures else None,
    )
    length = audio.get("file_size") if audio else None
    episode_type = item.get("type") or "full"
    guid = str(item["guid"]).strip()
    extra = tags.get(guid, _PodcastTags())
    return SourceEpisode(
        guid=guid,
        title=str(item.get("title") or ""),
        published=int(item.get("published") or 0),
        summary=str(item.get("subtitle") or item.get("description") or ""),
        notes_html=str(item.get("description_html") or ""),
        season=item.get("season"),
        number=item.get("number"),
        episode_type=episode_type if episode_type in ("full", "trailer", "bonus") else "full",
        is_explicit=bool(item.get("explicit")),
        enclosure_url=urljoin(base, str(audio["url"])) if audio else "",
        enclosure_length=int(length) if length and int(length) > 0 else None,
        enclosure_type=str(audio.get("mime_type") or "") if audio else "",
        duration_seconds=int(item.get("total_time") or 0),
        artwork_url=_absolute(base, item.get("episode_art_url")),
        people=extra.people or tuple(item.get("persons") or ()),
        chapters=tuple(item.get("chapters") or ()),
        chapters_url=extra.chapters_url or _absolute(base, item.get("chapters_json_url")),
        transcripts=extra.transcripts,
    )


@dataclass(frozen=True)
class _PodcastTags:
    transcripts: tuple[SourceTranscript, ...] = ()
    chapters_url: str = ""
    people: tuple[dict[str, Any], ...] = ()


def _podcast_tags_by_guid(body: bytes, base: str) -> dict[str, _PodcastTags]:
    """Read each item's ``podcast:`` transcripts, chapters and people.

    podcastparser knows only an old URL of the Podcasting 2.0 namespace (and keeps one
    transcript), so these are read here for both.
    """
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return {}
    found: dict[str, _PodcastTags] = {}
    for item in root.iter("item"):
        guid = _item_key(item)
        transcripts, people, chapters_url = [], [], ""
        for element in item:
            namespace, _, tag = element.tag.partition("}")
            if namespace.lstrip("{").lower().rstrip("/") not in PODCAST_NAMESPACES:
                continue
            url = _absolute(base, element.get("url"))
            if tag == "transcript":
                kind = _TRANSCRIPT_FORMATS.get((element.get("type") or "").split(";")[0].strip())
                if kind and url:
                    transcripts.append(SourceTranscript(url, kind, element.get("language") or ""))
            elif tag == "chapters" and url and not chapters_url:
                chapters_url = url
            elif tag == "person":
                people.append(
                    {
                        "name": (element.text or "").strip(),
                        "role": (element.get("role") or "host").strip().lower(),
                        "href": element.get("href") or "",
                    }
                )
        if guid:
            found[guid] = _PodcastTags(tuple(transcripts), chapters_url, tuple(people))
    return found


def _absolute(base: str, url: Any) -> str:
    """Resolve a URL the feed may give relative to itself; "" stays "" (no URL)."""
    text = str(url or "").strip()
    return urljoin(base, text) if text else ""


def _item_key(item: ElementTree.Element) -> str:
    """Tell an item apart the way podcastparser does: GUID, else link, else enclosure URL."""
    guid = (item.findtext("guid") or "").strip()
    if guid:
        return guid
    link = (item.findtext("link") or "").strip()
    if link:
        return link
    enclosure = item.find("enclosure")
    return (enclosure.get("url") or "").strip() if enclosure is not None else ""


# --- writing the show -----------------------------------------------------------------------


@dataclass
class EpisodeOutcome:
    """What happened to one item of the feed."""

    guid: str
    title: str
    action: str  # created, updated, skipped, failed
    message: str = ""


@dataclass
class ImportReport:
    """The show imported and what happened to each episode."""

    show: Show
    is_new_show: bool
    outcomes: list[EpisodeOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[EpisodeOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "failed"]

    def count(self, action: str) -> int:
        return sum(outcome.action == action for outcome in self.outcomes)


def import_feed(
    session: Session,
    store: MediaStore,
    document: FeedDocument,
    fetcher: Fetcher,
    *,
    links: SiteLinks,
    now: datetime,
    download_media: bool,
    max_bytes: int,
    progress: ProgressFactory | None = None,
    after_episode: Callable[[], None] | None = None,
) -> ImportReport:
    """Create or update the show and its episodes from ``document``; report each episode."""
    report = _import_show(session, store, document, fetcher, links=links)
    show = report.show
    existing = {
        episode.guid: episode
        for episode in session.scalars(select(Episode).where(Episode.show_id == show.id))
    }
    seen: set[str] = set()
    for source in document.episodes:
        title = clean_text(source.title) or source.guid
        if source.guid in seen:
            report.outcomes.append(
                EpisodeOutcome(
                    source.guid,
                    title,
                    "failed",
                    f"the GUID “{source.guid}” appears twice in the feed; only the first is kept.",
                )
            )
            continue
        seen.add(source.guid)
        episode = existing.get(source.guid)
        try:
            outcome = _import_episode(
                session,
                store,
                show,
                episode,
                source,
                fetcher,
                now=now,
                download_media=download_media,
                max_bytes=max_bytes,
                progress=progress,
            )
        except CatalogError as error:
            outcome = EpisodeOutcome(source.guid, title, "failed", str(error))
        report.outcomes.append(outcome)
        if after_episode is not None:
            after_episode()
    return report


def _import_show(
    session: Session,
    store: MediaStore,
    document: FeedDocument,
    fetcher: Fetcher,
    *,
    links: SiteLinks,
) -> ImportReport:
    data = document.data
    warnings: list[str] = []
    fields = _show_fields(data)
    show = session.scalar(select(Show).where(Show.source_feed_url == document.source))
    is_new = show is None
    if show is None:
        show = create_show(
            session, title=clean_text(data.get("title")) or "Imported show", links=links
        )
        show.source_feed_url = document.source
    update_show(show, fields)
    show.is_explicit = bool(data.get("explicit"))
    cover_url = str(data.get("cover_url") or "")
    if cover_url and (is_new or show.artwork is None):
        try:
            body = fetcher.fetch_bytes(cover_url, max_bytes=MAX_ARTWORK_BYTES)
            change = accept_artwork(
                session,
                store,
                BytesIO(body),
                filename=Path(urlsplit(cover_url).path).name or "artwork",
                max_bytes=MAX_ARTWORK_BYTES,
                convert=True,
            )
            show.artwork = change.media
        except CatalogError as error:
            warnings.append(f"The show's artwork was not imported: {error}")
    session.flush()
    return ImportReport(show=show, is_new_show=is_new, warnings=warnings)


def _show_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Map the channel onto ``update_show`` fields, dropping values our rules refuse."""
    owner = data.get("itunes_owner") or {}
    fields: dict[str, Any] = {
        "title": data.get("title") or "Imported show",
        "description": data.get("description") or "",
        "author": data.get("itunes_author") or "",
        "owner_name": owner.get("name") or "",
        "show_type": data.get("type") if data.get("type") in ("episodic", "serial") else None,
    }
    for name, value in (
        ("owner_email", owner.get("email")),
        ("link", data.get("link")),
        ("funding_url", data.get("funding_url")),
        ("language", (data.get("language") or "").split("_")[0]),
    ):
        if value:
            try:
                update_show(Show(), {name: value})
            except InvalidInput:
                continue
            fields[name] = value
    for category in data.get("itunes_categories") or []:
        main, sub = category[0], category[1] if len(category) > 1 else ""
        if is_valid_category(main, sub or None):
            fields["category"], fields["subcategory"] = main, sub
            break
    return {name: value for name, value in fields.items() if value is not None}


def _import_episode(
    session: Session,
    store: MediaStore,
    show: Show,
    episode: Episode | None,
    source: SourceEpisode,
    fetcher: Fetcher,
    *,
    now: datetime,
    download_media: bool,
    max_bytes: int,
    progress: ProgressFactory | None,
) -> EpisodeOutcome:
    """Fetch what the episode needs first, then write it in a savepoint: all of it or nothing."""
    title = clean_text(source.title) or source.guid
    if not source.guid or len(source.guid) > 255:
        raise InvalidFeed("the item has no usable GUID.")
    if not source.enclosure_url:
        raise InvalidAudio("the item has no enclosure (audio file).")
    stored: StoredAudio | None = None
    has_audio = episode is not None and episode.audio_id is not None
    if download_media and not has_audio:
        stored = _download_audio(store, source, fetcher, max_bytes=max_bytes, progress=progress)
    elif not download_media and not has_audio:
        _check_remote_audio(source, max_bytes)
    # Artwork, chapters and transcripts are worth a note, not the episode: the audio counts.
    notes: list[str] = []
    artwork: bytes | None = None
    if download_media and source.artwork_url and (episode is None or episode.artwork_id is None):
        try:
            artwork = fetcher.fetch_bytes(source.artwork_url, max_bytes=MAX_ARTWORK_BYTES)
        except CatalogError as error:
            notes.append(f"artwork not imported: {error}")
    try:
        chapters = _chapters(source, fetcher)
    except CatalogError as error:
        chapters, notes = None, [f"chapters not imported: {error}"]
    transcripts = []
    for entry in source.transcripts:
        try:
            transcripts.append(
                (entry, fetcher.fetch_bytes(entry.url, max_bytes=MAX_SIDE_FILE_BYTES))
            )
        except CatalogError as error:
            notes.append(f"transcript {entry.url} not imported: {error}")
    with session.begin_nested():
        action = "updated" if episode is not None else "created"
        if episode is None:
            episode = episode_operations.create_episode(session, show, title=title)
            episode.guid = source.guid
        _apply_fields(episode, source, now)
        if stored is not None:
            episode.audio = record_audio(session, store, stored)
            episode.remote_audio_url = episode.remote_audio_type = None
            episode.remote_audio_length = episode.remote_audio_duration_seconds = None
        elif episode.audio_id is None:
            episode.remote_audio_url = source.enclosure_url
            episode.remote_audio_length = source.enclosure_length
            episode.remote_audio_type = source.enclosure_type
            episode.remote_audio_duration_seconds = float(source.duration_seconds) or None
        session.flush()
        if chapters is not None:
            try:
                with session.begin_nested():
                    set_chapters(session, episode, chapters)
            except InvalidInput as error:
                notes.append(f"chapters not imported: {error}")
        for entry, body in transcripts:
            try:
                with session.begin_nested():
                    add_transcript(
                        session,
                        episode,
                        body=body,
                        format=entry.format,
                        language=entry.language or "en",
                    )
            except InvalidInput as error:
                notes.append(f"transcript {entry.url} not imported: {error}")
        if artwork is not None:
            try:
                with session.begin_nested():
                    episode.artwork = accept_artwork(
                        session,
                        store,
                        BytesIO(artwork),
                        filename=Path(urlsplit(source.artwork_url).path).name or "artwork",
                        max_bytes=MAX_ARTWORK_BYTES,
                        convert=True,
                    ).media
            except CatalogError as error:
                notes.append(f"artwork not imported: {error}")
        _credit_people(session, episode, source)
        session.flush()
    return EpisodeOutcome(source.guid, title, action, " ".join(notes))


def _apply_fields(episode: Episode, source: SourceEpisode, now: datetime) -> None:
    episode_operations.update_episode(
        episode,
        {
            "title": clean_text(source.title) or source.guid,
            "summary": source.summary,
            "season": source.season if source.season and source.season > 0 else None,
            "number": source.number if source.number is not None and source.number >= 0 else None,
            "episode_type": source.episode_type,
            "is_explicit": source.is_explicit,
        },
    )
    notes = sanitize_html(source.notes_html) if source.notes_html else ""
    episode.notes_markdown = notes
    episode.notes_html = notes
    published = datetime.fromtimestamp(source.published, UTC) if source.published else now
    episode.publish_at = published
    episode.status = "scheduled" if published > now else "published"


def _check_remote_audio(source: SourceEpisode, max_bytes: int) -> None:
    """Refuse an enclosure podcast apps could not play, without downloading it."""
    if urlsplit(source.enclosure_url).scheme not in ("http", "https"):
        raise ImportRefused(f"the enclosure “{source.enclosure_url}” is not an http(s) address.")
    if not source.enclosure_type.startswith("audio/"):
        raise InvalidAudio(
            f"the enclosure is “{source.enclosure_type or 'of no type'}”, not audio."
        )
    if len(source.enclosure_url) > 2000:
        raise InvalidAudio("the enclosure's address is longer than 2000 characters.")


def _download_audio(
    store: MediaStore,
    source: SourceEpisode,
    fetcher: Fetcher,
    *,
    max_bytes: int,
    progress: ProgressFactory | None,
) -> StoredAudio:
    """Stream the enclosure into the store (checked as audio by ``ingest_audio``)."""
    url = source.enclosure_url
    filename = Path(urlsplit(url).path).name or "audio"
    with fetcher.open(url) as (response, _final):
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type.startswith(("text/", "image/")) or content_type in (
            "application/json",
            "application/xml",
        ):
            raise InvalidAudio(f"the enclosure is “{content_type}”, not audio.")
        declared = response.headers.get("Content-Length", "")
        total = int(declared) if declared.isdigit() else source.enclosure_length
        chunks = fetcher.chunks(response, max_bytes=max_bytes, url=url)
        if progress is None:
            return store.ingest_audio(
                cast(IO[bytes], _ResponseReader(chunks, lambda _n: None)),
                original_filename=filename,
                max_bytes=max_bytes,
            )
        with progress(clean_text(source.title, max_length=40) or filename, total) as advance:
            return store.ingest_audio(
                cast(IO[bytes], _ResponseReader(chunks, advance)),
                original_filename=filename,
                max_bytes=max_bytes,
            )


def _chapters(source: SourceEpisode, fetcher: Fetcher) -> list[ChapterEntry] | None:
    """Return the episode's chapters (JSON chapters first, then Podlove), or None for none."""
    if source.chapters_url:
        body = fetcher.fetch_bytes(source.chapters_url, max_bytes=MAX_SIDE_FILE_BYTES)
        try:
            document = json.loads(body)
            raw = document["chapters"]
            entries = [
                ChapterEntry(
                    float(chapter["startTime"]),
                    clean_text(str(chapter.get("title") or "")) or f"Chapter {index}",
                    _safe_url(chapter.get("url")),
                )
                for index, chapter in enumerate(raw, start=1)
                if chapter.get("toc", True) is not False
            ]
        except (ValueError, KeyError, TypeError):
            raise InvalidFeed(
                f"the chapters file {source.chapters_url} is not JSON chapters."
            ) from None
        return entries
    if source.chapters:
        return [
            ChapterEntry(
                float(chapter["start"]),
                clean_text(chapter.get("title")) or f"Chapter {index}",
                _safe_url(chapter.get("href")),
            )
            for index, chapter in enumerate(source.chapters, start=1)
        ]
    return None


def _safe_url(value: Any) -> str:
    try:
        return web_url(str(value or ""), "chapters")
    except InvalidInput:
        return ""


def _credit_people(session: Session, episode: Episode, source: SourceEpisode) -> None:
    """Credit each ``podcast:person``, reusing a person of the same name; add no duplicates."""
    for entry in source.people:
        name = clean_text(entry.get("name"))
        role = str(entry.get("role") or "host").lower()
        if not name:
            continue
        role = role if role in ROLES else "guest"
        website = _safe_url(entry.get("href"))
        person = session.scalar(select(Person).where(Person.name == name).order_by(Person.id))
        if person is None:
            person = create_person(session, name=name, fields={"website": website})
        elif website and not person.website:
            person.website = website
        if any(c.person_id == person.id and c.role == role for c in episode.credits):
            continue
        add_credit(session, episode, person, role)
