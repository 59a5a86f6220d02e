"""What counts as a download: the IAB v2.3 rules, listener privacy, apps, nginx logs."""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.analytics import (
    NGINX_LOG_FORMAT,
    AppInfo,
    AppRecognizer,
    DailyCount,
    DownloadCounter,
    MalformedLogLine,
    MediaFacts,
    MediaRequest,
    NginxLogReader,
    SaltRing,
    count_downloads,
    default_recognizer,
    downloads_after_release,
    exclusion_reason,
    listener_hash,
    listener_network,
    one_minute_threshold,
    parse_nginx_log_line,
    recognize_app,
    rollup,
    to_stored_event,
    totals_by_app,
    totals_by_day,
    totals_by_episode,
    utc_day,
)
from catalog.errors import CatalogError, InvalidInput

IPHONE = "AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
APPLE_WATCH = "atc/1.0 watchOS/7.1 model/Watch5,1 hwp/t8006 build/18R590 (6; dt:201)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SELF_IDENTIFIED_BOT = "MyPodcastCrawler/1.0 (+https://example.com/crawler)"

BITRATE = 128_000  # 16,000 bytes a second, 960,000 a minute
ID3_SIZE = 40_000
ONE_MINUTE = ID3_SIZE + 960_000  # 1,000,000 bytes
LONG_AUDIO = MediaFacts(size=50_000_000, bitrate=BITRATE, id3_size=ID3_SIZE)
SHORT_AUDIO = MediaFacts(size=300_000, bitrate=BITRATE, id3_size=ID3_SIZE)
MEDIA = {"ep1": LONG_AUDIO, "ep1-retagged": LONG_AUDIO, "ep2": LONG_AUDIO, "short": SHORT_AUDIO}
EPISODE_OF = {"ep1": 1, "ep1-retagged": 1, "ep2": 2, "short": 3}


def make_request(
    at: str = "2024-05-01T10:00:00+00:00",
    *,
    ip: str = "203.0.113.7",
    user_agent: str = IPHONE,
    method: str = "GET",
    status: int | None = None,
    byte_range: tuple[int, int] | None = None,
    bytes_sent: int | None = None,
    media_key: str = "ep1",
) -> MediaRequest:
    """Build a request for the whole file, or for ``byte_range`` (inclusive) with a 206."""
    if byte_range is None:
        start, end = None, None
        sent = MEDIA[media_key].size
    else:
        start, end = byte_range
        sent = end - start + 1
    return MediaRequest(
        at=datetime.fromisoformat(at),
        ip=ip,
        user_agent=user_agent,
        method=method,
        status=status if status is not None else (200 if byte_range is None else 206),
        range_start=start,
        range_end=end,
        bytes_sent=bytes_sent if bytes_sent is not None else sent,
        media_key=media_key,
        episode_id=EPISODE_OF[media_key],
    )


def count(requests: list[MediaRequest]) -> int:
    """Store requests the way the app does (hashed as they arrive) and count downloads."""
    salts = SaltRing({})
    events = [to_stored_event(request, salts, now=request.at) for request in requests]
    return len(count_downloads(events, MEDIA))


# ----------------------------------------------------------- the IAB table

DOWNLOAD_CASES = [
    pytest.param(
        [make_request(byte_range=(0, 1)), make_request("2024-05-01T10:00:01+00:00")],
        1,
        id="probe-then-full-download",
    ),
    pytest.param([make_request(byte_range=(0, 1))], 0, id="probe-only"),
    pytest.param(
        [make_request(), make_request("2024-05-01T18:00:00+00:00")],
        1,
        id="same-listener-twice-a-day",
    ),
    pytest.param(
        [make_request("2024-05-01T23:59:00+00:00"), make_request("2024-05-02T00:01:00+00:00")],
        2,
        id="same-listener-next-utc-day",
    ),
    pytest.param(
        [make_request("2024-05-01T23:30:00+00:00"), make_request("2024-05-01T23:30:00-02:00")],
        2,
        id="utc-day-not-local-day",
    ),
    pytest.param([make_request(method="HEAD", bytes_sent=0)], 0, id="head-only"),
    pytest.param([make_request(status=304, bytes_sent=0)], 0, id="not-modified"),
    pytest.param([make_request(status=404, bytes_sent=0)], 0, id="not-found"),
    pytest.param([make_request(status=500, bytes_sent=0)], 0, id="server-error"),
    pytest.param([make_request(user_agent=GOOGLEBOT)], 0, id="known-bot"),
    pytest.param([make_request(user_agent=SELF_IDENTIFIED_BOT)], 0, id="self-identified-bot"),
    pytest.param([make_request(user_agent="curl/8.4.0")], 0, id="curl"),
    pytest.param([make_request(user_agent="python-requests/2.31.0")], 0, id="python-requests"),
    pytest.param([make_request(byte_range=(0, ONE_MINUTE - 2))], 0, id="partial-under-a-minute"),
    pytest.param(
        [make_request(byte_range=(0, ONE_MINUTE - 1))], 1, id="partial-of-exactly-a-minute"
    ),
    pytest.param(
        [
            make_request(byte_range=(0, 399_999)),
            make_request(byte_range=(400_000, 799_999)),
            make_request(byte_range=(800_000, 1_099_999)),
        ],
        1,
        id="three-ranges-add-to-over-a-minute",
    ),
    pytest.param(
        [make_request(byte_range=(0, 599_999)) for _ in range(3)],
        0,
        id="same-range-three-times",
    ),
    pytest.param(
        [make_request(byte_range=(0, 599_999)), make_request(byte_range=(300_000, 999_999))],
        1,
        id="overlapping-ranges-reach-a-minute",
    ),
    pytest.param(
        [make_request(byte_range=(0, 599_999)), make_request(byte_range=(0, 799_999))],
        0,
        id="overlapping-ranges-short-of-a-minute",
    ),
    pytest.param(
        [make_request(byte_range=(0, 499_999)), make_request(byte_range=(20_000_000, 20_599_999))],
        1,
        id="ranges-anywhere-in-the-file-add-up",
    ),
    pytest.param([make_request(bytes_sent=500_000)], 0, id="full-request-aborted-early"),
    pytest.param(
        [make_request(byte_range=(0, 4_999_999), bytes_sent=500_000)],
        0,
        id="range-request-aborted-early",
    ),
    pytest.param(
        [
            make_request(ip="2001:db8:1:2:aaaa::1"),
            make_request(ip="2001:db8:1:2:bbbb:cccc:dddd:eeee"),
        ],
        1,
        id="ipv6-same-64",
    ),
    pytest.param(
        [make_request(ip="2001:db8:1:2::1"), make_request(ip="2001:db8:1:3::1")],
        2,
        id="ipv6-different-64",
    ),
    pytest.param(
        [make_request(ip="203.0.113.7"), make_request(ip="203.0.113.8")],
        2,
        id="ipv4-neighbours-are-two-listeners",
    ),
    pytest.param(
        [make_request(ip="203.0.113.7"), make_request(ip="::ffff:203.0.113.7")],
        1,
        id="ipv4-mapped-ipv6-is-the-same-listener",
    ),
    pytest.param(
        [make_request(user_agent=IPHONE), make_request(user_agent=OVERCAST)],
        2,
        id="same-ip-different-user-agent",
    ),
    pytest.param([make_request(user_agent=APPLE_WATCH)], 0, id="apple-watch-duplicate"),
    pytest.param(
        [make_request(user_agent=IPHONE), make_request(user_agent=APPLE_WATCH)],
        1,
        id="iphone-and-its-watch",
    ),
    pytest.param([make_request(media_key="short")], 1, id="small-file-full-get"),
    pytest.param(
        [make_request(media_key="short", byte_range=(0, 299_999))],
        1,
        id="small-file-every-byte-by-range",
    ),
    pytest.param(
        [make_request(media_key="short", byte_range=(0, 199_999))],
        0,
        id="small-file-part-of-it",
    ),
    pytest.param(
        [make_request(media_key="ep1"), make_request(media_key="ep2")], 2, id="two-episodes"
    ),
    pytest.param(
        [make_request(media_key="ep1"), make_request(media_key="ep1-retagged")],
        1,
        id="two-files-of-one-episode",
    ),
]


@pytest.mark.parametrize(("requests", "expected"), DOWNLOAD_CASES)
def test_count_downloads_follows_iab_rules(requests: list[MediaRequest], expected: int) -> None:
    assert count(requests) == expected


@pytest.mark.parametrize(("requests", "expected"), DOWNLOAD_CASES)
def test_count_downloads_ignores_event_order(requests: list[MediaRequest], expected: int) -> None:
    assert count(requests[::-1]) == expected
    shuffled = requests[:]
    random.Random(7).shuffle(shuffled)
    assert count(shuffled) == expected


def test_count_downloads_reports_day_episode_app_and_device() -> None:
    salts = SaltRing({})
    request = make_request("2024-05-01T23:00:00-03:00", media_key="ep2")
    [download] = count_downloads([to_stored_event(request, salts, now=request.at)], MEDIA)
    assert (download.day, download.episode_id, download.media_key) == (date(2024, 5, 2), 2, "ep2")
    assert (download.app, download.device) == ("Apple Podcasts", "phone")


def test_count_downloads_ignores_files_that_are_not_episode_audio() -> None:
    request = make_request()
    event = to_stored_event(request, SaltRing({}), now=request.at)
    artwork = dataclasses.replace(event, media_key="cover-art")
    assert count_downloads([artwork], MEDIA) == []


def test_count_downloads_names_media_without_a_bitrate() -> None:
    request = make_request()
    event = to_stored_event(request, SaltRing({}), now=request.at)
    with pytest.raises(InvalidInput, match="media ep1: a bitrate must be positive"):
        count_downloads([event], {"ep1": MediaFacts(size=1_000_000, bitrate=0)})


def test_download_counter_counts_why_events_were_skipped() -> None:
    salts = SaltRing({})
    requests = [
        make_request(method="HEAD", bytes_sent=0),
        make_request(user_agent=GOOGLEBOT),
        make_request(),
        make_request(),
    ]
    counter = DownloadCounter(MEDIA)
    downloads = [
        counter.add(to_stored_event(request, salts, now=request.at)) for request in requests
    ]
    assert [download is not None for download in downloads] == [False, False, True, False]
    assert counter.skipped == {"HEAD request": 1, "bot": 1, "already counted that day": 1}


def test_download_counter_forget_before_drops_finished_days() -> None:
    salts = SaltRing({})
    first, second = make_request(byte_range=(0, 599_999)), make_request(byte_range=(0, 999_999))
    counter = DownloadCounter(MEDIA)
    counter.add(to_stored_event(first, salts, now=first.at))
    counter.forget_before(date(2024, 5, 2))
    # The first 600,000 bytes were forgotten, so the second range alone must reach a minute.
    assert counter.add(to_stored_event(second, salts, now=second.at)) is not None
    assert counter.add(to_stored_event(second, salts, now=second.at)) is None


# ------------------------------------------------------------ thresholds


@pytest.mark.parametrize(
    ("bitrate", "id3_size", "expected"),
    [
        pytest.param(128_000, 0, 960_000, id="128-kbps"),
        pytest.param(128_000, 40_000, 1_000_000, id="128-kbps-with-tags"),
        pytest.param(64_000, 0, 480_000, id="64-kbps"),
        pytest.param(1, 0, 8, id="rounds-up-to-whole-bytes"),
    ],
)
def test_one_minute_threshold_adds_tags_to_a_minute_of_audio(
    bitrate: int, id3_size: int, expected: int
) -> None:
    assert one_minute_threshold(bitrate, id3_size) == expected


@pytest.mark.parametrize(
    ("bitrate", "id3_size"),
    [pytest.param(0, 0, id="no-bitrate"), pytest.param(128_000, -1, id="negative-tags")],
)
def test_one_minute_threshold_rejects_impossible_values(bitrate: int, id3_size: int) -> None:
    with pytest.raises(InvalidInput):
        one_minute_threshold(bitrate, id3_size)


# ------------------------------------------------------------- exclusions


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        pytest.param(make_request(), None, id="full-get"),
        pytest.param(make_request(byte_range=(100, 200)), None, id="range-get"),
        pytest.param(make_request(method="HEAD", bytes_sent=0), "HEAD request", id="head"),
        pytest.param(make_request(status=304, bytes_sent=0), "not modified (304)", id="304"),
        pytest.param(make_request(status=416, bytes_sent=0), "status 416", id="416"),
        pytest.param(make_request(status=302, bytes_sent=0), "status 302", id="redirect"),
        pytest.param(make_request(byte_range=(0, 1)), "probe of 2 bytes or fewer", id="probe"),
        pytest.param(make_request(bytes_sent=1), "probe of 2 bytes or fewer", id="one-byte"),
        pytest.param(make_request(user_agent=GOOGLEBOT), "bot", id="bot"),
        pytest.param(
            make_request(user_agent=APPLE_WATCH), "duplicate agent (Apple Watch)", id="watch"
        ),
    ],
)
def test_exclusion_reason_names_what_is_not_listening(
    request_: MediaRequest, reason: str | None
) -> None:
    assert exclusion_reason(request_) == reason


# ------------------------------------------------------ listener identity


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        pytest.param("203.0.113.7", "203.0.113.7", id="ipv4-kept-whole"),
        pytest.param("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64", id="ipv6-to-64"),
        pytest.param("::ffff:203.0.113.7", "203.0.113.7", id="ipv4-mapped"),
        pytest.param(" 203.0.113.7 ", "203.0.113.7", id="surrounding-space"),
    ],
)
def test_listener_network_keeps_what_identifies_a_listener(ip: str, network: str) -> None:
    assert listener_network(ip) == network


def test_listener_network_rejects_what_is_not_an_address() -> None:
    with pytest.raises(InvalidInput, match="'not-an-ip' is not an IP address"):
        listener_network("not-an-ip")


def test_listener_hash_never_contains_the_ip() -> None:
    salt = bytes(range(32))
    for ip in ("203.0.113.7", "2001:db8:1:2::1"):
        digest = listener_hash(ip, IPHONE, salt)
        assert re.fullmatch(r"[0-9a-f]{32}", digest)
        assert ip not in digest
        assert ip.replace(".", "").replace(":", "") not in digest


def test_listener_hash_differs_across_days() -> None:
    salts = SaltRing({})
    today = date(2024, 5, 2)
    yesterday = today - timedelta(days=1)
    first = listener_hash("203.0.113.7", IPHONE, salts.salt_for(yesterday, today=today))
    second = listener_hash("203.0.113.7", IPHONE, salts.salt_for(today, today=today))
    assert first != second


def test_listener_hash_rejects_a_short_salt() -> None:
    with pytest.raises(InvalidInput, match="16 to 64 bytes"):
        listener_hash("203.0.113.7", IPHONE, b"short")


def test_to_stored_event_keeps_no_ip_address() -> None:
    request = make_request(ip="198.51.100.23")
    event = to_stored_event(request, SaltRing({}), now=request.at)
    stored = [str(value) for value in dataclasses.asdict(event).values()]
    assert not any("198.51.100" in value for value in stored)
    assert event.listener_hash


def test_salt_ring_gives_every_process_the_same_salt_for_a_day() -> None:
    storage: dict[str, str] = {}
    today = date(2024, 5, 1)
    first = SaltRing(storage).salt_for(today, today=today)
    second = SaltRing(storage).salt_for(today, today=today)
    assert first == second
    assert len(first) == SaltRing.SALT_BYTES
    assert list(storage) == ["2024-05-01"]


def test_salt_ring_discards_salts_of_days_that_are_over() -> None:
    storage: dict[str, str] = {}
    ring = SaltRing(storage, keep_days=2)
    for day in (date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)):
        ring.salt_for(day, today=day)
    assert ring.discard_expired(today=date(2024, 5, 4)) == [date(2024, 5, 1), date(2024, 5, 2)]
    assert list(storage) == ["2024-05-03"]


def test_salt_ring_refuses_a_day_whose_salt_was_discarded() -> None:
    ring = SaltRing({}, keep_days=2)
    with pytest.raises(InvalidInput, match="2024-05-01 has been discarded"):
        ring.salt_for(date(2024, 5, 1), today=date(2024, 5, 3))


def test_utc_day_refuses_a_naive_datetime() -> None:
    with pytest.raises(InvalidInput, match="no time zone"):
        utc_day(datetime(2024, 5, 1, 12, 0))


# ---------------------------------------------------------- app recognition


@pytest.mark.parametrize(
    ("user_agent", "app", "device"),
    [
        pytest.param(IPHONE, "Apple Podcasts", "phone", id="apple-podcasts-streaming"),
        pytest.param(
            "Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0",
            "Apple Podcasts",
            "unknown",
            id="apple-podcasts-download",
        ),
        pytest.param(
            "Podcasts/1410.53 CFNetwork/1111 Darwin/19.0.0 (x86_64)",
            "Apple Podcasts",
            "desktop",
            id="apple-podcasts-mac",
        ),
        pytest.param(
            "AppleCoreMedia/1.0.0.21A329 (HomePod; U; CPU OS 17_0 like Mac OS X; en_us)",
            "Apple Podcasts",
            "speaker",
            id="homepod",
        ),
        pytest.param(
            "iTunes/12.10.9 (Windows; Microsoft Windows 10 x64 Home Premium Edition "
            "(Build 19041); x64) AppleWebKit/7609.3005.1003.3",
            "Apple Podcasts",
            "desktop",
            id="itunes-windows",
        ),
        pytest.param("Spotify/8.8.96 iOS/17.1 (iPhone15,2)", "Spotify", "phone", id="spotify"),
        pytest.param(OVERCAST, "Overcast", "phone", id="overcast"),
        pytest.param("Pocket Casts", "Pocket Casts", "unknown", id="pocket-casts"),
        pytest.param(
            "AntennaPod/3.2.0 (Linux;Android 14) ExoPlayerLib/2.19.1",
            "AntennaPod",
            "phone",
            id="antennapod",
        ),
        pytest.param("Castro 2024.1/1234", "Castro", "unknown", id="castro"),
        pytest.param(
            "gPodder/3.11.4 (+http://gpodder.org/) Linux", "gPodder", "desktop", id="gpodder"
        ),
        pytest.param(
            "PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)",
            "Podcast Addict",
            "phone",
            id="podcast-addict",
        ),
        pytest.param(
            "Podverse/iOS Mobile App/Mozilla/5.0 (iPhone; CPU iPhone OS 13_6_1 like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/1234",
            "Podverse",
            "phone",
            id="podverse",
        ),
        pytest.param(
            "CastBox/8.2.6-191015245 (Linux;Android 10) ExoPlayerLib/2.10.4",
            "Castbox",
            "phone",
            id="castbox",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 10; Pixel 3a Build/QQ2A.200305.002; wv) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/80.0.3987.149 "
            "Mobile Safari/537.36 GSA/11.2.7.21.arm64",
            "Google Podcasts",
            "phone",
            id="google-podcasts",
        ),
        pytest.param(
            "AmazonMusic/9.16.1 iPhone9,1 CFNetwork/1128.0.1 Darwin/19.6.0",
            "Amazon Music",
            "phone",
            id="amazon-music",
        ),
        pytest.param(
            "AlexaMediaPlayer/2.1.4676.0 (Linux;Android 5.1.1) ExoPlayerLib/1.5.9",
            "Alexa",
            "speaker",
            id="alexa",
        ),
        pytest.param(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "Google Chrome",
            "desktop",
            id="chrome",
        ),
        pytest.param(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Microsoft Edge",
            "desktop",
            id="edge",
        ),
        pytest.param(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox",
            "desktop",
            id="firefox",
        ),
        pytest.param(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari",
            "phone",
            id="safari-iphone",
        ),
        pytest.param(
            "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
            "Google Chrome",
            "tablet",
            id="chrome-ipad",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 9; CUBOT_X19) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36",
            "Google Chrome",
            "phone",
            id="phone-brand-ending-in-bot-is-not-a-bot",
        ),
        pytest.param("okhttp/4.9.0", "Unknown", "unknown", id="unknown-library"),
        pytest.param("", "Unknown", "unknown", id="no-user-agent"),
    ],
)
def test_recognize_app_names_real_listening_apps(user_agent: str, app: str, device: str) -> None:
    assert recognize_app(user_agent) == AppInfo(app, device, is_bot=False)


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param(GOOGLEBOT, id="googlebot"),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/86.0.4240.96 Mobile Safari/537.36 (compatible; "
            "Googlebot/2.1; +http://www.google.com/bot.html)",
            id="googlebot-posing-as-chrome",
        ),
        pytest.param("Mozilla/5.0 (compatible; bingbot/2.0)", id="bingbot"),
        pytest.param("iTMS", id="apple-feed-checker"),
        pytest.param("Spotify/1.0", id="spotify-cache-service"),
        pytest.param("Overcast/1.0 Podcast Sync (123 subscribers; feed-id=4)", id="overcast-sync"),
        pytest.param("facebookexternalhit/1.1", id="facebook"),
        pytest.param("curl/8.4.0", id="curl"),
        pytest.param("Wget/1.21.4", id="wget"),
        pytest.param("python-requests/2.31.0", id="python-requests"),
        pytest.param(SELF_IDENTIFIED_BOT, id="self-identified-crawler"),
        pytest.param("SuperSpider 2.0", id="self-identified-spider"),
        pytest.param("FeedBot", id="self-identified-bot"),
    ],
)
def test_recognize_app_marks_bots(user_agent: str) -> None:
    assert recognize_app(user_agent).is_bot


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param(APPLE_WATCH, id="atc"),
        pytest.param(
            "AppleCoreMedia/1.0.0.20R362 (Apple Watch; U; CPU OS 9_1 like Mac OS X; en_us)",
            id="applecoremedia-watch",
        ),
    ],
)
def test_recognize_app_marks_apple_watch_duplicates(user_agent: str) -> None:
    app = recognize_app(user_agent)
    assert (app.name, app.device, app.is_duplicate, app.is_counted) == (
        "Apple Podcasts",
        "watch",
        True,
        False,
    )


def test_recognize_app_counts_third_party_apps_on_a_watch() -> None:
    app = recognize_app("Overcast (+http://overcast.fm/; Apple Watch podcast app)")
    assert (app.name, app.device, app.is_counted) == ("Overcast", "watch", True)


@pytest.mark.parametrize("section", ["bots", "duplicates", "apps", "devices"])
def test_user_agent_rules_ship_every_section(section: str) -> None:
    assert getattr(default_recognizer(), section)


def test_app_recognizer_names_the_entry_with_a_bad_pattern() -> None:
    rules = {
        "bots": [],
        "duplicates": [],
        "apps": [{"name": "Broken", "patterns": ["(unclosed"]}],
        "devices": [],
    }
    with pytest.raises(InvalidInput, match="apps entry 'Broken'"):
        AppRecognizer(rules)


# ------------------------------------------------------------ rollups


def make_download_counts() -> list[DailyCount]:
    """Build rollup rows for two episodes over a few days."""
    return [
        DailyCount(date(2024, 5, 1), 1, "Apple Podcasts", 10),
        DailyCount(date(2024, 5, 1), 1, "Spotify", 5),
        DailyCount(date(2024, 5, 2), 1, "Apple Podcasts", 3),
        DailyCount(date(2024, 5, 2), 2, "Overcast", 20),
        DailyCount(date(2024, 5, 9), 1, "Apple Podcasts", 2),
    ]


def test_rollup_counts_per_day_episode_and_app() -> None:
    salts = SaltRing({})
    requests = [
        make_request(ip="203.0.113.1"),
        make_request(ip="203.0.113.2"),
        make_request(ip="203.0.113.3", user_agent=OVERCAST),
        make_request("2024-05-02T09:00:00+00:00", ip="203.0.113.1"),
    ]
    events = [to_stored_event(request, salts, now=request.at) for request in requests]
    assert rollup(count_downloads(events, MEDIA)) == [
        DailyCount(date(2024, 5, 1), 1, "Apple Podcasts", 2),
        DailyCount(date(2024, 5, 1), 1, "Overcast", 1),
        DailyCount(date(2024, 5, 2), 1, "Apple Podcasts", 1),
    ]


def test_totals_by_episode_sums_every_day_and_app() -> None:
    assert totals_by_episode(make_download_counts()) == {2: 20, 1: 20}


def test_totals_by_day_are_in_day_order() -> None:
    assert list(totals_by_day(make_download_counts()).items()) == [
        (date(2024, 5, 1), 15),
        (date(2024, 5, 2), 23),
        (date(2024, 5, 9), 2),
    ]


def test_totals_by_app_put_the_most_used_first() -> None:
    assert list(totals_by_app(make_download_counts()).items()) == [
        ("Overcast", 20),
        ("Apple Podcasts", 15),
        ("Spotify", 5),
    ]


@pytest.mark.parametrize(
    ("days", "now", "downloads", "is_complete"),
    [
        pytest.param(1, "2024-05-10T00:00:00+00:00", 15, True, id="release-day-only"),
        pytest.param(7, "2024-05-10T00:00:00+00:00", 18, True, id="first-7-days"),
        pytest.param(30, "2024-05-10T00:00:00+00:00", 20, False, id="first-30-days-so-far"),
        pytest.param(7, "2024-05-07T23:59:00+00:00", 18, False, id="last-day-not-over"),
    ],
)
def test_downloads_after_release_counts_whole_utc_days_from_release(
    days: int, now: str, downloads: int, is_complete: bool
) -> None:
    released_at = {1: datetime(2024, 5, 1, 22, 0, tzinfo=UTC)}
    window = downloads_after_release(
        make_download_counts(), released_at, days=days, now=datetime.fromisoformat(now)
    )[1]
    assert (window.downloads, window.is_complete) == (downloads, is_complete)
    assert window.first_day == date(2024, 5, 1)
    assert window.last_day == date(2024, 5, 1) + timedelta(days=days - 1)


def test_downloads_after_release_ignores_downloads_before_release() -> None:
    released_at = {1: datetime(2024, 5, 2, 8, 0, tzinfo=UTC)}
    now = datetime(2024, 6, 1, tzinfo=UTC)
    window = downloads_after_release(make_download_counts(), released_at, days=7, now=now)[1]
    assert window.downloads == 3


def test_downloads_after_release_lists_episodes_without_downloads() -> None:
    released_at = {7: datetime(2024, 5, 1, tzinfo=UTC)}
    now = datetime(2024, 6, 1, tzinfo=UTC)
    window = downloads_after_release(make_download_counts(), released_at, days=7, now=now)[7]
    assert window.downloads == 0


# ------------------------------------------------------------- nginx logs

RANGE_LINE = (
    '203.0.113.7 [2024-05-01T12:00:00+02:00] "GET /media/ab12cd/episode-1.mp3?from=feed" '
    '206 1000 "bytes 5000-5999/50000000" "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"'
)


def test_parse_nginx_log_line_reads_a_range_request() -> None:
    assert parse_nginx_log_line(RANGE_LINE + "\n") == MediaRequest(
        at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        ip="203.0.113.7",
        user_agent=OVERCAST,
        method="GET",
        status=206,
        range_start=5000,
        range_end=5999,
        bytes_sent=1000,
        media_key="ab12cd",
    )


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        pytest.param(
            '2001:db8::1 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 200 5 "-" "-"',
            "range_start",
            None,
            id="whole-file-has-no-range",
        ),
        pytest.param(
            '2001:db8::1 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 200 5 "-" "-"',
            "user_agent",
            "",
            id="missing-user-agent",
        ),
        pytest.param(
            '2001:db8::1 [2024-05-01T10:00:00+00:00] "HEAD /media/k/a.mp3" 200 0 "-" "x"',
            "method",
            "HEAD",
            id="head-is-returned-for-the-counter-to-exclude",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 200 5 "-" '
            '"Caf\\xC3\\xA9 \\x22Player\\x22"',
            "user_agent",
            'Café "Player"',
            id="nginx-escapes-undone",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /media/my%20key/a.mp3" 200 5 "-" "x"',
            "media_key",
            "my key",
            id="percent-encoded-key",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 416 0 "bytes */50" "x"',
            "range_start",
            None,
            id="unsatisfiable-range",
        ),
    ],
)
def test_parse_nginx_log_line_reads_fields(line: str, field: str, expected: object) -> None:
    request = parse_nginx_log_line(line)
    assert request is not None
    assert getattr(request, field) == expected


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/shows/tech/feed.xml", id="feed"),
        pytest.param("/media/only-a-key", id="no-filename"),
        pytest.param("-", id="garbage-request"),
    ],
)
def test_parse_nginx_log_line_ignores_what_is_not_a_media_file(path: str) -> None:
    line = f'203.0.113.7 [2024-05-01T10:00:00+00:00] "GET {path}" 200 5 "-" "x"'
    assert parse_nginx_log_line(line) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("", "not in the catalog log format", id="empty"),
        pytest.param(
            '203.0.113.7 - - [01/May/2024:10:00:00 +0000] "GET /media/k/a.mp3 HTTP/1.1" 200 5',
            "not in the catalog log format",
            id="combined-format",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 200 5 "-" "trunc',
            "not in the catalog log format",
            id="cut-by-rotation",
        ),
        pytest.param(
            '203.0.113.7 [yesterday] "GET /media/k/a.mp3" 200 5 "-" "x"',
            "is not ISO 8601",
            id="bad-time",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00] "GET /media/k/a.mp3" 200 5 "-" "x"',
            "has no UTC offset",
            id="time-without-offset",
        ),
        pytest.param(
            'somehost [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 200 5 "-" "x"',
            "is not an IP address",
            id="host-name-instead-of-address",
        ),
        pytest.param(
            '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /media/k/a.mp3" 206 5 "bytes=0-4" "x"',
            "is not 'bytes START-END/SIZE'",
            id="request-range-instead-of-content-range",
        ),
    ],
)
def test_parse_nginx_log_line_explains_malformed_lines(line: str, message: str) -> None:
    with pytest.raises(MalformedLogLine, match=re.escape(message)) as caught:
        parse_nginx_log_line(line)
    assert isinstance(caught.value, CatalogError)


def test_nginx_log_format_writes_lines_the_parser_reads() -> None:
    values = {
        "$remote_addr": "2001:db8::7",
        "$time_iso8601": "2024-05-01T10:00:00+00:00",
        "$request_method": "GET",
        "$request_uri": "/media/k/a.mp3",
        "$status": "206",
        "$body_bytes_sent": "100",
        "$sent_http_content_range": "bytes 0-99/5000",
        "$http_user_agent": OVERCAST,
    }
    template = "".join(re.findall(r"'([^']*)'", NGINX_LOG_FORMAT.split("catalog", 1)[1]))
    line = re.sub(r"\$\w+", lambda match: values[match[0]], template)
    request = parse_nginx_log_line(line)
    assert request is not None
    assert (request.ip, request.range_end, request.user_agent) == ("2001:db8::7", 99, OVERCAST)


def test_nginx_log_reader_skips_and_counts_malformed_lines() -> None:
    lines = [
        RANGE_LINE,
        "garbage\n",
        "\n",
        '203.0.113.7 [2024-05-01T10:00:00+00:00] "GET /shows/x/feed.xml" 200 5 "-" "x"',
        RANGE_LINE.replace("+02:00", ""),
    ]
    reader = NginxLogReader()
    requests = list(reader.read(lines))
    assert [request.media_key for request in requests] == ["ab12cd"]
    assert (reader.lines, reader.malformed) == (5, 2)
    assert reader.errors[0].startswith("line 2: not in the catalog log format: 'garbage'")
    assert reader.errors[1].startswith("line 5: time ")


def test_nginx_log_lines_become_downloads() -> None:
    lines = [
        f'203.0.113.7 [2024-05-01T10:00:0{second}+00:00] "GET /media/ep1/e.mp3" 206 {size} '
        f'"bytes {start}-{start + size - 1}/50000000" "{IPHONE}"'
        for second, (start, size) in enumerate([(0, 2), (0, 600_000), (600_000, 600_000)])
    ]
    salts = SaltRing({})
    events = [
        to_stored_event(dataclasses.replace(request, episode_id=1), salts, now=request.at)
        for request in NginxLogReader().read(lines)
    ]
    assert len(count_downloads(events, MEDIA)) == 1


def test_parse_nginx_log_line_keeps_slashes_of_real_storage_keys():
    key = "ab/cd/" + "ab" * 32 + ".mp3"
    line = (
        f'203.0.113.7 [2024-05-01T12:00:00+00:00] "GET /media/{key}/episode-1.mp3" '
        '206 1048576 "bytes 0-1048575/58000000" "Overcast/3.0"'
    )
    request = parse_nginx_log_line(line)
    assert request is not None
    assert request.media_key == key
