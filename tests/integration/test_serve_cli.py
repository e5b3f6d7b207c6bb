"""`halotrack serve` on a port already in use: one line and exit 2, no traceback, and no
"serving on" for a server that never started."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.store import open_store


def test_serve_on_a_busy_port_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_store(f"sqlite:///{tmp_path / 's.sqlite'}").close()  # serve never creates one
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["--db", str(tmp_path / "s.sqlite"), "serve", "--port", str(port)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another --port" in err
    assert "Traceback" not in err and "serving on" not in out
