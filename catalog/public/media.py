"""``/media/<key>/<filename>``: audio and images by key, with HEAD, ranges, 304 and counting.

The answer (200, 206, 304 or 416 and which bytes) is decided by ``plan_answer``
from the request headers alone, the same way nginx decides it; in ``x-accel``
mode nginx sends the bytes, and the plan is still what gets counted. Validators
are nginx's (ETag ``"<mtime hex>-<size hex>"``, Last-Modified = mtime) so a
client sees the same ones whichever of the two answers.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import Headers
from werkzeug.http import http_date, parse_date, parse_etags, unquote_etag
from werkzeug.wsgi import ClosingIterator, wrap_file

from catalog.analytics import MediaRequest, answer_exclusion_reason
from catalog.database import utcnow
from catalog.downloads import EventRecorder, MediaTarget, find_media_target
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.public import bp
from catalog.storage import MediaStore

ONE_YEAR = 365 * 24 * 3600
CACHE_CONTROL = f"public, max-age={ONE_YEAR}, immutable"
# nginx's internal location that serves the media root (deploy/nginx.conf).
X_ACCEL_PREFIX = "/_media/"
# More ranges than this in one request are answered with the whole file, as nginx's max_ranges.
MAX_RANGES = 16
# Keys are content hashes, so a lookup stays true; only the episode using a file can change.
TARGET_TTL_SECONDS = 30.0
_RANGE_ITEM = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)


@bp.route("/media/<path:key>/<filename>", methods=["GET", "HEAD"])
def media(key: str, filename: str) -> Response:
    delivery = media_delivery(current_app)
    target, stat = delivery.find(key)
    etag, last_modified = validators(stat)
    answer = plan_answer(request.method, request.headers, stat.st_size, etag, last_modified)
    delivery.count(target, answer, client_ip(), request.headers.get("User-Agent", ""))
    if delivery.is_x_accel:
        response = Response(headers={"X-Accel-Redirect": X_ACCEL_PREFIX + target.key})
        response.content_type = target.mime_type
    else:
        response = answer_response(delivery.store.path_for(key), target.mime_type, answer)
    response.headers.update(
        {"ETag": f'"{etag}"', "Last-Modified": http_date(last_modified)}
        | {"Cache-Control": CACHE_CONTROL, "Accept-Ranges": "bytes"}
    )
    return response


def client_ip() -> str:
    """Return the listener's address; behind nginx (x-accel) it is in X-Real-IP."""
    if media_delivery(current_app).is_x_accel and request.headers.get("X-Real-IP"):
        return request.headers["X-Real-IP"]
    return request.remote_addr or "0.0.0.0"


# ------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Answer:
    """How to answer: the status and the inclusive byte ranges of a 206 (one or several)."""

    status: int
    size: int
    ranges: tuple[tuple[int, int], ...] = ()


def validators(stat: os.stat_result) -> tuple[str, datetime]:
    """Return the ETag value and Last-Modified nginx gives the same file."""
    mtime = int(stat.st_mtime)
    return f"{mtime:x}-{stat.st_size:x}", datetime.fromtimestamp(mtime, UTC)


def plan_answer(
    method: str, headers: Headers | Mapping[str, str], size: int, etag: str, last_modified: datetime
) -> Answer:
    """Decide the answer from conditional and Range headers, in RFC 9110's order."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if parse_etags(if_none_match).contains_weak(etag):
            return Answer(304, size)
    else:
        since = parse_date(headers.get("If-Modified-Since"))
        if since is not None and last_modified <= since:
            return Answer(304, size)
    range_header = headers.get("Range")
    if range_header is None or method not in ("GET", "HEAD"):
        return Answer(200, size)
    if_range = headers.get("If-Range")
    if if_range is not None and not if_range_holds(if_range, etag, last_modified):
        return Answer(200, size)
    ranges = parse_byte_ranges(range_header, size)
    if ranges is None or len(ranges) > MAX_RANGES:
        return Answer(200, size)
    if not ranges:
        return Answer(416, size)
    return Answer(206, size, coalesce(ranges))


def if_range_holds(if_range: str, etag: str, last_modified: datetime) -> bool:
    """Compare If-Range strongly: a weak ETag or a date other than Last-Modified fails."""
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        tag, is_weak = unquote_etag(value)
        return not is_weak and tag == etag
    return parse_date(value) == last_modified


def parse_byte_ranges(value: str, size: int) -> list[tuple[int, int]] | None:
    """Return the satisfiable inclusive ranges of a Range header, or None to ignore the header."""
    unit, has_equals, spec = value.partition("=")
    if not has_equals or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if not items:
        return None
    for item in items:
        match = _RANGE_ITEM.fullmatch(item)
        if match is None or not (match[1] or match[2]):
            return None
        if not match[1]:
            suffix = int(match[2])
            if suffix > 0 and size > 0:
                ranges.append((max(0, size - suffix), size - 1))
            continue
        first = int(match[1])
        last = int(match[2]) if match[2] else size - 1
        if match[2] and last < first:
            return None
        if first < size:
            ranges.append((first, min(last, size - 1)))
    return ranges


def coalesce(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Merge overlapping and touching ranges, as RFC 9110 allows, so no byte is sent twice."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


# ------------------------------------------------------------ the bytes


def answer_response(path: os.PathLike[str], mime_type: str, answer: Answer) -> Response:
    """Build the response that sends the planned bytes (sendfile-able for one range)."""
    size = answer.size
    if answer.status == 304:
        return Response(status=304)
    if answer.status == 416:
        response = Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        response.content_length = 0
        return response
    if len(answer.ranges) > 1:
        return _multipart_response(path, mime_type, answer)
    start, end = answer.ranges[0] if answer.ranges else (0, size - 1)
    length = end - start + 1 if size else 0
    if request.method == "HEAD":
        response = Response(status=answer.status, content_type=mime_type)
    else:
        file = _open_or_not_found(path)  # closed by the WSGI server
        file.seek(start)
        body = wrap_file(request.environ, _FileSlice(file, length))  # type: ignore[arg-type]
        response = Response(
            body, status=answer.status, content_type=mime_type, direct_passthrough=True
        )
    response.content_length = length
    if answer.status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


class _FileSlice:
    """A file read only up to ``length`` bytes from where it stands, keeping its descriptor.

    gunicorn sends it with sendfile (from the file's position, Content-Length
    bytes); servers without sendfile read it in blocks and stop at the end.
    """

    def __init__(self, file: IO[bytes], length: int) -> None:
        self.file = file
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.file.read(size) if size else b""
        self.remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self.file.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # socket.sendfile falls back to seek + read when the kernel's sendfile gives up.
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        self.file.close()

    # A server must close the body; werkzeug's development server skips it when
    # the client resets the connection mid-download. The descriptor goes anyway.
    __del__ = close


def _multipart_response(path: os.PathLike[str], mime_type: str, answer: Answer) -> Response:
    """Answer several ranges as one ``multipart/byteranges`` body of known length."""
    boundary = secrets.token_hex(12)
    heads = [
        (
            f"\r\n--{boundary}\r\nContent-Type: {mime_type}\r\n"
            f"Content-Range: bytes {start}-{end}/{answer.size}\r\n\r\n"
        ).encode()
        for start, end in answer.ranges
    ]
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = sum(map(len, heads)) + len(tail) + sum(e - s + 1 for s, e in answer.ranges)
    body: Iterable[bytes] = []
    if request.method != "HEAD":
        file = _open_or_not_found(path)
        # Closed when the server closes the body, even if it never reads it.
        body = ClosingIterator(_multipart_body(file, answer.ranges, heads, tail), file.close)
    response = Response(body, status=206, direct_passthrough=True)
    response.content_type = f"multipart/byteranges; boundary={boundary}"
    response.content_length = length
    return response


def _open_or_not_found(path: os.PathLike[str]) -> IO[bytes]:
    """Open a file found a moment ago; one removed since (a media sweep) is not found."""
    try:
        return open(path, "rb")  # noqa: SIM115  (the caller's response closes it)
    except FileNotFoundError:
        raise NotFound("This file does not exist.") from None


def _multipart_body(
    file: IO[bytes], ranges: tuple[tuple[int, int], ...], heads: list[bytes], tail: bytes
) -> Iterator[bytes]:
    """Yield each part's head and bytes from ``file``."""
    for head, (start, end) in zip(heads, ranges, strict=True):
        yield head
        file.seek(start)
        remaining = end - start + 1
        while remaining:
            chunk = file.read(min(remaining, 256 * 1024))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    yield tail


# ------------------------------------------------------- per-app state


class MediaDelivery:
    """One app's media store, lookups kept for a few seconds, and download recorder."""

    def __init__(self, app: Flask) -> None:
        self.store = MediaStore(app.config["CATALOG_MEDIA_ROOT"])
        self.is_x_accel = app.config["CATALOG_MEDIA_DELIVERY"] == "x-accel"
        self.recorder = (
            EventRecorder(
                db.engine,
                flush_events=int(app.config.get("CATALOG_DOWNLOAD_FLUSH_EVENTS", 500)),
                flush_seconds=float(app.config.get("CATALOG_DOWNLOAD_FLUSH_SECONDS", 5)),
            )
            if app.config.get("CATALOG_COUNT_DOWNLOADS", True)
            else None
        )
        self._targets: dict[str, tuple[float, MediaTarget]] = {}
        # The one clock of the catalog; tests replace it to make requests on chosen days.
        self.clock = utcnow

    def find(self, key: str) -> tuple[MediaTarget, os.stat_result]:
        """Return the stored file under ``key`` and its stat; anything else is not found."""
        path = self.store.path_for(key)
        cached = self._targets.get(key)
        if cached is None or cached[0] < time.monotonic():
            target = find_media_target(db.session, key)
            if target is None:
                raise NotFound("This file does not exist.")
            if len(self._targets) > 10_000:
                self._targets.clear()
            cached = self._targets[key] = (time.monotonic() + TARGET_TTL_SECONDS, target)
        try:
            return cached[1], path.stat()
        except FileNotFoundError:
            raise NotFound("This file does not exist.") from None

    def count(self, target: MediaTarget, answer: Answer, ip: str, user_agent: str) -> None:
        """Record the request for counting when it is for an episode's audio."""
        if self.recorder is None or target.episode_id is None:
            return
        at = self.clock()
        method = request.method
        parts = answer.ranges if answer.status == 206 else ((None, None),)
        for start, end in parts:
            if answer.status == 206:
                sent = (end or 0) - (start or 0) + 1
            else:
                sent = answer.size if answer.status == 200 and method == "GET" else 0
            media_request = MediaRequest(
                at=at,
                ip=ip,
                user_agent=user_agent,
                method=method,
                status=answer.status,
                range_start=start,
                range_end=end,
                bytes_sent=0 if method == "HEAD" else sent,
                media_key=target.key,
                episode_id=target.episode_id,
            )
            # HEAD, 304 and 2-byte probes never count, so keeping them would only cost time.
            if answer_exclusion_reason(media_request) is None:
                self.recorder.record(media_request)


def media_delivery(app: Flask) -> MediaDelivery:
    """Return the app's media delivery, made on first use."""
    delivery = app.extensions.get("catalog.media")
    if delivery is None:
        delivery = app.extensions["catalog.media"] = MediaDelivery(app)
    return delivery
