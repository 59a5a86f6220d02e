"""Built feeds, kept so requests are served from bytes instead of rebuilt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.database import UTCDateTime
from catalog.extensions import db


class FeedCache(db.Model):  # type: ignore[name-defined,misc]
    """What one show's current feed is: its ETag, its age, and whether it must be rebuilt.

    Kept in the database so every worker process, on every machine, serves the
    same bytes the moment a change commits. The bytes themselves live in
    ``FeedDocument``: this row is read on every request and must stay small.
    """

    __tablename__ = "feed_cache"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str] = mapped_column(String(80))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The next scheduled episode's publish time: the feed must change then.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_stale: Mapped[bool] = mapped_column(default=False)
    # The address the feed was built for: when it changes, so does every item's links.
    feed_url: Mapped[str] = mapped_column(String(2048), default="")

    def __repr__(self) -> str:
        return f"<FeedCache show={self.show_id} {self.etag}{' stale' if self.is_stale else ''}>"


class FeedDocument(db.Model):  # type: ignore[name-defined,misc]
    """The bytes of one show's current feed, named by their ETag."""

    __tablename__ = "feed_document"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str] = mapped_column(String(80))
    body: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<FeedDocument show={self.show_id} {self.etag}>"


class FeedItemCache(db.Model):  # type: ignore[name-defined,misc]
    """One episode's rendered ``<item>``, so editing one episode re-renders one item."""

    __tablename__ = "feed_item_cache"

    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    fragment: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<FeedItemCache episode={self.episode_id}>"
