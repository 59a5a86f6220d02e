"""``catalog analytics ...`` and ``catalog stats``: download counting from the command line."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from catalog import downloads
from catalog.analytics import NGINX_LOG_FORMAT, NginxLogReader
from catalog.database import utcnow, write_intent
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.models import Show

analytics_group = AppGroup("analytics", help="Count downloads the IAB v2.3 way.")


def _roll_up(days: list[date]) -> int:
    """Recount ``days`` from raw events, reading first and taking the write lock only to store."""
    counts = downloads.compute_daily_counts(db.session, days)
    db.session.rollback()
    with write_intent():
        total = downloads.store_daily_counts(db.session, counts)
        downloads.discard_expired_salts(db.session, now=utcnow())
        db.session.commit()
    return total


@analytics_group.command("rollup")
@click.option(
    "--day", "days", multiple=True, type=click.DateTime(["%Y-%m-%d"]), help="A UTC day (repeat)."
)
@click.option("--all", "every_day", is_flag=True, help="Every day that has raw events.")
def rollup_command(days: tuple[datetime, ...], every_day: bool) -> None:
    """Recount daily downloads from raw events (default: yesterday and today, UTC)."""
    media = current_app.extensions.get("catalog.media")
    if media is not None and media.recorder is not None:
        media.recorder.flush()
    if every_day:
        chosen = downloads.days_with_events(db.session)
    elif days:
        chosen = [day.date() for day in days]
    else:
        chosen = downloads.recent_days(now=utcnow())
    total = _roll_up(chosen)
    click.echo(f"Recounted {len(chosen)} day(s): {total} download(s).")


@analytics_group.command("ingest-log")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ingest_log_command(log_file: Path) -> None:
    """Count downloads from an nginx access log written in the catalog log format.

    Put this in nginx's http block and log media requests with ``catalog``:

    \b
    log_format catalog '$remote_addr [$time_iso8601] "$request_method $request_uri" '
        '$status $body_bytes_sent "$sent_http_content_range" "$http_user_agent"';
    """
    reader = NginxLogReader()
    with log_file.open(encoding="utf-8", errors="replace") as lines, write_intent():
        result = downloads.ingest_requests(
            db.session, downloads.read_media_log(lines, reader), now=utcnow()
        )
        db.session.commit()
    total = _roll_up(result.days)
    click.echo(
        f"Read {reader.lines} line(s): {result.stored} media request(s) stored, "
        f"{result.unknown} for unknown files, {reader.malformed} malformed; "
        f"{len(result.days)} day(s) recounted, {total} download(s) on them."
    )
    for error in reader.errors:
        click.echo(error, err=True)


@analytics_group.command("log-format")
def log_format_command() -> None:
    """Print the nginx log_format that ingest-log reads."""
    click.echo(NGINX_LOG_FORMAT)


@click.command("stats")
@click.argument("show_slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def stats_command(show_slug: str, as_json: bool) -> None:
    """Print a show's downloads per episode, per app and per day."""
    show = db.session.scalar(select(Show).where(Show.slug == show_slug))
    if show is None:
        raise NotFound(f"There is no show {show_slug!r}.")
    stats = downloads.show_stats(db.session, show, now=utcnow())
    if as_json:
        click.echo(json.dumps(_plain(dataclasses.asdict(stats)), indent=2))
        return
    click.echo(f"{stats.show_slug}: {stats.total} download(s)\n")
    click.echo(f"{'episode':<40} {'guid':<38} {'downloads':>9} {'7 days':>7} {'30 days':>7}")
    for episode in stats.episodes:
        first_7 = episode.first_7_days.downloads if episode.first_7_days else "-"
        first_30 = episode.first_30_days.downloads if episode.first_30_days else "-"
        click.echo(
            f"{episode.slug:<40} {episode.guid:<38} {episode.downloads:>9} "
            f"{first_7:>7} {first_30:>7}"
        )
    click.echo(f"\n{'app':<40} {'downloads':>9}")
    for app, count in stats.by_app.items():
        click.echo(f"{app:<40} {count:>9}")
    click.echo(f"\n{'day':<40} {'downloads':>9}")
    for day, count in stats.by_day.items():
        click.echo(f"{day.isoformat():<40} {count:>9}")


def _plain(value: Any) -> Any:
    """Turn dates into ISO strings (also as keys) so the stats are JSON."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
