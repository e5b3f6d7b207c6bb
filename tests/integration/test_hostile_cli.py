"""Hostile input at the CLI: odd gamertags, malformed XUIDs, unknown seasons and playlists,
corrupt, unwritable and full databases. Each gives one clear line and a non-zero exit (or
succeeds, for a real player with an odd name), leaves stored data intact, and requests only
the intended paths: checked against the simulator's own request log (`/_sim/requests`).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from conftest import fill_disk
from halotrack.cli import main
from halotrack.models.hosts import WAYPOINT_HOSTS
from halotrack.simulator import Simulator
from halotrack.store import open_store
from tests.support.sim import SimThread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with SimThread(seed=41, players=12, seasons=3, history_scale=0.02) as s:
        yield s


@pytest.fixture
def env(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    tokens = sim.issue_tokens(sim.world.players[0].xuid)
    values = {
        "HALOTRACK_CONFIG_DIR": str(tmp_path / "config"),
        "HALOTRACK_DATA_DIR": str(tmp_path / "data"),
        "HALOTRACK_CACHE_DIR": str(tmp_path / "cache"),
        "HALOTRACK_CONFIG": str(tmp_path / "none.toml"),
        "HALOTRACK_API": sim.base_url,
        "HALOTRACK_DB": str(tmp_path / "store.sqlite"),
        "HALOTRACK_SPARTAN_TOKEN": tokens.spartan,
        "HALOTRACK_CLEARANCE": tokens.clearance or "",
        "HALOTRACK_RATE": "0",
        "COLUMNS": "200",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def _sim(sim: Simulator, method: str, path: str) -> Any:
    req = urllib.request.Request(f"{sim.base_url}/_sim/{path}", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def requests_during(sim: Simulator, fn: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run `fn()` and return what it returned and every request the simulator saw meanwhile."""
    _sim(sim, "POST", "stats/reset")
    result = fn()
    return result, _sim(sim, "GET", "requests?limit=20000")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_clear_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def player_segments(log: list[dict[str, Any]]) -> list[str]:
    """The (unescaped) player segment of every request to a players path; asserts that no
    request path carries dot segments or lands outside a known API host."""
    hosts = {h.lower() for h in WAYPOINT_HOSTS.values()}
    found = []
    for entry in log:
        raw = entry["path"]
        parts = raw.split("/")
        assert parts[1].lower() in hosts, f"request outside the API: {raw}"
        assert ".." not in parts and "." not in parts, f"dot segment sent: {raw}"
        assert "?" not in raw and "#" not in raw, f"query or fragment inside the path: {raw}"
        if "players" in parts:
            found.append(unquote(parts[parts.index("players") + 1]))
    return found


ODD_BUT_VALID = [
    "Some Player", "Ünïcødé Tag", "名前テスト", "a/b", "..", "%2F", "x?y=1", "x#y", "../../../etc"
]  # fmt: skip
INVALID = ["", " padded", "x" * 300, "tab\there", "nul\x00", "zw\u200bsp", "../" * 20]


@pytest.mark.parametrize("name", ODD_BUT_VALID)
def test_odd_gamertags_request_only_their_own_path(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (code, out, err), log = requests_during(sim, lambda: cli(capsys, "record", name))
    assert code == 6, out + err  # nobody in the world has these names: 404, not found
    assert "not found" in one_clear_line(err)
    segments = player_segments(log)
    assert segments and all(s == name for s in segments), segments


@pytest.mark.parametrize("name", INVALID)
def test_invalid_gamertags_are_refused_before_any_request(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (code, out, err), log = requests_during(sim, lambda: cli(capsys, "record", name))
    assert code == 2, out + err
    one_clear_line(err)
    assert player_segments(log) == []


@pytest.mark.parametrize(
    "xuid", ["xuid(abc)", "xuid(-1)", "xuid()", "xuid(99999999999999999999999)", "xuid(1"]
)
def test_malformed_xuids(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], xuid: str
) -> None:
    for command in (["record", xuid], ["csr", xuid]):
        (code, out, err), log = requests_during(sim, lambda c=command: cli(capsys, *c))
        assert code != 0, out + err
        one_clear_line(err)
        assert all(s == xuid for s in player_segments(log))


def test_real_players_with_odd_names_work(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    odd = [p for p in sim.world.players if not p.gamertag.isascii() or " " in p.gamertag]
    assert odd, "the simulated world has no unicode or spaced gamertag"
    for p in odd[:3]:
        (code, out, err), log = requests_during(
            sim, lambda g=p.gamertag: cli(capsys, "record", g, "--json")
        )
        assert code == 0, err
        assert json.loads(out)["record"]["matches_completed"] >= 0
        assert set(player_segments(log)) == {p.gamertag}


@pytest.mark.parametrize(
    "args",
    [
        ["record", "{me}", "--season", "Season999"],
        ["record", "{me}", "--season", "../../x"],
        ["csr", "{me}", "--season", "CsrSeason99-9"],
        ["csr", "{me}", "--playlist", "00000000-0000-0000-0000-000000000000"],
        ["csr", "{me}", "--playlist", "../../Waypoint/file/medals/metadata.json"],
        ["csr", "{me}", "--playlist", "x?y#z"],
        ["record", "{me}", "--kind", "nonsense"],
    ],
)
def test_unknown_seasons_and_playlists(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    me = sim.world.players[1].gamertag
    argv = [a.replace("{me}", me) for a in args]
    (code, out, err), log = requests_during(sim, lambda: cli(capsys, *argv))
    assert code != 0, out + err
    one_clear_line(err)
    assert set(player_segments(log)) <= {me, f"xuid({sim.world.players[1].xuid})"}
    playlist = argv[-1] if "--playlist" in argv else None
    for entry in log:
        if playlist and "/playlist/" in entry["path"]:
            seg = entry["path"].split("/playlist/", 1)[1].split("/", 1)[0]
            assert unquote(seg) == playlist, entry["path"]


# -- the database --------------------------------------------------------------------------


def _watched_db(sim: Simulator, path: Path) -> str:
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        for p in sim.world.players[:3]:
            store.watch_add(p.xuid, gamertag=p.gamertag, matches=True)
    return url


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                n: sorted(map(tuple, conn.execute(sa.select(t))), key=repr)
                for n, t in meta.tables.items()
            }
    finally:
        engine.dispose()


def _kept(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Every row stored before a failed run is still there. The watch list's schedule and a
    player's last-seen time (the players row's last column) are bookkeeping that any run,
    failed or not, moves forward."""
    for table, rows in before.items():
        if table == "watch_list":
            continue
        if table == "players":
            assert {r[:-1] for r in rows} <= {r[:-1] for r in after[table]}, table
        else:
            assert set(rows) <= set(after[table]), table


def test_corrupt_database_file(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "corrupt.sqlite"
    junk = b"this is not a database\n" * 400
    db.write_bytes(junk)
    for command in (
        ["watch", "list"],
        ["history", "someone"],
        ["track", "--once"],
        ["db", "check"],
    ):
        (code, out, err), log = requests_during(
            sim, lambda c=command: cli(capsys, "--db", str(db), *c)
        )
        assert code != 0, (command, out + err)
        line = one_clear_line(err)
        assert "corrupt" in line or "not a database" in line, line
        assert log == [], f"{command} asked the API despite an unusable database"
    assert db.read_bytes() == junk


@pytest.mark.parametrize("how", ["directory", "parent-is-a-file", "read-only"])
def test_unwritable_database(
    sim: Simulator,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    how: str,
) -> None:
    db = tmp_path / "kept.sqlite"
    _watched_db(sim, db)
    assert main(["--db", str(db), "track", "--once", "--quiet"]) == 0
    capsys.readouterr()
    before = _dump(db)
    if how == "directory":
        target = str(tmp_path / "a-directory")
        os.mkdir(target)
    elif how == "parent-is-a-file":
        target = str(db / "inside.sqlite")
    else:
        # Running as root ignores file modes, so read-only is asked of SQLite itself.
        target = f"sqlite:///file:{db}?mode=ro&uri=true"
    code, out, err = cli(capsys, "--db", target, "track", "--once", "--all", "--quiet")
    assert code == 5, out + err
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert _dump(db) == before


def test_full_disk_mid_run_keeps_what_was_committed(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    """A tracker whose file writes hit RLIMIT_FSIZE (the disk-full path SQLite sees as a
    failed write) stops with one error line and exit 5; the database stays sound."""
    db = tmp_path / "full.sqlite"
    _watched_db(sim, db)
    before = _dump(db)
    limit = db.stat().st_size + 24_000

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    child_env = {**os.environ, **env, "HALOTRACK_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-m", "halotrack", "track", "--once", "--quiet"],
        env=child_env,
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=120,
    )
    assert done.returncode == 5, done.stdout + done.stderr
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "full" in errors[0].replace(str(db), "<db>"), errors[0]
    with open_store(f"sqlite:///{db}") as store:
        assert store.integrity_check() == []
    _kept(before, _dump(db))
    # and with room again, the same run completes
    again = subprocess.run(
        [sys.executable, "-m", "halotrack", "track", "--once", "--quiet"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr


def test_a_really_full_disk_is_one_line_and_keeps_the_data(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], tiny_fs: Path
) -> None:
    """ENOSPC from a real (tiny) filesystem: exit 5, an error line that says the disk is
    full, the database sound; with space again the same command completes."""
    db = tiny_fs / "store.sqlite"
    _watched_db(sim, db)
    before = _dump(db)
    filler = fill_disk(tiny_fs, leave=16_384)
    code, out, err = cli(capsys, "--db", str(db), "track", "--once", "--quiet")
    assert code == 5, out + err
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert "full" in errors[0].replace(str(db), "<db>"), errors[0]
    filler.unlink()
    with open_store(f"sqlite:///{db}") as store:
        assert store.integrity_check() == []
    _kept(before, _dump(db))
    code, out, err = cli(capsys, "--db", str(db), "track", "--once", "--quiet")
    assert code == 0, out + err


SQLISH = ["'; DROP TABLE players; --", "x' OR '1'='1", "%", "_", "xuid(1) OR 1=1", "\u202eevil"]


def test_store_lookups_treat_input_as_data(
    sim: Simulator, env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Commands that look a player up in the store (history, export, diff) with text that
    reads like SQL or LIKE wildcards: not found, one line, nothing changed, no request."""
    db = tmp_path / "kept.sqlite"
    _watched_db(sim, db)
    assert main(["--db", str(db), "track", "--once", "--quiet"]) == 0
    capsys.readouterr()
    before = _dump(db)
    for text in SQLISH:
        for command in (["history", text], ["export", text], ["diff", text]):
            (code, out, err), log = requests_during(
                sim, lambda c=command: cli(capsys, "--db", str(db), *c)
            )
            assert code != 0, (command, out + err)
            one_clear_line(err)
            assert log == []
    assert _dump(db) == before
