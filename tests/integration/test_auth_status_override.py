"""`auth status` when a Spartan token comes from the environment: commands work with it, so
status must not just say "not signed in" (exit 1); and it never shows the token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halotrack.cli import main

TOKEN = "v4=sim-token-that-must-not-show"


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("HALOTRACK_SPARTAN_TOKEN", raising=False)


def test_status_names_an_environment_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", TOKEN)
    assert main(["auth", "status"]) == 0
    out, err = capsys.readouterr()
    assert "HALOTRACK_SPARTAN_TOKEN" in out and "Not signed in" not in out
    assert main(["auth", "status", "--json"]) == 0
    out2, err2 = capsys.readouterr()
    info = json.loads(out2)
    assert info["signed_in"] is False and "HALOTRACK_SPARTAN_TOKEN" in info["token_override"]
    assert TOKEN not in out + err + out2 + err2


def test_status_without_any_token_still_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["auth", "status"]) == 1
    out, _ = capsys.readouterr()
    assert "Not signed in" in out
    assert main(["auth", "status", "--json"]) == 1
    assert "token_override" not in json.loads(capsys.readouterr().out)
