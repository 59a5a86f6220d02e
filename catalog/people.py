"""People (hosts, guests, crew) and their credits on episodes.

API (the caller commits; every function adds and flushes only):

- ``create_person(session, *, name, fields=None) -> Person``
- ``update_person(person, fields) -> Person``  (``fields``: any of ``PERSON_FIELDS``)
- ``set_person_photo(session, store, person, stream, *, filename, max_bytes) -> MediaFile``
- ``add_credit(session, episode, person, role) -> Credit``
- ``remove_credit(session, credit) -> None``
- ``search_people(session, prefix, *, limit=10) -> list[Person]``: name or any word of it
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput
from catalog.models import Credit, Episode, MediaFile, Person
from catalog.models.person import ROLES
from catalog.publishing import unique_slug
from catalog.shows import web_url
from catalog.storage import MediaStore
from catalog.text import clean_text
from catalog.uploads import add_image

PERSON_FIELDS = frozenset({"name", "affiliation", "bio", "website"})
MAX_SEARCH_RESULTS = 25


def create_person(
    session: Session, *, name: str, fields: Mapping[str, Any] | None = None
) -> Person:
    """Add a person with a slug made from their name (a free one)."""
    name = clean_text(name)
    if not name:
        raise InvalidInput("Give the person's name.", field="name")

    def is_taken(candidate: str) -> bool:
        return session.scalar(select(Person.id).where(Person.slug == candidate)) is not None

    person = Person(name=name, slug=unique_slug(name, is_taken))
    update_person(person, fields or {})
    session.add(person)
    session.flush()
    return person


def update_person(person: Person, fields: Mapping[str, Any]) -> Person:
    """Change the given fields after checking each; the slug (their page URL) stays."""
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown person field: {', '.join(sorted(unknown))}.")
    if "name" in fields:
        name = clean_text(fields["name"])
        if not name:
            raise InvalidInput("Give the person's name.", field="name")
        person.name = name
    if "affiliation" in fields:
        person.affiliation = clean_text(fields["affiliation"])
    if "bio" in fields:
        person.bio = clean_text(fields["bio"], max_length=10_000, multiline=True)
    if "website" in fields:
        person.website = web_url(fields["website"], "website")
    return person


def set_person_photo(
    session: Session,
    store: MediaStore,
    person: Person,
    stream: BinaryIO,
    *,
    filename: str,
    max_bytes: int,
) -> MediaFile:
    """Use an uploaded image as the person's photo (any size: it is not podcast artwork)."""
    photo = add_image(session, store, stream, filename=filename, max_bytes=max_bytes)
    person.photo = photo
    session.flush()
    return photo


def add_credit(session: Session, episode: Episode, person: Person, role: str) -> Credit:
    """Credit ``person`` on ``episode`` in ``role`` (Podcasting 2.0 person taxonomy)."""
    if role not in ROLES:
        raise InvalidInput("Choose a role from the list.", field="role")
    if any(c.person_id == person.id and c.role == role for c in episode.credits):
        raise InvalidInput(f"{person.name} is already credited as {role}.", field="person")
    position = max((credit.position for credit in episode.credits), default=-1) + 1
    credit = Credit(person=person, role=role, position=position)
    episode.credits.append(credit)
    session.flush()
    return credit


def remove_credit(session: Session, credit: Credit) -> None:
    """Take a credit off its episode; the person stays."""
    credit.episode.credits.remove(credit)
    session.flush()


def search_people(session: Session, prefix: str, *, limit: int = 10) -> list[Person]:
    """Return people whose name, or a word in it, starts with ``prefix`` (for autocomplete)."""
    text = clean_text(prefix, max_length=100).lower()
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(Person.name)
    query = (
        select(Person)
        .where(
            or_(
                name.like(f"{escaped}%", escape="\\"),
                name.like(f"% {escaped}%", escape="\\"),
            )
        )
        .order_by(Person.name, Person.id)
        .limit(max(1, min(limit, MAX_SEARCH_RESULTS)))
    )
    return list(session.scalars(query).unique())
