"""Measure the feed end to end: build, one-edit refresh, and serving against nginx.

Prints, in one run, on a temporary SQLite database:

1. full build of a 10,000-episode show from an empty cache (database read,
   render, fragment and frame writes, commit; the checkpoint that follows runs in
   a background thread and is shown apart) / bare feedgen building the same
   items from plain Python objects (target <= 1.2);
2. refresh after editing one episode / full build (target <= 0.1);
3. req/s of the cached feed served by gunicorn (2 workers, sync and gthread) /
   nginx (2 workers) serving the same bytes as a static file, both on
   loopback, same wrk load (target >= 0.5);
4. 304 responses per second from gunicorn.

Run: ``python benchmarks/feed.py [--items N] [--serve-items N] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.feed_build import build_with_bare_feedgen  # noqa: E402
from catalog import create_app, feed_cache, feed_source, schema  # noqa: E402
from catalog.database import utcnow, write_intent  # noqa: E402
from catalog.extensions import db  # noqa: E402
from catalog.feed import build_feed  # noqa: E402
from catalog.links import SiteLinks  # noqa: E402
from catalog.models import (  # noqa: E402
    Chapter,
    Credit,
    Episode,
    MediaFile,
    Person,
    Show,
    Transcript,
)
from catalog.sqlite_checkpoint import background_checkpointer  # noqa: E402

BASE_URL = "http://127.0.0.1"
NOTES = (
    "<p>In this episode we talk with the founder of a lunar exploration company about "
    'landers, rovers, <a href="https://example.org/moon">resources on the Moon</a> and '
    "what it takes to build a business in cislunar space &amp; beyond.</p>"
) * 4


def add_show(slug: str, episodes: int) -> int:
    """Insert a show with ``episodes`` typical episodes in bulk, so setup stays out of the way."""
    artwork = _media("image", f"{slug}-cover", "image/jpeg")
    show = Show(
        slug=slug,
        title="Space Café Radio",
        subtitle="Conversations about the space industry",
        description_html="<p>Interviews with the people building the space economy.</p>",
        category="Science",
        subcategory="Astronomy",
        author="SpaceWatch.Global",
        owner_name="SpaceWatch.Global",
        owner_email="podcast@spacewatch.example",
        copyright="© SpaceWatch.Global",
        podcast_guid=f"00000000-0000-5000-8000-{abs(hash(slug)) % 10**12:012d}",
        funding_url="https://example.org/support",
        funding_text="Support the show",
        artwork_id=artwork,
    )
    db.session.add(show)
    db.session.flush()
    host = Person(
        slug=f"{slug}-host",
        name="Torsten Kriening",
        photo_id=_media("image", f"{slug}-host", "image/jpeg"),
    )
    db.session.add(host)
    db.session.flush()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    audio_rows = [_media_row("audio", f"{slug}-a{n}", "audio/mpeg", n) for n in range(episodes)]
    art_rows = [_media_row("image", f"{slug}-i{n}", "image/jpeg", n) for n in range(0, episodes, 2)]
    db.session.execute(insert(MediaFile), audio_rows + art_rows)
    media_ids = dict(db.session.execute(select(MediaFile.sha256, MediaFile.id)).all())
    db.session.execute(
        insert(Person),
        [{"slug": f"{slug}-guest-{n}", "name": f"Guest {n}"} for n in range(episodes)],
    )
    guests = dict(
        db.session.execute(
            select(Person.slug, Person.id).where(Person.slug.like(f"{slug}-guest-%"))
        ).all()
    )
    db.session.execute(
        insert(Episode),
        [
            {
                "show_id": show.id,
                "slug": f"episode-{n}",
                "guid": f"urn:uuid:{n:08d}-0000-4000-8000-{show.id:012d}",
                "title": f"Episode {n}: ispace and the Japanese space journey",
                "summary": "A conversation about Japan's role in lunar exploration.",
                "notes_html": NOTES,
                "status": "published",
                "publish_at": start + timedelta(hours=n),
                "season": 1 + n // 100,
                "number": n + 1,
                "episode_type": "full",
                "audio_id": media_ids[_sha(f"{slug}-a{n}")],
                "artwork_id": media_ids.get(_sha(f"{slug}-i{n}")),
            }
            for n in range(episodes)
        ],
    )
    episode_ids = dict(
        db.session.execute(select(Episode.slug, Episode.id).where(Episode.show_id == show.id)).all()
    )
    credits, chapters, transcripts = [], [], []
    for n in range(episodes):
        episode_id = episode_ids[f"episode-{n}"]
        credits.append({"episode_id": episode_id, "person_id": host.id, "role": "host"})
        credits.append(
            {
                "episode_id": episode_id,
                "person_id": guests[f"{slug}-guest-{n}"],
                "role": "guest",
                "position": 1,
            }
        )
        chapters += [
            {"episode_id": episode_id, "start_seconds": s, "title": f"Part {s}"}
            for s in (0, 60, 600)
        ]
        transcripts.append(
            {
                "episode_id": episode_id,
                "format": "vtt",
                "language": "en",
                "body": "WEBVTT\n\n" + "x" * 2000,
            }
        )
    db.session.execute(insert(Credit), credits)
    db.session.execute(insert(Chapter), chapters)
    db.session.execute(insert(Transcript), transcripts)
    db.session.commit()
    return show.id


def _sha(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()


def _media_row(kind: str, name: str, mime_type: str, n: int) -> dict[str, object]:
    sha = _sha(name)
    extension = "jpg" if kind == "image" else "mp3"
    return {
        "kind": kind,
        "sha256": sha,
        "storage_key": f"{sha[:2]}/{sha[2:4]}/{sha}.{extension}",
        "mime_type": mime_type,
        "size_bytes": 40_000_000 + n,
        "duration_seconds": 2400.5 + n if kind == "audio" else None,
        "tags": {},
    }


def _media(kind: str, name: str, mime_type: str) -> int:
    media = MediaFile(**_media_row(kind, name, mime_type, 0))
    db.session.add(media)
    db.session.flush()
    return int(media.id)


def fastest_wall_times(
    actions: dict[str, Callable[[], object]],
    rounds: int,
    setups: dict[str, Callable[[], object]] | None = None,
    settle: Callable[[], object] = lambda: None,
) -> dict[str, float]:
    """Time each action once per round, interleaved, and keep each one's fastest wall time.

    Interleaving spreads machine noise over all actions alike; wall time, not
    CPU time, because the full build's database reads and writes count. An
    action's setup, if any, runs untimed right before it, then ``settle``
    (background work left by earlier actions finishes untimed, not in this one).
    """
    fastest = dict.fromkeys(actions, float("inf"))
    for _ in range(rounds):
        for name, action in actions.items():
            (setups or {}).get(name, lambda: None)()
            settle()
            gc.collect()
            started = time.perf_counter()
            action()
            fastest[name] = min(fastest[name], time.perf_counter() - started)
    return fastest


def collector_paused(action: Callable[[], object]) -> Callable[[], object]:
    """Run ``action`` with Python's cyclic garbage collector paused, as catalog's build does."""

    def paused() -> object:
        gc.disable()
        try:
            return action()
        finally:
            gc.enable()

    return paused


def fastest_time(
    action: Callable[[], object], repeat: int, before: Callable[[], object] = lambda: None
) -> float:
    timings = []
    for _ in range(repeat):
        before()
        gc.collect()
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> tuple[float, str]:
    """Return requests/second and the status summary for ``seconds`` of load."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, f"non-2xx/3xx: {errors.group(1) if errors else 0}"


@contextmanager
def running(
    command: list[str], env: dict[str, str], url: str, ready: Path | None = None, workers: int = 0
) -> Iterator[None]:
    """Run a server until the block ends, from when it answers ``url`` and all its workers are up.

    A gunicorn worker loads the app after it is forked: load started while the
    second worker was still loading would send every connection to the first
    (wrk keeps them), and measure one core. Each worker marks itself ready
    in the folder ``ready`` (``post_worker_init`` in ``GUNICORN_READY_HOOK``).
    """
    if ready is not None:
        shutil.rmtree(ready, ignore_errors=True)
        ready.mkdir()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while ready is not None and len(list(ready.iterdir())) < workers:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{command[0]} did not start {workers} workers")
            time.sleep(0.1)
        wait_for(url)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


GUNICORN_READY_HOOK = """
import os


def post_worker_init(worker):
    open(os.path.join(os.environ["BENCHMARK_READY_DIR"], str(worker.pid)), "w").close()
"""


def nginx_config(root: Path, port: int, prefix: Path) -> str:
    return f"""
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ application/rss+xml xml; }}
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
    }}
}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--serve-items", type=int, default=300, help="episodes of the served show")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="catalog-feed-bench-"))
    workdir.chmod(0o755)
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'catalog.db'}",
        "CATALOG_MEDIA_ROOT": str(workdir / "media"),
        "CATALOG_BASE_URL": BASE_URL,
        "SECRET_KEY": "benchmark",
    }
    try:
        app = create_app(config)
        links = SiteLinks(BASE_URL)
        with app.app_context():
            schema.upgrade_schema(app)
            print(f"setting up {arguments.items:,} episodes ...", flush=True)
            with write_intent():
                add_show("big", arguments.items)
                add_show("served", arguments.serve_items)

            def full_build() -> None:
                with write_intent():
                    feed_cache.refresh_feed(db.session, "big", links, utcnow())
                    db.session.commit()
                db.session.expunge_all()

            def empty_the_cache() -> None:
                """Forget every fragment, so the next build is a full one (untimed)."""
                with write_intent():
                    show_id = db.session.scalar(select(Show.id).where(Show.slug == "big"))
                    feed_cache.mark_shows_stale(db.session.connection(), [show_id])
                    feed_cache.drop_show_fragments(db.session, [show_id])
                    db.session.commit()
                db.session.expunge_all()

            show = db.session.scalar(select(Show).where(Show.slug == "big"))
            now = utcnow()
            channel = feed_source.feed_channel(show, links, now)
            items = feed_source.all_feed_items(db.session, show, links, now)
            db.session.rollback()
            db.session.expunge_all()
            full_build()  # warm up: the first build also creates the cache rows
            checkpointer = background_checkpointer(db.engine)
            assert checkpointer is not None, "a SQLite file checkpoints in the background"

            def full_build_and_checkpoint() -> None:
                """The full build and the checkpoint it leaves to a background thread."""
                full_build()
                assert checkpointer.wait_idle(60)

            def read_and_render() -> None:
                """What a full build does before it stores anything: read, render, join."""
                show = db.session.scalar(select(Show).where(Show.slug == "big"))
                moment = utcnow()
                build_feed(
                    feed_source.feed_channel(show, links, moment),
                    feed_source.all_feed_items(db.session, show, links, moment),
                )
                db.session.rollback()
                db.session.expunge_all()

            bare_with_podcast = partial(
                build_with_bare_feedgen, channel, items, with_podcast_namespace=True
            )
            times = fastest_wall_times(
                {
                    "bare": partial(
                        build_with_bare_feedgen, channel, items, with_podcast_namespace=False
                    ),
                    "bare+podcast": bare_with_podcast,
                    "bare+podcast, collector paused": collector_paused(bare_with_podcast),
                    "read+render": collector_paused(read_and_render),
                    "full": full_build,
                    "full+checkpoint": full_build_and_checkpoint,
                },
                arguments.repeat,
                setups={"full": empty_the_cache, "full+checkpoint": empty_the_cache},
                settle=lambda: checkpointer.wait_idle(60),
            )
            full, baseline = times["full"], times["bare+podcast"]

            counter = iter(range(10**9))
            rendered: list[int] = []

            def edit_one() -> None:
                with write_intent():
                    episode = db.session.scalar(
                        select(Episode).where(Episode.slug == f"episode-{arguments.items // 2}")
                    )
                    episode.title = f"Edited title {next(counter)}"
                    db.session.commit()
                db.session.expunge_all()

            def refresh() -> None:
                with write_intent():
                    result = feed_cache.refresh_feed(db.session, "big", links, utcnow())
                    db.session.commit()
                rendered.append(result.rendered)
                db.session.expunge_all()

            one_edit = fastest_time(
                refresh, arguments.repeat, before=lambda: (edit_one(), checkpointer.wait_idle(60))
            )
            assert set(rendered) == {1}, rendered

            with write_intent():
                served = feed_cache.refresh_feed(db.session, "served", links, utcnow())
                db.session.commit()
            body = served.body.body
            static_root = workdir / "static"
            (static_root / "shows" / "served").mkdir(parents=True)
            (static_root / "shows" / "served" / "feed.xml").write_bytes(body)
            for path in (
                workdir,
                static_root,
                static_root / "shows",
                static_root / "shows" / "served",
            ):
                path.chmod(0o755)
            (static_root / "shows" / "served" / "feed.xml").chmod(0o644)
            db.engine.dispose()

        env = {
            **os.environ,
            "CATALOG_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "CATALOG_MEDIA_ROOT": config["CATALOG_MEDIA_ROOT"],
            "CATALOG_BASE_URL": BASE_URL,
            "CATALOG_SECRET_KEY": "benchmark",
        }
        gunicorn_port, nginx_port = free_port(), free_port()
        app_url = f"http://127.0.0.1:{gunicorn_port}/shows/served/feed.xml"
        static_url = f"http://127.0.0.1:{nginx_port}/shows/served/feed.xml"

        def gunicorn(worker_class: str, *threads: str) -> list[str]:
            return [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                "2",
                "--worker-class",
                worker_class,
                *threads,
                "--config",
                str(ready_hook),
                "--bind",
                f"127.0.0.1:{gunicorn_port}",
                "--chdir",
                str(ROOT),
                "catalog:create_app()",
            ]

        ready_hook = workdir / "gunicorn_ready.py"
        ready_hook.write_text(GUNICORN_READY_HOOK)
        env["BENCHMARK_READY_DIR"] = str(workdir / "ready")
        servers = {
            "nginx static file (2 workers)": (
                ["nginx", "-p", str(workdir / "nginx"), "-c", str(workdir / "nginx" / "nginx.conf")]
                + ["-g", "daemon off;"],
                static_url,
                0,
            ),
            "gunicorn, 2 sync workers": (gunicorn("sync"), app_url, 2),
            "gunicorn, 2 gthread workers x 8": (gunicorn("gthread", "--threads", "8"), app_url, 2),
        }
        (workdir / "nginx").mkdir()
        (workdir / "nginx" / "nginx.conf").write_text(
            nginx_config(static_root, nginx_port, workdir / "nginx")
        )
        # Two interleaved rounds, best of each: load from elsewhere hits all alike.
        rates: dict[str, tuple[float, str]] = {}
        for _ in range(2):
            for name, (command, url, workers) in servers.items():
                with running(command, env, url, workdir / "ready", workers):
                    measured = wrk(url, arguments.seconds)
                if measured[0] > rates.get(name, (0.0, ""))[0]:
                    rates[name] = measured
        not_modified_rate, not_modified_errors = 0.0, ""
        for _ in range(2):  # best of two, as above
            command, url, workers = servers["gunicorn, 2 gthread workers x 8"]
            with running(command, env, url, workdir / "ready", workers):
                etag = urllib.request.urlopen(app_url).headers["ETag"]
                measured = wrk(app_url, arguments.seconds, {"If-None-Match": etag})
            if measured[0] > not_modified_rate:
                not_modified_rate, not_modified_errors = measured
        static_rate = rates["nginx static file (2 workers)"][0]

        print()
        print(
            f"(1) full build of {arguments.items:,} episodes from an empty cache, database read "
            "and writes included "
            f"(fastest of {arguments.repeat} interleaved rounds)"
        )
        print("    baseline: bare feedgen building the same items from plain Python objects;")
        print("    the same items include podcast: elements, which feedgen writes only through")
        print("    an extension, so the target compares with feedgen + a minimal such extension")
        paused = times["bare+podcast, collector paused"]
        read_render = times["read+render"]
        print(f"    bare feedgen + podcast: ext:       {baseline * 1000:9.1f} ms")
        print(f"    bare feedgen, no podcast: items:   {times['bare'] * 1000:9.1f} ms")
        print(f"    bare feedgen + podcast:, GC paused:{paused * 1000:9.1f} ms")
        print(f"    catalog read + render + join:      {read_render * 1000:9.1f} ms")
        print(f"    catalog full build, cache stored:  {full * 1000:9.1f} ms")
        print(f"      and its checkpoint (background): {times['full+checkpoint'] * 1000:9.1f} ms")
        print("    ratios to bare feedgen + podcast: (target <= 1.2)")
        print(f"      read + render:                 {read_render / baseline:6.3f}")
        print(f"      full build with the cache:     {full / baseline:6.3f}")
        print("      the same, waiting for the checkpoint")
        print(f"      it leaves to a background thread: {times['full+checkpoint'] / baseline:6.3f}")
        print("    catalog pauses the garbage collector while it builds a feed; with the")
        print("    baseline's paused too:")
        print(f"      read + render:                 {read_render / paused:6.3f}")
        print(f"      full build with the cache:     {full / paused:6.3f}")
        print(f"(2) refresh after one edit (1 item rendered, fastest of {arguments.repeat})")
        print(f"    refresh:                         {one_edit * 1000:9.1f} ms")
        print(f"    ratio to full build (<= 0.1):    {one_edit / full:9.4f}")
        print(
            f"(3) cached feed, {arguments.serve_items} episodes, {len(body):,} bytes, "
            f"wrk -t2 -c16 -d{arguments.seconds}s on loopback"
        )
        for name, (rate, errors) in rates.items():
            ratio = f"ratio {rate / static_rate:5.3f}" if not name.startswith("nginx") else ""
            print(f"    {name + ':':35}{rate:7.0f} req/s ({errors}) {ratio}")
        print("    target: >= 0.5 of nginx, for the gthread workers the README deploys with")
        print("(4) 304 Not Modified from gunicorn (gthread workers, best of two runs)")
        print(f"    304 responses:                   {not_modified_rate:9.0f} req/s", end="")
        print(f" ({not_modified_errors})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
