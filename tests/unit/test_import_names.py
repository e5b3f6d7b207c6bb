"""Every `from halotrack... import name` in the tree names something that exists.

Why: `halotrack.waypoint` and `halotrack.usecases` load their names lazily through a module
`__getattr__`, which mypy takes to answer any name; a name that moved away (as
`waypoint.from_settings` did, to `wiring.client`) then type-checks and fails only when the
importing code runs. This reads the imports of src, tests and bench and resolves each one.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@cache  # both tests read the same tree: parse it once
def _imports() -> list[tuple[str, str, str]]:
    found = []
    for folder in ("src", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.level == 0
                    and node.module
                    and node.module.split(".")[0] == "halotrack"
                ):
                    rel = str(path.relative_to(ROOT))
                    found += [(rel, node.module, a.name) for a in node.names if a.name != "*"]
    return found


def test_every_imported_halotrack_name_exists() -> None:
    missing = []
    for where, module, name in _imports():
        mod = importlib.import_module(module)
        if hasattr(mod, name):
            continue
        try:
            importlib.import_module(f"{module}.{name}")
        except ImportError:
            missing.append(f"{where}: from {module} import {name}")
    assert missing == []


def test_the_reader_sees_the_lazy_packages_imports() -> None:
    """The scan is live: it finds imports through the lazy packages."""
    assert ("src/halotrack/workers/run.py", "halotrack.wiring.client", "client_from_settings") in (
        _imports()
    )
