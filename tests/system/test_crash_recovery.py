"""Crash recovery: `halotrack track --once` (records, CSR and the match backfill of opted-in
players) and `halotrack matches sync` (one long backfill) are killed with SIGKILL at seeded
random moments, on SQLite and on PostgreSQL; after each kill the database passes its
integrity check and still holds everything committed before the kill, and a restarted run
completes to the same content as an uninterrupted run.

One simulator serves every trial from a background thread. The first run is a real
`python -m halotrack` subprocess; the killed runs are forked from a launcher process that
imported halotrack once (the import costs far more than a small tracking run), so many
trials fit in the time budget. Each run is still its own process, killed by its pid.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from halotrack.simulator import Simulator
from halotrack.store import Store, open_store
from tests.support.sim import SimThread

pytestmark = pytest.mark.slow

# SIGKILLs per backend: 16 of `track --once` and 8 of `matches sync` by default (24 in all,
# 48 over SQLite and PostgreSQL).
TRIALS = int(os.environ.get("HALOTRACK_CRASH_TRIALS", "24"))
TRACK_TRIALS = max(2, TRIALS * 2 // 3)
BACKFILL_TRIALS = max(2, TRIALS - TRACK_TRIALS)
KILLS_PER_DB = 2
SEED = 20261129

# Rows that, once committed, must never disappear or change: (table, identifying columns).
DURABLE = {
    "players": ("xuid", "first_seen_at"),
    "gamertags": ("xuid", "gamertag", "first_seen_at"),
    "service_records": ("xuid", "kind", "scope_key", "captured_at", "content_hash"),
    "csr_snapshots": ("xuid", "playlist_id", "csr_season_id", "captured_at", "content_hash"),
    "seasons_fetched": ("xuid", "source", "season_id"),
    "matches": ("match_id", "raw_json"),
    "match_players": ("match_id", "player_id"),
}
# What a finished run must hold, independent of when it ran (captured_at is wall time here).
CONTENT = {
    "service_records": ("xuid", "kind", "scope_key", "content_hash"),
    "csr_snapshots": ("xuid", "playlist_id", "csr_season_id", "content_hash"),
    "matches": ("match_id", "raw_json", "skill_json"),
    "match_players": ("match_id", "player_id", "xuid"),
}


LAUNCHER = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from halotrack.cli import main  # imported once; every run is a fork of this process

    for line in sys.stdin:
        job = json.loads(line)
        out = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        pid = os.fork()
        if pid == 0:
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.environ.update(job["env"])
            try:
                code = main(job["argv"])
            except BaseException:
                import traceback
                traceback.print_exc()
                code = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(out)
        started = time.monotonic()
        deadline = started + job["kill_after"]
        status, killed = None, False
        while status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
            elif time.monotonic() >= deadline and not killed:
                os.kill(pid, signal.SIGKILL)
                killed = True
            else:
                time.sleep(0.002)
        print(json.dumps({"killed": killed, "status": os.waitstatus_to_exitcode(status),
                          "elapsed": time.monotonic() - started}), flush=True)
    """
)


class Launcher:
    def __init__(self, env: dict[str, str]) -> None:
        self.env: dict[str, str] = {}  # changes for the children, e.g. a fresh token
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    def run(self, argv: list[str], log: Path, kill_after: float) -> dict[str, Any]:
        """Run `halotrack argv` in a forked child; SIGKILL it after `kill_after` seconds."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"argv": argv, "env": self.env, "log": str(log), "kill_after": kill_after}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "launcher died"
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with SimThread(seed=SEED % 1000, players=4, seasons=3, history_scale=0.03) as s:
        yield s


@pytest.fixture(scope="module")
def child_env(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("crash-home")
    tokens = sim.issue_tokens(sim.world.players[0].xuid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOTRACK_")}
    env.update(
        HALOTRACK_CONFIG_DIR=str(home / "config"),
        HALOTRACK_DATA_DIR=str(home / "data"),
        HALOTRACK_CACHE_DIR=str(home / "cache"),
        HALOTRACK_CONFIG=str(home / "none.toml"),
        HALOTRACK_SPARTAN_TOKEN=tokens.spartan,
        HALOTRACK_CLEARANCE=tokens.clearance or "",
        HALOTRACK_RATE="0",
        HALOTRACK_CONCURRENCY="8",
        COLUMNS="200",
    )
    return env


class Databases:
    """Fresh databases by name on one backend: SQLite files in a folder, or PostgreSQL
    schemas (dropped at the end) reached through the search_path in the URL."""

    def __init__(self, backend: str, folder: Path, pg_url: str | None) -> None:
        self.backend, self.folder, self.pg_url = backend, folder, pg_url
        self.schemas: list[str] = []

    def new(self, name: str) -> str:
        if self.pg_url is None:
            return f"sqlite:///{self.folder / f'{name}.sqlite'}"
        schema = f"halotrack_crash_{uuid.uuid4().hex[:10]}_{name}"
        with sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        url = sa.make_url(self.pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.pg_url is None or not self.schemas:
            return
        engine = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for schema in self.schemas:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def dbs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    made = Databases(request.param, tmp_path_factory.mktemp("crash-db"), pg_url)
    try:
        yield made
    finally:
        made.drop_all()


def _prepare(sim: Simulator, url: str) -> str:
    with open_store(url) as store:
        for p in sim.world.players:
            store.watch_add(p.xuid, gamertag=p.gamertag, matches=True)
    return url


def _rows(store: Store, spec: dict[str, tuple[str, ...]]) -> dict[str, set[tuple[Any, ...]]]:
    meta = sa.MetaData()
    meta.reflect(store.engine)
    out: dict[str, set[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for table, cols in spec.items():
            t = meta.tables[table]
            out[table] = {tuple(r) for r in conn.execute(sa.select(*(t.c[c] for c in cols)))}
    return out


def _latest_content(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Content of a finished run without its timestamps (captured_at is wall time here): the
    world does not change between runs, so every finished run must store exactly this."""
    return _rows(store, CONTENT)


def _argv(sim: Simulator, url: str) -> list[str]:
    # --wait: a killed tracker's PostgreSQL session may outlive it by a moment
    return ["--api", sim.base_url, "--db", url, "track", "--once", "--quiet", "--wait", "30"]


@pytest.fixture(scope="module")
def launcher(child_env: dict[str, str]) -> Iterator[Launcher]:
    lau = Launcher(child_env)
    try:
        yield lau
    finally:
        lau.close()


def kill_trials(
    launcher: Launcher,
    workdir: Path,
    dbs: Databases,
    argv: Callable[[str], list[str]],
    prepare: Callable[[str], Any],
    expected: dict[str, set[tuple[Any, ...]]],
    trials: int,
    seed: int,
) -> tuple[int, int]:
    """`trials` SIGKILLs, two in a row per fresh database, each checked; then a run to the
    end whose content must equal `expected`. Returns (kill attempts, kills mid-run)."""
    # How long a forked run takes, so kills land inside the work, not after it.
    warm_db = dbs.new("warm")
    prepare(warm_db)
    warm = launcher.run(argv(warm_db), workdir / "warm.log", kill_after=120)
    assert (warm["killed"], warm["status"]) == (False, 0), (workdir / "warm.log").read_text()
    span = float(warm["elapsed"])
    rng = random.Random(seed)
    killed = kills = 0
    for trial in range(max(1, trials // KILLS_PER_DB)):
        db = dbs.new(f"trial{trial}")
        prepare(db)
        log = workdir / f"trial{trial}.log"
        before: dict[str, set[tuple[Any, ...]]] = {}
        for k in range(KILLS_PER_DB):
            # Kills in a row on one database: the second lands in a resumed run.
            delay = rng.uniform(0.02, span * (0.8 if k == 0 else 0.4))
            first = launcher.run(argv(db), log, kill_after=delay)
            if k == 0 and not first["killed"]:
                span = min(span, float(first["elapsed"]))  # the machine got faster
            assert first["status"] in (0, -signal.SIGKILL), log.read_text()
            killed += first["killed"]
            kills += 1
            with open_store(db) as store:
                where = f"{dbs.backend} trial {trial}, kill {k} at {delay:.2f}s"
                assert store.integrity_check() == [], where
                now = _rows(store, DURABLE)
            for table, rows in before.items():
                lost = rows - now[table]
                assert not lost, f"{where}: {table} lost {len(lost)} committed rows"
            before = now
        again = launcher.run(argv(db), log, kill_after=120)
        assert (again["killed"], again["status"]) == (False, 0), log.read_text()
        with open_store(db) as store:
            assert store.integrity_check() == []
            after = _rows(store, DURABLE)
            got = _rows(store, {t: CONTENT[t] for t in expected})
        for table, rows in before.items():
            lost = rows - after[table]
            assert not lost, f"trial {trial}: {table} lost {len(lost)} committed rows"
        for table in expected:
            missing = {r[0] for r in expected[table] - got[table]}
            extra = {r[0] for r in got[table] - expected[table]}
            assert not missing and not extra, (
                f"trial {trial}: {table} differs from the uninterrupted run: "
                f"missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
            )
    print(f"{kills} kill attempts, {killed} landed mid-run")
    assert killed >= kills * 0.5, f"only {killed} of {kills} runs were killed mid-way"
    return kills, killed


def test_tracker_killed_at_random_moments_never_loses_or_corrupts(
    sim: Simulator, child_env: dict[str, str], launcher: Launcher, dbs: Databases, tmp_path: Path
) -> None:
    # Reference: one uninterrupted run as a real `python -m halotrack` process.
    ref_db = dbs.new("reference")
    _prepare(sim, ref_db)
    tokens = sim.issue_tokens(sim.world.players[0].xuid)  # valid at the simulator's now
    launcher.env = {"HALOTRACK_SPARTAN_TOKEN": tokens.spartan}
    done = subprocess.run(
        [sys.executable, "-m", "halotrack", *_argv(sim, ref_db)],
        env={**child_env, **launcher.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(ref_db) as ref:
        assert ref.integrity_check() == []
        expected = _latest_content(ref)
    assert expected["service_records"] and expected["matches"], "the reference stored nothing"
    kills, _ = kill_trials(
        launcher, tmp_path, dbs, lambda db: _argv(sim, db), lambda db: _prepare(sim, db),
        expected, TRACK_TRIALS, SEED,
    )  # fmt: skip
    assert kills >= TRACK_TRIALS


def test_match_backfill_killed_at_random_moments_resumes(
    sim: Simulator, launcher: Launcher, dbs: Databases, tmp_path: Path
) -> None:
    """`halotrack matches sync` of a player with a longer history, killed mid-backfill."""
    me = sim.world.players[-1]
    if not getattr(sim, "_crash_backfill_played", False):
        sim.play(me.xuid, 40)
        sim._crash_backfill_played = True  # type: ignore[attr-defined]
    # playing moved the simulated clock past the token's life: a fresh one for the children
    tokens = sim.issue_tokens(sim.world.players[0].xuid)
    launcher.env = {"HALOTRACK_SPARTAN_TOKEN": tokens.spartan}

    def argv(db: str) -> list[str]:
        return ["--api", sim.base_url, "--db", db, "matches", "sync", f"xuid({me.xuid})"]

    def prepare(db: str) -> None:
        open_store(db).close()

    (tmp_path / "trials").mkdir()
    ref_db = dbs.new("reference")
    prepare(ref_db)
    ref = launcher.run(argv(ref_db), tmp_path / "reference.log", kill_after=120)
    assert (ref["killed"], ref["status"]) == (False, 0), (tmp_path / "reference.log").read_text()
    with open_store(ref_db) as store:
        expected = _rows(store, {t: CONTENT[t] for t in ("matches", "match_players")})
    assert len(expected["matches"]) >= 40
    kills, _ = kill_trials(
        launcher, tmp_path / "trials", dbs, argv, prepare, expected, BACKFILL_TRIALS, SEED + 1
    )
    assert kills >= BACKFILL_TRIALS
