"""One tracker per database: a second one waits or stops with a clear message.

Why: two trackers on one database would fetch the same players twice and race on the same
watch rows. The store already makes each write atomic; this lock keeps whole cycles apart.
SQLite: an exclusive `flock` on a lock file beside the database (released by the OS when
the process dies, even by SIGKILL). PostgreSQL: a session advisory lock keyed by database
schema, held on a dedicated connection for as long as the tracker runs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from halotrack.errors import StoreError
from halotrack.store.advisory import AdvisoryLock
from halotrack.store.engine import describe, os_store_error, parse_url

LOCK_SUFFIX = ".tracker.lock"


class TrackerBusy(StoreError):
    """Another tracker holds the database."""


class TrackerLock:
    """`with TrackerLock(url): ...`; `wait` seconds to keep trying (0: fail at once)."""

    def __init__(
        self,
        url: str,
        *,
        wait: float = 0.0,
        poll: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = parse_url(url)
        self.where = describe(self.url)
        self.wait = wait
        self.poll = poll
        self._sleep = sleep
        self._fd: int | None = None
        self._advisory: AdvisoryLock | None = None

    @property
    def path(self) -> Path | None:
        """The lock file (SQLite file databases only)."""
        if self.url.get_backend_name() != "sqlite":
            return None
        db = self.url.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return None
        # Named after the file a symlink (or `..`) leads to: every way of spelling one
        # database must meet the same lock.
        real = Path(db).expanduser().resolve()
        return real.with_name(real.name + LOCK_SUFFIX)

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            holder = self._try()
            if holder is None:
                return
            if time.monotonic() >= deadline:
                raise TrackerBusy(
                    f"another tracker is already running on {self.where}{holder}",
                    hint="wait for it to finish (or stop it), or pass --wait SECONDS",
                )
            self._sleep(self.poll)

    def _try(self) -> str | None:
        """None when locked now; else words about the holder."""
        if self.url.get_backend_name() == "postgresql":
            return self._try_pg()
        path = self.path
        if path is None:
            return None
        import fcntl

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise os_store_error(exc, f"the tracker lock {path}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            except OSError:
                pid = ""
            os.close(fd)
            return f" (process {pid})" if pid.isdigit() else ""
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError as exc:
            os.close(fd)  # drops the flock: a tracker that cannot start holds nothing
            raise os_store_error(exc, f"the tracker lock {path}") from exc
        self._fd = fd
        return None

    def _try_pg(self) -> str | None:
        if self._advisory is None:
            self._advisory = AdvisoryLock(self.url, "halotrack.usecases")
        return None if self._advisory.try_acquire() else ""

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None
        if self._advisory is not None:
            self._advisory.release()
            self._advisory = None

    def __enter__(self) -> TrackerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
