"""The tooling that enforces the trivial runs with the tests: ruff and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ["catalog", "tests", "benchmarks"]
# Domain modules take plain values and are typed strictly (STYLE.md, rule 14).
STRICT_MODULES = [
    "catalog/analytics.py",
    "catalog/artwork.py",
    "catalog/audio.py",
    "catalog/chapters.py",
    "catalog/config.py",
    "catalog/database.py",
    "catalog/downloads.py",
    "catalog/errors.py",
    "catalog/links.py",
    "catalog/publishing.py",
    "catalog/search.py",
    "catalog/show_notes.py",
    "catalog/storage.py",
    "catalog/tagging.py",
    "catalog/text.py",
    "catalog/transcripts.py",
    "catalog/uploads.py",
]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", *SOURCES), ("ruff", "format", "--check", *SOURCES)],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff_finds_nothing(command):
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_modules_pass_strict_mypy():
    result = _run("mypy", "--strict", *STRICT_MODULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_passes_mypy():
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
