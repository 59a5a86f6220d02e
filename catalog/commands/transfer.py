"""``catalog import-feed``, ``export``, ``import-archive``: move shows in and out."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app

from catalog import browse, export, importer
from catalog.database import utcnow, write_intent
from catalog.extensions import db
from catalog.links import site_links
from catalog.storage import MediaStore

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _store() -> MediaStore:
    return MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])


@contextmanager
def _progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    bar: ProgressBar[int]
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


@click.command("import-feed")
@click.argument("source")
@click.option(
    "--download-media",
    is_flag=True,
    help="Download every episode's audio here (resumes: episodes with audio are skipped).",
)
def import_feed_command(source: str, download_media: bool) -> None:
    """Import a show from its RSS feed (URL or file); a rerun updates it and adds new episodes."""
    config = current_app.config
    fetcher = importer.Fetcher(
        allow_private=bool(config["CATALOG_IMPORT_ALLOW_PRIVATE"]),
        timeout_seconds=float(config["CATALOG_IMPORT_TIMEOUT_SECONDS"]),
    )
    document = importer.read_feed(
        source, fetcher, max_bytes=int(config["CATALOG_IMPORT_MAX_FEED_BYTES"])
    )
    with write_intent():
        report = importer.import_feed(
            db.session,
            _store(),
            document,
            fetcher,
            links=site_links(),
            now=utcnow(),
            download_media=download_media,
            max_bytes=int(config["CATALOG_IMPORT_MAX_MEDIA_BYTES"]),
            progress=_progress_bar if download_media else None,
            after_episode=db.session.commit,  # an interrupted run keeps what it finished
        )
        db.session.commit()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for outcome in report.failed:
        click.echo(f"{outcome.guid} “{outcome.title}”: {outcome.message}", err=True)
    show = report.show
    click.echo(
        f"{show.title} ({show.slug}): {report.count('created')} created, "
        f"{report.count('updated')} updated, {len(report.failed)} failed."
    )
    if report.failed:
        sys.exit(1)


@click.command("export")
@click.argument("show_slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(show_slug: str, directory: Path) -> None:
    """Write SHOW with its episodes, people, media and feed.xml to DIRECTORY."""
    show = browse.get_show(db.session, show_slug)
    summary = export.export_show(db.session, _store(), show, directory, links=site_links())
    click.echo(
        f"Exported {show.title}: {summary.episodes} episodes, {summary.media_files} media files "
        f"to {directory}."
    )


@click.command("import-archive")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_archive_command(directory: Path) -> None:
    """Restore a show exported with ``catalog export`` from DIRECTORY."""
    with write_intent():
        show = export.import_archive(db.session, _store(), directory)
        db.session.commit()
    click.echo(f"Restored {show.title} ({show.slug}) with {len(show.episodes)} episodes.")


commands = (import_feed_command, export_command, import_archive_command)
