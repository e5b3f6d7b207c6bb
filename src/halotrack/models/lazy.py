"""Package attributes loaded on first use, for packages whose `__init__` re-exports names
from modules that pull in heavy dependencies (aiohttp, SQLAlchemy)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `<package>.<module>` when one of `names[module]` is
    first read."""
    home = {name: module for module, exported in names.items() for name in exported}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
