"""A small on-disk ETag cache for the static files of gamecms and discovery.

Why: medal metadata, calendars and playlist versions change rarely and some are large
(medal metadata is ~350 KB). Asking with `If-None-Match` turns a re-download into a 304,
and keeping the body on disk makes that true across runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class EtagCache:
    """Bodies keyed by URL, stored as `<sha256>.etag` files: first line the ETag, then body.

    Reads go through a small in-memory map so one run reads each file from disk once. A
    broken or unreadable entry is treated as absent: the cache may only ever save work.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._memory: dict[str, tuple[str, bytes]] = {}

    @staticmethod
    def _key(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()

    def get(self, url: str) -> tuple[str, bytes] | None:
        """The (etag, body) stored for `url`, or None."""
        key = self._key(url)
        hit = self._memory.get(key)
        if hit is not None:
            return hit
        try:
            raw = (self.path / f"{key}.etag").read_bytes()
        except OSError:
            return None
        etag, sep, body = raw.partition(b"\n")
        if not sep or not etag:
            return None
        entry = (etag.decode("latin-1"), body)
        self._memory[key] = entry
        return entry

    def put(self, url: str, etag: str, body: bytes) -> None:
        """Store a body with its ETag; written atomically, failures only logged."""
        if "\n" in etag or "\r" in etag:
            return
        key = self._key(url)
        self._memory[key] = (etag, body)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(etag.encode("latin-1", "replace") + b"\n" + body)
                os.replace(tmp, self.path / f"{key}.etag")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("cannot write the ETag cache under %s: %s", self.path, exc)
