"""Defaults, overridden by ``CATALOG_*`` environment variables.

Tests and embedders pass a mapping to ``create_app`` instead, which wins over both.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from catalog.errors import ConfigurationError

SOURCE_ROOT = Path(__file__).resolve().parent.parent
MEDIA_DELIVERY_MODES = ("app", "x-accel")
GIB = 1024**3


def default_config(instance_path: Path) -> dict[str, Any]:
    """Return the configuration from defaults and the environment."""
    env = os.environ
    checkout_media = SOURCE_ROOT / "media"
    default_media = (
        checkout_media if (SOURCE_ROOT / "pyproject.toml").exists() else instance_path / "media"
    )
    return {
        "SQLALCHEMY_DATABASE_URI": env.get(
            "CATALOG_DATABASE_URL", f"sqlite:///{instance_path / 'catalog.db'}"
        ),
        "CATALOG_MEDIA_ROOT": env.get("CATALOG_MEDIA_ROOT", str(default_media)),
        "CATALOG_BASE_URL": env.get("CATALOG_BASE_URL", "http://127.0.0.1:5000"),
        "CATALOG_MEDIA_DELIVERY": env.get("CATALOG_MEDIA_DELIVERY", "app"),
        # Download counting: off only to measure its cost; events are written in batches.
        "CATALOG_COUNT_DOWNLOADS": env.get("CATALOG_COUNT_DOWNLOADS", "1") not in ("0", "off"),
        "CATALOG_DOWNLOAD_FLUSH_EVENTS": int(env.get("CATALOG_DOWNLOAD_FLUSH_EVENTS", 500)),
        "CATALOG_DOWNLOAD_FLUSH_SECONDS": float(env.get("CATALOG_DOWNLOAD_FLUSH_SECONDS", 5)),
        # How many reverse proxies (nginx, a CDN) stand in front: their X-Forwarded-For is trusted.
        "CATALOG_TRUSTED_PROXIES": int(env.get("CATALOG_TRUSTED_PROXIES", 0)),
        "CATALOG_MAX_UPLOAD_BYTES": int(env.get("CATALOG_MAX_UPLOAD_BYTES", GIB)),
        # Importing feeds: private/loopback addresses are refused unless the operator allows them.
        "CATALOG_IMPORT_ALLOW_PRIVATE": env.get("CATALOG_IMPORT_ALLOW_PRIVATE", "0")
        in ("1", "on", "true"),
        "CATALOG_IMPORT_MAX_FEED_BYTES": int(env.get("CATALOG_IMPORT_MAX_FEED_BYTES", 50 << 20)),
        "CATALOG_IMPORT_MAX_MEDIA_BYTES": int(env.get("CATALOG_IMPORT_MAX_MEDIA_BYTES", 2 * GIB)),
        "CATALOG_IMPORT_TIMEOUT_SECONDS": float(env.get("CATALOG_IMPORT_TIMEOUT_SECONDS", 3600)),
        "CATALOG_SQLITE_BUSY_TIMEOUT_MS": int(env.get("CATALOG_SQLITE_BUSY_TIMEOUT_MS", 30_000)),
        "SECRET_KEY": env.get("CATALOG_SECRET_KEY") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }


def instance_secret_key(instance_path: Path) -> str:
    """Return the development secret kept in the instance folder, creating it once.

    A generated secret survives restarts (sessions stay valid) and is never part of
    the source. Several machines must share one through ``CATALOG_SECRET_KEY``.
    """
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def validate_config(config: dict[str, Any]) -> None:
    """Refuse configuration that cannot work, with one clear line."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigurationError(
            f"CATALOG_DATABASE_URL is not a database URL: {uri!r} "
            "(expected sqlite:///path or postgresql+psycopg://user@host/db)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"CATALOG_DATABASE_URL uses {url.get_backend_name()!r}; "
            "catalog supports sqlite and postgresql"
        )
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise ConfigurationError(
            "CATALOG_DATABASE_URL must use the psycopg 3 driver: postgresql+psycopg://..."
        )
    base = urlsplit(config["CATALOG_BASE_URL"])
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ConfigurationError(
            f"CATALOG_BASE_URL must be an absolute http(s) URL, got {config['CATALOG_BASE_URL']!r}"
        )
    if config["CATALOG_MEDIA_DELIVERY"] not in MEDIA_DELIVERY_MODES:
        raise ConfigurationError(
            f"CATALOG_MEDIA_DELIVERY must be one of {', '.join(MEDIA_DELIVERY_MODES)}, "
            f"got {config['CATALOG_MEDIA_DELIVERY']!r}"
        )
    if int(config["CATALOG_MAX_UPLOAD_BYTES"]) <= 0:
        raise ConfigurationError("CATALOG_MAX_UPLOAD_BYTES must be a positive number of bytes")
