"""Who may edit which show: admins every show, producers only the shows assigned to them.

API: ``can_edit_show(user, show)``, ``editable_shows(session, user)``,
``show_for_editor(session, show_slug, user)``,
``episode_for_editor(session, show_slug, episode_slug, user)``,
``person_for_editor(session, person_slug, user)``, ``require_admin(user)``,
``part_of_episode(session, episode, model, part_id)``.

A producer asking for another show's anything is told it does not exist
(``NotFound``), so slugs of other producers' drafts cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import Forbidden, NotFound
from catalog.models import Credit, Episode, Person, Show, Transcript, User
from catalog.models.show import show_editor


def can_edit_show(user: User, show: Show) -> bool:
    """Tell whether ``user`` may change ``show`` and everything in it."""
    if not user.is_enabled:
        return False
    if user.is_admin:
        return True
    return any(editor.id == user.id for editor in show.editors)


def editable_shows(session: Session, user: User) -> list[Show]:
    """Return the shows ``user`` may edit, by title."""
    query = select(Show).order_by(Show.title)
    if not user.is_admin:
        query = query.join(show_editor, show_editor.c.show_id == Show.id).where(
            show_editor.c.user_id == user.id
        )
    return list(session.scalars(query).unique())


def show_for_editor(session: Session, show_slug: str, user: User) -> Show:
    """Return the show ``user`` may edit, or raise NotFound whether it exists or not."""
    show = session.scalar(select(Show).where(Show.slug == show_slug))
    if show is None or not can_edit_show(user, show):
        raise NotFound("There is no such show in your studio.")
    return show


def episode_for_editor(session: Session, show_slug: str, episode_slug: str, user: User) -> Episode:
    """Return an episode (any status) of a show ``user`` may edit, or raise NotFound."""
    show = show_for_editor(session, show_slug, user)
    episode = session.scalar(
        select(Episode).where(Episode.show_id == show.id, Episode.slug == episode_slug)
    )
    if episode is None:
        raise NotFound("There is no such episode in this show.")
    return episode


Part = TypeVar("Part", Credit, Transcript)


def part_of_episode(session: Session, episode: Episode, model: type[Part], part_id: int) -> Part:
    """Return the credit or transcript ``part_id`` of ``episode``, or raise NotFound.

    The episode was checked for the editor; an id from another episode is not found.
    """
    part = session.get(model, part_id)
    if part is None or part.episode_id != episode.id:
        raise NotFound(f"There is no such {model.__tablename__} on this episode.")
    return part


def require_admin(user: User) -> None:
    """Refuse anyone but an administrator."""
    if not (user.is_enabled and user.is_admin):
        raise Forbidden("Only administrators may do this.")


def person_for_editor(session: Session, person_slug: str, user: User) -> Person:
    """Return a person ``user`` may edit, or raise NotFound.

    Admins edit anyone; producers edit people not yet credited or credited on one
    of their shows, so a producer cannot rewrite another show's guests.
    """
    person = session.scalar(select(Person).where(Person.slug == person_slug))
    if person is None:
        raise NotFound("There is no such person.")
    if user.is_admin:
        return person
    shows = session.scalars(
        select(Episode.show_id)
        .join(Credit, Credit.episode_id == Episode.id)
        .where(Credit.person_id == person.id)
    ).all()
    if not shows:
        return person
    mine = {show.id for show in editable_shows(session, user)}
    if not mine.intersection(shows):
        raise NotFound("There is no such person.")
    return person
