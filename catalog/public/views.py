"""Listener pages: thin views over ``catalog.browse`` and ``catalog.search``."""

from __future__ import annotations

from flask import render_template, request

from catalog import browse, search
from catalog.database import utcnow
from catalog.extensions import db
from catalog.links import site_links
from catalog.public import bp


@bp.get("/")
def index() -> str:
    return render_template(
        "public/index.html",
        shows=browse.list_shows(db.session),
        meta=browse.home_meta(site_links()),
    )


@bp.get("/shows/<show_slug>/")
def show_detail(show_slug: str) -> str:
    links = site_links()
    show = browse.get_show(db.session, show_slug)
    page = browse.show_episodes(db.session, show, utcnow(), request.args.get("page", 1, type=int))
    return render_template(
        "public/show_detail.html",
        show=show,
        page=page,
        seasons=browse.group_by_season(show, page.items),
        subscribe=browse.subscribe_links(show, links.feed(show.slug)),
        meta=browse.show_meta(show, links),
    )


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/")
def episode_detail(show_slug: str, episode_slug: str) -> str:
    links, now = site_links(), utcnow()
    show = browse.get_show(db.session, show_slug)
    episode = browse.get_episode(db.session, show, episode_slug, now)
    previous, following = browse.episode_neighbours(db.session, episode, now)
    meta = browse.episode_meta(show, episode, links)
    return render_template(
        "public/episode_detail.html",
        show=show,
        episode=episode,
        previous=previous,
        following=following,
        cues=browse.episode_cues(episode, show.language),
        share=browse.share_links(meta.canonical_url, meta.title),
        meta=meta,
    )


@bp.get("/people/<person_slug>/")
def person_detail(person_slug: str) -> str:
    person = browse.get_person(db.session, person_slug)
    appearances = browse.person_appearances(db.session, person, utcnow())
    return render_template(
        "public/person_detail.html",
        person=person,
        appearances=appearances,
        meta=browse.person_meta(person, site_links()),
    )


@bp.get("/search")
def search_results() -> str:
    query = request.args.get("q", "")
    return render_template(
        "public/search.html",
        query=query,
        hits=search.search(db.session, query, utcnow()),
        meta=browse.search_meta(query, site_links()),
    )
