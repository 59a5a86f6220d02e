"""Measure media delivery: nginx alone, the app under gunicorn, and nginx via X-Accel.

One run, on one 60-minute VBR MP3 built with tests/audio_factory.py, with wrk
(loopback, ``-d`` seconds each) and a Lua script that sets the Range header:

(a)  nginx serving the file as a static file;
(b)  the app under gunicorn (sendfile for one range), download counting on;
(b') the same with counting off;
(c)  nginx in front of the app with CATALOG_MEDIA_DELIVERY=x-accel, counting on.

for ``Range: bytes=0-1`` and for 1 MiB ranges at random offsets; it prints
req/s, the ratios to (a) and what counting costs. Targets: (b) >= 0.25 and
(c) >= 0.5 of (a) for 1 MiB ranges; counting costs under 10%.

Usage: ``python benchmarks/media.py [--seconds 5] [--connections 8] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from catalog import create_app, schema  # noqa: E402
from catalog.extensions import db  # noqa: E402
from catalog.storage import MediaStore, key_for  # noqa: E402
from tests.audio_factory import make_long_vbr_mp3  # noqa: E402
from tests.factories import make_audio, make_episode, make_show  # noqa: E402
from tests.test_nginx_deploy import free_port, serve, start_gunicorn  # noqa: E402

MEBIBYTE = 1024 * 1024
TARGETS = {"b": 0.25, "c": 0.5}
COUNTING_COST_TARGET = 0.10
WRK_SCRIPT = """
local size = tonumber(os.getenv("BENCH_SIZE"))
local length = tonumber(os.getenv("BENCH_LENGTH"))
math.randomseed(os.time())
request = function()
  local start = 0
  if length > 2 then start = math.random(0, size - length - 1) end
  local range = "bytes=" .. start .. "-" .. (start + length - 1)
  return wrk.format("GET", nil, {["Range"] = range, ["User-Agent"] = "Overcast/3.0"})
end
"""


def prepare(folder: Path) -> tuple[dict[str, str], str, str, int]:
    """Create a database with one episode whose audio is an hour-long MP3."""
    media_root = folder / "media"
    database_url = f"sqlite:///{folder / 'catalog.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "CATALOG_MEDIA_ROOT": str(media_root),
            "SECRET_KEY": "bench",
        }
    )
    mp3 = make_long_vbr_mp3(folder / "hour.mp3", 3600)
    with mp3.path.open("rb") as file:
        sha = hashlib.file_digest(file, "sha256").hexdigest()
    key = key_for(sha, "mp3")
    target = MediaStore(media_root).path_for(key)
    target.parent.mkdir(parents=True)
    shutil.move(mp3.path, target)
    with app.app_context():
        schema.upgrade_schema(app)
        media = make_audio(
            sha256=sha,
            storage_key=key,
            size_bytes=mp3.size_bytes,
            duration_seconds=mp3.duration_seconds,
            bitrate=int(mp3.size_bytes * 8 / mp3.duration_seconds),
        )
        make_episode(make_show(), audio=media)
        db.session.commit()
        db.engine.dispose()
    environment = {
        "CATALOG_DATABASE_URL": database_url,
        "CATALOG_MEDIA_ROOT": str(media_root),
        "CATALOG_SECRET_KEY": "bench",
    }
    return environment, str(media_root), key, mp3.size_bytes


def wrk(url: str, *, size: int, length: int, seconds: int, connections: int, script: Path) -> float:
    """Return the requests per second wrk measured for ``url``."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_SIZE": str(size), "BENCH_LENGTH": str(length)},
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if match is None or "Non-2xx" in result.stdout:
        raise RuntimeError(f"wrk failed for {url}:\n{result.stdout}{result.stderr}")
    return float(match[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (nginx: 2)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as temp:
        folder = Path(temp)
        environment, media_root, key, size = prepare(folder)
        script = folder / "range.lua"
        script.write_text(WRK_SCRIPT)
        static = f"        location /bench-static/ {{ alias {media_root}/; }}\n"
        nginx = serve(
            folder / "nginx", environment, Path(media_root), static, workers=options.workers
        )
        processes = []
        try:
            counting_port, quiet_port = free_port(), free_port()
            processes.append(start_gunicorn(counting_port, environment, workers=options.workers))
            processes.append(
                start_gunicorn(
                    quiet_port,
                    {**environment, "CATALOG_COUNT_DOWNLOADS": "0"},
                    workers=options.workers,
                )
            )
            path = f"/media/{key}/episode.mp3"
            urls = {
                "a": f"http://127.0.0.1:{nginx.port}/bench-static/{key}",
                "b": f"http://127.0.0.1:{counting_port}{path}",
                "b'": f"http://127.0.0.1:{quiet_port}{path}",
                "c": f"http://127.0.0.1:{nginx.port}{path}",
            }
            labels = {
                "a": "nginx static",
                "b": "app under gunicorn, counting on",
                "b'": "app under gunicorn, counting off",
                "c": "nginx via X-Accel, counting on",
            }
            lengths = {"bytes=0-1": 2, "1 MiB ranges": MEBIBYTE}
            results: dict[tuple[str, str], float] = {}
            for url in urls.values():  # warm up: imports, connections, lookups
                wrk(url, size=size, length=2, seconds=1, connections=2, script=script)
            for range_name, length in lengths.items():
                for name, url in urls.items():
                    results[name, range_name] = wrk(
                        url,
                        size=size,
                        length=length,
                        seconds=options.seconds,
                        connections=options.connections,
                        script=script,
                    )
        finally:
            for process in processes:
                process.terminate()
                process.wait()
            nginx.stop()
    print(
        f"file: 60-minute VBR MP3, {size / MEBIBYTE:.1f} MiB; wrk -t1 -c{options.connections} "
        f"-d{options.seconds}s on loopback; {options.workers} gunicorn workers (gthread, 4 threads)"
        f", 2 nginx workers; {os.cpu_count()} CPUs"
    )
    for range_name in lengths:
        print(f"\n{range_name}")
        base = results["a", range_name]
        for name, label in labels.items():
            rate = results[name, range_name]
            target = TARGETS.get(name) if range_name == "1 MiB ranges" else None
            verdict = ""
            if target is not None:
                verdict = f"  (target >= {target}: {'met' if rate / base >= target else 'MISSED'})"
            print(
                f"  ({name:<2}) {label:<34} {rate:>10.0f} req/s  {rate / base:>5.2f} x (a)"
                + verdict
            )
        cost = 1 - results["b", range_name] / results["b'", range_name]
        verdict = "met" if cost < COUNTING_COST_TARGET else "MISSED"
        print(f"  counting on vs off (b vs b'): costs {cost:+.1%} (target < 10%: {verdict})")


if __name__ == "__main__":
    main()
