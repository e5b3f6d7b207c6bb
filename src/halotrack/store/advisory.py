"""A PostgreSQL session advisory lock, held on a connection of its own.

Why in the store: it is SQL on the database's engine; callers above (the tracker's lock)
only say which name to lock and when. The key is derived from the name and the current
schema, so test schemas and separate installations on one server never collide.
"""

from __future__ import annotations

import contextlib
import hashlib

import sqlalchemy as sa

from halotrack.store.engine import make_engine


class AdvisoryLock:
    """`try_acquire()` takes the lock without waiting; `release()` gives it back."""

    def __init__(self, url: sa.URL, name: str) -> None:
        self.url = url
        self.name = name
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._key: int | None = None

    def try_acquire(self) -> bool:
        """True when this process holds the lock now; False when another session does."""
        if self._engine is None:
            self._engine = make_engine(self.url)
        conn = self._engine.connect()
        try:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
            digest = hashlib.blake2b(f"{self.name}:{schema}".encode(), digest_size=8)
            key = int.from_bytes(digest.digest(), "big", signed=True)
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn, self._key = conn, key
        return True

    def release(self) -> None:
        """Unlock and close; closing the connection would unlock too, this is just sooner."""
        if self._conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
