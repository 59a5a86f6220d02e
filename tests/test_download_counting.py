"""Download counting end to end: real HTTP requests in, daily rollups, log import and stats out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from catalog import create_app, downloads
from catalog.extensions import db
from catalog.models import AnalyticsSalt, DailyDownloads, DownloadEvent, Episode
from catalog.public.media import media_delivery
from tests.test_media_http import (  # noqa: F401  (write_pending_events is autouse)
    close_app,
    fetch,
    store_episode_audio,
    write_pending_events,
)

OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
POCKET_CASTS = "Pocket Casts/7.60 (Android 14)"
APPLE_WATCH = "atc/1.0 watchOS/7.1 model/Watch5,1 hwp/t8006 build/18R590 (6; dt:201)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SELF_IDENTIFIED_BOT = "MyPodcastCrawler/1.0 (+https://example.com/crawler)"
# 128 kbit/s without tags: one minute of audio is 960,000 bytes of the 2,000,000.
AUDIO = bytes(range(256)) * (2_000_000 // 256) + bytes(2_000_000 % 256)
ONE_MINUTE = 960_000
DAY_ONE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Hit:
    """One request of a written-down sequence."""

    range: str | None = None
    method: str = "GET"
    ip: str = "203.0.113.7"
    user_agent: str = OVERCAST
    day: int = 0
    headers: tuple[tuple[str, str], ...] = ()


@pytest.fixture
def episode_url(app: Flask) -> tuple[Episode, str]:
    return store_episode_audio(app, AUDIO, bitrate=128_000, id3_size=0)


def play(app: Flask, url: str, hits: list[Hit]) -> None:
    """Make the requests over HTTP, each on its chosen day, writing events as each day ends."""
    delivery = media_delivery(app)
    client = app.test_client()
    for hit in hits:
        moment = DAY_ONE + timedelta(days=hit.day)
        delivery.clock = lambda moment=moment: moment
        headers = {"User-Agent": hit.user_agent, **dict(hit.headers)}
        if hit.range is not None:
            headers["Range"] = hit.range
        fetch(client, url, hit.method, ip=hit.ip, **headers)
        assert delivery.recorder is not None
        delivery.recorder.flush(now=moment)


def roll_up_everything() -> int:
    """Recount every day with events and return all downloads in the rollups."""
    db.session.rollback()  # the requests' reads left a snapshot older than the events
    counts = downloads.compute_daily_counts(db.session, downloads.days_with_events(db.session))
    downloads.store_daily_counts(db.session, counts)
    db.session.commit()
    return int(db.session.scalar(select(func.coalesce(func.sum(DailyDownloads.downloads), 0))))


SEQUENCES = [
    pytest.param([Hit("bytes=0-1"), Hit()], 1, id="probe-then-full-download"),
    pytest.param([Hit(), Hit()], 1, id="same-ip-and-agent-twice-a-day"),
    pytest.param([Hit(), Hit(day=1)], 2, id="same-listener-next-day"),
    pytest.param([Hit(method="HEAD")], 0, id="head-only"),
    pytest.param([Hit(method="HEAD"), Hit("bytes=0-1")], 0, id="head-and-probe"),
    pytest.param([Hit(headers=(("If-None-Match", "*"),))], 0, id="not-modified-304"),
    pytest.param([Hit(user_agent=GOOGLEBOT)], 0, id="known-bot"),
    pytest.param([Hit(user_agent=SELF_IDENTIFIED_BOT)], 0, id="self-identified-bot"),
    pytest.param([Hit(user_agent=APPLE_WATCH)], 0, id="apple-watch-duplicate"),
    pytest.param([Hit("bytes=0-499999")], 0, id="partial-under-one-minute"),
    pytest.param([Hit(f"bytes=0-{ONE_MINUTE - 1}")], 1, id="exactly-one-minute"),
    pytest.param(
        [Hit("bytes=0-399999"), Hit("bytes=400000-799999"), Hit("bytes=800000-1099999")],
        1,
        id="three-ranges-adding-to-over-a-minute",
    ),
    pytest.param(
        [Hit("bytes=0-499999"), Hit("bytes=0-499999"), Hit("bytes=100000-599999")],
        0,
        id="ranges-fetched-again-count-once",
    ),
    pytest.param(
        [Hit("bytes=0-499999"), Hit("bytes=500000-999999", day=1)],
        0,
        id="ranges-on-two-days-are-not-added",
    ),
    pytest.param([Hit("bytes=0-399999,400000-599999,700000-1099999")], 1, id="multi-range-request"),
    pytest.param(
        [Hit(ip="2001:db8:1:2::1"), Hit(ip="2001:db8:1:2:aaaa:bbbb:cccc:dddd")],
        1,
        id="ipv6-same-64",
    ),
    pytest.param([Hit(ip="2001:db8:1:2::1"), Hit(ip="2001:db8:1:3::1")], 2, id="ipv6-other-64"),
    pytest.param([Hit(), Hit(user_agent=POCKET_CASTS)], 2, id="same-ip-other-app"),
    pytest.param([Hit(), Hit(ip="198.51.100.1")], 2, id="other-ip-same-app"),
]


@pytest.mark.parametrize(("hits", "expected"), SEQUENCES)
def test_download_counting_of_request_sequences(
    app: Flask, episode_url: tuple[Episode, str], hits: list[Hit], expected: int
) -> None:
    play(app, episode_url[1], hits)
    assert roll_up_everything() == expected


def test_download_counting_names_the_app(app: Flask, episode_url: tuple[Episode, str]) -> None:
    episode, url = episode_url
    play(app, url, [Hit(), Hit(user_agent=POCKET_CASTS, day=1)])
    roll_up_everything()
    rows = db.session.execute(
        select(DailyDownloads.day, DailyDownloads.episode_id, DailyDownloads.app)
    ).all()
    assert sorted(rows) == [
        (date(2024, 5, 1), episode.id, "Overcast"),
        (date(2024, 5, 2), episode.id, "Pocket Casts"),
    ]


def test_download_events_keep_no_ip_address(app: Flask, episode_url: tuple[Episode, str]) -> None:
    play(app, episode_url[1], [Hit(ip="203.0.113.7"), Hit(ip="2001:db8::1")])
    db.session.rollback()
    events = db.session.scalars(select(DownloadEvent)).all()
    assert len(events) == 2
    for event in events:
        row = " ".join(str(getattr(event, c.key)) for c in DownloadEvent.__table__.columns)
        assert "203.0.113" not in row
        assert "2001:db8" not in row
        assert len(event.listener_hash) == 32


def test_download_salt_is_discarded_after_the_day(
    app: Flask, episode_url: tuple[Episode, str]
) -> None:
    play(app, episode_url[1], [Hit(), Hit(day=1), Hit(day=2)])
    db.session.rollback()
    kept = db.session.scalars(select(AnalyticsSalt.day).order_by(AnalyticsSalt.day)).all()
    assert kept == [date(2024, 5, 2), date(2024, 5, 3)]


def test_download_rollup_is_idempotent(
    app: Flask, runner: FlaskCliRunner, episode_url: tuple[Episode, str]
) -> None:
    play(app, episode_url[1], [Hit(), Hit(ip="198.51.100.1"), Hit(day=1)])
    db.session.rollback()
    for _ in range(2):
        result = runner.invoke(args=["analytics", "rollup", "--all"])
        assert result.exit_code == 0, result.output
        assert "Recounted 2 day(s): 3 download(s)." in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DailyDownloads)) == 2


def test_download_rollup_of_chosen_day_leaves_other_days(
    app: Flask, runner: FlaskCliRunner, episode_url: tuple[Episode, str]
) -> None:
    play(app, episode_url[1], [Hit(), Hit(day=1)])
    db.session.rollback()
    result = runner.invoke(args=["analytics", "rollup", "--day", "2024-05-02"])
    assert "Recounted 1 day(s): 1 download(s)." in result.output
    db.session.rollback()
    assert db.session.scalars(select(DailyDownloads.day)).all() == [date(2024, 5, 2)]


# ------------------------------------------------------------- the recorder


@pytest.fixture
def make_app(app_config: dict[str, Any], app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build more apps (other workers) on the same database, each with its own settings."""
    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        made.append(create_app({**app_config, **settings}))
        return made[-1]

    yield build
    for other in made:
        close_app(other)


def count_events() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(DownloadEvent)))


def test_recorder_writes_one_batch_every_n_requests(
    app: Flask, make_app: Any, episode_url: tuple[Episode, str]
) -> None:
    worker = make_app(CATALOG_DOWNLOAD_FLUSH_EVENTS=3, CATALOG_DOWNLOAD_FLUSH_SECONDS=3600)
    with worker.app_context():
        client = worker.test_client()
        for expected in (0, 0, 3, 3, 3, 6):
            fetch(client, episode_url[1], "GET")
            assert count_events() == expected


@pytest.mark.parametrize(
    ("method", "headers"),
    [("HEAD", {}), ("GET", {"Range": "bytes=0-1"}), ("GET", {"If-None-Match": "*"})],
    ids=["head", "probe", "not-modified"],
)
def test_requests_that_can_never_count_are_not_recorded(
    app: Flask, make_app: Any, episode_url: tuple[Episode, str], method: str, headers: dict
) -> None:
    worker = make_app(CATALOG_DOWNLOAD_FLUSH_EVENTS=1, CATALOG_DOWNLOAD_FLUSH_SECONDS=3600)
    with worker.app_context():
        client = worker.test_client()
        fetch(client, episode_url[1], method, **headers)
        assert count_events() == 0
        fetch(client, episode_url[1], "GET")
        assert count_events() == 1


def test_recorder_writes_after_flush_seconds(
    app: Flask, make_app: Any, episode_url: tuple[Episode, str]
) -> None:
    worker = make_app(CATALOG_DOWNLOAD_FLUSH_SECONDS=0.1)
    with worker.app_context():
        fetch(worker.test_client(), episode_url[1])
        deadline = time.monotonic() + 5
        while count_events() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count_events() == 1


def test_recorder_workers_hash_a_listener_alike(
    app: Flask, make_app: Any, episode_url: tuple[Episode, str]
) -> None:
    for _ in range(2):
        worker = make_app()
        with worker.app_context():
            fetch(worker.test_client(), episode_url[1], **{"User-Agent": OVERCAST})
            recorder = media_delivery(worker).recorder
            assert recorder is not None
            recorder.flush()
    db.session.rollback()
    assert len(set(db.session.scalars(select(DownloadEvent.listener_hash)))) == 1
    assert db.session.scalar(select(func.count()).select_from(AnalyticsSalt)) == 1


def test_recorder_flush_all_writes_every_buffer(
    app: Flask, episode_url: tuple[Episode, str]
) -> None:
    fetch(app.test_client(), episode_url[1])
    downloads.flush_all_recorders()
    assert count_events() == 1


# ----------------------------------------------------------------- log import


def log_line(at: datetime, uri: str, status: int, sent: int, content_range: str, agent: str) -> str:
    stamp = at.isoformat(timespec="seconds")
    return f'203.0.113.7 [{stamp}] "GET {uri}" {status} {sent} "{content_range}" "{agent}"\n'


def test_ingest_log_counts_downloads_by_the_same_rules(
    app: Flask, runner: FlaskCliRunner, episode_url: tuple[Episode, str], tmp_path: Path
) -> None:
    episode, url = episode_url
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=30)
    size = len(AUDIO)
    lines = [
        log_line(now, url + "?from=feed", 206, 2, f"bytes 0-1/{size}", OVERCAST),
        log_line(now, url, 206, 500_000, f"bytes 0-499999/{size}", OVERCAST),
        log_line(now, url, 206, 500_000, f"bytes 500000-999999/{size}", OVERCAST),
        log_line(now, url, 200, size, "-", GOOGLEBOT),
        log_line(old, url, 200, size, "-", POCKET_CASTS),
        log_line(now, "/media/00/00/" + "0" * 64 + ".mp3/x.mp3", 404, 0, "-", OVERCAST),
        log_line(now, "/shows/x/feed.xml", 200, 100, "-", OVERCAST),
        "this line was cut by log rotation\n",
    ]
    log_file = tmp_path / "access.log"
    log_file.write_text("".join(lines))
    result = runner.invoke(args=["analytics", "ingest-log", str(log_file)])
    assert result.exit_code == 0, result.output
    assert "Read 8 line(s): 5 media request(s) stored, 1 for unknown files, 1 malformed" in (
        result.output
    )
    assert "2 download(s) on them" in result.output
    db.session.rollback()
    rows = db.session.execute(select(DailyDownloads.day, DailyDownloads.app)).all()
    assert sorted(rows) == [(old.date(), "Pocket Casts"), (now.date(), "Overcast")]
    # Only the salts of the days still kept are stored; the old day's was thrown away.
    assert old.date() not in db.session.scalars(select(AnalyticsSalt.day)).all()


def test_log_format_command_prints_the_nginx_format(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["analytics", "log-format"])
    assert result.output.startswith("log_format catalog '$remote_addr [$time_iso8601]")


# ----------------------------------------------------------------------- stats


@pytest.fixture
def counted(app: Flask, episode_url: tuple[Episode, str]) -> Episode:
    """An episode released on DAY_ONE with downloads on its 1st, 2nd and 10th day."""
    episode, url = episode_url
    episode.publish_at = DAY_ONE - timedelta(hours=2)
    db.session.commit()
    play(
        app,
        url,
        [Hit(), Hit(ip="198.51.100.1", user_agent=POCKET_CASTS), Hit(day=1), Hit(day=9)],
    )
    roll_up_everything()
    return episode


def test_show_stats_per_episode_day_app_and_release_window(app: Flask, counted: Episode) -> None:
    stats = downloads.show_stats(db.session, counted.show, now=DAY_ONE + timedelta(days=40))
    assert stats.total == 4
    assert stats.by_app == {"Overcast": 3, "Pocket Casts": 1}
    assert stats.by_day == {date(2024, 5, 1): 2, date(2024, 5, 2): 1, date(2024, 5, 10): 1}
    [episode] = stats.episodes
    assert (episode.slug, episode.guid, episode.downloads) == (counted.slug, counted.guid, 4)
    assert episode.first_7_days is not None
    assert episode.first_30_days is not None
    assert (episode.first_7_days.downloads, episode.first_7_days.is_complete) == (3, True)
    assert episode.first_30_days.downloads == 4


def test_daily_counts_filters_by_episode_and_days(app: Flask, counted: Episode) -> None:
    counts = downloads.daily_counts(
        db.session, episode_id=counted.id, since=date(2024, 5, 2), until=date(2024, 5, 9)
    )
    assert [(c.day, c.app, c.downloads) for c in counts] == [(date(2024, 5, 2), "Overcast", 1)]


def test_stats_command_prints_tables(runner: FlaskCliRunner, counted: Episode) -> None:
    result = runner.invoke(args=["stats", counted.show.slug])
    assert result.exit_code == 0, result.output
    assert f"{counted.show.slug}: 4 download(s)" in result.output
    episode_line = next(line for line in result.output.splitlines() if counted.guid in line)
    assert episode_line.split() == [counted.slug, counted.guid, "4", "3", "4"]
    assert any(line.split() == ["Pocket", "Casts", "1"] for line in result.output.splitlines())
    assert any(line.split() == ["2024-05-01", "2"] for line in result.output.splitlines())


def test_stats_command_prints_json(runner: FlaskCliRunner, counted: Episode) -> None:
    result = runner.invoke(args=["stats", counted.show.slug, "--json"])
    stats = json.loads(result.output)
    assert stats["episodes"][0]["slug"] == counted.slug
    assert stats["episodes"][0]["guid"] == counted.guid
    assert stats["episodes"][0]["downloads"] == 4
    assert stats["episodes"][0]["first_7_days"]["downloads"] == 3
    assert stats["by_app"] == {"Overcast": 3, "Pocket Casts": 1}
    assert stats["by_day"]["2024-05-10"] == 1


def test_stats_command_names_an_unknown_show(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["stats", "nope"])
    assert result.exit_code == 1
    assert "There is no show 'nope'." in result.output
