"""The API's URL map: parse, call the domain module the studio also calls, commit, serialize."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, render_template, request, url_for
from sqlalchemy import select

from catalog import analytics, chapters, downloads, episodes, people, permissions, shows, uploads
from catalog import transcripts as transcript_rules
from catalog.api import bp
from catalog.api.auth import api_user, authenticate_request
from catalog.api.bodies import audio_body, max_upload_bytes, require_json_body
from catalog.api.pagination import page_of
from catalog.api.schemas import (
    AudioUploadQuerySchema,
    ChapterListSchema,
    CreditCreateSchema,
    CreditSchema,
    EpisodeCreateSchema,
    EpisodeFieldsSchema,
    EpisodePageSchema,
    EpisodeQuerySchema,
    EpisodeSchema,
    EpisodeStatsSchema,
    EpisodeStatusSchema,
    PageQuerySchema,
    PeopleQuerySchema,
    PersonCreateSchema,
    PersonFieldsSchema,
    PersonPageSchema,
    PersonSchema,
    ShowCreateSchema,
    ShowFieldsSchema,
    ShowPageSchema,
    ShowSchema,
    ShowStatsSchema,
    TranscriptCreateSchema,
    TranscriptListSchema,
    TranscriptSchema,
)
from catalog.chapters import ChapterEntry
from catalog.database import utcnow
from catalog.errors import NotFound
from catalog.extensions import db
from catalog.links import site_links
from catalog.models import Credit, Episode, Person
from catalog.storage import MediaStore, StoredAudio

AUDIO_TYPES = ("audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/ogg", "audio/flac")
AUDIO_BODY = {
    "required": True,
    "description": "The audio file itself (any audio/* type), streamed; "
    "at most CATALOG_MAX_UPLOAD_BYTES.",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in AUDIO_TYPES},
}
RAW_BODY_ENDPOINTS = frozenset({"api.episode_upload", "api.episode_audio"})
PUBLIC_ENDPOINTS = frozenset({"api.docs"})
Created = tuple[Any, int, dict[str, str]]


@bp.before_request
def _check_request() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    authenticate_request()
    require_json_body(RAW_BODY_ENDPOINTS)


@bp.url_value_preprocessor
def _refuse_impossible_slugs(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    # A slug with a NUL byte or of absurd length names nothing; PostgreSQL would refuse to look.
    for value in (values or {}).values():
        if isinstance(value, str) and ("\x00" in value or len(value) > 200):
            raise NotFound("There is no such thing here.")


def _store() -> MediaStore:
    return MediaStore(current_app.config["CATALOG_MEDIA_ROOT"])


def _episode(show_slug: str, episode_slug: str) -> Episode:
    return permissions.episode_for_editor(db.session, show_slug, episode_slug, api_user())


# --- shows ----------------------------------------------------------------------------------


@bp.route("/shows", methods=["GET"])
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, ShowPageSchema)
def show_list(query: dict[str, Any]) -> dict[str, Any]:
    """List the shows you may edit."""
    return page_of(db.session, permissions.editable_shows(db.session, api_user()), **query)


@bp.route("/shows", methods=["POST"])
@bp.arguments(ShowCreateSchema)
@bp.response(201, ShowSchema)
def show_create(fields: dict[str, Any]) -> Created:
    """Create a show; a producer becomes its editor."""
    title, slug = fields.pop("title"), fields.pop("slug", None)
    show = shows.create_show(
        db.session, title=title, slug=slug, links=site_links(), editor=api_user(), fields=fields
    )
    db.session.commit()
    return show, 201, {"Location": url_for("api.show_detail", show_slug=show.slug)}


@bp.route("/shows/<show_slug>", methods=["GET"])
@bp.response(200, ShowSchema)
def show_detail(show_slug: str) -> Any:
    """Get a show."""
    return permissions.show_for_editor(db.session, show_slug, api_user())


@bp.route("/shows/<show_slug>", methods=["PATCH"])
@bp.arguments(ShowFieldsSchema)
@bp.response(200, ShowSchema)
def show_update(fields: dict[str, Any], show_slug: str) -> Any:
    """Change some of a show's fields; the slug and podcast GUID never change."""
    show = permissions.show_for_editor(db.session, show_slug, api_user())
    shows.update_show(show, fields)
    db.session.commit()
    return show


@bp.route("/shows/<show_slug>/stats", methods=["GET"])
@bp.response(200, ShowStatsSchema)
def show_stats(show_slug: str) -> Any:
    """Get a show's downloads: total, per day, per app and per episode."""
    show = permissions.show_for_editor(db.session, show_slug, api_user())
    return downloads.show_stats(db.session, show, now=utcnow())


# --- episodes -------------------------------------------------------------------------------


@bp.route("/shows/<show_slug>/episodes", methods=["GET"])
@bp.arguments(EpisodeQuerySchema, location="query")
@bp.response(200, EpisodePageSchema)
def episode_list(query: dict[str, Any], show_slug: str) -> dict[str, Any]:
    """List a show's episodes in every status, newest first."""
    show = permissions.show_for_editor(db.session, show_slug, api_user())
    episodes_of_show = (
        select(Episode)
        .where(Episode.show_id == show.id)
        .order_by(Episode.created_at.desc(), Episode.id.desc())
    )
    if "status" in query:
        episodes_of_show = episodes_of_show.where(Episode.status == query["status"])
    return page_of(db.session, episodes_of_show, limit=query["limit"], offset=query["offset"])


@bp.route("/shows/<show_slug>/episodes", methods=["POST"])
@bp.arguments(EpisodeCreateSchema)
@bp.response(201, EpisodeSchema)
def episode_create(fields: dict[str, Any], show_slug: str) -> Created:
    """Create a draft episode without audio."""
    show = permissions.show_for_editor(db.session, show_slug, api_user())
    episode = episodes.create_episode(db.session, show, title=fields.pop("title"), fields=fields)
    db.session.commit()
    return episode, 201, {"Location": _episode_location(episode)}


@bp.route("/shows/<show_slug>/episode-uploads", methods=["POST"])
@bp.arguments(AudioUploadQuerySchema, location="query")
@bp.doc(requestBody=AUDIO_BODY)
@bp.response(201, EpisodeSchema)
def episode_upload(query: dict[str, Any], show_slug: str) -> Created:
    """Create a draft episode from an audio file sent as the raw body; tags prefill it."""
    show = permissions.show_for_editor(db.session, show_slug, api_user())
    stored = _receive_audio(query["filename"])
    episode = episodes.create_episode_from_stored_audio(db.session, _store(), show, stored)
    db.session.commit()
    return episode, 201, {"Location": _episode_location(episode)}


@bp.route("/shows/<show_slug>/episodes/<episode_slug>", methods=["GET"])
@bp.response(200, EpisodeSchema)
def episode_detail(show_slug: str, episode_slug: str) -> Any:
    """Get an episode, whatever its status."""
    return _episode(show_slug, episode_slug)


@bp.route("/shows/<show_slug>/episodes/<episode_slug>", methods=["PATCH"])
@bp.arguments(EpisodeFieldsSchema)
@bp.response(200, EpisodeSchema)
def episode_update(fields: dict[str, Any], show_slug: str, episode_slug: str) -> Any:
    """Change some of an episode's fields; its GUID never changes."""
    episode = _episode(show_slug, episode_slug)
    episodes.update_episode(episode, fields)
    db.session.commit()
    return episode


@bp.route("/shows/<show_slug>/episodes/<episode_slug>", methods=["DELETE"])
@bp.response(204)
def episode_delete(show_slug: str, episode_slug: str) -> None:
    """Delete an episode with its credits, chapters and transcripts."""
    episodes.delete_episode(db.session, _episode(show_slug, episode_slug))
    db.session.commit()


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/audio", methods=["PUT"])
@bp.arguments(AudioUploadQuerySchema, location="query")
@bp.doc(requestBody=AUDIO_BODY)
@bp.response(200, EpisodeSchema)
def episode_audio(query: dict[str, Any], show_slug: str, episode_slug: str) -> Any:
    """Replace the audio (raw body): a new file at a new URL, the same GUID."""
    episode = _episode(show_slug, episode_slug)
    stored = _receive_audio(query["filename"])
    episodes.replace_audio_with_stored(db.session, _store(), episode, stored)
    db.session.commit()
    return episode


def _receive_audio(filename: str) -> StoredAudio:
    """Stream the raw body into the store; a refusal raises and becomes a problem answer."""
    return uploads.receive_audio(
        db.session, _store(), audio_body(), filename=filename, max_bytes=max_upload_bytes()
    )


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/status", methods=["PUT"])
@bp.arguments(EpisodeStatusSchema)
@bp.response(200, EpisodeSchema)
def episode_status(change: dict[str, Any], show_slug: str, episode_slug: str) -> Any:
    """Make an episode a draft, publish it now, or schedule it (``publish_at`` in the future)."""
    episode = _episode(show_slug, episode_slug)
    episodes.change_episode_status(
        db.session,
        _store(),
        episode,
        change["status"],
        now=utcnow(),
        at=change.get("publish_at"),
        links=site_links(),
        max_bytes=max_upload_bytes(),
    )
    db.session.commit()
    return episode


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/stats", methods=["GET"])
@bp.response(200, EpisodeStatsSchema)
def episode_stats(show_slug: str, episode_slug: str) -> _EpisodeStats:
    """Get an episode's downloads: total, first 7 and 30 days, per day and per app."""
    episode = _episode(show_slug, episode_slug)
    stats = downloads.show_stats(db.session, episode.show, now=utcnow())
    counts = downloads.daily_counts(db.session, episode_id=episode.id)
    return _EpisodeStats(
        total=sum(count.downloads for count in counts),
        episode=next(row for row in stats.episodes if row.episode_id == episode.id),
        by_day=analytics.totals_by_day(counts),
        by_app=analytics.totals_by_app(counts),
    )


@dataclass(frozen=True)
class _EpisodeStats:
    """One episode's numbers, shaped like ``downloads.ShowStats`` for the schema."""

    total: int
    episode: downloads.EpisodeDownloads
    by_day: dict[date, int]
    by_app: dict[str, int]


# --- credits, chapters, transcripts ---------------------------------------------------------


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/credits", methods=["GET"])
@bp.response(200, CreditSchema(many=True))
def credit_list(show_slug: str, episode_slug: str) -> Any:
    """List who is credited on an episode, in order."""
    return _episode(show_slug, episode_slug).credits


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/credits", methods=["POST"])
@bp.arguments(CreditCreateSchema)
@bp.response(201, CreditSchema)
def credit_create(fields: dict[str, Any], show_slug: str, episode_slug: str) -> Any:
    """Credit a person (by slug) on an episode in a role, e.g. guest."""
    episode = _episode(show_slug, episode_slug)
    person = db.session.scalar(select(Person).where(Person.slug == fields["person"]))
    if person is None:
        raise NotFound(f"There is no person “{fields['person']}”; create them first.")
    credit = people.add_credit(db.session, episode, person, fields["role"])
    db.session.commit()
    return credit


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/credits/<int:credit_id>", methods=["DELETE"])
@bp.response(204)
def credit_delete(show_slug: str, episode_slug: str, credit_id: int) -> None:
    """Remove a credit; the person stays."""
    episode = _episode(show_slug, episode_slug)
    credit = permissions.part_of_episode(db.session, episode, Credit, credit_id)
    people.remove_credit(db.session, credit)
    db.session.commit()


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/chapters", methods=["GET"])
@bp.response(200, ChapterListSchema)
def chapter_list(show_slug: str, episode_slug: str) -> dict[str, Any]:
    """List an episode's chapters by start time."""
    return {"chapters": _episode(show_slug, episode_slug).chapters}


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/chapters", methods=["PUT"])
@bp.arguments(ChapterListSchema)
@bp.response(200, ChapterListSchema)
def chapter_replace(body: dict[str, Any], show_slug: str, episode_slug: str) -> dict[str, Any]:
    """Replace an episode's chapters with the list sent."""
    episode = _episode(show_slug, episode_slug)
    entries = [ChapterEntry(**chapter) for chapter in body["chapters"]]
    stored = chapters.set_chapters(db.session, episode, entries)
    db.session.commit()
    return {"chapters": stored}


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/transcripts", methods=["GET"])
@bp.response(200, TranscriptListSchema)
def transcript_list(show_slug: str, episode_slug: str) -> dict[str, Any]:
    """List an episode's transcripts."""
    return {"transcripts": _episode(show_slug, episode_slug).transcripts}


@bp.route("/shows/<show_slug>/episodes/<episode_slug>/transcripts", methods=["PUT"])
@bp.arguments(TranscriptCreateSchema)
@bp.response(200, TranscriptSchema)
def transcript_put(fields: dict[str, Any], show_slug: str, episode_slug: str) -> Any:
    """Add a WebVTT or SRT transcript, replacing one in the same language and format."""
    episode = _episode(show_slug, episode_slug)
    transcript = transcript_rules.add_transcript(db.session, episode, **fields)
    db.session.commit()
    return transcript


@bp.route(
    "/shows/<show_slug>/episodes/<episode_slug>/transcripts/<language>/<transcript_format>",
    methods=["DELETE"],
)
@bp.response(204)
def transcript_delete(
    show_slug: str, episode_slug: str, language: str, transcript_format: str
) -> None:
    """Remove a transcript."""
    episode = _episode(show_slug, episode_slug)
    for transcript in episode.transcripts:
        if transcript.language == language and transcript.format == transcript_format:
            transcript_rules.remove_transcript(db.session, transcript)
            db.session.commit()
            return
    raise NotFound(f"This episode has no {language} transcript in {transcript_format}.")


# --- people ---------------------------------------------------------------------------------


@bp.route("/people", methods=["GET"])
@bp.arguments(PeopleQuerySchema, location="query")
@bp.response(200, PersonPageSchema)
def person_list(query: dict[str, Any]) -> dict[str, Any]:
    """List people by name; ``q`` finds names (or a word in them) starting with it."""
    found: Any = (
        people.search_people(db.session, query["q"], limit=people.MAX_SEARCH_RESULTS)
        if query.get("q")
        else select(Person).order_by(Person.name, Person.id)
    )
    return page_of(db.session, found, limit=query["limit"], offset=query["offset"])


@bp.route("/people", methods=["POST"])
@bp.arguments(PersonCreateSchema)
@bp.response(201, PersonSchema)
def person_create(fields: dict[str, Any]) -> Created:
    """Create a person (host, guest, crew)."""
    person = people.create_person(db.session, name=fields.pop("name"), fields=fields)
    db.session.commit()
    return person, 201, {"Location": url_for("api.person_detail", person_slug=person.slug)}


@bp.route("/people/<person_slug>", methods=["GET"])
@bp.response(200, PersonSchema)
def person_detail(person_slug: str) -> Any:
    """Get a person."""
    return _person(person_slug)


@bp.route("/people/<person_slug>", methods=["PATCH"])
@bp.arguments(PersonFieldsSchema)
@bp.response(200, PersonSchema)
def person_update(fields: dict[str, Any], person_slug: str) -> Any:
    """Change some of a person's fields; not someone credited only on others' shows."""
    person = permissions.person_for_editor(db.session, person_slug, api_user())
    people.update_person(person, fields)
    db.session.commit()
    return person


def _person(person_slug: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.slug == person_slug))
    if person is None:
        raise NotFound(f"There is no person “{person_slug}”.")
    return person


def _episode_location(episode: Episode) -> str:
    return url_for("api.episode_detail", show_slug=episode.show.slug, episode_slug=episode.slug)


# --- docs -----------------------------------------------------------------------------------


@bp.route("/docs", methods=["GET"])
@bp.doc(security=[], responses={"200": {"description": "The API description as a web page."}})
def docs() -> str:
    """Read the API description as a web page (rendered here, no scripts from elsewhere)."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return render_template("api/docs.html", spec=spec)
