"""Measure what storing an upload costs compared with copying and hashing it by hand.

One run, on one 60-minute VBR MP3 built with tests/audio_factory.py:

1. ``cp`` + ``sha256sum`` of the file (the real commands), best of N;
2. ``MediaStore.ingest_audio`` of the same file into a fresh root, best of N;
3. their ratio (target: at most 1.5);
4. the peak memory growth of ingesting a 500 MB file, measured as Linux's
   peak RSS (VmHWM, reset just before) in a fresh Python process (target: under 32 MB).

Usage: ``python benchmarks/ingest.py [--repeat N] [--memory-megabytes M]``.
Everything is written to a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from catalog.audio import probe  # noqa: E402
from catalog.storage import MediaStore  # noqa: E402
from tests.audio_factory import make_long_vbr_mp3  # noqa: E402

RATIO_TARGET = 1.5
MEMORY_TARGET_MB = 32
EPISODE_SECONDS = 60 * 60
MEGABYTE = 1024 * 1024
NO_LIMIT = 1 << 40

# Runs in a fresh interpreter so that nothing else shares its memory. A warm-up
# ingest of a small file loads every module first. Then Linux's peak-RSS mark
# (VmHWM) is reset through /proc/self/clear_refs, so the peak read after the big
# ingest is that ingest's own, and tracemalloc shows the Python allocations.
MEMORY_PROBE = """
import json, sys, tempfile, tracemalloc
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from catalog.storage import MediaStore

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

small, large = Path(sys.argv[2]), Path(sys.argv[3])
with tempfile.TemporaryDirectory(dir=sys.argv[4]) as root:
    store = MediaStore(root)
    with small.open("rb") as stream:
        store.ingest_audio(stream, original_filename=small.name, max_bytes=1 << 40)
    Path("/proc/self/clear_refs").write_text("5")
    before = status("VmRSS")
    tracemalloc.start()
    with large.open("rb") as stream:
        stored = store.ingest_audio(stream, original_filename=large.name, max_bytes=1 << 40)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = status("VmHWM")
print(json.dumps({"before_kb": before, "peak_kb": peak, "traced_peak": traced_peak,
                  "size": stored.size, "duration": stored.info.duration_seconds}))
"""


def best_of(repeat: int, run: Callable[[], None], reset: Callable[[], None]) -> float:
    """Return the fastest of ``repeat`` timed runs, resetting the scene before each one."""
    times = []
    for _ in range(repeat):
        reset()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    reset()
    return min(times)


def time_copy_and_hash(source: Path, work: Path, repeat: int) -> float:
    """Time what a shell user would do: copy the file, then hash it."""
    target = work / "copy.mp3"

    def run() -> None:
        subprocess.run(["cp", str(source), str(target)], check=True)
        subprocess.run(["sha256sum", str(target)], check=True, stdout=subprocess.DEVNULL)

    return best_of(repeat, run, lambda: target.unlink(missing_ok=True))


def time_ingest(source: Path, work: Path, repeat: int) -> float:
    """Time ingest_audio of the file into a fresh media root each time."""
    root = work / "media"

    def run() -> None:
        with source.open("rb") as stream:
            MediaStore(root).ingest_audio(stream, original_filename=source.name, max_bytes=NO_LIMIT)

    return best_of(repeat, run, lambda: shutil.rmtree(root, ignore_errors=True))


def time_probe(source: Path, repeat: int) -> float:
    """Time the probe alone, to show how much of the ingest is reading the audio."""
    return best_of(repeat, lambda: probe(source) and None, lambda: None)


def measure_memory(work: Path, megabytes: int) -> dict[str, float]:
    """Ingest a file of about ``megabytes`` MB in a fresh process and report its RSS growth."""
    small = work / "small.mp3"
    make_long_vbr_mp3(small, 60)
    large = work / "large.mp3"
    started = time.perf_counter()
    make_long_vbr_mp3(large, size_bytes=megabytes * MEGABYTE)
    built_in = time.perf_counter() - started
    output = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(REPO), str(small), str(large), str(work)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output)
    large.unlink()
    return {
        "size_mb": result["size"] / MEGABYTE,
        "hours": result["duration"] / 3600,
        "growth_mb": (result["peak_kb"] - result["before_kb"]) / 1024,
        "peak_mb": result["peak_kb"] / 1024,
        "traced_mb": result["traced_peak"] / MEGABYTE,
        "built_in": built_in,
    }


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each kind (best counts)"
    )
    parser.add_argument(
        "--memory-megabytes", type=int, default=500, help="size of the memory test file"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="catalog-ingest-bench-") as directory:
        work = Path(directory)
        episode = work / "episode.mp3"
        make_long_vbr_mp3(episode, EPISODE_SECONDS)
        size = episode.stat().st_size
        print(f"file: 60-minute VBR MP3, {size / MEGABYTE:.1f} MB; best of {arguments.repeat} runs")

        baseline = time_copy_and_hash(episode, work, arguments.repeat)
        ingest = time_ingest(episode, work, arguments.repeat)
        probing = time_probe(episode, arguments.repeat)
        ratio = ingest / baseline
        megabytes = size / MEGABYTE
        print(
            f"  cp + sha256sum          {baseline * 1000:8.1f} ms ({megabytes / baseline:.0f} MB/s)"
        )
        print(f"  MediaStore.ingest_audio {ingest * 1000:8.1f} ms ({megabytes / ingest:.0f} MB/s)")
        print(f"    of which probe alone  {probing * 1000:8.1f} ms")
        verdict = "ok" if ratio <= RATIO_TARGET else "MISSED"
        print(
            f"  ratio ingest / (cp + sha256sum) = {ratio:.2f} (target <= {RATIO_TARGET}: {verdict})"
        )

        memory = measure_memory(work, arguments.memory_megabytes)
        memory_verdict = "ok" if memory["growth_mb"] < MEMORY_TARGET_MB else "MISSED"
        print(
            f"memory: ingest of a {memory['size_mb']:.0f} MB MP3 ({memory['hours']:.1f} h, "
            f"built in {memory['built_in']:.0f} s) in a fresh process"
        )
        print(
            f"  peak RSS growth {memory['growth_mb']:.1f} MB (peak RSS {memory['peak_mb']:.1f} MB;"
            f" Python allocations peak {memory['traced_mb']:.1f} MB)"
            f" (target < {MEMORY_TARGET_MB} MB: {memory_verdict})"
        )
    return 0 if verdict == memory_verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
