"""The store every command opens: the database that Settings name (flag, env, config)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from halotrack.store import Store, open_store

if TYPE_CHECKING:
    from halotrack.config import Settings


def store_from_settings(settings: Settings, *, write: bool = True, upgrade: bool = True) -> Store:
    """Open (and migrate) the configured database; `write=False` for commands that only read:
    they never create a database and say so when there is none."""
    return open_store(settings.database_url(), write=write, upgrade=upgrade)
