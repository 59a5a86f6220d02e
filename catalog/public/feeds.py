"""Feeds, JSON chapters and transcripts: what podcast apps fetch, answered from cached bytes."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Response, request
from werkzeug.http import http_date, unquote_etag

from catalog import browse, feed_cache, feed_source
from catalog.database import utcnow, write_intent
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.feed import CHAPTERS_TYPE
from catalog.links import site_links
from catalog.public import bp

RSS_TYPE = "application/rss+xml; charset=utf-8"
TRANSCRIPT_TYPES = {"vtt": "text/vtt; charset=utf-8", "srt": "application/x-subrip; charset=utf-8"}
SIDE_FILE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600"


@bp.get("/shows/<show_slug>/feed.xml")
def show_feed(show_slug: str) -> Response:
    now = utcnow()
    # The engine, not the ORM session: this runs on every poll of every app.
    state = feed_cache.feed_state(db.engine, show_slug, now)
    body = None
    if state.is_fresh:
        if not state.new_feed_url and _is_not_modified(state):
            return Response(status=304, headers=_feed_headers(state, now))
        body = feed_cache.feed_body(db.session, state)
    if body is None:  # stale, or changed by another process since the state was read
        with write_intent():
            result = feed_cache.refresh_feed(db.session, show_slug, site_links(), now)
            db.session.commit()
        state, body = result.state, result.body
        if not state.new_feed_url and _is_not_modified(state):
            return Response(status=304, headers=_feed_headers(state, now))
    return _feed_response(state, body, now)


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/chapters.json")
def episode_chapters(show_slug: str, episode_slug: str) -> Response:
    show = browse.get_show(db.session, show_slug)
    episode = browse.get_episode(db.session, show, episode_slug, utcnow())
    if not episode.chapters:
        raise NotFound(f"“{episode.title}” has no chapters.")
    document = feed_source.chapters_document(episode, site_links())
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return _side_file(Response(body, content_type=CHAPTERS_TYPE))


@bp.get("/shows/<show_slug>/episodes/<episode_slug>/transcript.<any(vtt, srt):extension>")
def episode_transcript(show_slug: str, episode_slug: str, extension: str) -> Response:
    show = browse.get_show(db.session, show_slug)
    episode = browse.get_episode(db.session, show, episode_slug, utcnow())
    transcript = feed_source.find_transcript(episode, extension, request.args.get("language"))
    if transcript is None:
        raise NotFound(f"“{episode.title}” has no {extension.upper()} transcript.")
    response = Response(transcript.body, content_type=TRANSCRIPT_TYPES[extension])
    response.content_language = [transcript.language]
    return _side_file(response)


def _feed_headers(state: feed_cache.FeedState, now: datetime) -> dict[str, str]:
    """Return the validators and caching rules of the representation this request gets."""
    is_gzip = request.accept_encodings["gzip"] > 0
    return {
        "ETag": feed_cache.gzip_etag(state.etag) if is_gzip else state.etag,
        "Cache-Control": feed_cache.cache_control(state, now),
        "Vary": "Accept-Encoding",
        "Last-Modified": http_date(state.built_at),
    }


def _feed_response(
    state: feed_cache.FeedState, body: feed_cache.FeedBody, now: datetime
) -> Response:
    """Answer with the cached bytes: 301 if the show moved, gzip when asked."""
    headers = _feed_headers(state, now)
    is_gzip = headers["ETag"] != state.etag
    response = Response(body.body_gzip if is_gzip else body.body, content_type=RSS_TYPE)
    response.headers.update(headers)
    if is_gzip:
        response.content_encoding = "gzip"
    if state.new_feed_url:
        # Apps follow the 301; the body still carries itunes:new-feed-url for any that read it.
        response.status_code = 301
        response.location = state.new_feed_url
    return response


def _is_not_modified(state: feed_cache.FeedState) -> bool:
    """Apply If-None-Match (either coding's tag), else If-Modified-Since (RFC 9110)."""
    if request.if_none_match:
        tags = (unquote_etag(state.etag)[0], unquote_etag(feed_cache.gzip_etag(state.etag))[0])
        return any(tag and request.if_none_match.contains_weak(tag) for tag in tags)
    since = request.if_modified_since
    return since is not None and state.built_at.replace(microsecond=0) <= since


def _side_file(response: Response) -> Response:
    """Make chapters and transcripts cacheable and conditional like the feed."""
    response.cache_control.public = True
    response.headers["Cache-Control"] = SIDE_FILE_CACHE_CONTROL
    response.add_etag()
    response.make_conditional(request)
    return response
