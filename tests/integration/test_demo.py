"""The demo end to end (smaller settings): database, diff, pages, instructions."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.store import open_store


@pytest.mark.slow
def test_demo_writes_database_diff_and_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HALOTRACK_CACHE_DIR", str(tmp_path / "cache"))
    out_dir = tmp_path / "demo"
    args = ["--players", "3", "--weeks", "1", "--world", "12"]
    code = main(["demo", "--out", str(out_dir), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    db = out_dir / "halotrack.sqlite"
    assert f"database: {db.resolve()}" in out
    # `halotrack` on PATH, else `python -m halotrack`: either way a command that runs.
    assert "halotrack --db" in out and " history " in out and " serve" in out

    pages = [Path(p) for p in re.findall(r"^  .+?: (/\S+\.html)$", out, re.MULTILINE)]
    assert len(pages) == 3 and all(p.exists() for p in pages)
    with open_store(f"sqlite:///{db}") as store:
        assert store.integrity_check() == []
        watched = store.watch_list()
        assert len(watched) == 3
        tags = [e.gamertag or "" for e in watched]
        assert any(not t.isascii() for t in tags)  # a unicode gamertag went through it all
        assert all(e.failure_count == 0 and e.last_checked_at is not None for e in watched)
        for e in watched:
            history = store.records_history(e.xuid)
            assert history, e.gamertag
            # Snapshots carry simulated time: a week of it, not the seconds the test took.
            span = history[-1].captured_at - store.records_history(e.xuid)[0].captured_at
            assert len(history) == 1 or span.days >= 1
    for tag in tags:
        page = next(p for p in pages if p.read_text("utf-8").find(html.escape(tag)) >= 0)
        assert page.stat().st_size > 10_000

    diff = out.split("what changed for ", 1)[1].split("stats pages", 1)[0]
    assert "matches +" in diff and "no change" not in diff
