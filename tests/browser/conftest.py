"""A live server with the demo catalog, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from catalog.downloads import flush_all_recorders
from catalog.extensions import db
from catalog.models import Episode, Transcript
from tests.system_packages import require_program

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

DEMO_TRANSCRIPT = """WEBVTT

00:00:00.000 --> 00:00:04.500
<v Torsten Kriening>Welcome to Space Café Radio. My guest today is Takeshi Hakamada.

00:00:04.500 --> 00:00:09.000
<v Takeshi Hakamada>Thank you. ispace began as the HAKUTO team in the Google Lunar XPRIZE.

00:00:09.000 --> 00:00:12.500
<v Torsten Kriening>What did the first landing attempt teach you?

00:00:12.500 --> 00:00:16.000
<v Takeshi Hakamada>That software and sensors fail together; we fixed both and flew again.

00:00:16.000 --> 00:00:20.500
<v Torsten Kriening>And the cislunar economy: is lunar water the key?

00:00:20.500 --> 00:00:24.900
<v Takeshi Hakamada>Water is fuel. Small, frequent landers will make the Moon a place for business.
"""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_program(CHROMIUM, "chromium")


@pytest.fixture
def live_server(app: Flask, runner: Any) -> Iterator[str]:
    """Serve the demo catalog (with a transcript) on a free loopback port."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    episode = db.session.scalar(
        db.select(Episode).where(Episode.slug == "ispace-and-the-japanese-space-journey")
    )
    db.session.add(Transcript(episode=episode, format="vtt", body=DEMO_TRANSCRIPT))
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Join request threads on close, so none holds a database connection past the test.
    server.daemon_threads = False
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["CATALOG_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        # Write counted downloads now, while the engine is alive, not from the flusher thread later.
        flush_all_recorders()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
