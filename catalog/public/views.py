"""Listener pages: thin views over ``catalog.browse``."""

from __future__ import annotations

from flask import render_template, request

from catalog import browse
from catalog.database import utcnow
from catalog.extensions import db
from catalog.public import bp


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", shows=browse.list_shows(db.session))


@bp.get("/shows/<show_slug>/")
def show_detail(show_slug: str) -> str:
    show = browse.get_show(db.session, show_slug)
    page = browse.show_episodes(db.session, show, utcnow(), request.args.get("page", 1, type=int))
    return render_template("public/show_detail.html", show=show, page=page)


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/")
def episode_detail(show_slug: str, episode_slug: str) -> str:
    show = browse.get_show(db.session, show_slug)
    episode = browse.get_episode(db.session, show, episode_slug, utcnow())
    return render_template("public/episode_detail.html", show=show, episode=episode)


@bp.get("/people/<person_slug>/")
def person_detail(person_slug: str) -> str:
    person = browse.get_person(db.session, person_slug)
    appearances = browse.person_appearances(db.session, person, utcnow())
    return render_template("public/person_detail.html", person=person, appearances=appearances)
