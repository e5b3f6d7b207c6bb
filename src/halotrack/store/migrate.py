"""Run the Alembic migrations from code: no alembic.ini, the tree ships in the package.

Why programmatic: `open_store` brings any database to the current schema on open, and
refuses (instead of corrupting) a database written by a newer halotrack.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from halotrack.errors import StoreError
from halotrack.store.engine import WRITE

SCRIPT_LOCATION = "halotrack.store:migrations"
# Serialises concurrent first-opens on PostgreSQL (SQLite has BEGIN IMMEDIATE for that).
_PG_LOCK_ID = 0x4A10_7AC4


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _check_known(conn: Connection, where: str) -> str | None:
    current = current_revision(conn)
    if current is None:
        return None
    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(current)
    except CommandError:
        raise StoreError(
            f"the database {where} has schema revision {current}, newer than this "
            f"halotrack knows (head {head_revision()})",
            hint="upgrade halotrack, or point --db at another database",
        ) from None
    return current


def upgrade(engine: Engine, where: str) -> tuple[str | None, str]:
    """Bring the schema to head in one transaction; returns (revision before, after).

    A database already at head is only read, so opening the store never waits for the write
    lock of a tracker that is busy writing."""
    current, head = status(engine, where)
    if current == head:
        return current, head
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
        before = _check_known(conn, where)
        head = head_revision()
        if before != head:
            command.upgrade(alembic_config(conn), "head")
        return before, head


def status(engine: Engine, where: str) -> tuple[str | None, str]:
    """(revision in the database, head revision of this code) without changing anything."""
    with engine.connect() as conn:
        return _check_known(conn, where), head_revision()
