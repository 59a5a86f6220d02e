"""``/media/...`` over real HTTP: ranges, conditionals, content types, x-accel and traversal."""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog import create_app
from catalog.downloads import flush_all_recorders
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.models import Episode, MediaFile
from catalog.public.media import MAX_RANGES, Answer, answer_response, media_delivery
from catalog.storage import MediaStore, key_for
from tests.factories import make_audio, make_episode, make_show

BODY = bytes(range(256)) * 400  # 102,400 bytes
SIZE = len(BODY)


def store_media_file(
    app: Flask, content: bytes, *, extension: str = "mp3", **fields: Any
) -> MediaFile:
    """Put ``content`` in the app's media store with its MediaFile row."""
    sha = hashlib.sha256(content).hexdigest()
    key = key_for(sha, extension)
    path = MediaStore(app.config["CATALOG_MEDIA_ROOT"]).path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return make_audio(sha256=sha, storage_key=key, size_bytes=len(content), **fields)


def store_episode_audio(app: Flask, content: bytes = BODY, **fields: Any) -> tuple[Episode, str]:
    """Store ``content`` as an episode's audio; return the episode and its media URL."""
    media = store_media_file(app, content, **fields)
    episode = make_episode(make_show(), audio=media)
    db.session.commit()
    return episode, f"/media/{media.storage_key}/episode.mp3"


@pytest.fixture(autouse=True)
def write_pending_events(app: Flask) -> Iterator[None]:
    """Write buffered download events while the test's database still exists."""
    yield
    flush_all_recorders()


@pytest.fixture
def url(app: Flask) -> str:
    return store_episode_audio(app)[1]


def fetch(
    client: FlaskClient,
    url: str,
    method: str = "GET",
    *,
    ip: str = "192.0.2.1",
    follow: bool = False,
    **headers: str,
) -> dict[str, Any]:
    """Make one request from ``ip`` and return what a test looks at, closing the response."""
    with client.open(
        url,
        method=method,
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
        follow_redirects=follow,
    ) as response:
        return {
            "status": response.status_code,
            "headers": response.headers,
            "body": response.get_data(),
        }


# ---------------------------------------------------------------- whole file


def test_media_get_sends_the_whole_file_with_cache_headers(client: FlaskClient, url: str) -> None:
    answer = fetch(client, url)
    assert answer["status"] == 200
    assert answer["body"] == BODY
    headers = answer["headers"]
    assert headers["Content-Type"] == "audio/mpeg"
    assert headers["Content-Length"] == str(SIZE)
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert re.fullmatch(r'"[0-9a-f]+-19000"', headers["ETag"])
    assert headers["Last-Modified"].endswith(" GMT")


def test_media_head_sends_headers_without_body(client: FlaskClient, url: str) -> None:
    answer = fetch(client, url, "HEAD")
    assert (answer["status"], answer["body"]) == (200, b"")
    assert answer["headers"]["Content-Length"] == str(SIZE)
    assert answer["headers"]["Accept-Ranges"] == "bytes"


def test_media_content_type_comes_from_the_media_row(app: Flask, client: FlaskClient) -> None:
    image = store_media_file(app, b"\x89PNG fake", extension="png", kind="image")
    image.mime_type = "image/png"
    db.session.commit()
    answer = fetch(client, f"/media/{image.storage_key}/cover.png")
    assert (answer["status"], answer["headers"]["Content-Type"]) == (200, "image/png")


# --------------------------------------------------------------- single ranges


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        pytest.param("bytes=0-1", 0, 1, id="probe"),
        pytest.param("bytes=100-", 100, SIZE - 1, id="open-ended"),
        pytest.param("bytes=-500", SIZE - 500, SIZE - 1, id="suffix"),
        pytest.param("bytes=1000-1999", 1000, 1999, id="middle"),
        pytest.param("bytes=100-99999999", 100, SIZE - 1, id="end-past-the-file"),
        pytest.param("bytes=-99999999", 0, SIZE - 1, id="suffix-longer-than-file"),
        pytest.param("bytes=0-9, 5-14", 0, 14, id="overlapping-ranges-merged"),
        pytest.param(f"bytes=0-9,{SIZE}-", 0, 9, id="unsatisfiable-part-dropped"),
    ],
)
def test_media_range_answers_206_with_content_range(
    client: FlaskClient, url: str, range_header: str, start: int, end: int
) -> None:
    answer = fetch(client, url, Range=range_header)
    assert answer["status"] == 206
    assert answer["headers"]["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert answer["headers"]["Content-Length"] == str(end - start + 1)
    assert answer["body"] == BODY[start : end + 1]


def test_media_head_with_range_answers_206_without_body(client: FlaskClient, url: str) -> None:
    answer = fetch(client, url, "HEAD", Range="bytes=10-19")
    assert (answer["status"], answer["body"]) == (206, b"")
    assert answer["headers"]["Content-Range"] == f"bytes 10-19/{SIZE}"
    assert answer["headers"]["Content-Length"] == "10"


@pytest.mark.parametrize(
    "range_header",
    [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0", f"bytes={SIZE}-,{SIZE + 1}-"],
)
def test_media_unsatisfiable_range_answers_416(
    client: FlaskClient, url: str, range_header: str
) -> None:
    answer = fetch(client, url, Range=range_header)
    assert answer["status"] == 416
    assert answer["headers"]["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize(
    "range_header",
    ["bytes=abc", "items=0-1", "bytes=5-2", "bytes=", "bytes=1-2-3", "bytes=--1", "bytes=١-٢"],
)
def test_media_malformed_range_is_ignored(client: FlaskClient, url: str, range_header: str) -> None:
    answer = fetch(client, url, Range=range_header)
    assert (answer["status"], answer["body"]) == (200, BODY)


# ---------------------------------------------------------------- multi-range


def parse_multipart(answer: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Return (Content-Range, bytes) of each part of a multipart/byteranges body."""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", answer["headers"]["Content-Type"])
    assert match is not None
    parts = answer["body"].split(f"--{match[1]}".encode())
    assert parts[0] == b"\r\n"
    assert parts[-1] == b"--\r\n"
    result = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().strip().split("\r\n"))
        assert fields["Content-Type"] == "audio/mpeg"
        result.append((fields["Content-Range"], data[:-2]))
    return result


def test_media_multi_range_answers_multipart_byteranges(client: FlaskClient, url: str) -> None:
    answer = fetch(client, url, Range="bytes=0-9, 200-299, -5")
    assert answer["status"] == 206
    assert int(answer["headers"]["Content-Length"]) == len(answer["body"])
    assert parse_multipart(answer) == [
        (f"bytes 0-9/{SIZE}", BODY[0:10]),
        (f"bytes 200-299/{SIZE}", BODY[200:300]),
        (f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}", BODY[-5:]),
    ]


def test_media_multi_range_head_has_the_get_length(client: FlaskClient, url: str) -> None:
    get = fetch(client, url, Range="bytes=0-9,20-29")
    head = fetch(client, url, "HEAD", Range="bytes=0-9,20-29")
    assert (head["status"], head["body"]) == (206, b"")
    assert head["headers"]["Content-Length"] == get["headers"]["Content-Length"]


def test_media_too_many_ranges_answer_the_whole_file(client: FlaskClient, url: str) -> None:
    many = ",".join(f"{n * 100}-{n * 100 + 9}" for n in range(MAX_RANGES + 1))
    answer = fetch(client, url, Range=f"bytes={many}")
    assert (answer["status"], answer["body"]) == (200, BODY)


# ---------------------------------------------------------------- conditionals


def validators_of(client: FlaskClient, url: str) -> tuple[str, str]:
    headers = fetch(client, url, "HEAD")["headers"]
    return headers["ETag"], headers["Last-Modified"]


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        pytest.param("{etag}", 206, id="same-strong-etag"),
        pytest.param("W/{etag}", 200, id="weak-etag-never-matches"),
        pytest.param('"other"', 200, id="other-etag"),
        pytest.param("{date}", 206, id="same-date"),
        pytest.param("Mon, 01 Jan 2001 00:00:00 GMT", 200, id="other-date"),
        pytest.param("not a date", 200, id="garbage"),
    ],
)
def test_media_if_range_compares_strongly(
    client: FlaskClient, url: str, if_range: str, status: int
) -> None:
    etag, date = validators_of(client, url)
    value = if_range.format(etag=etag, date=date)
    answer = fetch(client, url, Range="bytes=0-99", **{"If-Range": value})
    assert answer["status"] == status
    assert answer["body"] == (BODY[:100] if status == 206 else BODY)


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        pytest.param("If-None-Match", "{etag}", 304, id="etag"),
        pytest.param("If-None-Match", "W/{etag}", 304, id="weak-etag-matches-for-304"),
        pytest.param("If-None-Match", '"a", {etag}', 304, id="etag-in-list"),
        pytest.param("If-None-Match", "*", 304, id="star"),
        pytest.param("If-None-Match", '"other"', 200, id="other-etag"),
        pytest.param("If-Modified-Since", "{date}", 304, id="not-modified-since"),
        pytest.param("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT", 200, id="modified"),
    ],
)
def test_media_conditional_get_answers_304(
    client: FlaskClient, url: str, header: str, value: str, status: int
) -> None:
    etag, date = validators_of(client, url)
    answer = fetch(client, url, **{header: value.format(etag=etag, date=date)})
    assert answer["status"] == status
    if status == 304:
        assert answer["body"] == b""
        assert answer["headers"]["ETag"] == etag


def test_media_if_none_match_wins_over_if_modified_since(client: FlaskClient, url: str) -> None:
    etag, date = validators_of(client, url)
    headers = {"If-None-Match": '"other"', "If-Modified-Since": date}
    assert fetch(client, url, **headers)["status"] == 200


def test_media_last_modified_is_the_file_time(app: Flask, client: FlaskClient, url: str) -> None:
    key = url.split("/", 2)[2].rsplit("/", 1)[0]
    mtime = MediaStore(app.config["CATALOG_MEDIA_ROOT"]).path_for(key).stat().st_mtime
    from datetime import UTC, datetime

    expected = format_datetime(datetime.fromtimestamp(int(mtime), UTC), usegmt=True)
    assert fetch(client, url, "HEAD")["headers"]["Last-Modified"] == expected


# -------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "path",
    [
        "/media/../../../../etc/passwd/x",
        "/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd/x",
        "/media/%2E%2E%2F%2E%2E%2Fetc/passwd/x",
        "/media//etc/passwd/x",
        "/media/%2Fetc%2Fpasswd/x",
        "/media/ab/cd/%00.mp3/x",
        "/media/ab/cd/" + "a" * 64 + "%00.mp3/x",
        "/media/00/00/" + "0" * 64 + ".mp3/x",  # well shaped, nothing stored
        "/media/" + "ab" * 32 + ".mp3/x",
        "/media/AB/CD/" + "AB" * 32 + ".mp3/x",
    ],
)
def test_media_paths_outside_the_store_are_not_found(
    client: FlaskClient, url: str, path: str
) -> None:
    # Werkzeug first redirects "//" to "/"; wherever the client ends up, nothing is served.
    assert fetch(client, path, follow=True)["status"] == 404


def test_media_file_without_a_media_row_is_not_found(app: Flask, client: FlaskClient) -> None:
    sha = hashlib.sha256(b"stray").hexdigest()
    key = key_for(sha, "mp3")
    path = MediaStore(app.config["CATALOG_MEDIA_ROOT"]).path_for(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"stray")
    assert fetch(client, f"/media/{key}/x.mp3")["status"] == 404


def test_media_row_without_a_file_is_not_found(app: Flask, client: FlaskClient) -> None:
    media = make_audio()
    db.session.commit()
    MediaStore(app.config["CATALOG_MEDIA_ROOT"]).delete(media.storage_key)
    assert fetch(client, f"/media/{media.storage_key}/x.mp3")["status"] == 404


# ------------------------------------------------------------------ x-accel


def close_app(other: Flask) -> None:
    """Give back a second app's connections, as the ``app`` fixture does for its own."""
    flush_all_recorders()
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def x_accel_app(app_config: dict[str, Any], app: Flask) -> Iterator[Flask]:
    other = create_app({**app_config, "CATALOG_MEDIA_DELIVERY": "x-accel"})
    yield other
    close_app(other)


def test_media_x_accel_hands_the_file_to_nginx(
    app: Flask, x_accel_app: Flask, url: str, tmp_path: Path
) -> None:
    with x_accel_app.app_context():
        answer = fetch(x_accel_app.test_client(), url, Range="bytes=0-1")
    key = url.split("/", 2)[2].rsplit("/", 1)[0]
    assert answer["body"] == b""
    assert answer["headers"]["X-Accel-Redirect"] == f"/_media/{key}"
    assert answer["headers"]["Content-Type"] == "audio/mpeg"
    assert answer["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"


def test_media_x_accel_counts_what_nginx_will_send(
    app: Flask, x_accel_app: Flask, url: str
) -> None:
    with x_accel_app.app_context():
        fetch(
            x_accel_app.test_client(),
            url,
            ip="127.0.0.1",
            Range="bytes=100-199",
            **{"X-Real-IP": "203.0.113.9", "User-Agent": "Overcast/3.0"},
        )
        recorder = media_delivery(x_accel_app).recorder
        assert recorder is not None
        pending = list(recorder._pending)
    assert [(r.ip, r.status, r.range_start, r.range_end) for r in pending] == [
        ("203.0.113.9", 206, 100, 199)
    ]


def test_media_counting_off_records_nothing(app_config: dict[str, Any], app: Flask) -> None:
    quiet = create_app({**app_config, "CATALOG_COUNT_DOWNLOADS": False})
    url = store_episode_audio(app)[1]
    with quiet.app_context():
        assert fetch(quiet.test_client(), url)["status"] == 200
        assert media_delivery(quiet).recorder is None
    close_app(quiet)


@pytest.mark.parametrize(
    "ranges", [((0, 9),), ((0, 9), (20, 29))], ids=["one-range", "several-ranges"]
)
def test_a_file_removed_after_it_was_found_is_not_found(
    app: Flask, tmp_path: Path, ranges: tuple[tuple[int, int], ...]
) -> None:
    """A media sweep may remove a file between the lookup and the answer: 404, not 500."""
    with app.test_request_context("/media/key/episode.mp3"), pytest.raises(NotFound):
        answer_response(tmp_path / "removed.mp3", "audio/mpeg", Answer(206, 100, ranges))


def test_a_multipart_body_never_read_still_closes_its_file(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "episode.mp3"
    path.write_bytes(bytes(100))
    with app.test_request_context("/media/key/episode.mp3"):
        response = answer_response(path, "audio/mpeg", Answer(206, 100, ((0, 9), (20, 29))))

    response.close()  # the client went away before the server read a byte
    del response
    gc.collect()  # an unclosed file would warn here, and warnings are errors


def test_a_body_the_server_never_closes_still_closes_its_file(app: Flask, tmp_path: Path) -> None:
    """werkzeug's development server skips close() when a browser resets a download."""
    path = tmp_path / "episode.mp3"
    path.write_bytes(bytes(100))
    with app.test_request_context("/media/key/episode.mp3"):
        response = answer_response(path, "audio/mpeg", Answer(206, 100, ((0, 9),)))

    del response  # dropped without close()
    gc.collect()  # an unclosed file would warn here, and warnings are errors
