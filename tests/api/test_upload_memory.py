"""A 300 MB upload through the API (raw body, Bearer token) streams to disk: memory grows < 64 MB.

The server is a real HTTP server in its own process, as in the studio's test
(tests/studio/test_upload_memory.py); both use the harness in tests/upload_memory.py.
"""

from __future__ import annotations

import json

import pytest

from catalog import tokens
from catalog.extensions import db
from catalog.models import Episode
from tests.api.conftest import make_user
from tests.audio_factory import make_long_vbr_mp3
from tests.factories import make_show
from tests.studio.conftest import AUDIO
from tests.upload_memory import LIMIT, SIZE, live_server, memory_growth


@pytest.mark.slow
def test_300_mb_api_upload_keeps_server_memory_flat(app, app_config, tmp_path):
    show = make_show(slug="big-show")
    user = make_user(shows=(show,))
    _token, plaintext = tokens.create_token(db.session, user, "memory test")
    db.session.commit()
    audio = make_long_vbr_mp3(tmp_path / "long.mp3", size_bytes=SIZE)
    bearer = {"Authorization": f"Bearer {plaintext}"}

    with live_server(app_config) as server:
        # Warm up with a small upload: lazy imports and first-use caches are not file data.
        status, answer = server.request(
            "POST",
            "/api/v1/shows/big-show/episode-uploads?filename=cbr.mp3",
            (AUDIO / "cbr.mp3").read_bytes(),
            {**bearer, "Content-Type": "audio/mpeg"},
        )
        assert status == 201, answer
        with memory_growth(server) as growth, audio.path.open("rb") as body:
            status, answer = server.request(
                "POST",
                "/api/v1/shows/big-show/episode-uploads?filename=long.mp3",
                body,
                {
                    **bearer,
                    "Content-Type": "audio/mpeg",
                    "Content-Length": str(audio.size_bytes),
                },
            )
    assert status == 201, answer
    print(f"\n300 MB API upload {growth}")
    assert growth.bytes < LIMIT
    created = json.loads(answer)
    db.session.expire_all()
    episode = db.session.query(Episode).order_by(Episode.id.desc()).first()
    assert episode.slug == created["slug"]
    assert episode.audio.size_bytes == audio.size_bytes
    assert episode.audio.original_filename == "long.mp3"
    assert episode.audio.duration_seconds == pytest.approx(audio.duration_seconds, abs=0.05)
