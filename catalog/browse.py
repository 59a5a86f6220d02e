"""What listeners can see: shows, published episodes, people and their appearances.

Every query here filters by publish time, so a draft or a scheduled episode never
leaks onto a page, and loads what a page shows in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import NotFound
from catalog.models import Credit, Episode, Person, Show


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    items: list[Episode]
    number: int
    size: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _visible(now: datetime) -> Select[tuple[Episode]]:
    return select(Episode).where(
        Episode.status.in_(("published", "scheduled")), Episode.publish_at <= now
    )


def list_shows(session: Session) -> list[Show]:
    """Return every show, alphabetically."""
    return list(session.scalars(select(Show).order_by(Show.title)))


def get_show(session: Session, slug: str) -> Show:
    """Return the show with ``slug`` or raise NotFound."""
    show = session.scalar(select(Show).where(Show.slug == slug))
    if show is None:
        raise NotFound(f"There is no show at “{slug}”.")
    return show


def show_episodes(
    session: Session, show: Show, now: datetime, page: int = 1, size: int = 20
) -> Page:
    """Return one page of the show's published episodes, newest first."""
    page = max(page, 1)
    query = _visible(now).where(Episode.show_id == show.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(Episode.audio))
        .order_by(Episode.publish_at.desc(), Episode.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return Page(list(items), page, size, total)


def get_episode(session: Session, show: Show, slug: str, now: datetime) -> Episode:
    """Return the published episode ``slug`` of ``show`` with its credits, or raise NotFound."""
    episode = session.scalar(
        _visible(now)
        .where(Episode.show_id == show.id, Episode.slug == slug)
        .options(
            selectinload(Episode.audio),
            selectinload(Episode.chapters),
            selectinload(Episode.credits).selectinload(Credit.person),
        )
    )
    if episode is None:
        raise NotFound(f"There is no episode “{slug}” in {show.title}.")
    return episode


def get_person(session: Session, slug: str) -> Person:
    """Return the person with ``slug`` or raise NotFound."""
    person = session.scalar(select(Person).where(Person.slug == slug))
    if person is None:
        raise NotFound(f"There is no one at “{slug}”.")
    return person


def person_appearances(
    session: Session, person: Person, now: datetime
) -> list[tuple[Episode, str]]:
    """Return (episode, role) for each published episode crediting the person, newest first."""
    rows = session.execute(
        select(Episode, Credit.role)
        .join(Credit, Credit.episode_id == Episode.id)
        .where(
            Credit.person_id == person.id,
            Episode.status.in_(("published", "scheduled")),
            Episode.publish_at <= now,
        )
        .options(selectinload(Episode.show))
        .order_by(Episode.publish_at.desc())
    )
    return [(episode, role) for episode, role in rows]
