"""Behaviour of catalog.audio against the committed corpus (see fixtures/audio/make_corpus.sh)."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import mutagen.id3
import mutagen.mp3
import pytest

from catalog.audio import (
    AudioChapter,
    AudioInfo,
    AudioTags,
    CoverArt,
    EpisodeTags,
    probe,
    write_episode_tags,
)
from catalog.errors import InvalidAudio
from tests.audio_factory import AUDIO_FIXTURES, make_long_vbr_mp3

EXPECTED = json.loads((AUDIO_FIXTURES / "expected.json").read_text())
COVER = (AUDIO_FIXTURES / "image_named.mp3").read_bytes()  # the JPEG embedded as cover art

# name: (format, codec, mime type, extension, bitrate mode)
GOOD_FILES = {
    "cbr.mp3": ("mp3", "mp3", "audio/mpeg", "mp3", "cbr"),
    "vbr_xing.mp3": ("mp3", "mp3", "audio/mpeg", "mp3", "vbr"),
    "vbr_vbri.mp3": ("mp3", "mp3", "audio/mpeg", "mp3", "vbr"),
    "vbr_headerless.mp3": ("mp3", "mp3", "audio/mpeg", "mp3", "vbr"),
    "hostile_tags.mp3": ("mp3", "mp3", "audio/mpeg", "mp3", "cbr"),
    "aac.m4a": ("m4a", "aac", "audio/x-m4a", "m4a", "unknown"),
    "vorbis.ogg": ("ogg", "vorbis", "audio/ogg", "ogg", "unknown"),
    "opus.opus": ("opus", "opus", "audio/ogg", "opus", "unknown"),
    "flac.flac": ("flac", "flac", "audio/flac", "flac", "vbr"),
    "wav.wav": ("wav", "pcm_s16le", "audio/wav", "wav", "cbr"),
}


def fixture(name: str) -> Path:
    """Return the path of a corpus file."""
    return AUDIO_FIXTURES / name


def frame_seconds(info: AudioInfo) -> float:
    """Return the length of one MP3 frame, the finest step an MP3 duration can take."""
    return (1152 if info.sample_rate >= 32000 else 576) / info.sample_rate


def sha256(path: Path) -> str:
    """Hash a file, to show it was not modified."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("name", "expected"), GOOD_FILES.items())
def test_probe_identifies_format_codec_and_mime_type(name: str, expected: tuple[str, ...]) -> None:
    info = probe(fixture(name))

    assert (info.format, info.codec, info.mime_type, info.extension, info.bitrate_mode) == expected


@pytest.mark.parametrize("name", GOOD_FILES)
def test_probe_measures_duration_like_ffprobe_decoding(name: str) -> None:
    info = probe(fixture(name))

    tolerance = max(0.1, frame_seconds(info)) if info.format == "mp3" else 0.1
    assert info.duration_seconds == pytest.approx(EXPECTED[name]["duration_seconds"], abs=tolerance)


@pytest.mark.parametrize("name", GOOD_FILES)
def test_probe_reads_codec_sample_rate_and_channels_like_ffprobe(name: str) -> None:
    info = probe(fixture(name))

    expected = EXPECTED[name]
    assert (info.codec, info.sample_rate, info.channels) == (
        expected["codec"],
        expected["sample_rate"],
        expected["channels"],
    )


@pytest.mark.parametrize("name", GOOD_FILES)
def test_probe_reports_bitrate_from_size_and_duration(name: str) -> None:
    info = probe(fixture(name))

    from_size = EXPECTED[name]["size_bytes"] * 8 / EXPECTED[name]["duration_seconds"]
    # Tags and container overhead (cover art, a 5000-character title) are not audio.
    assert 0.5 * from_size < info.bitrate <= 1.05 * from_size


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "cbr.mp3",
            AudioTags(
                title="Episode one: the corpus",
                artist="Catalog Tests",
                album="The Test Show",
                comment="First line.\nSecond line.",
                year="2024",
                track="1",
                genre="Podcast",
            ),
        ),
        (
            "aac.m4a",
            AudioTags(
                title="AAC with chapters",
                artist="Catalog Tests",
                album="Corpus",
                comment="An AAC file in an MP4 container.",
                year="2024",
                track="4",
                genre="Podcast",
            ),
        ),
        (
            "vorbis.ogg",
            AudioTags(
                title="Vorbis test", artist="Catalog Tests", year="2023", track="2", genre="Speech"
            ),
        ),
        ("opus.opus", AudioTags(title="Opus test", artist="Catalog Tests")),
        ("flac.flac", AudioTags(title="FLAC test", album="Corpus")),
        ("vbr_xing.mp3", AudioTags(title="VBR with Xing")),
        ("vbr_headerless.mp3", AudioTags()),
        ("wav.wav", AudioTags()),
    ],
)
def test_probe_reads_tags(name: str, expected: AudioTags) -> None:
    assert probe(fixture(name)).tags == expected


@pytest.mark.parametrize("name", ["cbr.mp3", "aac.m4a", "flac.flac"])
def test_probe_extracts_cover_art(name: str) -> None:
    assert probe(fixture(name)).cover == CoverArt(data=COVER, mime_type="image/jpeg")


@pytest.mark.parametrize("name", ["vbr_headerless.mp3", "vorbis.ogg", "wav.wav"])
def test_probe_reports_no_cover_when_none_is_embedded(name: str) -> None:
    assert probe(fixture(name)).cover is None


def test_probe_reads_id3_chapters_in_ctoc_order() -> None:
    # The file stores the CHAP frames second-chapter-first; the CTOC decides.
    assert probe(fixture("cbr.mp3")).chapters == (
        AudioChapter(
            start_seconds=0.0,
            end_seconds=2.5,
            title="First chapter",
            url="https://example.com/first",
        ),
        AudioChapter(start_seconds=2.5, end_seconds=5.8, title="Second chapter", url=None),
    )


def test_probe_reads_mp4_chapters_ending_at_the_next_one() -> None:
    info = probe(fixture("aac.m4a"))

    assert info.chapters == (
        AudioChapter(start_seconds=0.0, end_seconds=2.0, title="Opening"),
        AudioChapter(start_seconds=2.0, end_seconds=info.duration_seconds, title="Main part"),
    )


@pytest.mark.parametrize("name", ["cbr.mp3", "vbr_xing.mp3", "hostile_tags.mp3"])
def test_probe_reports_id3_size_up_to_the_first_audio_frame(name: str) -> None:
    data = fixture(name).read_bytes()

    id3_size = probe(fixture(name)).id3_size

    assert data.startswith(b"ID3")
    assert data[id3_size] == 0xFF
    assert data[id3_size + 1] & 0xE0 == 0xE0


@pytest.mark.parametrize("name", ["vbr_headerless.mp3", "vbr_vbri.mp3", "aac.m4a", "flac.flac"])
def test_probe_reports_zero_id3_size_without_a_tag(name: str) -> None:
    assert probe(fixture(name)).id3_size == 0


def test_probe_measures_headerless_vbr_where_mutagen_only_estimates() -> None:
    path = fixture("vbr_headerless.mp3")
    expected = EXPECTED[path.name]["duration_seconds"]

    info = probe(path)

    assert mutagen.mp3.MP3(path).info.length > 3 * expected  # the fixture is the hard case
    assert info.duration_seconds == pytest.approx(expected, abs=frame_seconds(info))


def test_probe_skips_junk_between_mp3_frames(tmp_path: Path) -> None:
    stream = fixture("vbr_headerless.mp3").read_bytes()
    junk = b"ID3\x04\x00\x00\x00\x00\x01\x00" + b"a tag pasted in the middle " * 5
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(stream + junk + stream)

    info = probe(joined)

    expected = 2 * EXPECTED["vbr_headerless.mp3"]["duration_seconds"]
    assert info.duration_seconds == pytest.approx(expected, abs=1e-6)


@pytest.mark.slow
def test_probe_measures_hour_long_headerless_vbr_exactly(tmp_path: Path) -> None:
    long = make_long_vbr_mp3(tmp_path / "hour.mp3", seconds=3600)

    info = probe(long.path)

    assert mutagen.mp3.MP3(long.path).info.length > 3 * 3600
    assert info.duration_seconds == pytest.approx(long.duration_seconds, abs=1e-6)
    assert info.duration_seconds >= 3600
    assert info.bitrate_mode == "vbr"


def test_make_long_vbr_mp3_targets_a_size(tmp_path: Path) -> None:
    long = make_long_vbr_mp3(tmp_path / "sized.mp3", size_bytes=5_000_000)

    assert long.path.stat().st_size == long.size_bytes
    assert long.size_bytes == pytest.approx(5_000_000, rel=0.02)
    assert probe(long.path).duration_seconds == pytest.approx(long.duration_seconds, abs=1e-6)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.mp3", "The file is empty."),
        ("truncated.mp3", "The MP3 file ends early"),
        ("text_named.mp3", "This file is text, not audio."),
        ("image_named.mp3", "This file is a JPEG image, not audio."),
    ],
)
def test_probe_refuses_bad_files_saying_why(name: str, message: str) -> None:
    with pytest.raises(InvalidAudio, match=message) as caught:
        probe(fixture(name))

    assert caught.value.field == "audio"


def test_probe_refuses_mp3_cut_in_the_middle(tmp_path: Path) -> None:
    data = fixture("vbr_xing.mp3").read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(
        InvalidAudio, match=r"ends early: its header announces 6\.3 seconds .* about 3\.\d"
    ):
        probe(cut)


@pytest.mark.parametrize(("name", "label"), [("wav.wav", "WAV"), ("aac.m4a", "M4A")])
def test_probe_refuses_container_cut_in_the_middle(tmp_path: Path, name: str, label: str) -> None:
    data = fixture(name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(InvalidAudio, match=f"The {label} file ends early"):
        probe(cut)


def test_probe_refuses_id3_tag_without_audio(tmp_path: Path) -> None:
    data = fixture("cbr.mp3").read_bytes()
    tag_only = tmp_path / "tag_only.mp3"
    tag_only.write_bytes(data[: probe(fixture("cbr.mp3")).id3_size])

    with pytest.raises(InvalidAudio, match="ID3 tag but no audio"):
        probe(tag_only)


def test_probe_refuses_a_fraction_of_a_second(tmp_path: Path) -> None:
    data = fixture("vbr_headerless.mp3").read_bytes()
    blip = tmp_path / "blip.mp3"
    blip.write_bytes(data[:2000])

    with pytest.raises(InvalidAudio, match=r"lasts only 0\.\d\d seconds"):
        probe(blip)


def test_probe_refuses_unknown_binary_format(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(random.Random(7).randbytes(200_000))

    with pytest.raises(InvalidAudio, match="not in a format we accept"):
        probe(noise)


@pytest.mark.parametrize("name", GOOD_FILES)
@pytest.mark.parametrize("keep", [0.001, 0.01, 0.05, 0.3, 0.9])
def test_probe_answers_damaged_files_with_audio_info_or_invalid_audio(
    tmp_path: Path, name: str, keep: float
) -> None:
    data = bytearray(fixture(name).read_bytes())
    damaged = tmp_path / name
    start = int(len(data) * keep)
    data[start : start + 64] = random.Random(start).randbytes(64)
    damaged.write_bytes(bytes(data[: max(int(len(data) * (1 - keep / 2)), 1)]))

    try:
        result = probe(damaged)
    except InvalidAudio:
        return  # refusing is fine; the message is checked by the tests above
    assert result.duration_seconds > 0


def test_probe_cleans_control_characters_from_tags() -> None:
    tags = probe(fixture("hostile_tags.mp3")).tags

    assert tags.artist == "Bell and"  # ID3 splits text at NUL; BEL is dropped
    assert tags.album == "Tab and newline"
    assert tags.comment == "Line one\nLine two"


def test_probe_cuts_a_5000_character_title() -> None:
    title = probe(fixture("hostile_tags.mp3")).tags.title

    assert title is not None
    assert len(title) == 255
    assert title.startswith("Long title title")
    assert title.endswith("…")


EPISODE_TAGS = EpisodeTags(
    title="Episode 7: Landing on the Moon",
    show_title="Space Hour",
    artist="Ana Host",
    episode_number=7,
    cover=CoverArt(data=COVER, mime_type="image/jpeg"),
    chapters=(
        AudioChapter(
            start_seconds=0.0, end_seconds=None, title="Intro", url="https://example.com/intro"
        ),
        AudioChapter(start_seconds=3.25, end_seconds=None, title="Interview", url=None),
    ),
    link="https://example.com/episodes/7",
    description="What went right.\nWhat went wrong.",
)


@pytest.mark.parametrize("name", ["cbr.mp3", "vbr_headerless.mp3", "hostile_tags.mp3"])
def test_write_episode_tags_round_trips_through_probe(tmp_path: Path, name: str) -> None:
    target = tmp_path / "published.mp3"

    write_episode_tags(fixture(name), target, EPISODE_TAGS)

    info = probe(target)
    assert info.tags == AudioTags(
        title="Episode 7: Landing on the Moon",
        artist="Ana Host",
        album="Space Hour",
        comment="What went right.\nWhat went wrong.",
        track="7",
    )
    assert info.cover == EPISODE_TAGS.cover
    assert info.chapters == (
        AudioChapter(
            start_seconds=0.0, end_seconds=3.25, title="Intro", url="https://example.com/intro"
        ),
        AudioChapter(
            start_seconds=3.25,
            end_seconds=round(info.duration_seconds, 3),
            title="Interview",
            url=None,
        ),
    )
    assert info.duration_seconds == probe(fixture(name)).duration_seconds


def test_write_episode_tags_writes_id3v24_with_link(tmp_path: Path) -> None:
    target = tmp_path / "published.mp3"

    write_episode_tags(fixture("cbr.mp3"), target, EPISODE_TAGS)

    tag = mutagen.id3.ID3(target)
    assert tag.version == (2, 4, 0)
    assert tag.getall("WXXX")[0].url == "https://example.com/episodes/7"
    (table,) = tag.getall("CTOC")
    assert table.child_element_ids == ["chp0", "chp1"]
    assert table.flags == mutagen.id3.CTOCFlags.TOP_LEVEL | mutagen.id3.CTOCFlags.ORDERED


def test_write_episode_tags_leaves_source_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "original.mp3"
    source.write_bytes(fixture("cbr.mp3").read_bytes())
    before = sha256(source)

    write_episode_tags(source, tmp_path / "published.mp3", EPISODE_TAGS)

    assert sha256(source) == before


def test_write_episode_tags_keeps_audio_frames_byte_for_byte(tmp_path: Path) -> None:
    source = fixture("vbr_xing.mp3")
    target = tmp_path / "published.mp3"

    write_episode_tags(source, target, EPISODE_TAGS)

    audio_before = source.read_bytes()[probe(source).id3_size :]
    audio_after = target.read_bytes()[probe(target).id3_size :]
    assert audio_after == audio_before


def test_write_episode_tags_refuses_non_mp3_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "published.flac"

    with pytest.raises(InvalidAudio, match="only be written into MP3"):
        write_episode_tags(fixture("flac.flac"), target, EPISODE_TAGS)

    assert list(tmp_path.iterdir()) == []
