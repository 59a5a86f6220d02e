"""A 300 MB upload through the studio endpoint streams to disk: server memory grows < 64 MB."""

from __future__ import annotations

import re

import pytest

from catalog.extensions import db
from catalog.models import Episode
from tests.audio_factory import make_long_vbr_mp3
from tests.factories import make_show
from tests.studio.conftest import AUDIO, PASSWORD, make_user
from tests.upload_memory import LIMIT, SIZE, live_server, memory_growth


@pytest.mark.slow
def test_300_mb_upload_keeps_server_memory_flat(app, app_config, tmp_path):
    show = make_show(slug="big-show")
    make_user("producer@example.org", shows=(show,))
    db.session.commit()
    audio = make_long_vbr_mp3(tmp_path / "long.mp3", size_bytes=SIZE)

    with live_server(app_config) as server:
        status, page = server.request("GET", "/studio/login")
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page)[1].decode()
        form = f"csrf_token={token}&email=producer%40example.org&password={PASSWORD}"
        status, _ = server.request(
            "POST",
            "/studio/login",
            form.replace(" ", "+"),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302
        # Warm up with a small upload: lazy imports and first-use caches are not file data.
        status, _ = server.request(
            "POST",
            "/studio/shows/big-show/uploads",
            (AUDIO / "cbr.mp3").read_bytes(),
            {"Content-Type": "audio/mpeg", "X-CSRFToken": token},
        )
        assert status == 201
        with memory_growth(server) as growth, audio.path.open("rb") as body:
            status, answer = server.request(
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
    assert status == 201, answer
    print(f"\n300 MB upload {growth}")
    assert growth.bytes < LIMIT
    db.session.expire_all()
    episode = db.session.query(Episode).order_by(Episode.id.desc()).first()
    assert episode.audio.size_bytes == audio.size_bytes
    assert episode.audio.duration_seconds == pytest.approx(audio.duration_seconds, abs=0.05)
