"""A listener plays, seeks, searches, follows links and copies the feed in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

EPISODE = "/shows/space-cafe-radio/episodes/ispace-and-the-japanese-space-journey/"
PAGES = {
    "show": "/shows/space-cafe-radio/",
    "episode": EPISODE,
    "guest": "/people/takeshi-hakamada/",
}


def test_clicking_a_chapter_seeks_the_playing_episode(page):
    page.goto(EPISODE)
    audio = page.locator("audio[data-audio]")
    assert audio.get_attribute("preload") == "none"
    page.evaluate("document.querySelector('audio').muted = true")
    page.evaluate("document.querySelector('audio').play()")
    page.wait_for_function("!document.querySelector('audio').paused")
    page.get_by_role("button", name="Lessons from landing").click()
    page.wait_for_function("document.querySelector('audio').currentTime >= 9")
    assert 9 <= page.evaluate("document.querySelector('audio').currentTime") < 16
    chapter = page.locator('.chapter[data-start="9.0"]')
    page.wait_for_function(
        "document.querySelector('.chapter[data-start=\"9.0\"]')"
        ".getAttribute('aria-current') === 'true'"
    )
    assert chapter.get_attribute("aria-current") == "true"
    current_cue = page.locator(".cue.is-current")
    assert "first landing attempt" in current_cue.inner_text()


def test_chapters_work_from_the_keyboard(page):
    page.goto(EPISODE)
    page.evaluate("document.querySelector('audio').muted = true")
    page.get_by_role("button", name="The cislunar economy").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('audio').currentTime >= 16")


def test_transcript_search_filters_lines(page):
    page.goto(EPISODE)
    page.get_by_label("Search the transcript").fill("xprize")
    assert page.locator(".cue:not([hidden])").count() == 1
    assert page.locator(".cue mark").inner_text() == "XPRIZE"
    assert page.get_by_role("status").filter(has_text="line").inner_text() == "1 line matches"


def test_search_reaches_the_guest_and_the_guest_page_reaches_the_episode(page):
    page.goto("/")
    page.get_by_label("Search shows, episodes and people").fill("Hakamada")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Hakamada")
    page.locator(".result--person h3 a").click()
    page.wait_for_url("**/people/takeshi-hakamada/")
    assert page.get_by_role("heading", level=1).inner_text() == "Takeshi Hakamada"
    page.get_by_role("link", name="ispace and the Japanese space journey").click()
    page.wait_for_url("**" + EPISODE)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "ispace and the Japanese space journey"
    )


def test_subscribe_copy_button_copies_the_feed_url(page, live_server):
    page.goto(PAGES["show"])
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Feed URL copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server}/shows/space-cafe-radio/feed.xml"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_render_at_phone_and_desktop_width(page, artifacts, name, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(PAGES[name])
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} page scrolls sideways at {width}px"
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
