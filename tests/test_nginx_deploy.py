"""deploy/nginx.conf for real: nginx in front of gunicorn, media bytes sent through X-Accel.

Needs Debian's ``nginx`` package (``nginx -c`` is run as a plain process on
loopback ports); the benchmarks reuse the helpers below.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalog import downloads
from catalog.analytics import NginxLogReader
from catalog.extensions import db
from catalog.models import DownloadEvent
from tests.ports import free_port
from tests.system_packages import require_program
from tests.test_media_http import BODY, SIZE, store_episode_audio

REPO = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"


@pytest.fixture(scope="module", autouse=True)
def nginx_installed() -> None:
    require_program(NGINX, "nginx")


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Wait until something listens on ``port``, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def render_nginx_config(
    folder: Path, *, port: int, app_port: int, media_root: Path, extra_locations: str = ""
) -> Path:
    """Write deploy/nginx.conf with its paths and ports moved into ``folder`` and loopback."""
    for name in ("logs", "cache"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    text = NGINX_CONF.read_text()
    replacements = {
        "user www-data;": "user root;" if os.getuid() == 0 else "",
        "/run/nginx-catalog.pid": str(folder / "nginx.pid"),
        "/var/log/nginx/": f"{folder}/logs/",
        "/var/cache/nginx/catalog": str(folder / "cache"),
        "/srv/catalog/media/": f"{media_root}/",
        "/srv/catalog/static/": f"{REPO}/catalog/static/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "worker_processes auto;": "worker_processes 2;",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    if extra_locations:
        text = text.replace("        location / {", extra_locations + "\n        location / {", 1)
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


@dataclass
class Served:
    """A running nginx in front of a running gunicorn, both on loopback."""

    port: int
    app_port: int
    folder: Path
    nginx: subprocess.Popen[bytes]
    gunicorn: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop both the way a service manager does (SIGTERM), waiting for them to exit."""
        for process in (self.gunicorn, self.nginx):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.gunicorn, self.nginx):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_gunicorn(port: int, environment: dict[str, str], *, workers: int = 1) -> Any:
    """Start the app under gunicorn on loopback with CATALOG_* settings from ``environment``."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "catalog:create_app()",
        ],
        env={**os.environ, **environment},
        cwd=REPO,
    )
    wait_for_port(port, process)
    return process


def serve(
    folder: Path,
    environment: dict[str, str],
    media_root: Path,
    extra_locations: str = "",
    *,
    workers: int = 1,
) -> Served:
    """Start gunicorn in x-accel mode and nginx with the rendered deploy config."""
    port, app_port = free_port(), free_port()
    gunicorn = start_gunicorn(
        app_port, {**environment, "CATALOG_MEDIA_DELIVERY": "x-accel"}, workers=workers
    )
    config = render_nginx_config(
        folder,
        port=port,
        app_port=app_port,
        media_root=media_root,
        extra_locations=extra_locations,
    )
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(folder), "-g", "daemon off;"])
    try:
        wait_for_port(port, nginx)
    except RuntimeError:
        gunicorn.terminate()
        gunicorn.wait()
        raise
    return Served(port, app_port, folder, nginx, gunicorn)


def app_environment(app: Flask) -> dict[str, str]:
    return {
        "CATALOG_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CATALOG_MEDIA_ROOT": app.config["CATALOG_MEDIA_ROOT"],
        "CATALOG_BASE_URL": app.config["CATALOG_BASE_URL"],
        "CATALOG_SECRET_KEY": "test-secret",
    }


@pytest.fixture
def served(app: Flask, tmp_path: Path) -> Iterator[tuple[Served, str]]:
    url = store_episode_audio(app)[1]
    db.session.remove()
    running = serve(
        tmp_path / "nginx", app_environment(app), Path(app.config["CATALOG_MEDIA_ROOT"])
    )
    try:
        yield running, url
    finally:
        running.stop()


def get(port: int, path: str, method: str = "GET", **headers: str) -> tuple[int, Any, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            method, path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    config = render_nginx_config(
        tmp_path, port=free_port(), app_port=free_port(), media_root=tmp_path
    )
    result = subprocess.run(
        [NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_nginx_sends_a_range_the_app_counted(app: Flask, served: tuple[Served, str]) -> None:
    running, url = served
    status, headers, body = get(running.port, url, Range="bytes=100-199", User_Agent=OVERCAST)
    assert status == 206
    assert body == BODY[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{SIZE}"
    assert headers["Content-Type"] == "audio/mpeg"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Accept-Ranges"] == "bytes"
    assert "X-Accel-Redirect" not in headers


def test_nginx_validators_are_the_apps(app: Flask, served: tuple[Served, str]) -> None:
    running, url = served
    _, through_nginx, _ = get(running.port, url, "HEAD")
    _, from_app, _ = get(running.app_port, url, "HEAD")  # the app's own plan, without nginx
    assert through_nginx["ETag"] == from_app["ETag"]
    assert through_nginx["Last-Modified"] == from_app["Last-Modified"]
    etag = through_nginx["ETag"]
    assert get(running.port, url, If_None_Match=etag)[0] == 304
    assert get(running.port, url, Range="bytes=0-9", If_Range=f"W/{etag}")[0] == 200
    assert get(running.port, url, Range="bytes=0-9", If_Range=etag)[0] == 206
    assert get(running.port, url, Range=f"bytes={SIZE}-")[0] == 416


def test_nginx_multi_range_is_multipart(app: Flask, served: tuple[Served, str]) -> None:
    running, url = served
    status, headers, body = get(running.port, url, Range="bytes=0-9,100-109")
    assert status == 206
    assert headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert BODY[0:10] in body
    assert BODY[100:110] in body


@pytest.mark.parametrize(
    "path",
    [
        "/_media/{key}",
        "/media/../../../etc/passwd/x",
        "/media/%2e%2e/%2e%2e/etc/passwd/x",
        "/media/ab/cd/%00.mp3/x",
    ],
)
def test_nginx_serves_nothing_but_keys(app: Flask, served: tuple[Served, str], path: str) -> None:
    running, url = served
    key = url.split("/", 2)[2].rsplit("/", 1)[0]
    status, _, body = get(running.port, path.format(key=key))
    assert status in (400, 404)
    assert b"root:" not in body


def test_nginx_log_and_gunicorn_shutdown_keep_every_request(
    app: Flask, served: tuple[Served, str]
) -> None:
    running, url = served
    for start in (0, 1000, 2000):
        get(running.port, url, Range=f"bytes={start}-{start + 999}", User_Agent=OVERCAST)
    running.stop()  # SIGTERM: the worker writes its buffered events as it exits
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DownloadEvent)) == 3
    reader = NginxLogReader()
    log = (running.folder / "logs" / "catalog-access.log").read_text().splitlines()
    requests = list(downloads.read_media_log(log, reader))
    assert reader.malformed == 0
    key = url.split("/", 2)[2].rsplit("/", 1)[0]
    assert [(r.media_key, r.status, r.range_start, r.bytes_sent) for r in requests] == [
        (key, 206, start, 1000) for start in (0, 1000, 2000)
    ]
