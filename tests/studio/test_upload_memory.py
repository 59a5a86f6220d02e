"""A 300 MB upload through the studio endpoint streams to disk: server memory grows < 64 MB."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog.extensions import db
from catalog.models import Episode
from tests.audio_factory import make_long_vbr_mp3
from tests.factories import make_show
from tests.studio.conftest import AUDIO, PASSWORD, make_user

SIZE = 300 * 1024 * 1024
LIMIT = 64 * 1024 * 1024
SERVER = """
import json, os, sys
from werkzeug.serving import make_server
from catalog import create_app
app = create_app(json.loads(os.environ["STUDIO_TEST_CONFIG"]))
server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=False)
print("ready", flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match[1])


class Browserless:
    """Just enough of a browser: cookies and the page's CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        all_headers = {"Cookie": self.cookie, **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        connection.close()
        return response.status, data


@pytest.mark.slow
def test_300_mb_upload_keeps_server_memory_flat(app, app_config, tmp_path):
    show = make_show(slug="big-show")
    make_user("producer@example.org", shows=(show,))
    db.session.commit()
    audio = make_long_vbr_mp3(tmp_path / "long.mp3", size_bytes=SIZE)

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
        browser = Browserless(port)
        status, page = browser.request("GET", "/studio/login")
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page)[1].decode()
        form = f"csrf_token={token}&email=producer%40example.org&password={PASSWORD}"
        status, _ = browser.request(
            "POST",
            "/studio/login",
            form.replace(" ", "+"),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302
        # Warm up with a small upload: lazy imports and first-use caches are not file data.
        status, _ = browser.request(
            "POST",
            "/studio/shows/big-show/uploads",
            (AUDIO / "cbr.mp3").read_bytes(),
            {"Content-Type": "audio/mpeg", "X-CSRFToken": token},
        )
        assert status == 201
        # Start the peak (VmHWM) afresh: start-up work (migrations, imports) peaked higher.
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        before = memory_kib(server.pid, "VmRSS")
        started = time.monotonic()
        with audio.path.open("rb") as body:
            status, answer = browser.request(
                "POST",
                "/studio/shows/big-show/uploads",
                body,
                {
                    "Content-Type": "audio/mpeg",
                    "Content-Length": str(audio.size_bytes),
                    "X-CSRFToken": token,
                    "X-File-Name": "long.mp3",
                },
            )
        peak = memory_kib(server.pid, "VmHWM")
        assert status == 201, answer
        growth = (peak - before) * 1024
        print(
            f"\n300 MB upload in {time.monotonic() - started:.1f} s, "
            f"server memory growth {growth / 1048576:.1f} MB"
        )
        assert growth < LIMIT
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()
    db.session.expire_all()
    episode = db.session.query(Episode).order_by(Episode.id.desc()).first()
    assert episode.audio.size_bytes == audio.size_bytes
    assert episode.audio.duration_seconds == pytest.approx(audio.duration_seconds, abs=0.05)
