"""A show: the unit listeners subscribe to."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.extensions import db
from catalog.models.columns import created_at_column, one_of, updated_at_column
from catalog.models.media import MediaFile

if TYPE_CHECKING:
    from catalog.models.episode import Episode
    from catalog.models.user import User

SHOW_TYPES = ("episodic", "serial")

show_editor = db.Table(
    "show_editor",
    db.Column("show_id", ForeignKey("show.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Show(db.Model):  # type: ignore[name-defined,misc]
    """A podcast; its slug and podcast GUID never change once published."""

    __tablename__ = "show"
    __table_args__ = (one_of("show_type", SHOW_TYPES, "show_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    subtitle: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(20), default="en")
    category: Mapped[str] = mapped_column(String(100), default="")
    subcategory: Mapped[str] = mapped_column(String(100), default="")
    is_explicit: Mapped[bool] = mapped_column(default=False)
    show_type: Mapped[str] = mapped_column(String(10), default="episodic")
    author: Mapped[str] = mapped_column(String(255), default="")
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    owner_email: Mapped[str] = mapped_column(String(255), default="")
    copyright: Mapped[str] = mapped_column(String(255), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    artwork_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))
    podcast_guid: Mapped[str] = mapped_column(String(36), unique=True)
    is_locked: Mapped[bool] = mapped_column(default=True)
    funding_url: Mapped[str] = mapped_column(String(500), default="")
    funding_text: Mapped[str] = mapped_column(String(128), default="")
    new_feed_url: Mapped[str] = mapped_column(String(500), default="")
    apple_podcasts_id: Mapped[str] = mapped_column(String(30), default="")
    # Where an imported show came from, so a rerun updates it instead of duplicating it.
    source_feed_url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    artwork: Mapped[MediaFile | None] = relationship(lazy="joined")
    episodes: Mapped[list[Episode]] = relationship(
        back_populates="show", cascade="all, delete-orphan", passive_deletes=True
    )
    editors: Mapped[list[User]] = relationship(secondary=show_editor, back_populates="shows")

    @property
    def has_moved(self) -> bool:
        return bool(self.new_feed_url)

    def __repr__(self) -> str:
        return f"<Show {self.slug}>"
