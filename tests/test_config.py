"""Configuration: environment overrides, the generated secret, clear errors at start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from catalog import create_app
from catalog.errors import ConfigurationError


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOG_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("CATALOG_MEDIA_ROOT", str(tmp_path / "m"))
    monkeypatch.setenv("CATALOG_BASE_URL", "https://pods.example.net")
    monkeypatch.setenv("CATALOG_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.db'}"
    assert app.config["CATALOG_MEDIA_ROOT"] == str(tmp_path / "m")
    assert app.config["CATALOG_BASE_URL"] == "https://pods.example.net"
    assert app.config["SECRET_KEY"] == "from-env"


def test_secret_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CATALOG_SECRET_KEY", raising=False)
    from catalog.config import instance_secret_key

    first = instance_secret_key(tmp_path)
    second = instance_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SQLALCHEMY_DATABASE_URI", "not a url", "not a database URL"),
        ("SQLALCHEMY_DATABASE_URI", "mysql://x@y/z", "supports sqlite and postgresql"),
        ("SQLALCHEMY_DATABASE_URI", "postgresql+psycopg2://x@y/z", "psycopg 3"),
        ("CATALOG_BASE_URL", "podcasts.example.org", r"absolute http\(s\) URL"),
        ("CATALOG_MEDIA_DELIVERY", "s3", "must be one of app, x-accel"),
    ],
)
def test_invalid_configuration_is_refused_with_a_clear_message(tmp_path, key, value, message):
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": "x",
        key: value,
    }
    with pytest.raises(ConfigurationError, match=message):
        create_app(config)


def _catalog(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from catalog.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_unreachable_database_fails_at_start_with_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "CATALOG_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/catalog",
        "CATALOG_SECRET_KEY": "x",
        "CATALOG_MEDIA_ROOT": str(tmp_path),
    }
    result = _catalog("init", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "Error: Cannot reach the database postgresql+psycopg://nobody@127.0.0.1:1/catalog"
    )


def test_malformed_database_url_fails_at_start_with_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CATALOG_DATABASE_URL": "nonsense", "CATALOG_SECRET_KEY": "x"}
    result = _catalog("run", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: CATALOG_DATABASE_URL is not a database URL: 'nonsense' "
        "(expected sqlite:///path or postgresql+psycopg://user@host/db)"
    ]


def test_run_refuses_a_database_without_schema(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "CATALOG_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "CATALOG_SECRET_KEY": "x",
        "CATALOG_MEDIA_ROOT": str(tmp_path),
    }
    result = _catalog("run", env=env)
    assert result.returncode == 1
    assert "run `catalog init`" in result.stderr


def test_trusted_proxy_supplies_the_client_address(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "SECRET_KEY": "x",
            "CATALOG_TRUSTED_PROXIES": 1,
        }
    )

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request

        return request.remote_addr or ""

    client = app.test_client()
    answer = client.get("/whoami", headers={"X-Forwarded-For": "198.51.100.9"})
    assert answer.get_data(as_text=True) == "198.51.100.9"
