"""``catalog demo``: load the demo catalog."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from catalog import schema
from catalog.database import write_intent
from catalog.demo import load_demo
from catalog.extensions import db
from catalog.feed import podcast_guid_for
from catalog.links import site_links
from catalog.storage import MediaStore


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load Space Café Radio, its episodes and guests (running it again changes nothing)."""
    schema.check_schema_is_current(current_app)
    store = MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])
    with write_intent():
        feed_url = site_links().feed("space-cafe-radio")
        show = load_demo(db.session, store, podcast_guid=podcast_guid_for(feed_url))
        db.session.commit()
    click.echo(f"Demo catalog ready: {show.title} ({len(show.episodes)} episodes).")
