"""`halotrack export matches` against the simulator's truth: the small world of the insight
tests, stored on SQLite and PostgreSQL, exported as CSV, JSON lines and Parquet and read
back with csv, json and pyarrow (not with the code under test)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from halotrack.simulator import gen
from halotrack.simulator.views import skill_result
from halotrack.store import Store
from halotrack.store import exports as sx
from halotrack.usecases import exports as ux
from tests.conftest import fill_disk
from tests.integration.test_insights import (  # the same world, stored the same way
    Data,
    _build,
    daily,
    is_pve,
    match_store,  # noqa: F401  (the fixture, here for this module's world)
    vec,
)

HOSTILE_TAG = 'Evil, "Quote"\n=HYPERLINK("x")'
HOSTILE_MAP = 'Map; "with"\r\n,commas'
OUTCOMES = {gen.WIN: "Win", gen.LOSS: "Loss", gen.TIE: "Tie", gen.DNF: "Did not finish"}


@pytest.fixture(scope="module")
def world_data() -> Data:
    """The insight tests' world, with a guest's gamertag and a map's name made hostile (in
    copies of its names and assets: the world itself is shared with other modules)."""
    shared = _build()
    data = replace(shared, tags=dict(shared.tags), assets=list(shared.assets))
    tracked = {p.xuid for p in data.world.players}
    guest = min(x for x in data.tags if x not in tracked)
    data.tags[guest] = HOSTILE_TAG
    kind, aid, vid, _ = next(a for a in data.assets if a[0] == "map")
    data.assets[data.assets.index((kind, aid, vid, _))] = (kind, aid, vid, HOSTILE_MAP)
    return data


@pytest.fixture
def data(match_store: Store, world_data: Data) -> Data:  # noqa: F811
    return world_data


def export(store: Store, player: str | None, fmt: str) -> bytes:
    sink = io.BytesIO()
    ux.export_matches(store, player, fmt, sink)
    return sink.getvalue()


def read_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def read_jsonl(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode("utf-8").splitlines()]


def read_parquet(body: bytes) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return list(pq.read_table(io.BytesIO(body)).to_pylist())


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


# ---------------------------------------------------------------------------- truth


def test_a_players_rows_are_the_worlds_matches(data: Data, match_store: Store) -> None:  # noqa: F811
    world = data.world
    p = daily(world)
    slots = {s.match.match_id: s for s in world.slots(p)}
    rows = read_jsonl(export(match_store, p.gamertag, "jsonl"))
    assert len(rows) == len(slots)
    assert {r["match_id"] for r in rows} == set(slots)
    starts = [r["start_time"] for r in rows]
    assert starts == sorted(starts)  # oldest first
    for r in rows:
        s = slots[r["match_id"]]
        m = s.match
        k, d, a = vec(world, s)
        assert (r["kills"], r["deaths"], r["assists"]) == (k, d, a)
        assert r["outcome"] == OUTCOMES[s.outcome]
        assert r["xuid"] == p.xuid and r["player"] == p.gamertag
        assert r["team_id"] == s.team and r["rank"] == s.rank
        assert r["pve"] == is_pve(m)
        assert r["kd"] == pytest.approx(k / d if d else k)
        assert datetime.fromisoformat(r["start_time"]) == utc(m.start_ms)
        assert r["map"] == (HOSTILE_MAP if r["map_id"] == _hostile_map(data) else m.map_asset.name)
        assert r["mode"] == m.variant_asset.name
        assert r["playlist"] == (m.playlist.asset.name if m.playlist else None)
        perf = skill_result(world, s)["Result"]["StatPerformances"]
        ek, ed = perf["Kills"], perf["Deaths"]
        assert r["expected_kills"] == pytest.approx(ek["Expected"])
        assert r["expected_deaths"] == pytest.approx(ed["Expected"])
        index = (k - ek["Expected"]) / ek["StdDev"] - (d - ed["Expected"]) / ed["StdDev"]
        assert r["performance_index"] == pytest.approx(index)


def _hostile_map(data: Data) -> str:
    return next(a[1] for a in data.assets if a[3] == HOSTILE_MAP)


def test_every_player_of_every_match_is_one_row(data: Data, match_store: Store) -> None:  # noqa: F811
    """Bots included. Compared as a multiset: the world may give two bots of a match the
    same id (the API's scoreboard, and so the store, tells them apart)."""
    world = data.world
    want: Counter[tuple[str, int, int, int, str]] = Counter()
    for r in data.rows:
        m = next(s.match for s in _slots_of(data, r.match_id))
        for s in world.roster(m):
            want[(m.match_id, *vec(world, s), OUTCOMES[s.outcome])] += 1
    rows = read_csv(export(match_store, None, "csv"))
    got = Counter(
        (r["match_id"], int(r["kills"]), int(r["deaths"]), int(r["assists"]), r["outcome"])
        for r in rows
    )
    assert len(rows) == want.total()
    assert got == want
    bots = [r for r in rows if r["is_bot"] == "true"]
    assert bots and all(r["xuid"] == "" and r["player"] == "" for r in bots)


def _slots_of(data: Data, match_id: str) -> list[Any]:
    for p in data.world.players:
        found = [s for s in data.world.slots(p) if s.match.match_id == match_id]
        if found:
            return found
    raise AssertionError(match_id)


def test_the_three_formats_hold_the_same_data(data: Data, match_store: Store) -> None:  # noqa: F811
    p = daily(data.world)
    as_csv = read_csv(export(match_store, p.gamertag, "csv"))
    as_jsonl = read_jsonl(export(match_store, p.gamertag, "jsonl"))
    as_parquet = read_parquet(export(match_store, p.gamertag, "parquet"))
    assert len(as_csv) == len(as_jsonl) == len(as_parquet) > 0
    assert list(as_csv[0]) == list(as_jsonl[0]) == list(as_parquet[0])
    for c, j, q in zip(as_csv, as_jsonl, as_parquet, strict=True):
        for name, value in j.items():
            pq_value = q[name]
            if isinstance(pq_value, datetime):  # Parquet: a real UTC timestamp
                assert pq_value.tzinfo is not None
                assert pq_value == datetime.fromisoformat(value)
                assert datetime.fromisoformat(c[name]) == pq_value
                continue
            assert pq_value == value, name
            if value is None:
                assert c[name] == "", name
            elif isinstance(value, bool):
                assert c[name] == str(value).lower(), name
            elif isinstance(value, float):
                assert float(c[name]) == value, name
            else:
                assert c[name] == str(value), name
    assert isinstance(as_parquet[0]["kills"], int) and isinstance(as_parquet[0]["xuid"], int)


def test_pages_cut_anywhere_give_the_same_rows(data: Data, match_store: Store) -> None:  # noqa: F811
    p = daily(data.world)
    whole = [r for page in sx.export_pages(match_store, p.xuid) for r in page]
    pages = list(sx.export_pages(match_store, p.xuid, page=7))
    assert max(len(pg) for pg in pages) == 7
    assert [r for pg in pages for r in pg] == whole
    assert len(whole) == len(data.world.slots(p)) == sx.export_size(match_store, p.xuid)


def test_hostile_names_survive_csv_quoting(data: Data, match_store: Store) -> None:  # noqa: F811
    rows = read_csv(export(match_store, None, "csv"))
    assert HOSTILE_TAG in {r["player"] for r in rows}
    assert HOSTILE_MAP in {r["map"] for r in rows}
    assert len({len(r) for r in rows}) == 1  # no row was split or merged


# ---------------------------------------------------------------------------- command


def cli(
    capsys: pytest.CaptureFixture[str], store: Store, *args: str, code: int = 0
) -> tuple[str, str]:
    from halotrack.cli import main

    got = main(["--db", store.engine.url.render_as_string(hide_password=False), *args])
    out, err = capsys.readouterr()
    assert got == code, err
    return out, err


def test_the_command_writes_each_format_by_its_extension(
    data: Data,
    match_store: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    p = daily(data.world)
    n = len(data.world.slots(p))
    for name in ("m.csv", "m.jsonl", "m.parquet"):
        out, _ = cli(
            capsys, match_store, "export", "matches", p.gamertag, "-o", str(tmp_path / name)
        )
        assert f"({n} rows" in out
    assert len(read_csv((tmp_path / "m.csv").read_bytes())) == n
    assert len(read_jsonl((tmp_path / "m.jsonl").read_bytes())) == n
    assert len(read_parquet((tmp_path / "m.parquet").read_bytes())) == n
    assert sorted(os.listdir(tmp_path)) == ["m.csv", "m.jsonl", "m.parquet"]  # no leftovers
    out, _ = cli(capsys, match_store, "export", "matches", p.gamertag, "--format", "jsonl")
    assert len(out.splitlines()) == n


def test_export_failures_are_one_line_and_leave_no_file(
    data: Data,
    match_store: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tiny_fs: Path,
    tmp_path: Path,
) -> None:
    filler = fill_disk(tiny_fs, leave=4096)
    target = tiny_fs / "all.csv"
    _, err = cli(
        capsys, match_store, "export", "matches", "--all-players", "-o", str(target), code=2
    )
    assert len(err.strip().splitlines()) <= 2 and "space" in err  # the error and its hint
    assert sorted(os.listdir(tiny_fs)) == [filler.name]  # no partial file, no temporary one
    missing = tmp_path / "nowhere" / "x.parquet"
    _, err = cli(
        capsys, match_store, "export", "matches", "--all-players", "-o", str(missing), code=2
    )
    assert "does not exist" in err and not missing.parent.exists()
    _, err = cli(capsys, match_store, "export", "matches", code=2)
    assert "--all-players" in err
    (tmp_path / "out").mkdir()
    nobody = tmp_path / "out" / "nobody.csv"
    _, err = cli(
        capsys, match_store, "export", "matches", "No Such Player", "-o", str(nobody), code=6
    )
    assert "matches sync" in err and os.listdir(tmp_path / "out") == []


def test_without_pyarrow_parquet_names_the_extra(
    data: Data,
    match_store: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    p = daily(data.world)
    out = tmp_path / "m.parquet"
    _, err = cli(capsys, match_store, "export", "matches", p.gamertag, "-o", str(out), code=2)
    assert "pip install 'halotrack[parquet]'" in err and not out.exists()


def test_the_snapshot_export_keeps_its_old_shape(
    data: Data,
    match_store: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = daily(data.world)
    old, _ = cli(capsys, match_store, "export", p.gamertag)
    new, _ = cli(capsys, match_store, "export", "snapshots", p.gamertag)
    assert old == new and json.loads(old)["player"]["xuid"] == p.xuid
    _, err = cli(capsys, match_store, "export", p.gamertag, "-f", "parquet", code=2)
    assert "export matches" in err


def test_the_readme_and_the_help_name_every_column() -> None:
    from typer.testing import CliRunner

    from halotrack.cli import app
    from halotrack.models.export import COLUMNS, NAMES

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("## Exports for analysis", 1)[1].split("\n## ", 1)[0]
    listed = [
        tuple(cell.strip().strip("`") for cell in line.strip("|").split(" | "))
        for line in table.splitlines()
        if line.startswith("| `")
    ]
    assert listed == [(c.name, c.kind, c.doc) for c in COLUMNS]
    result = CliRunner().invoke(app, ["export", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert all(name in shown for name in NAMES)
    assert "the `parquet` extra" in shown
