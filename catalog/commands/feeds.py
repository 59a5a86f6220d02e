"""``catalog feeds ...``: rebuild cached feeds and check them against Apple's rules."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from catalog import browse, feed_cache, feed_source
from catalog.database import utcnow, write_intent
from catalog.extensions import db
from catalog.feed import check_feed
from catalog.links import site_links

feeds_group = AppGroup("feeds", help="Build and check podcast feeds.")


@feeds_group.command("rebuild")
@click.argument("show", required=False)
def rebuild_command(show: str | None) -> None:
    """Rebuild every item of SHOW's feed (or of every show), e.g. after changing the base URL."""
    now = utcnow()
    started = time.perf_counter()
    with write_intent():
        if show is None:
            results = feed_cache.refresh_all(db.session, site_links(), now, force=True)
        else:
            results = {
                show: feed_cache.refresh_feed(db.session, show, site_links(), now, force=True)
            }
        db.session.commit()
    for slug, result in results.items():
        click.echo(f"{slug}: {result.rendered} episodes rendered.")
    click.echo(f"Rebuilt {len(results)} feed(s) in {time.perf_counter() - started:.2f} s.")


@feeds_group.command("check")
@click.argument("show")
def check_command(show: str) -> None:
    """Print what Apple Podcasts would reject (errors) or frown upon (warnings) in SHOW's feed."""
    now = utcnow()
    links = site_links()
    found = browse.get_show(db.session, show)
    problems = check_feed(
        feed_source.feed_channel(found, links, now),
        feed_source.all_feed_items(db.session, found, links, now),
    )
    for problem in problems:
        click.echo(f"{problem.severity}: {problem.where}: {problem.message}")
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    click.echo(f"{found.title}: {errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)
