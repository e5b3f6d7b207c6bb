"""The one output writer: `page -o`, `export -o` and JSON on stdout fail in one line, never
leave half a file in place of a good one, and `export` takes its format from `-o`."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.errors import ConfigError
from halotrack.store import open_store
from tests.support.page import XUID, seed_store

GT = "Sample Spartan"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("HALOTRACK_DB", raising=False)
    url = f"sqlite:///{tmp_path / 'halotrack.sqlite'}"
    with open_store(url) as store:
        seed_store(store, GT)
        yield url


def one_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("{tmp}", "folder"),
        ("{tmp}/missing/stats.html", "does not exist"),
        ("/dev/full", "No space left"),
        ("", "no output file"),
    ],
)
@pytest.mark.parametrize("command", ["page", "export"])
def test_bad_output_paths_are_one_line(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    where: str,
    says: str,
) -> None:
    target = where.format(tmp=tmp_path)
    code, _, err = cli(capsys, "--db", db_url, command, GT, "-o", target)
    assert code == ConfigError.exit_code
    assert says in one_error(err)
    assert not (tmp_path / "missing").exists()


def _capped(limit: int) -> None:
    """Child setup: files may not grow past `limit` bytes (EFBIG, like a disk filling up)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow
@pytest.mark.parametrize("command", ["page", "export"])
def test_a_failed_write_keeps_the_good_file(db_url: str, tmp_path: Path, command: str) -> None:
    """Writing stops half-way (the file size limit); the file already there is untouched
    and no temporary file is left beside it."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    good = out_dir / "stats.html"
    good.write_text("GOOD")
    done = subprocess.run(
        [sys.executable, "-m", "halotrack", "--db", db_url, command, GT, "-o", str(good)],
        env={**os.environ},
        capture_output=True,
        text=True,
        preexec_fn=lambda: _capped(4096),
        timeout=120,
    )
    assert done.returncode == ConfigError.exit_code, done.stdout + done.stderr
    assert "cannot write" in one_error(done.stderr)
    assert good.read_text() == "GOOD"
    assert os.listdir(out_dir) == ["stats.html"]


@pytest.mark.slow
@pytest.mark.parametrize("args", [["export", GT], ["history", GT, "--json"]])
def test_a_full_stdout_is_one_line(db_url: str, args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "halotrack", "--db", db_url, *args],
            env={**os.environ},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == ConfigError.exit_code, done.stderr
    assert "stdout" in one_error(done.stderr)


def test_a_good_write_replaces_the_file_and_keeps_its_mode(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "stats.html"
    target.write_text("OLD")
    target.chmod(0o640)
    code, out, _ = cli(capsys, "--db", db_url, "page", GT, "-o", str(target))
    assert code == 0 and "wrote" in out
    assert "<html" in target.read_text("utf-8")
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


def _store_counts(url: str) -> tuple[int, int]:
    with open_store(url) as store:
        records = store.records_history(XUID, kind=None, all_scopes=True)
        return len(records), len(store.csr_history(XUID))


@pytest.mark.parametrize(
    ("name", "flags", "expect"),
    [
        ("x.csv", [], "csv"),
        ("x.CSV", [], "csv"),
        ("x.json", [], "json"),
        ("x.txt", [], "json"),
        ("x.csv", ["--format", "json"], "json"),
        ("x.json", ["--format", "csv"], "csv"),
    ],
)
def test_export_format_follows_the_extension_unless_told(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    flags: list[str],
    expect: str,
) -> None:
    target = tmp_path / name
    code, _, err = cli(capsys, "--db", db_url, "export", GT, "-o", str(target), *flags)
    assert code == 0, err
    text = target.read_text("utf-8")
    records, _ = _store_counts(db_url)
    assert records > 1
    if expect == "json":
        assert len(json.loads(text)["service_records"]) == records
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == records and rows[0]["xuid"] == str(XUID)
