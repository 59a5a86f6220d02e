"""What the API reads and writes, as marshmallow schemas (and so as OpenAPI).

The schemas check shapes and types only (unknown fields, wrong types, bounds a
database column needs); what a value means is checked by the domain modules,
the same ones the studio calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from catalog.links import site_links
from catalog.models import Episode, MediaFile, Person, Show
from catalog.models.episode import EPISODE_STATUSES, EPISODE_TYPES, TRANSCRIPT_FORMATS
from catalog.models.person import ROLES
from catalog.models.show import SHOW_TYPES

# Datetimes outside these years cannot be stored or converted between zones everywhere.
_EARLIEST, _LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,149}$", error="Use lowercase letters, digits, -.")


def _string(maximum: int, **options: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=maximum), **options)


def _in_storable_range(value: datetime) -> None:
    if not _EARLIEST <= value <= _LATEST:
        raise ValidationError("Give a date between the years 1900 and 9999.")


def _url(value: str) -> fields.Method:
    return fields.Method(value, metadata={"type": "string", "format": "uri"})


def _media_url(media: MediaFile | None) -> str | None:
    return site_links().media(media) if media is not None else None


# --- problems and pages ---------------------------------------------------------------------


class FieldErrorSchema(Schema):
    field = fields.String(metadata={"description": "The request field at fault, dotted."})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """An error, as application/problem+json (RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))


class PageLinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    next = fields.String(required=True, allow_none=True)
    prev = fields.String(required=True, allow_none=True)


class PageSchema(Schema):
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    links = fields.Nested(PageLinksSchema, required=True)


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100), metadata={"example": 20}
    )
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000_000))


class PeopleQuerySchema(PageQuerySchema):
    q = _string(100, metadata={"description": "Names, or a word in them, starting with this."})


class EpisodeQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(EPISODE_STATUSES))


# --- shows ----------------------------------------------------------------------------------


class ShowFieldsSchema(Schema):
    """The show fields a producer may set (``catalog.shows.SHOW_FIELDS``)."""

    title = _string(255)
    subtitle = _string(255)
    description = _string(100_000)
    language = _string(20, metadata={"example": "en"})
    category = _string(100, metadata={"example": "Technology"})
    subcategory = _string(100)
    is_explicit = fields.Boolean()
    show_type = fields.String(validate=validate.OneOf(SHOW_TYPES))
    author = _string(255)
    owner_name = _string(255)
    owner_email = _string(255)
    copyright = _string(255)
    link = _string(500)
    funding_url = _string(500)
    funding_text = _string(128)
    is_locked = fields.Boolean()


class ShowCreateSchema(ShowFieldsSchema):
    title = _string(255, required=True)
    slug = fields.String(
        validate=SLUG, metadata={"description": "Made from the title if left out."}
    )


class ShowSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    subtitle = fields.String(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True)
    category = fields.String(required=True)
    subcategory = fields.String(required=True)
    is_explicit = fields.Boolean(required=True)
    show_type = fields.String(required=True)
    author = fields.String(required=True)
    owner_name = fields.String(required=True)
    owner_email = fields.String(required=True)
    copyright = fields.String(required=True)
    link = fields.String(required=True)
    funding_url = fields.String(required=True)
    funding_text = fields.String(required=True)
    is_locked = fields.Boolean(required=True)
    new_feed_url = fields.String(required=True)
    podcast_guid = fields.String(required=True)
    artwork_url = fields.Method("get_artwork_url", allow_none=True, metadata={"type": "string"})
    feed_url = _url("get_feed_url")
    page_url = _url("get_page_url")
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)

    def get_artwork_url(self, show: Show) -> str | None:
        return _media_url(show.artwork)

    def get_feed_url(self, show: Show) -> str:
        return site_links().feed(show.slug)

    def get_page_url(self, show: Show) -> str:
        return site_links().show(show.slug)


class ShowPageSchema(PageSchema):
    items = fields.List(fields.Nested(ShowSchema), required=True)


# --- episodes -------------------------------------------------------------------------------


class EpisodeFieldsSchema(Schema):
    """The episode fields a producer may set (``catalog.episodes.EPISODE_FIELDS``)."""

    title = _string(255)
    slug = fields.String(validate=SLUG)
    summary = _string(4000)
    notes_markdown = _string(100_000, metadata={"description": "Markdown; HTML is sanitized."})
    season = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100_000))
    number = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 100_000))
    episode_type = fields.String(validate=validate.OneOf(EPISODE_TYPES))
    is_explicit = fields.Boolean()
    keywords = _string(500)


class EpisodeCreateSchema(EpisodeFieldsSchema):
    title = _string(255, required=True)


class EpisodeStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(EPISODE_STATUSES))
    publish_at = fields.AwareDateTime(
        validate=_in_storable_range,
        metadata={"description": "With a time zone; required to schedule."},
    )


class AudioSchema(Schema):
    url = fields.Method("get_url", metadata={"type": "string", "format": "uri"})
    mime_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    duration_seconds = fields.Float(required=True, allow_none=True)
    bitrate = fields.Integer(required=True, allow_none=True)
    original_filename = fields.String(required=True)

    def get_url(self, media: MediaFile) -> str:
        return site_links().media(media)


class EpisodeSchema(Schema):
    slug = fields.String(required=True)
    guid = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    notes_markdown = fields.String(required=True)
    notes_html = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(EPISODE_STATUSES))
    publish_at = fields.AwareDateTime(required=True, allow_none=True)
    season = fields.Integer(required=True, allow_none=True)
    number = fields.Integer(required=True, allow_none=True)
    episode_type = fields.String(required=True)
    is_explicit = fields.Boolean(required=True)
    keywords = fields.String(required=True)
    audio = fields.Nested(AudioSchema, required=True, allow_none=True)
    page_url = _url("get_page_url")
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)

    def get_page_url(self, episode: Episode) -> str:
        return site_links().episode(episode.show.slug, episode.slug)


class EpisodePageSchema(PageSchema):
    items = fields.List(fields.Nested(EpisodeSchema), required=True)


class AudioUploadQuerySchema(Schema):
    filename = _string(
        255, load_default="", metadata={"description": "The file's name, shown to producers."}
    )


# --- people and credits ---------------------------------------------------------------------


class PersonFieldsSchema(Schema):
    name = _string(255)
    affiliation = _string(255, metadata={"example": "founder and CEO, ispace"})
    bio = _string(10_000)
    website = _string(500)


class PersonCreateSchema(PersonFieldsSchema):
    name = _string(255, required=True)


class PersonSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    affiliation = fields.String(required=True)
    bio = fields.String(required=True)
    website = fields.String(required=True)
    photo_url = fields.Method("get_photo_url", allow_none=True, metadata={"type": "string"})
    page_url = _url("get_page_url")

    def get_photo_url(self, person: Person) -> str | None:
        return _media_url(person.photo)

    def get_page_url(self, person: Person) -> str:
        return site_links().person(person.slug)


class PersonPageSchema(PageSchema):
    items = fields.List(fields.Nested(PersonSchema), required=True)


class CreditCreateSchema(Schema):
    person = fields.String(required=True, validate=SLUG, metadata={"description": "A slug."})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class CreditSchema(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    group = fields.String(required=True)
    person = fields.Nested(PersonSchema, required=True)


# --- chapters and transcripts ---------------------------------------------------------------


class ChapterSchema(Schema):
    start_seconds = fields.Float(
        required=True, validate=validate.Range(min=0, max=1_000_000), metadata={"example": 0}
    )
    title = _string(255, required=True)
    url = _string(500, load_default="")


class ChapterListSchema(Schema):
    chapters = fields.List(fields.Nested(ChapterSchema), required=True)


class TranscriptCreateSchema(Schema):
    language = _string(20, load_default="en", metadata={"example": "en"})
    format = fields.String(required=True, validate=validate.OneOf(TRANSCRIPT_FORMATS))
    body = _string(5 * 1024 * 1024, required=True)


class TranscriptSchema(Schema):
    language = fields.String(required=True)
    format = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class TranscriptListSchema(Schema):
    transcripts = fields.List(fields.Nested(TranscriptSchema), required=True)


# --- statistics -----------------------------------------------------------------------------


class DailyCountSchema(Schema):
    day = fields.Date(required=True)
    downloads = fields.Integer(required=True)


class AppCountSchema(Schema):
    app = fields.String(required=True)
    downloads = fields.Integer(required=True)


class ReleaseWindowSchema(Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    downloads = fields.Integer(required=True)
    is_complete = fields.Boolean(
        required=True, metadata={"description": "False while the window is still running."}
    )


class EpisodeDownloadsSchema(Schema):
    slug = fields.String(required=True)
    guid = fields.String(required=True)
    title = fields.String(required=True)
    released_at = fields.AwareDateTime(required=True, allow_none=True)
    downloads = fields.Integer(required=True)
    first_7_days = fields.Nested(ReleaseWindowSchema, required=True, allow_none=True)
    first_30_days = fields.Nested(ReleaseWindowSchema, required=True, allow_none=True)


class StatsSchema(Schema):
    """Downloads counted the IAB way, per UTC day and per app."""

    total = fields.Integer(required=True)
    per_day = fields.List(fields.Nested(DailyCountSchema), required=True)
    per_app = fields.List(fields.Nested(AppCountSchema), required=True)

    @pre_dump
    def _rows(self, stats: Any, **_kwargs: Any) -> dict[str, Any]:
        """Turn the domain's ``by_day`` / ``by_app`` mappings into ordered rows."""
        by_app = sorted(stats.by_app.items(), key=lambda item: (-item[1], item[0]))
        return {
            **{name: getattr(stats, name) for name in ("total", "episodes", "episode")
               if hasattr(stats, name)},
            "per_day": [{"day": d, "downloads": n} for d, n in sorted(stats.by_day.items())],
            "per_app": [{"app": app, "downloads": n} for app, n in by_app],
        }  # fmt: skip


class ShowStatsSchema(StatsSchema):
    episodes = fields.List(fields.Nested(EpisodeDownloadsSchema), required=True)


class EpisodeStatsSchema(StatsSchema):
    episode = fields.Nested(EpisodeDownloadsSchema, required=True)
