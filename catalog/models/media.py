"""Stored media: audio files and images, addressed by content hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.database import UTCDateTime
from catalog.extensions import db
from catalog.models.columns import created_at_column, one_of

MEDIA_KINDS = ("audio", "image")


class MediaFile(db.Model):  # type: ignore[name-defined,misc]
    """One stored file; the same bytes are stored once, whoever uploads them."""

    __tablename__ = "media_file"
    __table_args__ = (
        one_of("kind", MEDIA_KINDS, "kind"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    bitrate_mode: Mapped[str | None] = mapped_column(String(10))
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    codec: Mapped[str | None] = mapped_column(String(30))
    id3_size: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cover_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("media_file.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()
    # Set by ``catalog media sweep`` when nothing uses the file any more, cleared
    # when something does again; the file is removed a grace period after it.
    unused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the sweep removed the bytes. The row stays: download counts of past
    # days are recounted from its facts, and an identical upload revives it.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def extension(self) -> str:
        return self.storage_key.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"<MediaFile {self.kind} {self.storage_key}>"
