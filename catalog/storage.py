"""Write and read media files: streamed, content-addressed, atomic.

File paths live here and only here. Everything else names a file by its
storage key, ``ab/cd/<sha256>.<ext>``: the hash makes identical uploads one
file and lets a URL never serve different bytes; the two directory levels keep
directories small.

An upload is streamed into ``<root>/.incoming/`` (the same file system, so the
final move is an atomic rename) while its sha256 is computed, checked, synced
to disk and only then renamed to its key. Whatever goes wrong on the way, the
temporary file is removed: a failed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import IO, BinaryIO

from catalog.artwork import (
    ArtworkProblem,
    ConformedArtwork,
    check_artwork,
    conform_artwork,
    inspect_image,
)
from catalog.audio import AudioInfo, CoverArt, probe
from catalog.errors import FileTooLarge, InvalidAudio, InvalidImage, InvalidInput, NotFound
from catalog.text import clean_text

CHUNK_SIZE = 1024 * 1024
MEGABYTE = 1024 * 1024
INCOMING_DIR = ".incoming"
MAX_FILENAME_LENGTH = 200

_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
_TEMP_NAME = re.compile(r"[0-9a-f]{32}\.part")
_REMOVING = ".removing"
_SET_ASIDE = re.compile(r"([0-9a-f]{64}\.[a-z0-9]{1,8})\.[0-9a-f]{16}\.removing")
# Younger files are not freshened again; below the shortest grace period a sweep allows.
_FRESH_SECONDS = 3600
# Image formats browsers and podcast apps all display, and the extension each is stored under.
_IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# fdatasync skips metadata nobody needs after a crash; macOS only has fsync.
_sync_data: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


@dataclass(frozen=True)
class StoredAudio:
    """An audio file now in the store, with what its probe found."""

    key: str
    sha256: str
    size: int
    info: AudioInfo
    original_filename: str
    cover_key: str | None


@dataclass(frozen=True)
class StoredImage:
    """An image now in the store, with what still keeps it from being podcast artwork."""

    key: str
    sha256: str
    size: int
    width: int
    height: int
    mime_type: str
    original_filename: str
    problems: tuple[ArtworkProblem, ...]
    conversion: ConformedArtwork | None


def key_for(sha256: str, extension: str) -> str:
    """Build the storage key of content with this hash, so equal bytes share one file."""
    if not _SHA256.fullmatch(sha256):
        raise InvalidInput("A content hash must be 64 lowercase hexadecimal digits.")
    if not _EXTENSION.fullmatch(extension):
        raise InvalidInput(f"{extension!r} is not a file extension media can be stored under.")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def display_filename(original_filename: str) -> str:
    """Reduce a client's file name to text safe to show: it is never used as a path."""
    cleaned = clean_text(original_filename, max_length=10 * MAX_FILENAME_LENGTH)
    # Browsers have sent full Windows paths; either separator ends a directory.
    basename = PureWindowsPath(PurePosixPath(cleaned).name).name
    if basename in (".", ".."):
        return ""
    return clean_text(basename, max_length=MAX_FILENAME_LENGTH)


class MediaStore:
    """Media files under one root directory, named by storage key."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.incoming = self.root / INCOMING_DIR

    def path_for(self, key: str) -> Path:
        """Return the file behind ``key``; anything but a well-formed key is not found."""
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None or match[1] + match[2] != match[3][:4]:
            raise NotFound("There is no media file with this key.")
        path = self.root.joinpath(match[1], match[2], f"{match[3]}.{match[4]}")
        # The key's shape already rules out escaping the root; a symlink inside it must not either.
        if not path.resolve().is_relative_to(self.root):
            raise NotFound("There is no media file with this key.")
        return path

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under ``key``."""
        try:
            return self.path_for(key).is_file()
        except NotFound:
            return False

    def size(self, key: str) -> int:
        """Return the size in bytes of the file stored under ``key``."""
        try:
            return self.path_for(key).stat().st_size
        except FileNotFoundError:
            raise NotFound("There is no media file with this key.") from None

    def open(self, key: str) -> BinaryIO:
        """Open the file stored under ``key`` for reading."""
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError:
            raise NotFound("There is no media file with this key.") from None

    def delete(self, key: str) -> None:
        """Remove the file under ``key``; the caller checks that no record still uses it.

        Identical uploads share one key, so a key may be used by several records.
        """
        self.path_for(key).unlink(missing_ok=True)

    def freshen(self, key: str) -> bool:
        """Mark the file under ``key`` as stored now, if there is one; return whether there is.

        Storing bytes that are already stored only freshens them, so a sweep
        never removes a file that an upload has just relied on (git does the
        same). A file stored within the last hour is left as it is: no sweep
        removes one that young, and its validators (from its time) stay put.
        """
        try:
            path = self.path_for(key)
            if path.stat().st_mtime > time.time() - _FRESH_SECONDS:
                return True
            os.utime(path)
        except FileNotFoundError:
            return False
        except PermissionError:
            return False  # someone else's file: the caller stores its own copy over it
        return True

    def remove_unless_stored_since(
        self, key: str, moment: datetime, *, still_needed: Callable[[], bool]
    ) -> bool:
        """Remove the file under ``key`` unless it was stored after ``moment`` or is still needed.

        The file is first moved aside, then judged: an upload of the same bytes
        either freshened it before (its time is new, so it goes back) or finds
        it gone and puts its own copy in place; ``still_needed`` is asked after
        the move, so a record made meanwhile brings it back too. Whatever goes
        wrong on the way, the file goes back. Returns whether it was removed.
        """
        try:
            path = self.path_for(key)
            if path.stat().st_mtime > moment.timestamp():
                return False  # stored since: not even moved aside
        except (NotFound, FileNotFoundError):
            return False  # not a key this store makes, or nothing there to remove
        self.incoming.mkdir(parents=True, exist_ok=True)
        aside = self.incoming / f"{path.name}.{secrets.token_hex(8)}{_REMOVING}"
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        removed = False
        try:
            removed = aside.stat().st_mtime <= moment.timestamp() and not still_needed()
        finally:
            if removed:
                os.unlink(aside)
            else:
                # Same name, same bytes: replacing an upload's fresh copy changes nothing.
                os.replace(aside, path)
        return removed

    def restore_set_aside(self) -> int:
        """Put back files a sweep set aside and never finished with (it died); return how many.

        Only files whose key is empty go back; the others were removed on
        purpose or replaced by an upload since, and the copies set aside go.
        """
        restored = 0
        for entry in self._incoming_files(_SET_ASIDE):
            name = entry.name.rsplit(".", 2)[0]  # "<sha256>.<ext>.<token>.removing"
            try:
                path = self.path_for(f"{name[:2]}/{name[2:4]}/{name}")
            except NotFound:
                continue
            if path.exists():
                os.unlink(entry.path)
            else:
                _make_dirs(path.parent)
                os.replace(entry.path, path)
                restored += 1
        return restored

    def keys(self) -> Iterator[str]:
        """Yield the key of every stored file (not the uploads still arriving)."""
        for first in sorted(_directories(self.root)):
            for second in sorted(_directories(self.root / first)):
                for entry in os.scandir(self.root / first / second):
                    key = f"{first}/{second}/{entry.name}"
                    if (
                        entry.name.startswith(first + second)
                        and _KEY.fullmatch(key)
                        and entry.is_file(follow_symlinks=False)
                    ):
                        yield key

    def ingest_audio(
        self, stream: IO[bytes], *, original_filename: str, max_bytes: int
    ) -> StoredAudio:
        """Store an uploaded audio file that probes as audio podcast apps can play."""
        with _Staging(self) as staging:
            upload = staging.new_file()
            sha256, size = _receive(stream, upload.fd, max_bytes)
            if size == 0:
                raise InvalidAudio("The file is empty.")
            info = probe(upload.path)
            key = key_for(sha256, info.extension.lstrip(".").lower())
            cover_key = self._store_cover(staging, info.cover)
            staging.place(upload, key)
        return StoredAudio(
            key=key,
            sha256=sha256,
            size=size,
            info=info,
            original_filename=display_filename(original_filename),
            cover_key=cover_key,
        )

    def ingest_image(
        self, stream: IO[bytes], *, original_filename: str, max_bytes: int, fix: bool = False
    ) -> StoredImage:
        """Store an uploaded image; with ``fix``, store it converted to pass Apple's rules."""
        with _Staging(self) as staging:
            upload = staging.new_file()
            sha256, size = _receive(stream, upload.fd, max_bytes)
            if size == 0:
                raise InvalidImage("The file is empty.")
            conversion: ConformedArtwork | None = None
            problems: tuple[ArtworkProblem, ...] = ()
            if fix:
                converted = staging.new_file()
                conversion = conform_artwork(upload.path, converted.path)
                sha256, size = _hash_file(converted.path)
                image, upload = conversion.image, converted
            else:
                report = check_artwork(upload.path)
                image, problems = report.image, report.problems
            extension = _IMAGE_EXTENSIONS.get(image.format)
            if extension is None:
                raise InvalidImage(
                    f"{image.format} images cannot be shown in browsers and podcast apps; "
                    "upload a JPEG or PNG, or let us convert it."
                )
            key = key_for(sha256, extension)
            staging.place(upload, key)
        return StoredImage(
            key=key,
            sha256=sha256,
            size=size,
            width=image.width,
            height=image.height,
            mime_type=image.mime_type,
            original_filename=display_filename(original_filename),
            problems=problems,
            conversion=conversion,
        )

    def sweep_incoming(self, *, older_than: timedelta, now: datetime) -> int:
        """Remove temporary files a crashed upload left behind; return how many.

        ``older_than`` must exceed the longest upload: a file still being
        written is touched with every chunk, so only abandoned ones get old.
        """
        cutoff = (now - older_than).timestamp()
        removed = 0
        for entry in self._incoming_files(_TEMP_NAME):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # finished or swept by another process meanwhile
        return removed

    def _incoming_files(self, name: re.Pattern[str]) -> list[os.DirEntry[str]]:
        """List the files in ``.incoming/`` whose whole name matches ``name``."""
        try:
            entries = list(os.scandir(self.incoming))
        except FileNotFoundError:
            return []
        return [
            entry
            for entry in entries
            if name.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
        ]

    def _store_cover(self, staging: _Staging, cover: CoverArt | None) -> str | None:
        """Store the audio file's embedded cover as an image of its own, if it is a usable one."""
        if cover is None or not cover.data:
            return None
        staged = staging.new_file()
        _write_all(staged.fd, cover.data)
        try:
            image = inspect_image(staged.path)
        except InvalidImage:
            return None  # a broken cover must not cost the producer their episode
        extension = _IMAGE_EXTENSIONS.get(image.format)
        if extension is None:
            return None
        key = key_for(hashlib.sha256(cover.data).hexdigest(), extension)
        staging.place(staged, key)
        return key


@dataclass(frozen=True)
class _StagedFile:
    path: Path
    fd: int


class _Staging:
    """The temporary files of one ingest and the files it placed, undone together on failure."""

    def __init__(self, store: MediaStore) -> None:
        self._store = store
        self._files: list[_StagedFile] = []
        self._placed: list[Path] = []

    def __enter__(self) -> _Staging:
        return self

    def new_file(self) -> _StagedFile:
        """Create an empty temporary file in the root's file system, so placing it is a rename."""
        self._store.incoming.mkdir(parents=True, exist_ok=True)
        path = self._store.incoming / f"{secrets.token_hex(16)}.part"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        staged = _StagedFile(path=path, fd=fd)
        self._files.append(staged)
        return staged

    def place(self, staged: _StagedFile, key: str) -> None:
        """Move a finished temporary file durably to its key, unless that content is stored."""
        target = self._store.path_for(key)
        if self._store.freshen(key):
            return  # same hash, same bytes: the temporary file is dropped on exit
        _sync_data(staged.fd)
        _make_dirs(target.parent)
        os.replace(staged.path, target)
        self._placed.append(target)
        _sync_directory(target.parent)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for staged in self._files:
            os.close(staged.fd)
            staged.path.unlink(missing_ok=True)
        if exc_type is not None:
            for path in self._placed:
                path.unlink(missing_ok=True)


_HEX_PAIR = re.compile(r"[0-9a-f]{2}")


def _directories(parent: Path) -> list[str]:
    """Name the key directories (two hex digits) under ``parent``, none if it does not exist."""
    try:
        entries = list(os.scandir(parent))
    except FileNotFoundError:
        return []
    return [
        entry.name
        for entry in entries
        if _HEX_PAIR.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
    ]


def _receive(stream: IO[bytes], fd: int, max_bytes: int) -> tuple[str, int]:
    """Copy ``stream`` to ``fd`` in constant memory, hashing it; stop once it is too big."""
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(stream):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(
                f"The file is larger than {_megabytes(max_bytes)} MB, the most allowed."
            )
        digest.update(chunk)
        _write_all(fd, chunk)
    return digest.hexdigest(), size


def _chunks(stream: IO[bytes]) -> Iterator[memoryview | bytes]:
    """Yield the stream's bytes, reusing one buffer; each chunk is valid until the next."""
    readinto: Callable[[memoryview], int | None] | None = getattr(stream, "readinto", None)
    if readinto is None:
        while data := stream.read(CHUNK_SIZE):
            yield data
        return
    buffer = memoryview(bytearray(CHUNK_SIZE))
    while True:
        # Short reads are normal (a request body arrives as the network delivers it); only 0 ends.
        count = readinto(buffer)
        if count is None:
            raise InvalidInput("The upload could not be read; please try again.")
        if count == 0:
            return
        yield buffer[:count]


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _hash_file(path: Path) -> tuple[str, int]:
    with path.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256")
        return digest.hexdigest(), os.fstat(file.fileno()).st_size


def _megabytes(size: int) -> str:
    value = size / MEGABYTE
    if value >= 1:
        return f"{value:,.1f}".removesuffix(".0")
    return f"{value:.2g}"


def _make_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, syncing each new entry to disk."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        _sync_directory(new.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename or new entry in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
