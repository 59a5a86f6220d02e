"""The media store, on real files: the audio corpus and images generated with Pillow."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from catalog.audio import probe
from catalog.errors import FileTooLarge, InvalidAudio, InvalidImage, InvalidInput, NotFound
from catalog.storage import CHUNK_SIZE, MediaStore, StoredAudio, display_filename, key_for
from tests.audio_factory import make_long_vbr_mp3

AUDIO = Path(__file__).parent / "fixtures" / "audio"
GOOD_AUDIO = [
    "cbr.mp3",
    "vbr_xing.mp3",
    "vbr_vbri.mp3",
    "aac.m4a",
    "flac.flac",
    "opus.opus",
    "vorbis.ogg",
    "wav.wav",
]
BAD_AUDIO = ["empty.mp3", "truncated.mp3", "text_named.mp3", "image_named.mp3"]
SHA = hashlib.sha256(b"catalog").hexdigest()
NO_LIMIT = 1 << 40


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def files_under(store: MediaStore) -> list[str]:
    """List every file in the store, temporary ones included, relative to its root."""
    if not store.root.exists():
        return []
    return sorted(
        str(path.relative_to(store.root)) for path in store.root.rglob("*") if not path.is_dir()
    )


def make_png(
    size: tuple[int, int] = (1400, 1400), mode: str = "RGB", image_format: str = "PNG"
) -> bytes:
    """Return the bytes of a real image."""
    output = io.BytesIO()
    Image.new(mode, size, 120).save(output, format=image_format)
    return output.getvalue()


class ShortReads(io.RawIOBase):
    """A request body that arrives a little at a time, as a socket delivers it."""

    def __init__(self, data: bytes, most: int) -> None:
        self._data = io.BytesIO(data)
        self._most = most

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), self._most))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class ReadOnly:
    """A stream with ``read`` and nothing else, like some WSGI servers' input."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 999))


class Disconnecting(io.RawIOBase):
    """A client that goes away after sending ``after`` bytes."""

    def __init__(self, data: bytes, after: int) -> None:
        self._data = io.BytesIO(data[:after])

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        if not chunk:
            raise ConnectionResetError("client disconnected")
        buffer[: len(chunk)] = chunk
        return len(chunk)


class Endless(io.RawIOBase):
    """A client that never stops sending, and fails the test if read too far."""

    def __init__(self, allowed: int) -> None:
        self.sent = 0
        self._allowed = allowed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        assert self.sent <= self._allowed, "kept reading past the limit"
        buffer[:] = b"\xff" * len(buffer)
        self.sent += len(buffer)
        return len(buffer)


def ingest_fixture(
    store: MediaStore, name: str, *, original_filename: str | None = None, max_bytes: int = NO_LIMIT
) -> StoredAudio:
    """Upload a file of the audio corpus, streamed from disk."""
    with (AUDIO / name).open("rb") as stream:
        return store.ingest_audio(
            stream, original_filename=original_filename or name, max_bytes=max_bytes
        )


# -- keys and paths -----------------------------------------------------------------------------


def test_key_for_names_content_by_its_hash_in_two_directory_levels() -> None:
    assert key_for(SHA, "mp3") == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3"


@pytest.mark.parametrize(
    ("sha256", "extension"),
    [
        (SHA.upper(), "mp3"),
        (SHA[:-1], "mp3"),
        (SHA, ".mp3"),
        (SHA, "mp3/../x"),
        (SHA, ""),
        (SHA, "MP3"),
    ],
)
def test_key_for_refuses_malformed_hashes_and_extensions(sha256: str, extension: str) -> None:
    with pytest.raises(InvalidInput):
        key_for(sha256, extension)


def test_path_for_places_a_key_inside_the_root(store: MediaStore) -> None:
    path = store.path_for(key_for(SHA, "mp3"))

    assert path == store.root / SHA[:2] / SHA[2:4] / f"{SHA}.mp3"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../../etc/passwd",
        "/etc/passwd",
        f"/{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3",
        f"{SHA[:2]}/{SHA[2:4]}/../../../{SHA}.mp3",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3/..",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3\x00.txt",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3\n",
        f"{SHA[:2]}\\{SHA[2:4]}\\{SHA}.mp3",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}..",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA.upper()}.mp3",
        f"00/00/{SHA}.mp3",
        f"{SHA[:2]}//{SHA[2:4]}/{SHA}.mp3",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA}.%2e%2e",
        f"../{SHA[:2]}/{SHA[2:4]}/{SHA}.mp3",
        ".incoming/0123456789abcdef0123456789abcdef.part",
        f"{SHA[:2]}/{SHA[2:4]}/{SHA[:-1]}\u0661.mp3",
    ],
)
def test_path_for_refuses_anything_but_a_storage_key(store: MediaStore, key: str) -> None:
    with pytest.raises(NotFound):
        store.path_for(key)


def test_path_for_refuses_a_symlink_that_leads_outside_the_root(
    store: MediaStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store.root.mkdir()
    (store.root / SHA[:2]).symlink_to(outside, target_is_directory=True)

    with pytest.raises(NotFound):
        store.path_for(key_for(SHA, "mp3"))


# -- audio ---------------------------------------------------------------------------------------


def test_ingest_audio_stores_the_file_under_the_hash_of_its_content(store: MediaStore) -> None:
    content = (AUDIO / "cbr.mp3").read_bytes()

    stored = store.ingest_audio(
        io.BytesIO(content), original_filename="cbr.mp3", max_bytes=NO_LIMIT
    )

    sha256 = hashlib.sha256(content).hexdigest()
    assert stored.sha256 == sha256
    assert stored.key == key_for(sha256, "mp3")
    assert stored.size == len(content)
    assert store.path_for(stored.key).read_bytes() == content
    assert stored.info == probe(AUDIO / "cbr.mp3")


def test_ingest_audio_streams_a_long_episode_and_keeps_its_exact_duration(
    store: MediaStore, tmp_path: Path
) -> None:
    episode = make_long_vbr_mp3(tmp_path / "episode.mp3", 20 * 60)  # about 20 read buffers
    assert episode.size_bytes > 15 * CHUNK_SIZE

    with episode.path.open("rb") as stream:
        stored = store.ingest_audio(stream, original_filename="episode.mp3", max_bytes=NO_LIMIT)

    assert stored.size == episode.size_bytes
    assert stored.sha256 == hashlib.sha256(episode.path.read_bytes()).hexdigest()
    assert stored.info.duration_seconds == pytest.approx(episode.duration_seconds, abs=0.05)
    assert files_under(store) == [stored.key]


@pytest.mark.parametrize("name", GOOD_AUDIO)
def test_ingest_audio_takes_the_extension_from_the_content_not_the_filename(
    store: MediaStore, name: str
) -> None:
    stored = ingest_fixture(store, name, original_filename="episode.exe")

    assert stored.key.endswith("." + probe(AUDIO / name).extension.lstrip("."))
    assert stored.original_filename == "episode.exe"


def test_ingest_audio_stores_identical_content_once(store: MediaStore) -> None:
    first = ingest_fixture(store, "vbr_xing.mp3", original_filename="first.mp3")
    second = ingest_fixture(store, "vbr_xing.mp3", original_filename="second.mp3")

    assert first.key == second.key
    assert files_under(store) == [first.key]


@pytest.mark.parametrize("name", BAD_AUDIO)
def test_ingest_audio_refuses_files_that_are_not_audio_and_leaves_nothing(
    store: MediaStore, name: str
) -> None:
    with pytest.raises(InvalidAudio):
        ingest_fixture(store, name)

    assert files_under(store) == []


def test_ingest_audio_refuses_an_empty_file(store: MediaStore) -> None:
    with pytest.raises(InvalidAudio, match="empty"):
        store.ingest_audio(io.BytesIO(b""), original_filename="episode.mp3", max_bytes=NO_LIMIT)


def test_ingest_audio_stops_reading_as_soon_as_the_limit_is_passed(store: MediaStore) -> None:
    limit = 5 * 1024 * 1024
    endless = Endless(allowed=limit + CHUNK_SIZE)

    with pytest.raises(FileTooLarge, match="larger than 5 MB"):
        store.ingest_audio(endless, original_filename="huge.mp3", max_bytes=limit)  # type: ignore[arg-type]

    assert endless.sent <= limit + CHUNK_SIZE
    assert files_under(store) == []


def test_ingest_audio_refuses_a_real_file_one_byte_over_the_limit(store: MediaStore) -> None:
    size = (AUDIO / "cbr.mp3").stat().st_size

    with pytest.raises(FileTooLarge):
        ingest_fixture(store, "cbr.mp3", max_bytes=size - 1)

    assert files_under(store) == []
    assert ingest_fixture(store, "cbr.mp3", max_bytes=size).size == size


def test_ingest_audio_leaves_nothing_when_the_client_disconnects(store: MediaStore) -> None:
    content = (AUDIO / "flac.flac").read_bytes()

    with pytest.raises(ConnectionResetError):
        store.ingest_audio(
            Disconnecting(content, after=len(content) // 2),  # type: ignore[arg-type]
            original_filename="flac.flac",
            max_bytes=NO_LIMIT,
        )

    assert files_under(store) == []


@pytest.mark.parametrize(
    "make_stream",
    [lambda data: ShortReads(data, most=1000), lambda data: ShortReads(data, most=1), ReadOnly],
    ids=["short-reads", "one-byte-reads", "read-only"],
)
def test_ingest_audio_reads_streams_that_deliver_less_than_asked(
    store: MediaStore, make_stream: object
) -> None:
    content = (AUDIO / "vbr_vbri.mp3").read_bytes()

    stored = store.ingest_audio(make_stream(content), original_filename="x.mp3", max_bytes=NO_LIMIT)  # type: ignore[operator]

    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert store.path_for(stored.key).read_bytes() == content


@pytest.mark.parametrize(
    ("original_filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/var/www/episode.mp3", "episode.mp3"),
        ("C:\\Users\\ana\\Episode 1.mp3", "Episode 1.mp3"),
        ("episode\x00.mp3", "episode.mp3"),
        ("../\x00../evil.mp3", "evil.mp3"),
        ("line\r\nbreak.mp3", "line break.mp3"),
        ("..", ""),
        ("a" * 300 + ".mp3", "a" * 199 + "…"),
    ],
)
def test_ingest_audio_keeps_the_client_filename_only_as_clean_display_text(
    store: MediaStore, original_filename: str, expected: str
) -> None:
    stored = ingest_fixture(store, "wav.wav", original_filename=original_filename)

    assert stored.original_filename == expected
    assert len(stored.original_filename) <= 200
    assert files_under(store) == [stored.key]


def test_ingest_audio_stores_embedded_cover_art_as_an_image_of_its_own(store: MediaStore) -> None:
    cover = probe(AUDIO / "cbr.mp3").cover
    assert cover is not None

    stored = ingest_fixture(store, "cbr.mp3")

    assert stored.cover_key == key_for(hashlib.sha256(cover.data).hexdigest(), "jpg")
    assert store.path_for(stored.cover_key).read_bytes() == cover.data
    assert sorted(files_under(store)) == sorted([stored.key, stored.cover_key])


def test_ingest_audio_without_cover_art_has_no_cover_key(store: MediaStore) -> None:
    assert probe(AUDIO / "wav.wav").cover is None

    assert ingest_fixture(store, "wav.wav").cover_key is None


def test_ingest_audio_undoes_everything_when_the_final_move_fails(store: MediaStore) -> None:
    content = (AUDIO / "cbr.mp3").read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    store.root.mkdir()
    blocker = store.root / sha256[:2]
    blocker.write_text("a file where the key's directory must go")

    with pytest.raises(OSError):  # noqa: PT011  (the operating system's own error is the point)
        store.ingest_audio(io.BytesIO(content), original_filename="cbr.mp3", max_bytes=NO_LIMIT)

    assert files_under(store) == [sha256[:2]]  # the cover stored before it was taken back too


# -- images --------------------------------------------------------------------------------------


def test_ingest_image_stores_acceptable_artwork_without_problems(store: MediaStore) -> None:
    content = make_png()

    stored = store.ingest_image(
        io.BytesIO(content), original_filename="art.png", max_bytes=NO_LIMIT
    )

    assert stored.key == key_for(hashlib.sha256(content).hexdigest(), "png")
    assert (stored.width, stored.height, stored.mime_type, stored.size) == (
        1400,
        1400,
        "image/png",
        len(content),
    )
    assert stored.problems == ()
    assert stored.conversion is None


def test_ingest_image_stores_a_usable_image_and_reports_what_apple_would_refuse(
    store: MediaStore,
) -> None:
    stored = store.ingest_image(
        io.BytesIO(make_png((600, 400))), original_filename="x.png", max_bytes=NO_LIMIT
    )

    assert {problem.code for problem in stored.problems} == {"not_square", "too_small"}
    assert store.exists(stored.key)


def test_ingest_image_with_fix_stores_conformed_jpeg_under_its_own_hash(store: MediaStore) -> None:
    original = make_png((2000, 1200), mode="CMYK", image_format="JPEG")

    stored = store.ingest_image(
        io.BytesIO(original), original_filename="x.jpg", max_bytes=NO_LIMIT, fix=True
    )

    written = store.path_for(stored.key).read_bytes()
    assert stored.key == key_for(hashlib.sha256(written).hexdigest(), "jpg")
    assert (stored.sha256, stored.size) == (hashlib.sha256(written).hexdigest(), len(written))
    assert (stored.width, stored.height, stored.mime_type) == (2000, 2000, "image/jpeg")
    assert stored.problems == ()
    assert stored.conversion is not None
    assert stored.conversion.changes
    assert files_under(store) == [stored.key]


def test_ingest_image_refuses_formats_browsers_cannot_show_unless_asked_to_fix(
    store: MediaStore,
) -> None:
    bitmap = make_png(image_format="BMP")

    with pytest.raises(InvalidImage, match="BMP"):
        store.ingest_image(io.BytesIO(bitmap), original_filename="art.bmp", max_bytes=NO_LIMIT)
    assert files_under(store) == []

    fixed = store.ingest_image(
        io.BytesIO(bitmap), original_filename="art.bmp", max_bytes=NO_LIMIT, fix=True
    )
    assert fixed.key.endswith(".jpg")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"just some text",
        (AUDIO / "cbr.mp3").read_bytes(),
        make_png()[:2000],
    ],
    ids=["empty", "text", "audio", "truncated"],
)
@pytest.mark.parametrize("fix", [False, True])
def test_ingest_image_refuses_what_is_not_a_whole_image_and_leaves_nothing(
    store: MediaStore, content: bytes, fix: bool
) -> None:
    with pytest.raises(InvalidImage):
        store.ingest_image(
            io.BytesIO(content), original_filename="art.png", max_bytes=NO_LIMIT, fix=fix
        )

    assert files_under(store) == []


def test_ingest_image_refuses_an_image_over_the_limit(store: MediaStore) -> None:
    with pytest.raises(FileTooLarge, match="MB"):
        store.ingest_image(io.BytesIO(make_png()), original_filename="art.png", max_bytes=100)

    assert files_under(store) == []


# -- reading, deleting, sweeping -----------------------------------------------------------------


def test_open_size_exists_and_delete_work_on_a_stored_key(store: MediaStore) -> None:
    stored = ingest_fixture(store, "opus.opus")
    key = stored.key

    with store.open(key) as file:
        assert file.read() == (AUDIO / "opus.opus").read_bytes()
    assert store.size(key) == (AUDIO / "opus.opus").stat().st_size
    assert store.exists(key)
    store.delete(key)
    assert not store.exists(key)


@pytest.mark.parametrize("key", [key_for(SHA, "mp3"), "../secret"])
def test_open_and_size_of_an_unknown_key_are_not_found(store: MediaStore, key: str) -> None:
    with pytest.raises(NotFound):
        store.open(key)
    with pytest.raises(NotFound):
        store.size(key)
    assert not store.exists(key)


def test_sweep_incoming_removes_only_old_temporary_files(store: MediaStore) -> None:
    now = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    store.incoming.mkdir(parents=True)
    old = store.incoming / ("a" * 32 + ".part")
    fresh = store.incoming / ("b" * 32 + ".part")
    other = store.incoming / "README"
    for path in (old, fresh, other):
        path.write_bytes(b"partial")
    day_ago = (now - timedelta(days=1)).timestamp()
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    os.utime(fresh, (now.timestamp(), now.timestamp()))

    removed = store.sweep_incoming(older_than=timedelta(hours=6), now=now)

    assert removed == 1
    assert sorted(path.name for path in store.incoming.iterdir()) == sorted(
        [fresh.name, other.name]
    )


def test_sweep_incoming_without_an_incoming_directory_removes_nothing(store: MediaStore) -> None:
    assert store.sweep_incoming(older_than=timedelta(hours=1), now=datetime.now(UTC)) == 0


@pytest.mark.parametrize(
    ("original_filename", "expected"),
    [
        ("episode.mp3", "episode.mp3"),
        ("a/b\\c.mp3", "c.mp3"),
        ("  spaced  name .mp3 ", "spaced name .mp3"),
    ],
)
def test_display_filename_keeps_only_the_base_name(original_filename: str, expected: str) -> None:
    assert display_filename(original_filename) == expected
