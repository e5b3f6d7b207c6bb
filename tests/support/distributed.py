"""An end-to-end run of the distributed mode, and its comparison with `halotrack track`.

Why one harness: tests/system/test_distributed.py (equality, SIGKILLed workers, faults) and
bench/scale.py start the same processes the way README's "Running a community instance"
says (`db upgrade`, `auth sim`, `watch add`, N × `halotrack worker`), against an in-process
simulator whose gateway limits every host, and compare the result with a single-process
`halotrack track --once` of the same world at the same simulated moments.

What is compared, and why (`rows`):

- Every table halotrack tracks into, every column, except surrogate ids (`id`, `seq`) and
  *bookkeeping times*: when a process happened to download or write something rather than
  what it observed (`matches.fetched_at`, `match_assets.fetched_at`, `match_sync.updated_at`).
  Likewise a notification's `created_at` (when a process noticed it) and its `event_id` (a
  hash of its cause, which for a rank change includes the snapshot's capture time to the
  second): at 2,000 players, 2 of 4,108 events differed only there. A session that ended
  59m38s before a step was told at that step by the process whose clock had moved past the
  hour (see below) and one step later by the other; a CSR fill answered a second later
  hashed another capture time. Kind, player, occurrence hour, title, text and facts are
  compared.
  Not compared at all: `api_budget` (exists only for workers), `metadata_cache` (an HTTP
  cache of static files: which copies it holds depends on which process asked first), the
  job queue's tables and `alembic_version`.
- *Observation times* (captured/verified/checked/seen/next-check...) are data: they are
  compared as the simulated hour since the world's start. The simulator's clock stands still
  between steps, but a client's clock (`waypoint.clock.ServerClock`) is the last answer's
  `Date` moved on by the local time elapsed since: a check that waited for the budget, for a
  Retry-After or for procrastinate's backoff stores a time seconds to minutes past the step.
  That real-time extrapolation, not the data, is what made last session's to-the-minute
  comparison drift after rerun checks. Steps and polling intervals are whole hours and every
  check finishes within minutes of its step, so the hour is exact for both runs: a player
  checked in the wrong step, or not at all, still differs.
- Data times from the API (match start/end, newest match) are compared exactly.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from halotrack.simulator import Simulator
from halotrack.store.schema import UTCDateTime, metadata

HALOTRACK = str(Path(sys.executable).with_name("halotrack"))

FIRST_BURST = 10.0  # seconds: 429s while the fleet starts at once are forgiven
SKIPPED_TABLES = {"api_budget", "metadata_cache"}
SURROGATE = {"id", "seq"}
BOOKKEEPING = {("matches", "fetched_at"), ("match_assets", "fetched_at"),
               ("match_sync", "updated_at"),
               ("notify_events", "created_at"), ("notify_events", "event_id")}  # fmt: skip
DATA_TIMES = {("matches", "start_time"), ("matches", "end_time"),
              ("match_players", "start_time"), ("match_players", "end_time"),
              ("match_sync", "newest_start_time")}  # fmt: skip


def env_for(tmp: Path, db: str, api: str) -> dict[str, str]:
    """A process environment with its own config, data and cache dirs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOTRACK_")}
    env.update({f"HALOTRACK_{n}_DIR": str(tmp / n.lower()) for n in ("DATA", "CONFIG", "CACHE")})
    env.update(
        HALOTRACK_CONFIG=str(tmp / "config" / "config.toml"),
        HALOTRACK_DB=db,
        HALOTRACK_API=api,
        HALOTRACK_SIM_TOKEN_PREFIX=os.environ.get("HALOTRACK_SIM_TOKEN_PREFIX", ""),
    )
    return env


async def cli(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        HALOTRACK, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"halotrack {' '.join(args)}: {err.decode()[-2000:]}"
    return out.decode()


class Fleet:
    """`halotrack worker` processes, started as the README says; killable one by one."""

    def __init__(self, env: dict[str, str], logs: Path, *args: str, nice: int = 0) -> None:
        self.env, self.logs, self.args, self.nice = env, logs, args, nice
        self.procs: list[asyncio.subprocess.Process] = []
        self.started = 0
        logs.mkdir(parents=True, exist_ok=True)

    async def start(self) -> asyncio.subprocess.Process:
        self.started += 1
        with (self.logs / f"worker{self.started}.log").open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                HALOTRACK, "worker", *self.args, "--name", f"w{self.started}",
                env=self.env, stdout=log, stderr=log,
                preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def cpu(self) -> float:
        """CPU seconds of the running workers (Linux /proc)."""
        return sum(cpu_seconds(p.pid) for p in self.procs if p.returncode is None)

    async def kill_one(self, rng: random.Random) -> None:
        """SIGKILL a random running worker (mid-job, most likely) and start another."""
        alive = [p for p in self.procs if p.returncode is None]
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        self.procs.remove(victim)
        await self.start()

    async def stop(self) -> None:
        for p in self.procs:
            if p.returncode is None:
                p.terminate()
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 30)
            except TimeoutError:
                p.kill()
                await p.wait()

    def log_tail(self, chars: int = 3000) -> str:
        text = "".join(f.read_text(errors="replace") for f in sorted(self.logs.glob("*.log")))
        return text[-chars:]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def queue(engine: sa.Engine) -> dict[str, int]:
    """Jobs by status, but the scheduler's periodic tick."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status::text, count(*) FROM procrastinate_jobs "
                "WHERE task_name <> 'halotrack.schedule' GROUP BY 1"
            )
        ).all()
    return {s: int(n) for s, n in rows}


def due(engine: sa.Engine, now: datetime) -> int:
    """Players due at the simulated `now`, by the scheduler's own rule."""
    from halotrack.workers.jobs import CYCLE

    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM watch_list WHERE next_check_at <= :now OR "
                    "(next_check_at IS NULL AND "
                    "(last_checked_at IS NULL OR last_checked_at <= :cycle))"
                ),
                {"now": now, "cycle": now - CYCLE},
            ).scalar_one()
        )


async def settled(
    engine: sa.Engine,
    sim: Simulator,
    patience: float = 240.0,
    during: Callable[[], Awaitable[bool]] | None = None,
) -> float:
    """Wait until no player is due and no check waits or runs, twice in a row; returns the
    seconds it took. `during` runs between polls while jobs run (e.g. killing a worker
    mid-job: True when it disturbed the fleet, which then has to settle again)."""
    calm = 0
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    ends = t0 + patience
    while calm < 2:
        if loop.time() >= ends:
            raise AssertionError(f"workers never settled: {queue(engine)}; {_late(engine, sim)}")
        await asyncio.sleep(1.0)
        # off the event loop: the simulator shares it, and a stalled loop bunches requests
        q = await asyncio.to_thread(queue, engine)
        d = await asyncio.to_thread(due, engine, sim.clock.now())
        calm = calm + 1 if q.get("todo", 0) + q.get("doing", 0) + d == 0 else 0
        if q.get("doing") and during is not None and await during():
            calm = 0
    return loop.time() - t0


def _late(engine: sa.Engine, sim: Simulator) -> str:
    with engine.connect() as conn:
        late = conn.execute(
            sa.text(
                "SELECT xuid, last_checked_at, next_check_at, last_error FROM watch_list "
                "ORDER BY next_check_at NULLS FIRST, last_checked_at LIMIT 3"
            )
        ).all()
    return f"simulated now {sim.clock.now()}, first players: {late}"


def table_bytes(engine: sa.Engine) -> int:
    """PostgreSQL bytes of halotrack's tables (with indexes and TOAST), not the queue's."""
    with engine.connect() as conn:
        size = conn.execute(
            sa.text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                "AND c.relname = ANY(:names)"
            ),
            {"names": sorted(metadata.tables)},
        ).scalar_one()
    return int(size or 0)


def rows(url: str, start: datetime, only: Sample | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """halotrack's tracked tables as sorted tuples, compared as the module docstring says;
    with `only`, just the rows that concern a sample of players (`Sample`)."""
    engine = sa.create_engine(url)
    origin = start.astimezone(UTC)

    def hour(v: datetime | None) -> int | None:
        return None if v is None else int((v - origin).total_seconds() // 3600)

    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for name in sorted(set(metadata.tables) - SKIPPED_TABLES):
                table = metadata.tables[name]
                cols, conv = [], []
                for c in table.columns:
                    if c.name in SURROGATE or (name, c.name) in BOOKKEEPING:
                        continue
                    cols.append(c)
                    observed = isinstance(c.type, UTCDateTime) and (name, c.name) not in DATA_TIMES
                    conv.append(hour if observed else None)
                got = only.select(conn, table, cols) if only else conn.execute(sa.select(*cols))
                out[name] = sorted(
                    (tuple(f(v) if f else v for f, v in zip(conv, r, strict=True)) for r in got),
                    key=repr,
                )
    finally:
        engine.dispose()
    return out


@dataclass
class Sample:
    """The rows of a reference that tracked only some of the fleet's players.

    Why: a single process tracking a 20,000-player world takes hours; the same check on a
    random sample of the players still finds any player the fleet got wrong. Kept: per-player
    tables (a `xuid` column) for the sampled players only, rows without a player (a new CSR
    season) in full; match tables (a `match_id` column) and match assets for what the
    reference stored, which the fleet must hold identically. Not seen this way: a match the
    fleet stored that the reference did not; the sampled players' sync state and watch rows,
    which are compared, would differ in that case. CSR only in the ranked playlists the
    reference asked about: a cycle asks every ranked playlist its watched players' records
    reveal, so fewer players may reveal fewer playlists."""

    xuids: set[int]
    match_ids: set[str] = field(default_factory=set)
    assets: set[tuple[Any, ...]] = field(default_factory=set)
    playlists: set[str] = field(default_factory=set)

    def select(self, conn: sa.Connection, table: sa.Table, cols: list[Any]) -> list[Any]:
        query = sa.select(*cols)
        if table.name == "csr_snapshots":
            query = query.where(table.c.playlist_id.in_(sorted(self.playlists)))
        if "match_id" in table.c:
            keys, col = sorted(self.match_ids), table.c.match_id
        elif "xuid" in table.c:
            keys, col = sorted(self.xuids), table.c.xuid
            nulls = conn.execute(query.where(col.is_(None))).all()
            return nulls + self._chunked(conn, query, col, keys)
        elif table.name == "match_assets":
            key = (table.c.kind, table.c.asset_id, table.c.version_id)
            got = conn.execute(sa.select(*key, *cols)).all()
            return [r[3:] for r in got if tuple(r[:3]) in self.assets]
        else:
            return list(conn.execute(query).all())
        return self._chunked(conn, query, col, keys)

    @staticmethod
    def _chunked(conn: sa.Connection, query: Any, col: Any, keys: list[Any]) -> list[Any]:
        out: list[Any] = []
        for i in range(0, len(keys), 5000):
            out += conn.execute(query.where(col.in_(keys[i : i + 5000]))).all()
        return out

    def learn(self, ref_url: str) -> None:
        """What the reference stored: its matches and assets are the ones compared."""
        engine = sa.create_engine(ref_url)
        try:
            with engine.connect() as conn:
                self.match_ids = set(
                    conn.execute(sa.text("SELECT match_id FROM matches")).scalars()
                )
                self.playlists = set(
                    conn.execute(
                        sa.text("SELECT DISTINCT playlist_id FROM csr_snapshots")
                    ).scalars()
                )
                self.assets = {
                    tuple(r)
                    for r in conn.execute(
                        sa.text("SELECT kind, asset_id, version_id FROM match_assets")
                    )
                }
        finally:
            engine.dispose()


def differences(
    mine_url: str,
    ref_url: str,
    start: datetime,
    *,
    failed_checks: bool = False,
    sample: Sample | None = None,
) -> list[str]:
    """Human-readable differences between the two databases (empty: equal).
    `failed_checks`: faults were injected, so a check whose requests failed even after the
    client's retries (two 401s in a row: 0.02² of calls in the 20% mix) rightly said so with
    an `ops` event ("not updated for 1d") before its job's retry succeeded; the fault-free
    reference has none. Those events are left out; the watch rows, compared, show the
    players recovered."""
    if sample is not None:
        sample.learn(ref_url)
    a, b = rows(mine_url, start, sample), rows(ref_url, start, sample)
    if failed_checks:
        a["notify_events"] = [r for r in a.get("notify_events", []) if r[0] != "ops"]  # kind
    return table_differences(a, b, "distributed", "single-process")


def table_differences(
    a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]], left: str, right: str
) -> list[str]:
    """One line per table whose rows differ, with a row found only on each side (the fleet
    against one process here, a faulty against a clean run in bench/soak.py)."""
    out = []
    for name in sorted(set(a) | set(b)):
        ra, rb = a.get(name, []), b.get(name, [])
        if ra == rb:
            continue
        sa_, sb = set(map(repr, ra)), set(map(repr, rb))
        out.append(
            f"{name}: {len(ra)} vs {len(rb)} rows, {len(sa_ - sb)} only {left}, "
            f"{len(sb - sa_)} only {right}"
            + (f"; e.g. {sorted(sa_ - sb)[0][:300]}" if sa_ - sb else "")
            + (f"; e.g. {sorted(sb - sa_)[0][:300]}" if sb - sa_ else "")
        )
    return out


def integrity(url: str) -> list[str]:
    """The store's own integrity check (FKs, duplicate snapshots, one latest per key)."""
    from halotrack.store import open_store

    store = open_store(url)
    try:
        return store.integrity_check()
    finally:
        store.close()


@dataclass
class Outcome:
    """What a distributed run did, beside its database."""

    steps: list[float] = field(default_factory=list)  # seconds to settle, per step
    rate_limited: int = 0
    rate_limited_late: int = 0  # 429s after the first FIRST_BURST seconds of a host
    limited_when: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    kills: int = 0
    requests: int = 0  # the fleet's, all hosts
    reference_requests: int = 0
    pg_bytes: list[int] = field(default_factory=list)  # halotrack's tables, after each step
    busiest: float = 0.0
    worker_cpu: float = 0.0
    checks: int = 0
    differences: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    log_tail: str = ""


async def run(
    sim: Simulator,
    tmp: Path,
    url: str,
    ref_url: str | None,
    *,
    workers: int = 3,
    concurrency: int = 8,
    rate: float = 40.0,
    days: int = 3,
    active_fraction: float | None = 0.3,
    kill_every: float | None = None,
    faults: dict[str, Any] | None = None,
    patience: float = 240.0,
    seed: int = 1,
    after_first: Callable[[], Awaitable[None]] | None = None,
    ref_sample: int | None = None,
    nice: int = 0,
) -> Outcome:
    """The fleet tracks every player of `sim` from day 0 over `days` simulated days (the
    reference, if any, runs `track --once` after each step with limits and faults off;
    `after_first` runs once the first cycle is done, before the reference's; with
    `ref_sample`, the reference tracks that many players drawn at random: `Sample`; `nice`
    lowers the workers' CPU priority, so that on a small machine they cannot starve the
    simulator, which stands in for servers on other machines)."""
    out = Outcome()
    start = sim.clock.now()
    env = env_for(tmp / "fleet", url, sim.base_url)
    xuids = [str(p.xuid) for p in sim.world.players]
    await cli(env, "db", "upgrade")
    await cli(env, "auth", "sim")
    await cli(env, "watch", "add", *xuids, "--matches")
    ref: dict[str, str] | None = None
    sample: Sample | None = None
    if ref_url is not None:
        ref = env_for(tmp / "single", ref_url, sim.base_url)
        ref["HALOTRACK_RATE"] = "0"
        await cli(ref, "db", "upgrade")
        await cli(ref, "auth", "sim")
        ref_xuids = xuids
        if ref_sample is not None and ref_sample < len(xuids):
            ref_xuids = random.Random(seed).sample(xuids, ref_sample)
            sample = Sample({int(x) for x in ref_xuids})
        await cli(ref, "watch", "add", *ref_xuids, "--matches")
    # Half a second of tolerance at the gateway: on a loaded 2-core machine a worker or the
    # simulator's own loop may stall that long, delivering requests reserved in their slots
    # together (the budget keeps the average; `busiest` shows any real overrun).
    limits = {"*": {"rate": rate, "burst": max(10, int(rate / 2))}}
    sim.state.limits.configure(limits)
    sim.reset_stats()
    if faults:
        sim.state.faults.configure(faults)
    args = ["--concurrency", str(concurrency), "--rate", str(rate)]
    if kill_every is not None:
        args += ["--stalled-after", "2"]
    fleet = Fleet(env, tmp / "logs", *args, nice=nice)
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    last_kill = loop.time()

    async def chaos() -> bool:
        nonlocal last_kill
        if kill_every is None or loop.time() - last_kill < kill_every:
            return False
        await fleet.kill_one(rng)
        out.kills += 1
        last_kill = loop.time()
        return True

    engine = sa.create_engine(url)
    try:
        for _ in range(workers):
            await fleet.start()
        for day in range(days + 1):
            if day:
                await sim.advance(24, active_fraction)
            try:
                out.steps.append(await settled(engine, sim, patience, chaos))
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{fleet.log_tail()}") from None
            if day == 0 and after_first is not None:
                await after_first()
            out.pg_bytes.append(await asyncio.to_thread(table_bytes, engine))
            if ref is not None:
                out.reference_requests += await _reference_step(sim, ref, limits, faults)
        out.worker_cpu = fleet.cpu()
    finally:
        await fleet.stop()
        out.log_tail = fleet.log_tail()
        engine.dispose()
    stats = sim.stats()
    out.rate_limited = stats["rate_limited"]
    lim = sim.state.limits
    out.rate_limited_late = lim.limited_after(FIRST_BURST)
    for service, counts in lim.limited_per_second.items():
        first = min(lim.per_second.get(service) or counts)
        out.limited_when[service] = sorted((s - first, n) for s, n in counts.items())
    out.requests = stats["total"] - out.reference_requests
    out.busiest = sim.state.limits.busiest_window("stats")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out.failed_jobs = [
            f"{t}{a}"
            for t, a in conn.execute(
                sa.text("SELECT task_name, args FROM procrastinate_jobs WHERE status = 'failed'")
            )
        ]
        out.checks = int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'halotrack.check_player' AND status = 'succeeded'"
                )
            ).scalar_one()
        )
    engine.dispose()
    out.integrity = integrity(url)
    if ref_url is not None:
        out.differences = differences(
            url, ref_url, start, failed_checks=bool(faults), sample=sample
        )
    return out


async def _reference_step(
    sim: Simulator, ref: dict[str, str], limits: dict[str, Any], faults: dict[str, Any] | None
) -> int:
    """One single-process cycle at the same simulated moment, limits and faults off (its
    requests are not the fleet's, so they must not spend the fleet's limit); returns its
    requests."""
    before = sim.stats()
    admitted = dict(sim.state.limits.admitted)
    sim.state.limits.clear()
    sim.state.faults.clear()
    try:
        await cli(ref, "track", "--once", "--quiet")
    finally:
        sim.state.limits.configure(limits)
        if faults:
            sim.state.faults.configure(faults)
    after = sim.stats()
    assert after["rate_limited"] == before["rate_limited"]
    assert dict(sim.state.limits.admitted) == admitted  # not counted as the fleet's
    return int(after["total"] - before["total"])
