"""The one writer for what a command produces: a file (`page -o`, `export -o`) or stdout.

Why: a bad path or a full disk must end in one line that says what to do, never a
traceback, and a failed write must never leave half a file where a good one was. Every
command that writes a file or a large document to stdout goes through `write_output`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from halotrack.errors import ConfigError

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def write_output(data: str | bytes, path: Path | None) -> int:
    """Write `data` to `path` (None: stdout); returns the number of bytes written.

    A regular file is replaced atomically (written next to it, then renamed over it), so
    readers see the old file or the new one. A device or pipe named as the output (such as
    `/dev/stdout` or `/dev/full`) is written in place, since it cannot be renamed over.
    """
    if path is None:
        return _to_stdout(data if isinstance(data, str) else data.decode("utf-8"))
    body = data.encode("utf-8") if isinstance(data, str) else data
    with open_output(path) as fh:
        fh.write(body)
    return len(body)


@contextlib.contextmanager
def open_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file to stream a command's output into, with `write_output`'s guarantees:
    a regular file appears (atomically, under its name) only when the block ends without
    an error; a device or pipe is written in place; any OSError is one line that says what
    to do. Exports stream through this, so memory does not grow with what they write."""
    name = str(path)
    if name in ("", "."):
        raise ConfigError("no output file given", hint="pass a file name, e.g. -o stats.html")
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _failed(name, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ConfigError(
            f"cannot write {name}: it is a folder", hint=f"name a file in it, e.g. {name}/out"
        )
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(path, "wb") as fh:
                yield fh
        else:
            # Through a symlink, replace the file it points to, not the link.
            with _replacing(Path(os.path.realpath(path)), st) as fh:
                yield fh
    except OSError as exc:
        raise _failed(name, exc) from None


@contextlib.contextmanager
def _replacing(target: Path, st: os.stat_result | None) -> Iterator[BinaryIO]:
    """A sibling temporary file; on success flushed to disk and renamed over `target`, on
    any error removed."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, mode)  # the umask may have narrowed the mode of the file replaced
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _failed(name: str, exc: OSError) -> ConfigError:
    reason = exc.strerror or type(exc).__name__
    folder = os.path.dirname(name) or "."
    if exc.errno == errno.ENOENT and not os.path.isdir(folder):
        return ConfigError(
            f"cannot write {name}: folder {folder} does not exist",
            hint="create it first or choose another path",
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ConfigError(f"cannot write {name}: {reason}", hint="choose a writable path")
    if exc.errno in _FULL:
        return ConfigError(
            f"cannot write {name}: {reason}", hint="free some space or choose another disk"
        )
    return ConfigError(f"cannot write {name}: {reason}", hint="choose another path")


def _to_stdout(text: str) -> int:
    """Write to stdout and flush now, so a full or closed stdout fails here, once."""
    with _stdout_errors():
        sys.stdout.write(text)
        sys.stdout.flush()
    return len(text.encode("utf-8"))


@contextlib.contextmanager
def open_stdout() -> Iterator[BinaryIO]:
    """stdout as a binary stream for output written in pieces, flushed at the end."""
    with _stdout_errors():
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()


@contextlib.contextmanager
def _stdout_errors() -> Iterator[None]:
    """A full or closed stdout as one line that says what to do."""
    try:
        yield
    except OSError as exc:
        _silence_stdout()
        if exc.errno == errno.EPIPE:
            raise ConfigError("stdout was closed before the output was written") from None
        raise ConfigError(
            f"cannot write to stdout: {exc.strerror or exc}",
            hint="redirect it to a file on a disk with space, or use -o FILE",
        ) from None


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's own flush at exit cannot fail again
    (it would print a second, unhelpful error after ours)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
