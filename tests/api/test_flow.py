"""The producer's whole flow through the API with a token, ending in the public feed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from tests.api.conftest import Headers

AUDIO = Path(__file__).parent.parent / "fixtures" / "audio" / "cbr.mp3"


def test_api_flow_schedules_an_episode_that_appears_in_the_feed_when_due(
    client: FlaskClient, auth: Headers
) -> None:
    show = client.post(
        "/api/v1/shows",
        json={
            "title": "Space Café Radio",
            "description": "Interviews about the space industry.",
            "category": "Technology",
            "author": "SpaceWatch.Global",
        },
        headers=auth,
    )
    assert show.status_code == 201, show.json
    slug = show.json["slug"]
    assert show.headers["Location"] == f"/api/v1/shows/{slug}"

    upload = client.post(
        f"/api/v1/shows/{slug}/episode-uploads?filename=cbr.mp3",
        data=AUDIO.read_bytes(),
        headers={**auth, "Content-Type": "audio/mpeg"},
    )
    assert upload.status_code == 201, upload.json
    assert upload.json["status"] == "draft"
    assert upload.json["audio"]["mime_type"] == "audio/mpeg"
    episode_url = upload.headers["Location"]

    title = "ispace and the Japanese space journey"
    edited = client.patch(episode_url, json={"title": title}, headers=auth)
    assert edited.json["title"] == title

    person = client.post(
        "/api/v1/people",
        json={"name": "Takeshi Hakamada", "affiliation": "founder and CEO, ispace"},
        headers=auth,
    )
    assert person.status_code == 201, person.json
    credit = client.post(
        f"{episode_url}/credits",
        json={"person": person.json["slug"], "role": "guest"},
        headers=auth,
    )
    assert credit.status_code == 201, credit.json

    chapters = client.put(
        f"{episode_url}/chapters",
        json={
            "chapters": [
                {"start_seconds": 0, "title": "Intro"},
                {"start_seconds": 1.5, "title": "Lunar landers"},
            ]
        },
        headers=auth,
    )
    assert chapters.status_code == 200, chapters.json
    assert [c["title"] for c in chapters.json["chapters"]] == ["Intro", "Lunar landers"]

    due = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = client.put(
        f"{episode_url}/status",
        json={"status": "scheduled", "publish_at": due.isoformat()},
        headers=auth,
    )
    assert scheduled.status_code == 200, scheduled.json
    assert scheduled.json["status"] == "scheduled"

    feed_url = f"/shows/{slug}/feed.xml"
    assert title not in client.get(feed_url).get_data(as_text=True)
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
    response = client.get(feed_url)
    feed = response.get_data(as_text=True)
    assert response.status_code == 200, feed
    assert title in feed
    assert "Takeshi Hakamada" in feed
    page = client.get(f"/shows/{slug}/episodes/{upload.json['slug']}/")
    assert page.status_code == 200
    assert "Lunar landers" in page.get_data(as_text=True)
