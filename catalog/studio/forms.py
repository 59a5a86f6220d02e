"""Studio forms: field parsing and messages next to fields; the rules live in the domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from catalog.errors import CatalogError
from catalog.models.episode import EPISODE_TYPES
from catalog.models.person import ROLES
from catalog.models.show import SHOW_TYPES
from catalog.models.user import USER_ROLES


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class StudioForm(FlaskForm):
    """A form that can show a domain error next to the field it names."""

    def show_error(self, error: CatalogError, default_field: str | None = None) -> None:
        """Attach ``error`` to its field, or to the form as a whole."""
        for name in (error.field, default_field):
            field = getattr(self, name, None) if name else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, str(error)]
                return
        self.form_errors.append(str(error))


class LoginForm(StudioForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class ShowForm(StudioForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=255)])
    subtitle = StringField("Subtitle", validators=[Length(max=255)])
    description = TextAreaField("Description (Markdown)", validators=[Length(max=100_000)])
    language = StringField("Language", default="en", validators=[DataRequired(), Length(max=20)])
    category = SelectField("Apple category", choices=[], validate_choice=True)
    is_explicit = BooleanField("Explicit content")
    show_type = SelectField("Type", choices=options((kind, kind.title()) for kind in SHOW_TYPES))
    author = StringField("Author", validators=[Length(max=255)])
    owner_name = StringField("Owner name", validators=[Length(max=255)])
    owner_email = StringField("Owner email", validators=[Length(max=255)])
    copyright = StringField("Copyright", validators=[Length(max=255)])
    link = StringField("Website", validators=[Length(max=500)])
    funding_url = StringField("Funding URL", validators=[Length(max=500)])
    funding_text = StringField("Funding text", validators=[Length(max=128)])
    is_locked = BooleanField("Locked (other hosts may not import this feed)", default=True)

    def values(self) -> dict[str, Any]:
        """Return the fields as ``shows.update_show`` takes them."""
        category, _, subcategory = (self.category.data or "").partition("|")
        values = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        values.update(category=category, subcategory=subcategory)
        return values


class ArtworkForm(StudioForm):
    artwork = FileField("Artwork", validators=[FileRequired("Choose an image.")])
    convert = BooleanField("Convert it to meet Apple's rules if needed")


class MoveForm(StudioForm):
    new_feed_url = StringField("New feed URL", validators=[DataRequired(), Length(max=500)])
    confirm = BooleanField(
        "I understand podcast apps will follow the new URL and stop asking this one.",
        validators=[DataRequired("Tick the box to confirm the move.")],
    )


class EpisodeForm(StudioForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=255)])
    slug = StringField("Address (slug)", validators=[DataRequired(), Length(max=150)])
    summary = TextAreaField("Summary", validators=[Length(max=4000)])
    notes_markdown = TextAreaField("Show notes (Markdown)", validators=[Length(max=100_000)])
    season = IntegerField("Season", validators=[Optional(), NumberRange(min=1)])
    number = IntegerField("Episode number", validators=[Optional(), NumberRange(min=0)])
    episode_type = SelectField(
        "Type", choices=options((kind, kind.title()) for kind in EPISODE_TYPES)
    )
    is_explicit = BooleanField("Explicit content")
    keywords = StringField("Keywords", validators=[Length(max=500)])

    def values(self) -> dict[str, Any]:
        """Return the fields as ``episodes.update_episode`` takes them."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class StatusForm(StudioForm):
    status = SelectField(
        "Status",
        choices=options(
            [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published now")]
        ),
    )
    publish_date = DateField("Date", validators=[Optional()])
    publish_time = TimeField("Time", format=["%H:%M:%S", "%H:%M"], validators=[Optional()])
    time_zone = SelectField("Time zone", choices=[], validate_choice=False, default="UTC")


class ConfirmForm(StudioForm):
    confirm = BooleanField("Yes, delete it", validators=[DataRequired("Tick the box to confirm.")])


class CreditForm(StudioForm):
    person_id = HiddenField()
    person_name = StringField("Person", validators=[DataRequired(), Length(max=255)])
    role = SelectField(
        "Role", choices=options((role, role.title()) for role in ROLES), default="guest"
    )


class PersonForm(StudioForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    affiliation = StringField("Affiliation", validators=[Length(max=255)])
    bio = TextAreaField("Bio", validators=[Length(max=10_000)])
    website = StringField("Website", validators=[Length(max=500)])
    photo = FileField("Photo")


class ChapterRow(Form):
    start = StringField("Start", validators=[Length(max=20)])
    title = StringField("Title", validators=[Length(max=255)])
    url = StringField("URL", validators=[Length(max=500)])


class ChaptersForm(StudioForm):
    rows = FieldList(FormField(ChapterRow), min_entries=0)


class PasteChaptersForm(StudioForm):
    text = TextAreaField("Paste chapters", validators=[DataRequired(), Length(max=50_000)])


class TranscriptForm(StudioForm):
    transcript = FileField("Transcript (.vtt or .srt)", validators=[FileRequired()])
    language = StringField("Language", default="en", validators=[DataRequired(), Length(max=20)])


class UserForm(StudioForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    role = SelectField("Role", choices=options((role, role.title()) for role in USER_ROLES))


class TokenForm(StudioForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Name the token after what will use it."), Length(max=100)],
    )


class RevokeTokenForm(StudioForm):
    confirm = BooleanField(
        "Yes, revoke it: anything using this token stops working at once",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class EnableForm(StudioForm):
    """Disable or enable an account: the wanted state and the CSRF token."""

    enabled = HiddenField(validators=[DataRequired()])


class PasswordResetForm(StudioForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])


class AssignForm(StudioForm):
    shows = SelectMultipleField("Shows", coerce=int, choices=[])


class ActionForm(StudioForm):
    """A button that changes something: only the CSRF token."""


class ImportFeedForm(StudioForm):
    url = StringField("Feed URL", validators=[DataRequired(), Length(max=2000)])
    download_media = BooleanField("Also copy the audio here (takes a while for long shows)")
