"""People (hosts, guests, crew) and their credits on episodes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.extensions import db
from catalog.models.columns import created_at_column, one_of, updated_at_column
from catalog.models.media import MediaFile

if TYPE_CHECKING:
    from catalog.models.episode import Episode

# Podcasting 2.0 person taxonomy (podcast:person role -> group), the roles people use most.
ROLE_GROUPS: dict[str, str] = {
    "host": "cast",
    "co-host": "cast",
    "guest host": "cast",
    "guest": "cast",
    "narrator": "cast",
    "announcer": "cast",
    "reporter": "cast",
    "voice actor": "cast",
    "writer": "writing",
    "author": "writing",
    "researcher": "writing",
    "producer": "creative direction",
    "director": "creative direction",
    "creative director": "creative direction",
    "executive producer": "creative direction",
    "editor": "audio post-production",
    "audio editor": "audio post-production",
    "audio engineer": "audio post-production",
    "sound designer": "audio post-production",
    "composer": "audio production",
    "music production": "audio production",
    "recording engineer": "audio production",
    "cover art designer": "visuals",
    "social media manager": "administration",
    "translator": "misc.",
}
ROLES = tuple(ROLE_GROUPS)


class Person(db.Model):  # type: ignore[name-defined,misc]
    """Someone who appears in or makes episodes; has a public page."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    affiliation: Mapped[str] = mapped_column(String(255), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    photo: Mapped[MediaFile | None] = relationship(lazy="joined")
    credits: Mapped[list[Credit]] = relationship(back_populates="person")

    def __repr__(self) -> str:
        return f"<Person {self.slug}>"


class Credit(db.Model):  # type: ignore[name-defined,misc]
    """A person's role on one episode."""

    __tablename__ = "credit"
    __table_args__ = (
        UniqueConstraint("episode_id", "person_id", "role"),
        one_of("role", ROLES, "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(default=0)

    episode: Mapped[Episode] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship(back_populates="credits")

    @property
    def group(self) -> str:
        return ROLE_GROUPS[self.role]

    def __repr__(self) -> str:
        return f"<Credit {self.person_id} {self.role} on {self.episode_id}>"
