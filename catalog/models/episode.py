"""An episode with its chapters and transcripts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import UTCDateTime
from catalog.extensions import db
from catalog.models.columns import created_at_column, one_of, updated_at_column
from catalog.models.media import MediaFile

if TYPE_CHECKING:
    from catalog.models.person import Credit
    from catalog.models.show import Show

EPISODE_STATUSES = ("draft", "scheduled", "published")
EPISODE_TYPES = ("full", "trailer", "bonus")
TRANSCRIPT_FORMATS = ("vtt", "srt")


class Episode(db.Model):  # type: ignore[name-defined,misc]
    """One episode; its GUID is assigned once and survives every edit and import."""

    __tablename__ = "episode"
    __table_args__ = (
        UniqueConstraint("show_id", "slug"),
        UniqueConstraint("show_id", "guid"),
        one_of("status", EPISODE_STATUSES, "status"),
        one_of("episode_type", EPISODE_TYPES, "episode_type"),
        CheckConstraint(
            "status = 'draft' OR publish_at IS NOT NULL", name="publish_at_when_planned"
        ),
        CheckConstraint("season IS NULL OR season > 0", name="season_positive"),
        CheckConstraint("number IS NULL OR number >= 0", name="number_not_negative"),
        Index("ix_episode_show_feed_order", "show_id", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(150))
    guid: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    notes_markdown: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    season: Mapped[int | None]
    number: Mapped[int | None]
    episode_type: Mapped[str] = mapped_column(String(10), default="full")
    is_explicit: Mapped[bool] = mapped_column(default=False)
    keywords: Mapped[str] = mapped_column(String(500), default="")
    artwork_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))
    audio_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="RESTRICT"))
    # An imported episode whose audio stays at its old host (import without --download-media).
    remote_audio_url: Mapped[str | None] = mapped_column(String(2000))
    remote_audio_length: Mapped[int | None] = mapped_column(BigInteger)
    remote_audio_type: Mapped[str | None] = mapped_column(String(100))
    remote_audio_duration_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    show: Mapped[Show] = relationship(back_populates="episodes")
    audio: Mapped[MediaFile | None] = relationship(foreign_keys=[audio_id])
    artwork: Mapped[MediaFile | None] = relationship(foreign_keys=[artwork_id])
    credits: Mapped[list[Credit]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="Credit.position"
    )
    chapters: Mapped[list[Chapter]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="Chapter.start_seconds"
    )
    transcripts: Mapped[list[Transcript]] = relationship(
        back_populates="episode", cascade="all, delete-orphan"
    )

    def is_published(self, now: datetime) -> bool:
        """Tell whether listeners may see the episode at ``now``."""
        return (
            self.status in ("published", "scheduled")
            and self.publish_at is not None
            and self.publish_at <= now
        )

    def __repr__(self) -> str:
        return f"<Episode {self.show_id}/{self.slug} {self.status}>"


class Chapter(db.Model):  # type: ignore[name-defined,misc]
    """A point in an episode listeners can jump to."""

    __tablename__ = "chapter"
    __table_args__ = (
        UniqueConstraint("episode_id", "start_seconds"),
        CheckConstraint("start_seconds >= 0", name="start_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    start_seconds: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(500), default="")
    image_id: Mapped[int | None] = mapped_column(ForeignKey("media_file.id", ondelete="SET NULL"))

    episode: Mapped[Episode] = relationship(back_populates="chapters")

    def __repr__(self) -> str:
        return f"<Chapter {self.start_seconds:.1f} {self.title!r}>"


class Transcript(db.Model):  # type: ignore[name-defined,misc]
    """A transcript of an episode, kept as the text the producer uploaded."""

    __tablename__ = "transcript"
    __table_args__ = (
        UniqueConstraint("episode_id", "language", "format"),
        one_of("format", TRANSCRIPT_FORMATS, "format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(5))
    language: Mapped[str] = mapped_column(String(20), default="en")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    episode: Mapped[Episode] = relationship(back_populates="transcripts")

    def __repr__(self) -> str:
        return f"<Transcript {self.episode_id} {self.language}.{self.format}>"
