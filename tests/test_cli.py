"""The ``catalog`` command as a user runs it: a real process serving real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.ports import free_port


def _catalog(*args: str, env: dict[str, str], **kwargs):
    return [sys.executable, "-c", "from catalog.cli import main; main()", *args]


def test_init_demo_and_run_serve_the_demo(tmp_path):
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
        "CATALOG_MEDIA_ROOT": str(tmp_path / "media"),
        "CATALOG_SECRET_KEY": "x",
    }
    for command in ("init", "demo"):
        subprocess.run(
            _catalog(command, env=env), env=env, check=True, capture_output=True, timeout=120
        )
    port = free_port()
    server = subprocess.Popen(
        _catalog("run", "--port", str(port), env=env),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/people/takeshi-hakamada/"
                ) as page:
                    body = page.read().decode()
                break
            except urllib.error.URLError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "catalog run did not start serving"
                time.sleep(0.2)
        assert "ispace and the Japanese space journey" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
