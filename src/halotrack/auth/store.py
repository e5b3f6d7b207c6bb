"""Where sign-in lives on disk: owner-only files under `<data dir>/auth/`.

Why: tokens are secrets. Every file is created 0600 from the first byte (os.open with the
mode, never chmod after writing), replaced atomically (temp file + rename) so a crash never
leaves half a refresh token, and checked on load: a directory or file someone loosened is
tightened again, with one warning. A lock file serialises refreshes across processes, since
the Microsoft refresh token rotates and two processes refreshing at once would lose one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from halotrack import config
from halotrack.errors import StoreError

try:  # POSIX only; on other systems refreshes are serialised per process only.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SESSION_FILE = "session.json"
MSAL_CACHE_FILE = "msal-cache.json"
LOCK_FILE = ".lock"
DIR_MODE = 0o700
FILE_MODE = 0o600

_warned: set[str] = set()


def default_auth_dir() -> Path:
    """`<data dir>/auth`, following HALOTRACK_DATA_DIR like everything else."""
    return config.data_dir() / "auth"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass
class StoredToken:
    """One bearer credential and when it stops working. The value never reaches a repr."""

    value: str = field(repr=False)
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "expires_at": _iso(self.expires_at)}

    @classmethod
    def from_json(cls, data: Any) -> StoredToken | None:
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            return None
        return cls(value=data["value"], expires_at=_parse_time(data.get("expires_at")))


@dataclass
class Session:
    """Everything halotrack remembers about one sign-in, besides msal's own cache.

    `source` is "msal" (signed in, refreshable) or "paste" (copied from a browser, not).
    `api_root` is where the tokens were obtained: None for the real service. Tokens are
    never sent to a different root, so a real token cannot leak to a simulator or proxy.
    """

    source: str
    api_root: str | None = None
    client_id: str | None = None
    authority: str | None = None
    ca_bundle: str | None = None
    account_id: str | None = None
    username: str | None = None
    xuid: str | None = None
    gamertag: str | None = None
    user_hash: str | None = field(default=None, repr=False)
    xbox_user: StoredToken | None = None
    xsts_halo: StoredToken | None = None
    spartan: StoredToken | None = None
    clearance: str | None = field(default=None, repr=False)
    clearance_at: datetime | None = None
    signed_in_at: datetime | None = None
    microsoft_expires_at: datetime | None = None

    _TOKENS = ("xbox_user", "xsts_halo", "spartan")
    _TIMES = ("clearance_at", "signed_in_at", "microsoft_expires_at")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": 1}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self._TOKENS:
                out[f.name] = value.to_json() if value else None
            elif f.name in self._TIMES:
                out[f.name] = _iso(value)
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in cls._TOKENS:
                kwargs[f.name] = StoredToken.from_json(value)
            elif f.name in cls._TIMES:
                kwargs[f.name] = _parse_time(value)
            elif value is None or isinstance(value, str):
                kwargs[f.name] = value
        if not isinstance(kwargs.get("source"), str):
            raise ValueError("session file has no source")
        return cls(**kwargs)


class TokenStore:
    """The auth directory: the session file, msal's serialised cache and a lock file."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_auth_dir()

    def __repr__(self) -> str:
        return f"TokenStore({str(self.directory)!r})"

    @property
    def session_path(self) -> Path:
        return self.directory / SESSION_FILE

    @property
    def msal_cache_path(self) -> Path:
        return self.directory / MSAL_CACHE_FILE

    # -- permissions -------------------------------------------------------------------

    def ensure_dir(self) -> None:
        """Create the directory owner-only, and tighten it if it exists with looser bits."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        except OSError as exc:
            raise StoreError(
                f"cannot create {self.directory}: {exc.strerror}",
                hint="check HALOTRACK_DATA_DIR and its permissions",
            ) from exc
        self._repair(self.directory, DIR_MODE)

    def _repair(self, path: Path, wanted: int) -> None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            return
        if os.name != "posix" or mode & ~wanted == 0:
            return
        try:
            os.chmod(path, wanted)
        except OSError as exc:
            raise StoreError(
                f"{path} is readable by others (mode {mode:o}) and cannot be fixed: {exc.strerror}",
                hint=f"run: chmod {wanted:o} {path}",
            ) from exc
        key = str(path)
        if key not in _warned:
            _warned.add(key)
            log.warning("%s had mode %o, readable by others; set it back to %o", path, mode, wanted)

    def check_permissions(self) -> None:
        """Repair the directory and every file in it; warn once per path when repaired."""
        if not self.directory.exists():
            return
        self._repair(self.directory, DIR_MODE)
        for path in (self.session_path, self.msal_cache_path, self.directory / LOCK_FILE):
            self._repair(path, FILE_MODE)

    # -- reading and writing -------------------------------------------------------------

    def _read(self, path: Path) -> str | None:
        self.check_permissions()
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}") from exc

    def _write(self, path: Path, text: str) -> None:
        """Atomic owner-only write: the temp file is 0600 from creation, then renamed over."""
        self.ensure_dir()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, FILE_MODE)  # umask can only narrow it; make it exact
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fd = -1
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
            finally:
                if fd >= 0:
                    os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(
                f"cannot write {path}: {exc.strerror}", hint="check free space and permissions"
            ) from exc

    def load_session(self) -> Session | None:
        """The stored sign-in, or None when nobody signed in (or the file is unreadable)."""
        text = self._read(self.session_path)
        if text is None:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return Session.from_json(data)
        except ValueError:
            log.warning("ignoring unreadable %s; sign in again", self.session_path)
            return None

    def save_session(self, session: Session) -> None:
        self._write(self.session_path, json.dumps(session.to_json(), indent=1))

    def load_msal_cache(self) -> str | None:
        return self._read(self.msal_cache_path)

    def save_msal_cache(self, serialized: str) -> None:
        self._write(self.msal_cache_path, serialized)

    def remove_msal_cache(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.msal_cache_path.unlink()

    def clear(self) -> list[Path]:
        """Remove every stored credential; returns what was removed."""
        removed: list[Path] = []
        if not self.directory.exists():
            return removed
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and (
                path.name in (SESSION_FILE, MSAL_CACHE_FILE, LOCK_FILE)
                or path.name.endswith(".tmp")
            ):
                try:
                    path.unlink()
                except OSError as exc:
                    raise StoreError(f"cannot remove {path}: {exc.strerror}") from exc
                removed.append(path)
        with contextlib.suppress(OSError):
            self.directory.rmdir()  # only if empty; something else may live there
        return removed

    def files(self) -> list[Path]:
        return [p for p in (self.session_path, self.msal_cache_path) if p.exists()]

    # -- cross-process lock ----------------------------------------------------------------

    def _acquire(self) -> int:
        self.ensure_dir()
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                os.close(fd)
                raise
        return fd

    @staticmethod
    def _release(fd: int) -> None:
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold an exclusive lock on the auth directory, waiting for it in a thread."""
        fd = await asyncio.to_thread(self._acquire)
        try:
            yield
        finally:
            self._release(fd)
