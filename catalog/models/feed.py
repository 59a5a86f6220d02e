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
    ``FeedFrame`` and ``FeedItemCache``: this row is read on every request and
    must stay small.
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


class FeedFrame(db.Model):  # type: ignore[name-defined,misc]
    """The bytes of one show's current feed around its items, named by the feed's ETag.

    The feed itself is this head, the show's cached item fragments in feed
    order, and this tail. Storing the whole document as well would write every
    item twice on each build (36 MB for a 10,000-episode show); a process
    joins the parts once per ETag and checks the result against it.
    """

    __tablename__ = "feed_frame"

    show_id: Mapped[int] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str] = mapped_column(String(80))
    head: Mapped[bytes] = mapped_column(LargeBinary)
    tail: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<FeedFrame show={self.show_id} {self.etag}>"


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
