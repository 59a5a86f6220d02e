"""Lists as pages: ``limit`` and ``offset`` in, items with a total and links out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page_of(
    session: Session, items: Select[Any] | Sequence[Any], *, limit: int, offset: int
) -> dict[str, Any]:
    """Return one page of a query (counted and cut in SQL) or of a list already loaded."""
    if isinstance(items, Select):
        total = session.scalar(select(func.count()).select_from(items.order_by(None).subquery()))
        rows = list(session.scalars(items.limit(limit).offset(offset)).unique())
    else:
        total, rows = len(items), list(items[offset : offset + limit])
    total = total or 0
    return {
        "items": rows,
        "total": total,
        "limit": limit,
        "offset": offset,
        "links": {
            "self": _link(limit, offset),
            "first": _link(limit, 0),
            "next": _link(limit, offset + limit) if offset + limit < total else None,
            "prev": _link(limit, max(offset - limit, 0)) if offset > 0 else None,
        },
    }


def _link(limit: int, offset: int) -> str:
    """Return this request's URL (path and query) at another offset."""
    query = {key: value for key, value in request.args.items() if key not in ("limit", "offset")}
    query.update(limit=str(limit), offset=str(offset))
    return f"{request.path}?{urlencode(query)}"
