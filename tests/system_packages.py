"""Debian packages the tests drive for real (chromium, nginx): installed by the test setup.

The README's test command is all a developer runs, so when a program is missing
and the tests run as root on Debian, the setup installs it; otherwise the tests
fail with the command that would install it. They never skip silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

_updated = False


def require_program(path: str, package: str) -> str:
    """Return ``path`` once the program exists there, installing ``package`` if we can."""
    global _updated
    if Path(path).exists():
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if not _updated:
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
            _updated = True
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=False, env=env)
        if Path(path).exists():
            return path
    pytest.fail(
        f"These tests need Debian's {package} at {path}: run `apt-get install {package}` "
        "(the test setup does it by itself when run as root).",
        pytrace=False,
    )
