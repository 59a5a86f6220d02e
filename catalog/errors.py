"""The one root of domain errors.

Domain modules raise these with a message a person understands; the edges
translate them (HTML next to the field, ``application/problem+json`` in the
API, one line and exit code 1 in the CLI).
"""

from __future__ import annotations


class CatalogError(Exception):
    """A problem the user can act on; ``str(error)`` is the message to show."""

    status_code = 400
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class NotFound(CatalogError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    status_code = 404


class Forbidden(CatalogError):
    """The acting user may not do this."""

    status_code = 403


class InvalidInput(CatalogError):
    """A value given by a user is malformed."""


class SlugTaken(InvalidInput):
    """A slug is already used by another record of the same kind."""

    status_code = 409
    field = "slug"


class InvalidAudio(InvalidInput):
    """An uploaded file is not audio we can serve to podcast apps."""

    status_code = 422
    field = "audio"


class InvalidImage(InvalidInput):
    """An uploaded image is not usable as artwork."""

    status_code = 422
    field = "artwork"


class FileTooLarge(InvalidInput):
    """An upload is over the configured size limit."""

    status_code = 413


class InvalidFeed(InvalidInput):
    """A feed to import cannot be read."""

    status_code = 422


class ConfigurationError(CatalogError):
    """The service cannot start with the configuration it was given."""
