"""Raw audio bodies are streamed to storage; refused ones leave no file and no row."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import Episode, MediaFile
from tests.api.conftest import Headers

AUDIO = Path(__file__).parent.parent / "fixtures" / "audio"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "CATALOG_MAX_UPLOAD_BYTES": 2 * 1024 * 1024}


@pytest.fixture
def uploads(client: FlaskClient, auth: Headers) -> str:
    show = client.post("/api/v1/shows", json={"title": "Uploads"}, headers=auth)
    return f"{show.headers['Location']}/episode-uploads"


def _stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["CATALOG_MEDIA_ROOT"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_upload_creates_a_draft_prefilled_from_the_file(
    client: FlaskClient, auth: Headers, uploads: str, app: Flask
) -> None:
    response = client.post(
        f"{uploads}?filename=interview.mp3",
        data=(AUDIO / "cbr.mp3").read_bytes(),
        headers={**auth, "Content-Type": "audio/mpeg"},
    )
    assert response.status_code == 201, response.json
    assert response.json["status"] == "draft"
    assert response.json["audio"]["original_filename"] == "interview.mp3"
    assert response.json["audio"]["duration_seconds"] > 0
    assert any(path.suffix == ".mp3" for path in _stored_files(app))


def test_upload_reads_the_body_as_a_stream(
    client: FlaskClient, auth: Headers, uploads: str
) -> None:
    # No Content-Length: the body is read as it comes, to its end.
    response = client.post(
        uploads,
        input_stream=io.BytesIO((AUDIO / "cbr.mp3").read_bytes()),
        headers={**auth, "Content-Type": "audio/mpeg"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("name", ["truncated.mp3", "empty.mp3", "text_named.mp3"])
def test_bad_audio_is_a_422_that_leaves_nothing_behind(
    client: FlaskClient, auth: Headers, uploads: str, app: Flask, name: str
) -> None:
    response = client.post(
        uploads, data=(AUDIO / name).read_bytes(), headers={**auth, "Content-Type": "audio/mpeg"}
    )
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == "audio"
    assert _stored_files(app) == []
    assert db.session.scalar(select(func.count(Episode.id))) == 0
    assert db.session.scalar(select(func.count(MediaFile.id))) == 0


def test_audio_with_another_content_type_is_a_415(
    client: FlaskClient, auth: Headers, uploads: str, app: Flask
) -> None:
    response = client.post(
        uploads,
        data=(AUDIO / "cbr.mp3").read_bytes(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 415
    assert "audio/mpeg" in response.json["detail"]
    assert _stored_files(app) == []


def test_a_body_over_the_limit_is_a_413_before_it_is_read(
    client: FlaskClient, auth: Headers, uploads: str, app: Flask
) -> None:
    response = client.post(
        uploads, data=b"\0" * (3 * 1024 * 1024), headers={**auth, "Content-Type": "audio/mpeg"}
    )
    assert response.status_code == 413
    assert "2 MB" in response.json["detail"]
    assert _stored_files(app) == []


def test_a_streamed_body_over_the_limit_is_a_413_and_leaves_nothing(
    client: FlaskClient, auth: Headers, uploads: str, app: Flask
) -> None:
    response = client.post(
        uploads,
        input_stream=io.BytesIO(b"\xff" * (3 * 1024 * 1024)),
        headers={**auth, "Content-Type": "audio/mpeg"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert _stored_files(app) == []


def test_replacing_audio_keeps_the_guid(client: FlaskClient, auth: Headers, uploads: str) -> None:
    created = client.post(
        uploads,
        data=(AUDIO / "cbr.mp3").read_bytes(),
        headers={**auth, "Content-Type": "audio/mpeg"},
    )
    replaced = client.put(
        f"{created.headers['Location']}/audio?filename=v2.mp3",
        data=(AUDIO / "vbr_xing.mp3").read_bytes(),
        headers={**auth, "Content-Type": "audio/mpeg"},
    )
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["guid"] == created.json["guid"]
    assert replaced.json["audio"]["url"] != created.json["audio"]["url"]


class _WatchedBody(io.RawIOBase):
    """A request body that notes whether a database transaction is open while it is read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.read_inside_transaction = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def readinto(self, buffer: Any) -> int:
        if db.session().in_transaction():
            self.read_inside_transaction = True
        return self._data.readinto(buffer)


def test_upload_holds_no_transaction_while_the_body_arrives(
    client: FlaskClient, auth: Headers, uploads: str
) -> None:
    data = (AUDIO / "cbr.mp3").read_bytes()
    body = _WatchedBody(data)
    response = client.post(
        f"{uploads}?filename=cbr.mp3",
        input_stream=body,
        headers={**auth, "Content-Type": "audio/mpeg", "Content-Length": str(len(data))},
    )
    assert response.status_code == 201, response.get_json()
    assert body.read_inside_transaction is False
