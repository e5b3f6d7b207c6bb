"""Run the Alembic migrations from code: no alembic.ini, the tree ships in the package.

Why programmatic: `open_store` brings any database to the current schema on open, and
refuses (instead of corrupting) a database written by a newer halotrack. The same place
knows what a sound database looks like: `schema_problems` compares it with the code's
tables, and `refuse_damaged` stops a writer at the door of a file SQLite finds damaged.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from halotrack.errors import StoreError
from halotrack.store.engine import WRITE, to_store_error
from halotrack.store.schema import VIEWS, metadata

if TYPE_CHECKING:
    from halotrack.store.repository import Store

# Seconds `refuse_damaged` may spend reading: enough for the whole of a large database on a
# slow disk, bounded so a huge one still starts promptly (the rest is `db check`'s job).
QUICK_CHECK_BUDGET = 3.0

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


def _describe_diff(diff: Any) -> str | None:
    """One missing or changed piece of the schema, in words; None for what is only extra
    (a user's own table or index does not damage halotrack's)."""
    if isinstance(diff, list):  # column changes come grouped per column
        return "; ".join(p for p in map(_describe_diff, diff) if p) or None
    kind = diff[0]
    if kind == "add_table":
        return f"table {diff[1].name} is missing"
    if kind == "add_column":
        return f"column {diff[2]}.{diff[3].name} is missing"
    if kind == "add_index":
        return f"index {diff[1].name} on {diff[1].table.name} is missing"
    if kind in ("add_constraint", "add_fk"):
        return f"constraint {diff[1].name} on {diff[1].table.name} is missing"
    if kind.startswith("modify_"):
        return f"column {diff[2]}.{diff[3]} differs ({kind[7:]}: {diff[5]!r} != {diff[6]!r})"
    return None


def schema_problems(conn: Connection) -> list[str]:
    """What the database lacks of the current schema revision (tables, columns, indexes,
    constraints, views); empty when everything this code expects is there."""
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    problems = [p for p in map(_describe_diff, compare_metadata(ctx, metadata)) if p]
    present = set(sa.inspect(conn).get_view_names())
    problems += [f"view {v} is missing" for v in VIEWS if v not in present]
    return problems


def refuse_damaged(engine: Engine, where: str, budget: float = QUICK_CHECK_BUDGET) -> None:
    """Raise StoreError when SQLite finds the file damaged (`PRAGMA quick_check`), before a
    writer adds to it: writing into a damaged file spreads the damage. Stops looking after
    `budget` seconds; other backends check their own pages."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    raw = engine.raw_connection()
    try:
        db: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        deadline = time.monotonic() + budget
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            found = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
        except sqlite3.Error as exc:
            if "interrupted" in str(exc):
                return  # out of time without finding anything: let the writer go on
            raise to_store_error(exc, where) from exc
        finally:
            db.set_progress_handler(None, 0)
    finally:
        raw.close()
    if found != ["ok"]:
        first = " ".join(found[0].replace("*** in database main ***", "").split())
        raise StoreError(
            f"the database {where} is damaged, so nothing was written "
            f"(SQLite quick_check: {first})",
            hint="run `halotrack db check`, then restore a backup or move the file aside; "
            "`halotrack export` can still save what is readable",
        )


def upgrade_url(url: str) -> tuple[str, str | None, str]:
    """`halotrack db upgrade`: (where, revision before, revision after) for the database at
    `url`, refusing a damaged SQLite file first; the engine is closed on the way out."""
    from halotrack.store.engine import describe, make_engine, mapped_errors, parse_url

    parsed = parse_url(url)
    where = describe(parsed)
    engine = make_engine(parsed)
    try:
        with mapped_errors(where):
            refuse_damaged(engine, where)
            before, after = upgrade(engine, where)
    finally:
        engine.dispose()
    return where, before, after


def store_schema_problems(store: Store) -> list[str]:
    """How an open store's tables differ from what this version expects (none: empty)."""
    from halotrack.store.engine import mapped_errors

    with mapped_errors(store.where), store.engine.connect() as conn:
        return schema_problems(conn)
