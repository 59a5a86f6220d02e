"""Build long MP3 files at test time from the committed corpus, without external tools.

The benchmarks reuse this to make hour-long and half-gigabyte files, so it
writes in large blocks and never holds the whole file in memory.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

AUDIO_FIXTURES = Path(__file__).parent / "fixtures" / "audio"
HEADERLESS_VBR = AUDIO_FIXTURES / "vbr_headerless.mp3"
_BLOCK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class LongMp3:
    """A generated MP3 and the facts known about it by construction."""

    path: Path
    frames: int
    sample_rate: int
    samples_per_frame: int
    size_bytes: int

    @property
    def duration_seconds(self) -> float:
        """Return the exact duration: every frame carries the same number of samples."""
        return self.frames * self.samples_per_frame / self.sample_rate


def make_long_vbr_mp3(
    path: Path, seconds: float | None = None, *, size_bytes: int | None = None
) -> LongMp3:
    """Write a headerless VBR MP3 of at least ``seconds`` or about ``size_bytes`` from a fixture.

    The fixture starts with silence, so its first frames have the lowest
    bitrate and any estimate from the first frame is about four times too long.
    Frame counts come from expected.json (ffprobe at corpus time), so the
    duration is known without parsing the file.
    """
    if (seconds is None) == (size_bytes is None):
        raise ValueError("give exactly one of seconds or size_bytes")
    facts = json.loads((AUDIO_FIXTURES / "expected.json").read_text())[HEADERLESS_VBR.name]
    payload = HEADERLESS_VBR.read_bytes()
    if payload.startswith(b"ID3"):
        raise ValueError(f"{HEADERLESS_VBR.name} must carry no ID3 tag to be repeated")
    frames_per_copy = int(facts["packets"])
    sample_rate = int(facts["sample_rate"])
    samples_per_frame = 1152 if sample_rate >= 32000 else 576
    if seconds is not None:
        copy_seconds = frames_per_copy * samples_per_frame / sample_rate
        copies = max(1, math.ceil(seconds / copy_seconds))
    else:
        assert size_bytes is not None
        copies = max(1, round(size_bytes / len(payload)))
    copies_per_block = max(1, _BLOCK_BYTES // len(payload))
    block = payload * copies_per_block
    with path.open("wb") as output:
        full_blocks, rest = divmod(copies, copies_per_block)
        for _ in range(full_blocks):
            output.write(block)
        output.write(payload * rest)
    return LongMp3(
        path=path,
        frames=frames_per_copy * copies,
        sample_rate=sample_rate,
        samples_per_frame=samples_per_frame,
        size_bytes=len(payload) * copies,
    )
