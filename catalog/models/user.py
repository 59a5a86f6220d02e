"""Studio accounts and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import UTCDateTime
from catalog.extensions import db
from catalog.models.columns import created_at_column, one_of
from catalog.models.show import show_editor

if TYPE_CHECKING:
    from catalog.models.show import Show

USER_ROLES = ("admin", "producer")


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A producer or administrator; producers edit only the shows assigned to them."""

    __tablename__ = "user"
    __table_args__ = (one_of("role", USER_ROLES, "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="producer")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Login throttling lives in the database so every worker process sees it.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every login session's id: raising it ends the sessions opened before.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()

    shows: Mapped[list[Show]] = relationship(secondary=show_editor, back_populates="editors")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_enabled

    def get_id(self) -> str:
        """Name the account in the session cookie, with the version its sessions must match."""
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """An API token; only its sha256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… {self.name!r}>"
