"""Column helpers shared by the models: timestamps and enum checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.database import UTCDateTime, utcnow


def created_at_column() -> Mapped[datetime]:
    """Return a ``created_at`` column set once on insert."""
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def updated_at_column() -> Mapped[datetime]:
    """Return an ``updated_at`` column refreshed on every update."""
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def one_of(column: str, values: Iterable[str], name: str) -> CheckConstraint:
    """Return a check constraint that keeps ``column`` within ``values``."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)
