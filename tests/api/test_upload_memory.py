"""A 300 MB upload through the API (raw body, Bearer token) streams to disk: memory grows < 64 MB.

The server is a real HTTP server in its own process, as in the studio's test
(tests/studio/test_upload_memory.py), so its peak resident memory (VmHWM) is
the server's alone and not the test runner's.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import tokens
from catalog.extensions import db
from catalog.models import Episode
from tests.api.conftest import make_user
from tests.audio_factory import make_long_vbr_mp3
from tests.factories import make_show
from tests.studio.conftest import AUDIO
from tests.studio.test_upload_memory import LIMIT, SERVER, SIZE, free_port, memory_kib


def api_request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_300_mb_api_upload_keeps_server_memory_flat(app, app_config, tmp_path):
    show = make_show(slug="big-show")
    user = make_user(shows=(show,))
    _token, plaintext = tokens.create_token(db.session, user, "memory test")
    db.session.commit()
    audio = make_long_vbr_mp3(tmp_path / "long.mp3", size_bytes=SIZE)
    bearer = {"Authorization": f"Bearer {plaintext}"}

    port = free_port()
    config = {**app_config, "CATALOG_MAX_UPLOAD_BYTES": 2 * SIZE}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        env={**os.environ, "STUDIO_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == b"ready"
        # Warm up with a small upload: lazy imports and first-use caches are not file data.
        status, answer = api_request(
            port,
            "POST",
            "/api/v1/shows/big-show/episode-uploads?filename=cbr.mp3",
            (AUDIO / "cbr.mp3").read_bytes(),
            {**bearer, "Content-Type": "audio/mpeg"},
        )
        assert status == 201, answer
        # Start the peak (VmHWM) afresh: start-up work (migrations, imports) peaked higher.
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        before = memory_kib(server.pid, "VmRSS")
        started = time.monotonic()
        with audio.path.open("rb") as body:
            status, answer = api_request(
                port,
                "POST",
                "/api/v1/shows/big-show/episode-uploads?filename=long.mp3",
                body,
                {
                    **bearer,
                    "Content-Type": "audio/mpeg",
                    "Content-Length": str(audio.size_bytes),
                },
            )
        peak = memory_kib(server.pid, "VmHWM")
        assert status == 201, answer
        growth = (peak - before) * 1024
        print(
            f"\n300 MB API upload in {time.monotonic() - started:.1f} s, "
            f"server memory growth {growth / 1048576:.1f} MB"
        )
        assert growth < LIMIT
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()
    created = json.loads(answer)
    db.session.expire_all()
    episode = db.session.query(Episode).order_by(Episode.id.desc()).first()
    assert episode.slug == created["slug"]
    assert episode.audio.size_bytes == audio.size_bytes
    assert episode.audio.original_filename == "long.mp3"
    assert episode.audio.duration_seconds == pytest.approx(audio.duration_seconds, abs=0.05)
