"""A producer's whole flow in chromium: log in, create a show, upload, schedule, see it."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from catalog.database import utcnow
from catalog.extensions import db
from tests.audio_factory import make_long_vbr_mp3
from tests.studio.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser
ZONE = "Asia/Tokyo"
# Keeps the highest progress value in sessionStorage: the page navigates away once done.
WATCH_PROGRESS = """() => {
  const bar = document.querySelector('.uploader progress');
  const status = document.querySelector('.upload-status');
  const seen = {max: 0, texts: []};
  new MutationObserver(() => {
    seen.max = Math.max(seen.max, Number(bar.value));
    seen.texts.push(status.textContent);
    sessionStorage.setItem('upload', JSON.stringify(seen));
  }).observe(bar.parentNode, {attributes: true, subtree: true, childList: true,
                               characterData: true});
}"""


def test_producer_publishes_a_scheduled_episode(page, live_server, tmp_path: Path):
    make_user("producer@example.org", role="admin")
    db.session.commit()
    audio = make_long_vbr_mp3(tmp_path / "lunar-water-interview.mp3", size_bytes=8 * 1024 * 1024)

    page.goto("/studio/login")
    page.fill("#email", "producer@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/studio/")

    page.goto("/studio/shows/new")
    page.fill("#title", "Lunar Business Weekly")
    page.fill("#description", "The **Moon** as a place for business.")
    page.select_option("#category", "Science|Astronomy")
    page.fill("#author", "SpaceWatch.Global")
    page.fill("#owner_name", "SpaceWatch.Global")
    page.fill("#owner_email", "podcast@spacewatch.global")
    page.fill("#link", "https://spacewatch.global/")
    page.click("button:has-text('Create show')")
    page.wait_for_url("**/studio/shows/lunar-business-weekly/")

    page.click("text=New episode")
    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#audio-file", str(audio.path))
    page.wait_for_url("**/episodes/lunar-water-interview/", timeout=60_000)
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('upload'))")
    assert seen["max"] == 100
    assert any(text.startswith("100 %") for text in seen["texts"])
    assert any("/s" in text for text in seen["texts"])  # the speed was shown

    # The title was prefilled from the file name; fix it.
    assert page.input_value("#title") == "lunar water interview"
    page.fill("#title", "ispace and the lunar economy")
    page.click("button:has-text('Save episode')")
    page.wait_for_selector("h1:has-text('ispace and the lunar economy')")

    page.fill("#person_name", "Hakam")
    page.click(".suggestions button:has-text('Takeshi Hakamada')")
    page.select_option("#role", "guest")
    page.click("#guests button:has-text('Add')")
    page.wait_for_selector(".credits a:has-text('Takeshi Hakamada')")

    page.fill("[aria-label='Start of chapter 1']", "00:00")
    page.fill("[aria-label='Title of chapter 1']", "Welcome")
    page.fill("[aria-label='Start of chapter 2']", "00:20")
    page.fill("[aria-label='Title of chapter 2']", "Water is fuel")
    page.click("button:has-text('Save chapters')")
    page.wait_for_selector("text=Chapters saved.")

    due = (utcnow() + timedelta(seconds=6)).astimezone(ZoneInfo(ZONE))
    page.select_option("#status", "scheduled")
    page.fill("#publish_date", f"{due:%Y-%m-%d}")
    page.fill("#publish_time", f"{due:%H:%M:%S}")
    page.select_option("#time_zone", ZONE)
    page.click("button:has-text('Apply status')")
    page.wait_for_selector(".badge:has-text('scheduled')")

    episode_url = "/shows/lunar-business-weekly/episodes/lunar-water-interview/"
    assert page.goto(episode_url).status == 404
    feed = page.request.get("/shows/lunar-business-weekly/feed.xml").text()
    assert "ispace and the lunar economy" not in feed

    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.5)
    response = page.goto(episode_url)
    assert response.status == 200
    assert page.locator("h1").inner_text() == "ispace and the lunar economy"
    assert "Takeshi Hakamada" in page.content()
    assert "Water is fuel" in page.content()
    feed = page.request.get("/shows/lunar-business-weekly/feed.xml").text()
    assert "ispace and the lunar economy" in feed
    assert "Takeshi Hakamada" in feed
