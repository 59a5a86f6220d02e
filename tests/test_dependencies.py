"""Every library the package imports is installed by `pip install .`, not by the test extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _runtime_distributions() -> set[str]:
    """Return the declared dependencies and everything they pull in."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pending, seen = [_name(item) for item in declared], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a conditional dependency this Python does not need
        for requirement in requirements:
            if "extra ==" not in requirement:
                pending.append(_name(requirement))
    return seen


def _imported_modules() -> set[str]:
    modules = set()
    for path in (REPO / "catalog").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"catalog"}


def test_every_imported_library_is_a_runtime_dependency():
    providers = metadata.packages_distributions()
    runtime = _runtime_distributions()
    missing = {
        module
        for module in _imported_modules()
        if not {_name(dist) for dist in providers.get(module, [module])} & runtime
    }
    assert missing == set(), f"imported by catalog but not installed by `pip install .`: {missing}"
