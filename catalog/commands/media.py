"""``catalog media sweep``: remove stored files that nothing has used for a while."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from catalog import media_sweep
from catalog.database import utcnow, write_intent
from catalog.extensions import db
from catalog.storage import MediaStore

media_group = AppGroup("media", help="Look after stored audio and images.")

# Longer than any upload takes: a file still arriving is touched with every chunk.
ABANDONED_UPLOAD_AGE = timedelta(hours=6)


@media_group.command("sweep")
@click.option(
    "--grace-days",
    type=click.IntRange(min=1, max=3650),
    default=media_sweep.GRACE.days,
    show_default=True,
    help="Remove a file only after nothing has used it for this many days.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
def sweep_command(grace_days: int, dry_run: bool) -> None:
    """Remove files nothing has used for the grace period, and abandoned uploads (run from cron)."""
    store = MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])
    grace = timedelta(days=grace_days)
    now = utcnow()
    if dry_run:
        planned = media_sweep.preview(db.session, now, grace=grace)
        expired_bytes = sum(file.size_bytes for file in planned.expired)
        strays = media_sweep.stray_keys(db.session, store)
        click.echo(
            f"Would mark {planned.newly_unused} file(s) unused and {planned.used_again} in use "
            f"again, remove {len(planned.expired)} file(s) unused for {grace_days} day(s) or more "
            f"({expired_bytes / 1e6:.1f} MB) and check {len(strays)} file(s) no record names."
        )
        return
    store.restore_set_aside()  # from a sweep that died halfway
    with write_intent():
        marked = media_sweep.mark_and_expire(db.session, now, grace=grace)
        db.session.commit()
    click.echo(
        f"{marked.newly_unused} file(s) newly unused, removed if still unused in {grace_days} "
        f"day(s); {marked.used_again} file(s) in use again."
    )
    removed = media_sweep.remove_files(db.session, store, marked.expired, now)
    removed_bytes = sum(file.size_bytes for file in removed)
    stray_count = media_sweep.remove_stray_files(db.session, store, now, grace=grace)
    abandoned = store.sweep_incoming(older_than=ABANDONED_UPLOAD_AGE, now=now)
    click.echo(
        f"Removed {len(removed)} file(s) unused for {grace_days} day(s) or more "
        f"({removed_bytes / 1e6:.1f} MB), {stray_count} file(s) no record names "
        f"and {abandoned} abandoned upload(s)."
    )
