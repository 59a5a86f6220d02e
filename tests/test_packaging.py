"""A non-editable install (a wheel) finds its templates, migrations and demo media."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SMOKE = """
import catalog, sys
from pathlib import Path
assert Path(catalog.__file__).is_relative_to(Path(sys.argv[1])), catalog.__file__
from catalog import create_app, schema
from catalog.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2] + "/w.db",
                  "CATALOG_MEDIA_ROOT": sys.argv[2] + "/media", "SECRET_KEY": "x"})
runner = app.test_cli_runner()
assert runner.invoke(args=["init"]).exit_code == 0
result = runner.invoke(args=["demo"])
assert result.exit_code == 0, result.output
client = app.test_client()
assert "Space Café Radio" in client.get("/shows/space-cafe-radio/").get_data(as_text=True)
assert client.get("/people/nobody/").status_code == 404
print("wheel ok")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True,
    )  # fmt: skip
    return next(out.glob("catalog-*.whl"))


def test_wheel_contains_templates_migrations_and_demo_media(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "catalog/templates/base.html" in names
    assert "catalog/templates/public/episode_detail.html" in names
    assert "catalog/migrations/env.py" in names
    assert "catalog/migrations/versions/0001_initial_schema.py" in names
    assert "catalog/demo/media/ispace-and-the-japanese-space-journey.mp3" in names
    assert "catalog/static/site.css" in names


def test_installed_wheel_serves_the_demo_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("CATALOG_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SMOKE, str(site), str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "wheel ok" in result.stdout
