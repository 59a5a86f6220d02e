"""``catalog episodes ...``: episodes from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, BinaryIO, cast

import click
from flask import current_app
from flask.cli import AppGroup

from catalog import browse, episodes
from catalog.database import write_intent
from catalog.errors import CatalogError
from catalog.extensions import db
from catalog.storage import MediaStore

episodes_group = AppGroup("episodes", help="Manage episodes.")


class _ProgressReader:
    """A read-only file wrapper that reports how many bytes were read, for a progress bar."""

    def __init__(self, raw: BinaryIO, advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._advance(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._advance(count or 0)
        return count or 0


@episodes_group.command("import-audio")
@click.argument("show_slug")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
def import_audio_command(show_slug: str, files: tuple[Path, ...]) -> None:
    """Create draft episodes from audio files, prefilled from their tags."""
    show = browse.get_show(db.session, show_slug)
    store = MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])
    limit = int(current_app.config["CATALOG_MAX_UPLOAD_BYTES"])
    failed = 0
    for path in files:
        try:
            with (
                path.open("rb") as raw,
                click.progressbar(
                    length=path.stat().st_size,
                    label=path.name,
                    file=sys.stderr,
                ) as bar,
            ):
                reader = cast(IO[bytes], _ProgressReader(raw, bar.update))
                stored = store.ingest_audio(reader, original_filename=path.name, max_bytes=limit)
            with write_intent():
                episode = episodes.create_episode_from_stored_audio(db.session, store, show, stored)
                db.session.commit()
        except CatalogError as error:
            db.session.rollback()
            failed += 1
            click.echo(f"{path.name}: {error}", err=True)
            continue
        click.echo(f"{path.name}: draft “{episode.title}” ({episode.slug})")
    if failed:
        raise SystemExit(1)
