"""A live server in its own process, and how much its memory grows during one upload.

The upload memory tests (studio and API) send 300 MB through a real HTTP server.
It runs in a process of its own so that its peak resident memory (VmHWM) is the
server's alone and not the test runner's.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ports import free_port

SIZE = 300 * 1024 * 1024
LIMIT = 64 * 1024 * 1024
SERVER = """
import json, os, sys
from werkzeug.serving import make_server
from catalog import create_app
app = create_app(json.loads(os.environ["UPLOAD_MEMORY_TEST_CONFIG"]))
server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=False)
print("ready", flush=True)
server.serve_forever()
"""


class LiveServer:
    """The server's process, and just enough of a browser to talk to it: one cookie."""

    def __init__(self, port: int, pid: int) -> None:
        self.port = port
        self.pid = pid
        self.cookie = ""

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        cookie = {"Cookie": self.cookie} if self.cookie else {}
        try:
            connection.request(method, path, body=body, headers={**cookie, **(headers or {})})
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if set_cookie := response.getheader("Set-Cookie"):
            self.cookie = set_cookie.split(";", 1)[0]
        return response.status, data


@contextmanager
def live_server(app_config: dict[str, Any]) -> Iterator[LiveServer]:
    """Run the app on a free port, allowing uploads twice SIZE, until the block ends."""
    port = free_port()
    config = {**app_config, "CATALOG_MAX_UPLOAD_BYTES": 2 * SIZE}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        env={**os.environ, "UPLOAD_MEMORY_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == b"ready"
        yield LiveServer(port, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()


@dataclass
class Growth:
    """How much the server's peak memory rose over the resident size before, and how fast."""

    bytes: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"in {self.seconds:.1f} s, server memory growth {self.bytes / 1048576:.1f} MB"


@contextmanager
def memory_growth(server: LiveServer) -> Iterator[Growth]:
    """Measure the server's peak memory over the block against its resident memory before."""
    # Start the peak (VmHWM) afresh: start-up work (migrations, imports) peaked higher.
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")
    before = _memory_kib(server.pid, "VmRSS")
    started = time.monotonic()
    growth = Growth()
    yield growth
    growth.bytes = (_memory_kib(server.pid, "VmHWM") - before) * 1024
    growth.seconds = time.monotonic() - started


def _memory_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match[1])
