"""Raw media requests and the daily download counts made from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.database import UTCDateTime
from catalog.extensions import db


class DownloadEvent(db.Model):  # type: ignore[name-defined,misc]
    """One media request as recorded at delivery; the listener is a salted hash, never an IP."""

    __tablename__ = "download_event"
    __table_args__ = (Index("ix_download_event_at", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    media_key: Mapped[str] = mapped_column(String(100))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id", ondelete="SET NULL"))
    listener_hash: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int]
    range_start: Mapped[int | None] = mapped_column(BigInteger)
    range_end: Mapped[int | None] = mapped_column(BigInteger)
    bytes_sent: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<DownloadEvent {self.at:%Y-%m-%d} {self.media_key} {self.status}>"


class DailyDownloads(db.Model):  # type: ignore[name-defined,misc]
    """Counted downloads of one episode on one UTC day by one app."""

    __tablename__ = "daily_downloads"
    __table_args__ = (UniqueConstraint("day", "episode_id", "app"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    app: Mapped[str] = mapped_column(String(50))
    downloads: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<DailyDownloads {self.day} {self.episode_id} {self.app}={self.downloads}>"


class AnalyticsSalt(db.Model):  # type: ignore[name-defined,misc]
    """The random salt that hashes listeners on one UTC day; deleted when the day is over.

    Once the salt is gone, nobody (us included) can tell which IP made a request.
    """

    __tablename__ = "analytics_salt"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AnalyticsSalt {self.day}>"
