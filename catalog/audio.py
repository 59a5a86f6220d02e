# mutagen ships py.typed but leaves most functions unannotated.
# mypy: untyped-calls-exclude=mutagen
"""Read what an audio file holds, and write the tags a published episode carries.

mutagen lives here and only here. Durations must be exact: a feed that says
20 minutes for a 60-minute episode breaks seeking and chapter marks in podcast
apps, so MP3 files without a Xing/VBRI header are measured by walking their
frames instead of trusting an estimate from the first frame.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, TypeVar

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TIT2,
    TPE1,
    TRCK,
    WXXX,
    CTOCFlags,
    ID3NoHeaderError,
)
from mutagen.mp3 import BitrateMode, MPEGInfo
from mutagen.mp4 import MP4
from mutagen.mp4._atom import Atoms  # used by mutagen.mp4 but not exported
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from catalog.errors import InvalidAudio
from catalog.text import clean_text

# Shorter than this is not an episode but a failed export or a cut upload.
MINIMUM_DURATION_SECONDS = 0.5
# An MP3 whose header announces more audio than the file holds has been cut
# short; a little slack allows for encoders that count a frame differently.
TRUNCATION_TOLERANCE_SECONDS = 1.0

TAG_MAX_LENGTH = 255
COMMENT_MAX_LENGTH = 4000
URL_MAX_LENGTH = 2000

# Apple's podcast specification lists audio/x-m4a (not audio/mp4) for M4A
# enclosures; Opus lives in an Ogg container, so both Ogg kinds are audio/ogg.
_KINDS: dict[str, tuple[str, str]] = {
    "mp3": ("audio/mpeg", "mp3"),
    "m4a": ("audio/x-m4a", "m4a"),
    "ogg": ("audio/ogg", "ogg"),
    "opus": ("audio/ogg", "opus"),
    "flac": ("audio/flac", "flac"),
    "wav": ("audio/wav", "wav"),
}
_LABELS = {
    "mp3": "MP3",
    "m4a": "M4A",
    "ogg": "Ogg Vorbis",
    "opus": "Opus",
    "flac": "FLAC",
    "wav": "WAV",
}
_SUPPORTED = "MP3, M4A (AAC), Ogg Vorbis, Opus, FLAC or WAV"

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")

_SNIFF_BYTES = 128 * 1024
_WALK_CHUNK_BYTES = 8 * 1024 * 1024
_HEADER = struct.Struct(">I")

# What stays the same in every frame of one MPEG stream: sync, version, layer
# and sample rate. Bitrate, padding and channel mode may change frame to frame.
_MPEG_SYNC = 0xFFE00000
_MPEG_STREAM_MASK = 0xFFFE0C00

_LAYER3_KBPS = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {
    0b11: (44100, 48000, 32000),
    0b10: (22050, 24000, 16000),
    0b00: (11025, 12000, 8000),
}


@dataclass(frozen=True)
class CoverArt:
    """Picture embedded in an audio file."""

    data: bytes
    mime_type: str


@dataclass(frozen=True)
class AudioChapter:
    """Chapter mark; times are seconds from the start of the audio."""

    start_seconds: float
    end_seconds: float | None
    title: str
    url: str | None = None


@dataclass(frozen=True)
class AudioTags:
    """Text tags found in a file, cleaned; None when absent or empty."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    comment: str | None = None
    year: str | None = None
    track: str | None = None
    genre: str | None = None


@dataclass(frozen=True)
class AudioInfo:
    """Everything the catalog needs to know about an audio file to store and serve it."""

    format: str
    codec: str
    mime_type: str
    extension: str
    duration_seconds: float
    bitrate: int
    bitrate_mode: str
    sample_rate: int
    channels: int
    id3_size: int
    tags: AudioTags
    cover: CoverArt | None
    chapters: tuple[AudioChapter, ...]


@dataclass(frozen=True)
class EpisodeTags:
    """Tags written into a published episode's MP3."""

    title: str
    show_title: str
    artist: str | None = None
    episode_number: int | None = None
    cover: CoverArt | None = None
    chapters: tuple[AudioChapter, ...] = ()
    link: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class _Stream:
    """Sample-level facts of one stream, before tags are read."""

    codec: str
    duration_seconds: float
    bitrate: int
    bitrate_mode: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class _FrameWalk:
    """What walking every MPEG frame of a stream found."""

    frames: int
    audio_bytes: int
    bitrate_indexes: int


def probe(path: Path) -> AudioInfo:
    """Read format, exact duration, tags, cover and chapters; refuse what we cannot serve."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidAudio("The file is empty.")
    with path.open("rb") as file:
        id3_size = _leading_id3_size(file, size)
        file.seek(id3_size)
        head = file.read(_SNIFF_BYTES)
        kind = _sniff(head, id3_size, size)
        if kind == "mp3":
            stream = _mp3_stream(file, id3_size, head, size)
        else:
            _refuse_cut_container(kind, file, size)
            stream = _with_mutagen(kind, _read_stream, kind, path)
    if stream.duration_seconds < MINIMUM_DURATION_SECONDS:
        raise InvalidAudio(
            f"The audio lasts only {stream.duration_seconds:.2f} seconds; "
            "the file is probably cut short. Upload the complete recording."
        )
    tags, cover, chapters = _read_metadata(kind, path, stream.duration_seconds)
    mime_type, extension = _KINDS[kind]
    return AudioInfo(
        format=kind,
        codec=stream.codec,
        mime_type=mime_type,
        extension=extension,
        duration_seconds=stream.duration_seconds,
        bitrate=stream.bitrate,
        bitrate_mode=stream.bitrate_mode,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
        id3_size=id3_size,
        tags=tags,
        cover=cover,
        chapters=chapters,
    )


def write_episode_tags(source: Path, target: Path, tags: EpisodeTags) -> None:
    """Write a fresh ID3v2.4 tag into a copy of ``source``, so served bytes never change.

    ``source`` is left untouched; ``target`` appears complete or not at all.
    """
    info = probe(source)
    if info.format != "mp3":
        raise InvalidAudio(
            f"Episode tags can only be written into MP3 files, not {info.format.upper()}."
        )
    descriptor, temporary_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as output, source.open("rb") as original:
            shutil.copyfileobj(original, output, _WALK_CHUNK_BYTES)
        try:
            _replace_id3(_episode_id3(tags, info.duration_seconds), temporary)
        except mutagen.MutagenError as error:
            raise InvalidAudio(f"The episode tags could not be written: {error}.") from error
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _with_mutagen(
    kind: str,
    function: Callable[Parameters, Result],
    *arguments: Parameters.args,
    **keywords: Parameters.kwargs,
) -> Result:
    """Call into mutagen, turning any failure on a malformed file into InvalidAudio.

    mutagen raises many exception types on broken files (its own errors, but
    also struct.error, IndexError, OSError on short reads...), none of which
    should reach the user as a crash.
    """
    try:
        return function(*arguments, **keywords)
    except InvalidAudio:
        raise
    except Exception as error:  # deliberately broad, see the docstring
        detail = str(error) or type(error).__name__
        raise InvalidAudio(
            f"This {_LABELS[kind]} file could not be read; it may be damaged ({detail})."
        ) from error


def _leading_id3_size(file: BinaryIO, size: int) -> int:
    """Return the bytes taken by ID3v2 tags at the start, so audio and analytics can skip them."""
    offset = 0
    while offset + 10 <= size:
        file.seek(offset)
        header = file.read(10)
        if header[:3] != b"ID3" or header[3] == 0xFF or any(byte & 0x80 for byte in header[6:10]):
            break
        body = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        footer = 10 if header[5] & 0x10 else 0
        offset += 10 + body + footer
    return min(offset, size)


def _sniff(head: bytes, id3_size: int, size: int) -> str:
    """Name the container from its first bytes; file names and extensions are not trusted."""
    if not head:
        raise InvalidAudio("The file holds an ID3 tag but no audio.")
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        if b"OpusHead" in head[:512]:
            return "opus"
        if b"\x01vorbis" in head[:512]:
            return "ogg"
        raise InvalidAudio(
            f"This Ogg file holds neither Vorbis nor Opus audio. Upload {_SUPPORTED}."
        )
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    # Checked before looking for MPEG frames, which random bytes can imitate.
    is_other_file = head.startswith(tuple(signature for signature, _ in _OTHER_FILE_SIGNATURES))
    if not is_other_file and _first_mpeg_frame(head, size - id3_size) is not None:
        return "mp3"
    raise InvalidAudio(_describe_non_audio(head))


_OTHER_FILE_SIGNATURES = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM file"),
    (b"RIFF", "a RIFF file that is not WAV audio"),
    (b"FORM", "an AIFF file"),
)


def _describe_non_audio(head: bytes) -> str:
    """Say what a file that is not audio seems to be, so the user knows what went wrong."""
    for signature, description in _OTHER_FILE_SIGNATURES:
        if head.startswith(signature):
            return f"This file is {description}, not audio. Upload {_SUPPORTED}."
    sample = head[:4096]
    if b"\x00" not in sample:
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as error:
            is_text = error.start > len(sample) - 4  # a character cut by the sample's end
        else:
            is_text = True
        if is_text:
            return f"This file is text, not audio. Upload {_SUPPORTED}."
    return f"This file is not in a format we accept, or is damaged. Upload {_SUPPORTED}."


def _frame_lengths() -> tuple[int, ...]:
    """Tabulate the byte length of every Layer III frame by header bits 9-20 (0 when invalid)."""
    lengths = []
    for index in range(4096):
        version = index >> 10
        layer = (index >> 8) & 0b11
        bitrate_index = (index >> 3) & 0xF
        rate_index = (index >> 1) & 0b11
        padding = index & 1
        if version == 0b01 or layer != 0b01 or bitrate_index in (0, 15) or rate_index == 0b11:
            lengths.append(0)
            continue
        bitrate = _LAYER3_KBPS["1" if version == 0b11 else "2"][bitrate_index] * 1000
        sample_rate = _SAMPLE_RATES[version][rate_index]
        slot_factor = 144 if version == 0b11 else 72
        lengths.append(slot_factor * bitrate // sample_rate + padding)
    return tuple(lengths)


_FRAME_LENGTHS = _frame_lengths()


def _frame_length(header: int, reference: int | None = None) -> int:
    """Return the length of the Layer III frame a header starts (0 when it is no such frame)."""
    if header & _MPEG_SYNC != _MPEG_SYNC:
        return 0
    if reference is not None and header & _MPEG_STREAM_MASK != reference & _MPEG_STREAM_MASK:
        return 0
    return _FRAME_LENGTHS[(header >> 9) & 0xFFF]


def _first_mpeg_frame(data: bytes, available: int) -> tuple[int, int] | None:
    """Find the first frame followed by two more of the same stream, as (offset, header).

    Three chained frames make a false sync in random bytes (cover art, a
    renamed JPEG) very unlikely. A shorter chain counts when it runs into the
    end of the file, so that a cut file is named as a cut MP3.
    """
    position = data.find(b"\xff")
    while 0 <= position <= len(data) - 4:
        header = _HEADER.unpack_from(data, position)[0]
        offset, chained = position, 0
        while chained < 3 and offset + 4 <= len(data):
            length = _frame_length(_HEADER.unpack_from(data, offset)[0], header)
            if length == 0:
                break
            offset += length
            chained += 1
        runs_into_end = offset + 4 > available
        if (
            chained >= 3
            or (chained == 2 and runs_into_end)
            or (chained == 1 and offset == available)
        ):
            return position, header
        position = data.find(b"\xff", position + 1)
    return None


def _mp3_stream(file: BinaryIO, id3_size: int, head: bytes, size: int) -> _Stream:
    """Measure an MP3 exactly: trust a Xing/VBRI frame count, else walk every frame."""
    found = _first_mpeg_frame(head, size - id3_size)
    if found is None:
        raise InvalidAudio("The file has no MPEG audio frames; it is damaged or not an MP3.")
    relative_offset, header = found
    first_frame = id3_size + relative_offset
    version = (header >> 19) & 0b11
    samples_per_frame = 1152 if version == 0b11 else 576
    sample_rate = _SAMPLE_RATES[version][(header >> 10) & 0b11]
    channels = 1 if (header >> 6) & 0b11 == 0b11 else 2
    audio_end = _audio_end(file, size)
    declared = _declared_frames_and_bytes(head[relative_offset:], header)

    if declared is not None and declared[0] > 0:
        file.seek(first_frame)
        info = _with_mutagen("mp3", MPEGInfo, file, first_frame)
        duration = float(info.length)
        declared_bytes = declared[1]
        if declared_bytes > 0 and duration > 0:
            missing_bytes = declared_bytes - (audio_end - first_frame)
            bytes_per_second = declared_bytes / duration
            if missing_bytes / bytes_per_second > TRUNCATION_TOLERANCE_SECONDS:
                present = (audio_end - first_frame) / bytes_per_second
                raise InvalidAudio(
                    f"The MP3 file ends early: its header announces {duration:.1f} seconds of "
                    f"audio but the file holds only about {present:.1f}. Upload the complete file."
                )
        return _Stream(
            codec="mp3",
            duration_seconds=duration,
            bitrate=int(info.bitrate),
            bitrate_mode=_BITRATE_MODES.get(info.bitrate_mode, "unknown"),
            sample_rate=sample_rate,
            channels=channels,
        )

    # No frame count in a header: mutagen would estimate the duration from the
    # first frame's bitrate, which for VBR can be off several times over.
    start = first_frame
    if declared is not None:  # a Xing frame without a count is silent; skip it
        start += _frame_length(header)
    walk = _walk_mpeg_frames(file, start, audio_end, header)
    if walk.frames == 0:
        raise InvalidAudio(
            "The MP3 file holds no complete audio frame; it is cut short or damaged."
        )
    duration = walk.frames * samples_per_frame / sample_rate
    is_constant = walk.bitrate_indexes & (walk.bitrate_indexes - 1) == 0
    return _Stream(
        codec="mp3",
        duration_seconds=duration,
        bitrate=round(walk.audio_bytes * 8 / duration),
        bitrate_mode="cbr" if is_constant else "vbr",
        sample_rate=sample_rate,
        channels=channels,
    )


_BITRATE_MODES = {
    BitrateMode.CBR: "cbr",
    BitrateMode.VBR: "vbr",
    BitrateMode.ABR: "abr",
    BitrateMode.UNKNOWN: "unknown",
}


def _declared_frames_and_bytes(frame: bytes, header: int) -> tuple[int, int] | None:
    """Read the frame and byte counts of a Xing/Info or VBRI header in the first frame.

    Returns None when the frame carries no such header; a count the header
    leaves out is 0.
    """
    is_mpeg1 = (header >> 19) & 0b11 == 0b11
    is_mono = (header >> 6) & 0b11 == 0b11
    side_info = (17 if is_mono else 32) if is_mpeg1 else (9 if is_mono else 17)
    for offset in (4 + side_info, 6 + side_info):  # without and with a CRC
        tag = frame[offset : offset + 4]
        if tag in (b"Xing", b"Info") and len(frame) >= offset + 8:
            flags = _HEADER.unpack_from(frame, offset + 4)[0]
            position, frames, byte_count = offset + 8, 0, 0
            if flags & 1 and len(frame) >= position + 4:
                frames = _HEADER.unpack_from(frame, position)[0]
                position += 4
            if flags & 2 and len(frame) >= position + 4:
                byte_count = _HEADER.unpack_from(frame, position)[0]
            return frames, byte_count
    if frame[36:40] == b"VBRI" and len(frame) >= 54:
        byte_count, frames = struct.unpack_from(">II", frame, 46)
        return frames, byte_count
    return None


def _audio_end(file: BinaryIO, size: int) -> int:
    """Return where MPEG audio ends, before a trailing ID3v1 or APEv2 tag."""
    end = size
    if end >= 128:
        file.seek(end - 128)
        if file.read(3) == b"TAG":
            end -= 128
    if end >= 32:
        file.seek(end - 32)
        footer = file.read(32)
        if footer.startswith(b"APETAGEX"):
            tag_size, _items, flags = struct.unpack_from("<III", footer, 12)
            end -= tag_size + (32 if flags & 0x80000000 else 0)
    return max(end, 0)


def _walk_mpeg_frames(file: BinaryIO, start: int, end: int, reference: int) -> _FrameWalk:
    """Count the complete frames between ``start`` and ``end``, skipping junk between them.

    Reads in large chunks and touches only each frame's four header bytes, so
    an hour of audio takes a fraction of a second.
    """
    lengths = _FRAME_LENGTHS
    unpack_from = _HEADER.unpack_from
    stream_bits = reference & _MPEG_STREAM_MASK
    frames = audio_bytes = bitrate_indexes = 0
    offset = start
    while offset + 4 <= end:
        file.seek(offset)
        chunk = file.read(min(_WALK_CHUNK_BYTES, end - offset))
        last_header = len(chunk) - 4
        remaining = end - offset
        position = 0
        while position <= last_header:
            header = unpack_from(chunk, position)[0]
            length = (
                lengths[(header >> 9) & 0xFFF] if header & _MPEG_STREAM_MASK == stream_bits else 0
            )
            if length == 0:
                position = _resync(chunk, position + 1, reference)
                if position < 0:
                    position = max(last_header + 1, 1)
                    break
                continue
            if position + length > remaining:
                return _FrameWalk(frames, audio_bytes, bitrate_indexes)
            frames += 1
            audio_bytes += length
            bitrate_indexes |= 1 << ((header >> 12) & 0xF)
            position += length
        offset += position
    return _FrameWalk(frames, audio_bytes, bitrate_indexes)


def _resync(chunk: bytes, position: int, reference: int) -> int:
    """Find the next frame of the stream that another frame follows (-1 if none in the chunk)."""
    position = chunk.find(b"\xff", position)
    while 0 <= position <= len(chunk) - 4:
        length = _frame_length(_HEADER.unpack_from(chunk, position)[0], reference)
        following = position + length
        if length and (
            following > len(chunk) - 4
            or _frame_length(_HEADER.unpack_from(chunk, following)[0], reference)
        ):
            return position
        position = chunk.find(b"\xff", position + 1)
    return -1


def _refuse_cut_container(kind: str, file: BinaryIO, size: int) -> None:
    """Refuse a WAV or M4A whose chunks or atoms run past the end of the file.

    Both formats state their length up front, so a cut upload would otherwise
    be stored with the duration of the whole recording.
    """
    if kind == "wav":
        offset = 12  # after "RIFF", the size and "WAVE"
    elif kind == "m4a":
        offset = 0
    else:
        return
    while offset + 8 <= size:
        file.seek(offset)
        header = file.read(16)
        if kind == "wav":
            length = 8 + int.from_bytes(header[4:8], "little") + (header[4] & 1)
        else:
            length = int.from_bytes(header[0:4], "big")
            if length == 1:  # 64-bit size follows the type
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # runs to the end of the file
                return
        if length < 8:
            return  # not a size we understand; leave it to mutagen
        if offset + length > size + 1:  # a missing pad byte at the very end is harmless
            raise InvalidAudio(
                f"The {_LABELS[kind]} file ends early: it announces "
                f"{offset + length - size} more bytes than it holds. Upload the complete file."
            )
        offset += length


def _read_stream(kind: str, path: Path) -> _Stream:
    """Read stream facts of a non-MP3 file with mutagen."""
    if kind == "m4a":
        info: Any = MP4(path).info
        codec = str(info.codec)
        if not codec:
            raise InvalidAudio("This MP4 file has no audio track.")
        if not codec.startswith("mp4a.40"):
            raise InvalidAudio(
                f"This M4A file holds {codec} audio; podcast apps need AAC. Export it as AAC."
            )
        stream = _stream_from(info, path, "aac", "unknown")
        return dataclasses.replace(stream, channels=_aac_channel_count(path) or stream.channels)
    if kind == "ogg":
        return _stream_from(OggVorbis(path).info, path, "vorbis", "unknown")
    if kind == "opus":
        # Opus always decodes at 48 kHz, whatever rate its input had.
        return _stream_from(OggOpus(path).info, path, "opus", "unknown", sample_rate=48000)
    if kind == "flac":
        return _stream_from(FLAC(path).info, path, "flac", "vbr")
    wave: Any = WAVE(path).info
    bits = int(wave.bits_per_sample)
    if wave.audio_format in (1, 0xFFFE):  # PCM, plain or "extensible"
        codec = "pcm_u8" if bits == 8 else f"pcm_s{bits}le"
    elif wave.audio_format == 3:
        codec = f"pcm_f{bits}le"
    else:
        raise InvalidAudio(
            f"This WAV file holds compressed audio (format 0x{wave.audio_format:04x}). "
            "Upload uncompressed WAV or MP3."
        )
    return _stream_from(wave, path, codec, "cbr")


def _stream_from(
    info: Any, path: Path, codec: str, bitrate_mode: str, sample_rate: int | None = None
) -> _Stream:
    """Build stream facts from a mutagen info object, deriving the bitrate when it has none."""
    duration = float(info.length)
    if not duration > 0:
        raise InvalidAudio("The file holds no audio samples.")
    bitrate = int(getattr(info, "bitrate", 0) or 0) or round(path.stat().st_size * 8 / duration)
    return _Stream(
        codec=codec,
        duration_seconds=duration,
        bitrate=bitrate,
        bitrate_mode=bitrate_mode,
        sample_rate=sample_rate or int(info.sample_rate),
        channels=int(info.channels),
    )


def _aac_channel_count(path: Path) -> int:
    """Read the channel count from the AAC decoder config (0 when it does not say).

    The MP4 sample entry often says 2 for mono AAC, and mutagen falls back to
    it when the config carries an SBR/PS sync extension, as ffmpeg writes.
    """
    try:
        with path.open("rb") as file:
            atoms = Atoms(file)
            for track in atoms[b"moov"].findall(b"trak"):
                is_ok, handler = track[b"mdia", b"hdlr"].read(file)
                if is_ok and handler[8:12] == b"soun":
                    is_ok, description = track[b"mdia", b"minf", b"stbl", b"stsd"].read(file)
                    return _channels_from_esds(description) if is_ok else 0
    except (KeyError, IndexError, mutagen.MutagenError):
        pass  # an odd layout: keep what mutagen read
    return 0


def _channels_from_esds(description: bytes) -> int:
    """Find the AudioSpecificConfig in an stsd payload and decode its channel configuration."""
    position = description.find(b"esds")
    if position < 0:
        return 0
    position += 8  # name, version and flags
    while position < len(description):
        tag = description[position]
        position += 1
        length = 0
        for _ in range(4):
            byte = description[position]
            position += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        if tag == 0x03:  # ES_Descriptor: ES_ID, flags, then optional fields
            flags = description[position + 2]
            position += 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
            if flags & 0x40:
                position += 1 + description[position]
        elif tag == 0x04:  # DecoderConfigDescriptor: 13 fixed bytes, then its children
            position += 13
        elif tag == 0x05:  # DecoderSpecificInfo: the AudioSpecificConfig
            config = int.from_bytes(description[position : position + 4].ljust(4, b"\0"), "big")
            object_type = config >> 27
            shift = 27
            if object_type == 31:
                object_type = 32 + ((config >> 21) & 0x3F)
                shift = 21
            frequency_index = (config >> (shift - 4)) & 0xF
            shift -= 4
            if frequency_index == 15:
                return 0  # explicit 24-bit frequency: rare, leave it to mutagen
            configuration = (config >> (shift - 4)) & 0xF
            if object_type == 29 and configuration == 1:  # parametric stereo
                return 2
            return {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8}.get(configuration, 0)
        else:
            position += length
    return 0


def _read_metadata(
    kind: str, path: Path, duration: float
) -> tuple[AudioTags, CoverArt | None, tuple[AudioChapter, ...]]:
    """Read tags, cover and chapters; a broken tag is dropped, as the audio may still be fine."""
    try:
        if kind == "mp3":
            return _id3_metadata(_load_id3(path))
        if kind == "wav":
            return _id3_metadata(WAVE(path).tags)
        if kind == "m4a":
            return _mp4_metadata(MP4(path), duration)
        if kind == "flac":
            flac = FLAC(path)
            return _vorbis_metadata(flac.tags, flac.pictures)
        ogg = OggOpus(path) if kind == "opus" else OggVorbis(path)
        return _vorbis_metadata(ogg.tags, [])
    except Exception:  # deliberately broad: a damaged tag must not refuse playable audio
        return AudioTags(), None, ()


def _load_id3(path: Path) -> ID3 | None:
    """Load the ID3 tag of an MP3, or None when it has none."""
    try:
        return ID3(path)
    except ID3NoHeaderError:
        return None


def _id3_metadata(tags: ID3 | None) -> tuple[AudioTags, CoverArt | None, tuple[AudioChapter, ...]]:
    """Read text tags, the front cover and CTOC-ordered chapters from an ID3 tag."""
    if tags is None:
        return AudioTags(), None, ()
    comments = [frame for frame in tags.getall("COMM") if not str(frame.desc).startswith("iTun")]
    comments.sort(key=lambda frame: frame.desc != "")
    year = _first_text(tags, "TDRC") or _first_text(tags, "TYER")
    audio_tags = AudioTags(
        title=_clean(_first_text(tags, "TIT2")),
        artist=_clean(_first_text(tags, "TPE1")),
        album=_clean(_first_text(tags, "TALB")),
        comment=_clean_comment(
            "\n".join(str(text) for text in comments[0].text) if comments else None
        ),
        year=_year(year),
        track=_track(_first_text(tags, "TRCK")),
        genre=_clean(_genre(tags)),
    )
    pictures = sorted(tags.getall("APIC"), key=lambda frame: frame.type != 3)
    cover = next(
        (art for art in (_cover(frame.data) for frame in pictures) if art is not None),
        None,
    )
    return audio_tags, cover, _id3_chapters(tags)


def _genre(tags: ID3) -> str | None:
    """Return the first genre by name; ID3 may store "(12)" for "Other"."""
    frames = tags.getall("TCON")
    genres = frames[0].genres if frames else []
    return str(genres[0]) if genres else None


def _first_text(tags: ID3, frame_id: str) -> str | None:
    """Return the first text of a text frame, or None."""
    frames = tags.getall(frame_id)
    if not frames or not frames[0].text:
        return None
    return str(frames[0].text[0])


def _id3_chapters(tags: ID3) -> tuple[AudioChapter, ...]:
    """Read CHAP frames in the order the top-level CTOC gives, else by start time."""
    chapters = {str(frame.element_id): frame for frame in tags.getall("CHAP")}
    tables = tags.getall("CTOC")
    top_level = [table for table in tables if table.flags & CTOCFlags.TOP_LEVEL] or tables
    if top_level:
        order = [
            chapters[element] for element in top_level[0].child_element_ids if element in chapters
        ]
    else:
        order = sorted(chapters.values(), key=lambda frame: int(frame.start_time))
    result = []
    for number, frame in enumerate(order, start=1):
        title_frames = frame.sub_frames.getall("TIT2")
        title = (
            _clean(str(title_frames[0].text[0])) if title_frames and title_frames[0].text else None
        )
        link_frames = frame.sub_frames.getall("WXXX") + frame.sub_frames.getall("WOAR")
        start, end = int(frame.start_time), int(frame.end_time)
        result.append(
            AudioChapter(
                start_seconds=start / 1000,
                end_seconds=end / 1000 if end > start else None,
                title=title or f"Chapter {number}",
                url=_clean_url(str(link_frames[0].url)) if link_frames else None,
            )
        )
    return tuple(result)


def _mp4_metadata(
    m4a: MP4, duration: float
) -> tuple[AudioTags, CoverArt | None, tuple[AudioChapter, ...]]:
    """Read iTunes-style atoms, cover and Nero chapters from an MP4 file."""
    atoms: Any = m4a.tags or {}

    def first(key: str) -> str | None:
        values = atoms.get(key)
        return str(values[0]) if values else None

    track_values = atoms.get("trkn")
    audio_tags = AudioTags(
        title=_clean(first("©nam")),
        artist=_clean(first("©ART") or first("aART")),
        album=_clean(first("©alb")),
        comment=_clean_comment(first("©cmt") or first("desc")),
        year=_year(first("©day")),
        track=str(track_values[0][0]) if track_values and track_values[0][0] else None,
        genre=_clean(first("©gen")),
    )
    pictures = atoms.get("covr") or []
    cover = next((art for art in (_cover(bytes(data)) for data in pictures) if art), None)
    marks = list(m4a.chapters or [])
    chapters = tuple(
        AudioChapter(
            start_seconds=float(mark.start),
            end_seconds=float(marks[index + 1].start) if index + 1 < len(marks) else duration,
            title=_clean(str(mark.title)) or f"Chapter {index + 1}",
        )
        for index, mark in enumerate(marks)
    )
    return audio_tags, cover, chapters


def _vorbis_metadata(
    comments: Any, pictures: Sequence[Picture]
) -> tuple[AudioTags, CoverArt | None, tuple[AudioChapter, ...]]:
    """Read Vorbis comments and FLAC or METADATA_BLOCK_PICTURE covers."""
    values: dict[str, list[str]] = {}
    for key, value in comments or []:
        values.setdefault(str(key).lower(), []).append(str(value))

    def first(*keys: str) -> str | None:
        return next((values[key][0] for key in keys if values.get(key)), None)

    audio_tags = AudioTags(
        title=_clean(first("title")),
        artist=_clean(first("artist", "albumartist")),
        album=_clean(first("album")),
        comment=_clean_comment(first("comment", "description")),
        year=_year(first("date", "year")),
        track=_track(first("tracknumber")),
        genre=_clean(first("genre")),
    )
    candidates = list(pictures) + list(_block_pictures(values.get("metadata_block_picture", [])))
    candidates.sort(key=lambda picture: picture.type != 3)
    cover = next(
        (art for art in (_cover(picture.data) for picture in candidates) if art is not None),
        None,
    )
    return audio_tags, cover, ()


def _block_pictures(encoded: Iterable[str]) -> Iterable[Picture]:
    """Decode base64 METADATA_BLOCK_PICTURE comments, skipping broken ones."""
    for value in encoded:
        try:
            yield Picture(base64.b64decode(value))
        except (binascii.Error, ValueError, mutagen.MutagenError, struct.error):
            continue


def _cover(data: bytes) -> CoverArt | None:
    """Keep embedded art only when its bytes are an image a browser can show.

    The declared MIME type is ignored: taggers write "image/jpg", "JPG" or
    nothing, and some store a URL instead of a picture.
    """
    signatures = (
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF8", "image/gif"),
    )
    for signature, mime_type in signatures:
        if data.startswith(signature):
            return CoverArt(data=bytes(data), mime_type=mime_type)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return CoverArt(data=bytes(data), mime_type="image/webp")
    return None


def _clean(value: str | None) -> str | None:
    """Clean a one-line tag; empty becomes None."""
    return clean_text(value, max_length=TAG_MAX_LENGTH) or None


def _clean_comment(value: str | None) -> str | None:
    """Clean a multi-line comment; empty becomes None."""
    return clean_text(value, max_length=COMMENT_MAX_LENGTH, multiline=True) or None


def _clean_url(value: str | None) -> str | None:
    """Keep a chapter link only if it is an absolute web URL, safe to put in a page or feed."""
    url = clean_text(value, max_length=URL_MAX_LENGTH)
    return url if re.match(r"https?://[^\s]+$", url, re.IGNORECASE) else None


def _year(value: str | None) -> str | None:
    """Return the four-digit year of a date tag."""
    match = re.search(r"\d{4}", value or "")
    return match.group() if match else None


def _track(value: str | None) -> str | None:
    """Return the track number without a "/total" part."""
    return _clean((value or "").split("/")[0])


def _episode_id3(tags: EpisodeTags, duration: float) -> ID3:
    """Build the ID3 tag of a published episode."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.show_title))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=tags.artist))
    if tags.episode_number is not None:
        id3.add(TRCK(encoding=3, text=str(tags.episode_number)))
    if tags.description:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.description))
    if tags.link:
        id3.add(WXXX(encoding=3, desc="", url=tags.link))
    if tags.cover is not None:
        id3.add(
            APIC(encoding=3, mime=tags.cover.mime_type, type=3, desc="Cover", data=tags.cover.data)
        )
    if tags.chapters:
        element_ids = [f"chp{index}" for index in range(len(tags.chapters))]
        for index, chapter in enumerate(tags.chapters):
            following = (
                tags.chapters[index + 1].start_seconds
                if index + 1 < len(tags.chapters)
                else duration
            )
            end = chapter.end_seconds if chapter.end_seconds is not None else following
            sub_frames: list[Any] = [TIT2(encoding=3, text=chapter.title)]
            if chapter.url:
                sub_frames.append(WXXX(encoding=3, desc="", url=chapter.url))
            id3.add(
                CHAP(
                    element_id=element_ids[index],
                    start_time=round(chapter.start_seconds * 1000),
                    end_time=round(end * 1000),
                    sub_frames=sub_frames,
                )
            )
        id3.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=element_ids,
                sub_frames=[],
            )
        )
    return id3


def _replace_id3(id3: ID3, path: Path) -> None:
    """Drop any ID3 tag in ``path`` and save ``id3`` as ID3v2.4 in its place."""
    mutagen.id3.delete(path)
    id3.save(path, v2_version=4)
