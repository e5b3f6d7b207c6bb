"""SQLite stores filled once per test session and handed out as copies.

Why: filling a store with a simulated world's matches goes through the store's own
`save_match` and `put_gamertags`, seconds per fill; several modules read the same world, and
some tests change their store (a hostile name) so they cannot share one. Copying a filled
file costs milliseconds and gives each caller a store of its own with the same content.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from halotrack.store import Store, open_store

# id(owner) -> (owner, filled file); the owner is kept so that its id is never reused
_TEMPLATES: dict[int, tuple[object, Path]] = {}


def sqlite_copy(
    owner: object,
    fill: Callable[[Store], None],
    dest: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The URL of a SQLite store at `dest` holding what `fill` writes into an empty store.
    `fill` runs once per session and `owner` (the object it stores, which must not change
    afterwards); later calls copy that file."""
    template = _TEMPLATES.get(id(owner), (None, None))[1]
    if template is None:
        template = tmp_path_factory.mktemp("store-template") / "store.sqlite"
        with open_store(f"sqlite:///{template}") as store:
            fill(store)
        # closing the last connection checkpoints the WAL into the main file
        assert not template.with_name(template.name + "-wal").exists()
        _TEMPLATES[id(owner)] = (owner, template)
    shutil.copyfile(template, dest)
    return f"sqlite:///{dest}"
