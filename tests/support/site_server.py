"""The community site on a loopback port, in a thread, for browser tests (uvicorn, as
`halotrack serve` runs it)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import uvicorn

from halotrack.site import make_app
from halotrack.site.app import bind
from halotrack.store import Store


@contextmanager
def running_site(store: Store, clock: Callable[[], datetime]) -> Iterator[str]:
    """Yields the base URL; stops the server on exit."""
    config = uvicorn.Config(make_app(store, clock=clock), log_level="warning", access_log=False)
    with serving(config) as base:
        yield base


@contextmanager
def serving(config: uvicorn.Config) -> Iterator[str]:
    """uvicorn serving `config` on a free loopback port in a thread: yields the base URL."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):  # bounded: 5 s
            if server.started:
                break
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass(frozen=True)
class Served:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`halotrack [args] serve --port N` in its own process, as users start it: yields its
    base URL and process id once it answers; stopped on exit."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    exe = Path(sys.executable).parent / "halotrack"
    server = subprocess.Popen(
        [str(exe), *args, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: 30 s for start-up
            try:
                with urllib.request.urlopen(base + "/api/v1/players?limit=1", timeout=10):
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"halotrack serve exited with {server.returncode}") from None
                time.sleep(0.1)
        yield Served(base, server.pid)
    finally:
        server.terminate()
        server.wait(10)
