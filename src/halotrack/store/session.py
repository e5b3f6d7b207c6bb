"""How a store call finds its connection: each query and write is written once, for one
connection, and serves three ways.

A `StoreReader` (from `Store.reader()`) and a `StoreTx` (from `Store.transaction()`) are
bound to one connection: one consistent read, one atomic unit of writes. The `Store` itself
is the same API unbound, where each call is its own unit. `@reads` and `@writes` mark a
method with the unit it needs; called on the unbound store they open that unit for the
call, so a write that calls other methods still runs all of them in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, Union, cast

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from halotrack.store.repository import Store, StoreReader

P = ParamSpec("P")
T = TypeVar("T")
B = TypeVar("B", bound="Bound")


class Bound:
    """A connection to run on, or None for the unbound store (see the module docstring)."""

    def __init__(self, conn: Connection | None) -> None:
        self._conn = conn

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise TypeError("no connection: use store.reader() or store.transaction()")
        return self._conn

    def _unit(self, write: bool) -> AbstractContextManager[Any]:
        """A bound reader or transaction for one call on the unbound store."""
        raise TypeError(f"{type(self).__name__} is bound to a connection already")


class _Mark(Protocol):
    def __call__(self, fn: Callable[Concatenate[B, P], T], /) -> Callable[Concatenate[B, P], T]: ...


def _in_unit(write: bool) -> _Mark:
    def mark(fn: Callable[Concatenate[B, P], T]) -> Callable[Concatenate[B, P], T]:
        @wraps(fn)
        def call(self: B, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if self._conn is not None:
                return fn(self, *args, **kwargs)
            with self._unit(write) as bound:
                return fn(bound, *args, **kwargs)

        return call

    return mark


reads = _in_unit(write=False)
writes = _in_unit(write=True)


_IGNORE_STMT: dict[tuple[str, str], Any] = {}


def ignoring_insert(conn: Connection, table: sa.Table) -> Any:
    """INSERT .. ON CONFLICT DO NOTHING for this connection's dialect, for many rows at once
    (`conn.execute(stmt, rows)`); built once per dialect and table."""
    key = (conn.dialect.name, table.name)
    stmt = _IGNORE_STMT.get(key)
    if stmt is None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).on_conflict_do_nothing()
        _IGNORE_STMT[key] = stmt
    return stmt


def insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """INSERT .. ON CONFLICT DO NOTHING; True when the row was inserted. RETURNING, not
    rowcount: psycopg reports -1 for an INSERT that hit the conflict. Values go in as
    parameters (no per-value coercion)."""
    key = (conn.dialect.name, f"{table.name} returning")
    stmt = _IGNORE_STMT.get(key)
    if stmt is None:
        stmt = ignoring_insert(conn, table).returning(next(iter(table.primary_key.columns)))
        _IGNORE_STMT[key] = stmt
    return conn.execute(stmt, dict(values)).first() is not None


Conn = Union["Store", "StoreReader", Connection]
"""What a query module's function runs on (store/insights.py, store/site.py): the store (its
own read), a bound reader or transaction, or a connection already open."""


@contextmanager
def connection(target: Conn) -> Iterator[Connection]:
    """The connection to run one query module function on (see `Conn`)."""
    if isinstance(target, Connection):
        yield target
    elif target._conn is not None:
        yield target.conn
    else:
        with cast("Store", target).reader() as bound:
            yield bound.conn
