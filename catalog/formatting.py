"""Jinja filters: how durations, dates and sizes read on the site."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def format_duration(seconds: float | None) -> str:
    """Return ``1:02:03`` or ``4:05`` for a duration in seconds ("" when unknown)."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_date(value: datetime | None) -> str:
    """Return a date as ``24 November 2026``."""
    return "" if value is None else f"{value.day} {value:%B %Y}"


def register_filters(app: Flask) -> None:
    """Make the filters available to templates."""
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_date, "date")
