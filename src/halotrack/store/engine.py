"""Engines with the settings halotrack relies on, and database errors as StoreError.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout, and explicit
`BEGIN` / `BEGIN IMMEDIATE` so a write transaction takes the write lock up front instead of
failing half-way when another process writes. PostgreSQL: plain psycopg 3.
"""

from __future__ import annotations

import errno
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from halotrack.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
WRITE = "halotrack_write"


def describe(url: URL) -> str:
    """Where the database is, for messages: a file path or a URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def parse_url(url: str | URL) -> URL:
    """A SQLAlchemy URL; `postgres://` and `postgresql://` (as hosting services and libpq
    write them) get the one PostgreSQL driver halotrack ships with, psycopg 3."""
    try:
        u = make_url(url)
    except Exception as exc:
        raise StoreError(
            f"not a database URL or path: {url!s}",
            hint="pass a file path or sqlite:///PATH or postgresql://user@host/db",
        ) from exc
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def missing_database(where: str) -> StoreError:
    """What a command that only reads says when there is no database to read."""
    return StoreError(
        f"there is no halotrack database at {where}",
        hint="run `halotrack watch add PLAYER` first to start one, or check --db",
    )


def make_engine(
    url: str | URL, pragmas: Mapping[str, int | str] | None = None, *, create: bool = True
) -> Engine:
    """An engine for SQLite or PostgreSQL; anything else is a StoreError.

    `create=False` (commands that only read): a SQLite file that does not exist is a
    StoreError, and neither it nor its folder is made, so a mistyped --db leaves no trace."""
    u = parse_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(u, dict(pragmas or {}), create)
    if backend == "postgresql":
        try:
            return sa.create_engine(u, pool_pre_ping=True)
        except ImportError as exc:
            raise StoreError(
                "the PostgreSQL driver is not installed",
                hint="pip install 'halotrack[postgres]'",
            ) from exc
    raise StoreError(
        f"unsupported database {backend!r} in {describe(u)}",
        hint="use a SQLite path or a postgresql:// URL",
    )


def _sqlite_engine(u: URL, pragmas: dict[str, int | str], create: bool) -> Engine:
    db = u.database
    if db and db != ":memory:" and not db.startswith("file:"):
        if not create and not Path(db).expanduser().is_file():
            raise missing_database(describe(u))
        parent = Path(db).expanduser().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_store_error(exc, f"the database folder {parent}", verb="create") from exc
    if not db or db == ":memory:":
        # One shared connection: a private in-memory database per connection would hide the
        # schema from every connection but the one that migrated it.
        engine = sa.create_engine(
            u, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own implicit transactions are off; `_on_begin` emits BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if db and db != ":memory:":
                _wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            for name, value in pragmas.items():
                if not name.isidentifier():
                    raise ValueError(f"bad pragma name {name!r}")
                cur.execute(f"PRAGMA {name}={int(value) if isinstance(value, int) else value}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _wal(cur: sqlite3.Cursor) -> None:
    """Switch the file to WAL, waiting as the busy timeout would. A new file's switch needs
    it to itself, and while another connection holds a write lock SQLite answers "locked"
    at once instead of waiting: of 180 racing first opens here, one failed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _orig_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


_FREE_SPACE = "free disk space and run again; everything committed before is intact"
_WRITABLE = "check that the file and its folder are writable, or pass --db PATH"

# (words in the driver's message, what went wrong, what to do), first match wins.
_DB_FAILURES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("file is not a database", "malformed", "not a database"),
        "the database file {where} is corrupt or not a SQLite database ({msg})",
        "restore it from a backup, or move it aside so halotrack starts a new one",
    ),
    (
        ("database or disk is full", "disk full", "no space left"),
        "the database {where} is full: the disk (or its size limit) ran out ({msg})",
        _FREE_SPACE,
    ),
    # A full disk under WAL (or a file size limit) surfaces as an I/O error, not FULL.
    (
        ("disk i/o error",),
        "cannot write the database {where}: the disk is full or failing ({msg})",
        _FREE_SPACE,
    ),
    (
        ("database is locked", "database table is locked"),
        "the database {where} is locked by another process ({msg})",
        "wait for the other halotrack run to finish, then retry",
    ),
    (
        ("readonly", "read-only", "unable to open"),
        "cannot open or write the database {where} ({msg})",
        _WRITABLE,
    ),
    (
        ("connection", "could not connect", "password"),
        "cannot connect to the database {where} ({msg})",
        "check the URL, that the server is running, and the credentials",
    ),
)


def to_store_error(exc: BaseException, where: str) -> StoreError:
    """Say what went wrong with the database at `where` and what to do about it."""
    msg = _orig_message(exc)
    low = msg.lower()
    for words, what, hint in _DB_FAILURES:
        if any(w in low for w in words):
            return StoreError(what.format(where=where, msg=msg), hint=hint)
    return StoreError(
        f"database error on {where}: {msg}",
        hint="run `halotrack db check`; rerun with --debug for details",
    )


_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def os_store_error(exc: OSError, what: str, *, verb: str = "use") -> StoreError:
    """A failed file operation on `what` (the database, its folder, the tracker lock) as one
    StoreError that says what to do: free space for a full disk, permissions otherwise."""
    why = exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return StoreError(f"cannot write {what}: the disk is full ({why})", hint=_FREE_SPACE)
    if exc.errno in _NOT_ALLOWED:
        return StoreError(f"cannot {verb} {what}: {why}", hint=_WRITABLE)
    return StoreError(f"cannot {verb} {what}: {why}", hint="check the path and --db")


_DB_ERRORS: tuple[type[BaseException], ...] = (sa.exc.DBAPIError, sqlite3.Error)


@contextmanager
def mapped_errors(where: str) -> Iterator[None]:
    """Turn driver errors inside the block into a StoreError that says what to do."""
    try:
        yield
    except StoreError:
        raise
    except _DB_ERRORS as exc:
        raise to_store_error(exc, where) from exc
    except OSError as exc:
        raise os_store_error(exc, f"the database {where}") from exc
