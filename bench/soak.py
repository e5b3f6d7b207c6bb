"""Chaos soak: track simulated players (records, CSR, matches) over several rounds while the
simulator injects faults, then prove the database equals a fault-free run of the same seed.

    .venv/bin/python bench/soak.py                      # 500 players, 3 rounds, 20% faults
    .venv/bin/python bench/soak.py --players 60 --rounds 2 --fault-rate 0.2 --seed 11

Each round lets simulated time pass (players play), then runs tracker cycles until every due
player is captured: a player whose requests outlast the retry budget is reported failed with
a reason and is due again in the next cycle. Faults, spread over every service: 429 with
Retry-After, 500, 503, dropped connections, truncated bodies, 401s (a token "expired"
mid-run: the client refreshes once and replays), plus added latency. The same world is then
tracked without faults into a second database and both are compared table by table (every
column but surrogate ids).

tests/system/test_chaos_soak.py runs this engine at CI size; this script is the long run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from halotrack.simulator import Simulator, start_simulator
from halotrack.simulator.faults import mix
from halotrack.store import Store, open_store
from halotrack.usecases import Tracker
from halotrack.waypoint import Limits, RetryPolicy, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# the fleet tests' table comparison: one way to say two databases differ
from tests.support.distributed import table_differences

# Columns that legitimately differ between two runs: surrogate keys only (every time is
# the simulated clock's, so even bookkeeping times must agree).
IGNORED = {"id", "seq"}  # surrogate keys: their order follows which writes the faults delayed


@dataclass
class CycleStats:
    round: int
    cycle: int
    due: int
    played: int
    captured: int
    failed: int
    requests: int
    retries: int
    refreshes: int
    faults: int
    reasons: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list, repr=False)


@dataclass
class SoakResult:
    players: int
    rounds: int
    fault_rate: float
    seed: int
    cycles: list[CycleStats]
    faulty_seconds: float
    clean_seconds: float
    clean_requests: int
    differences: list[str]
    integrity: list[str]
    never_captured: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "players": self.players,
            "rounds": self.rounds,
            "fault_rate": self.fault_rate,
            "seed": self.seed,
            "cycles": [
                {k: v for k, v in c.__dict__.items() if k != "failures"} for c in self.cycles
            ],
            "faulty_seconds": round(self.faulty_seconds, 1),
            "clean_seconds": round(self.clean_seconds, 1),
            "clean_requests": self.clean_requests,
            "differences": self.differences,
            "integrity": self.integrity,
            "never_captured": self.never_captured,
        }


def _faults_injected(sim: Simulator) -> int:
    by_status = sim.stats()["by_status"]
    return sum(v for k, v in by_status.items() if k in {"429", "500", "503", "401", "0", "-1"})


async def _track(
    sim: Simulator,
    db_url: str,
    *,
    rounds: int,
    hours: float,
    retry: RetryPolicy,
    max_cycles: int,
    concurrency: int,
    log: Callable[[str], None],
) -> tuple[list[CycleStats], Store]:
    store = open_store(db_url)
    for p in sim.world.players:
        store.watch_add(p.xuid, gamertag=p.gamertag, matches=True, now=sim.clock.now())
    tokens = SimulatorTokens(sim, sim.world.players[0].xuid)
    stats: list[CycleStats] = []
    async with WaypointClient(
        tokens=tokens,
        api_root=sim.base_url,
        limits=Limits.unlimited(concurrency=concurrency),
        retry=retry,
        cache=False,
        timeout=10.0,
    ) as client:
        tracker = Tracker(client, store, clock=sim.clock.now, concurrency=concurrency)
        for r in range(rounds):
            if r:
                await sim.advance(hours)
            for c in range(max_cycles):
                c0 = client.counters.as_dict()
                f0 = _faults_injected(sim)
                report = await tracker.run_cycle()
                reasons: dict[str, int] = {}
                for f in report.failures:
                    reasons[f.step] = reasons.get(f.step, 0) + 1
                c1 = client.counters.as_dict()
                cs = CycleStats(
                    round=r + 1,
                    cycle=c + 1,
                    due=report.due,
                    played=report.played,
                    captured=report.due - len(report.failures),
                    failed=len(report.failures),
                    requests=c1["requests"] - c0["requests"],
                    retries=c1["retries"] - c0["retries"],
                    refreshes=c1["refreshes"] - c0["refreshes"],
                    faults=_faults_injected(sim) - f0,
                    reasons=reasons,
                    failures=[f.text() for f in report.failures],
                )
                stats.append(cs)
                log(
                    f"round {cs.round} cycle {cs.cycle}: due {cs.due}, played {cs.played}, "
                    f"captured {cs.captured}, "
                    f"failed {cs.failed} {reasons or ''}, requests {cs.requests}, "
                    f"retries {cs.retries}, refreshes {cs.refreshes}, faults {cs.faults}"
                )
                if not report.failures:
                    break
    return stats, store


def table_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (ignored columns dropped), sorted, as comparable tuples."""
    meta = sa.MetaData()
    meta.reflect(store.engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            cols = [c for c in table.columns if c.name not in IGNORED]
            query = sa.select(*cols)
            if name == "notify_events":
                # An operator's "not updated for a day" event is about the faults themselves:
                # the clean run has none to compare with.
                query = query.where(table.c.kind != "ops")
            rows = conn.execute(query).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def compare(a: Store, b: Store) -> list[str]:
    """Human-readable differences between two stores' tables (empty: equal)."""
    return table_differences(table_rows(a), table_rows(b), "in the faulty run", "in the clean run")


async def soak(
    *,
    players: int = 500,
    rounds: int = 3,
    fault_rate: float = 0.2,
    seed: int = 11,
    hours: float = 24.0,
    history_scale: float = 0.05,
    latency_ms: float = 2.0,
    retry_after: int = 1,
    retry: RetryPolicy | None = None,
    max_cycles: int = 12,
    concurrency: int = 16,
    workdir: Path | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> SoakResult:
    """Run the faulty and the clean tracking of the same world; compare the databases."""
    retry = retry or RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.5, budget=10.0)
    tmp = workdir or Path(tempfile.mkdtemp(prefix="halotrack-soak-"))
    world = {"seasons": 4, "ranked_playlists": 2, "history_scale": history_scale}
    t0 = time.perf_counter()
    async with start_simulator(seed=seed, players=players, **world) as sim:
        sim.set_faults(mix(fault_rate, seed, latency_ms, retry_after))
        cycles, faulty = await _track(
            sim, f"sqlite:///{tmp / 'faulty.sqlite'}", rounds=rounds, hours=hours,
            retry=retry, max_cycles=max_cycles, concurrency=concurrency, log=log,
        )  # fmt: skip
    t1 = time.perf_counter()
    async with start_simulator(seed=seed, players=players, **world) as sim:
        clean_cycles, clean = await _track(
            sim, f"sqlite:///{tmp / 'clean.sqlite'}", rounds=rounds, hours=hours,
            retry=retry, max_cycles=1, concurrency=concurrency, log=lambda s: None,
        )  # fmt: skip
    t2 = time.perf_counter()
    try:
        last_round = [c for c in cycles if c.round == rounds]
        never = [] if last_round and last_round[-1].failed == 0 else [-1]
        if never:
            never = [e.xuid for e in faulty.watch_list() if e.last_error]
        return SoakResult(
            players=players,
            rounds=rounds,
            fault_rate=fault_rate,
            seed=seed,
            cycles=cycles,
            faulty_seconds=t1 - t0,
            clean_seconds=t2 - t1,
            clean_requests=sum(c.requests for c in clean_cycles),
            differences=compare(faulty, clean),
            integrity=faulty.integrity_check(),
            never_captured=never,
        )
    finally:
        faulty.close()
        clean.close()
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)


def _table(result: SoakResult) -> str:
    lines = [
        "| round | cycle | due | played | captured | failed | requests | retries | 401 refreshes "
        "| faults injected |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in result.cycles:
        lines.append(
            f"| {c.round} | {c.cycle} | {c.due} | {c.played} | {c.captured} | {c.failed} "
            f"| {c.requests} | {c.retries} | {c.refreshes} | {c.faults} |"
        )
    total = sum(c.requests for c in result.cycles)
    lines.append(
        f"\nfaulty run: {total} requests in {result.faulty_seconds:.1f}s; clean run: "
        f"{result.clean_requests} requests in {result.clean_seconds:.1f}s "
        f"(ratio {total / max(1, result.clean_requests):.2f}x requests)"
    )
    lines.append(
        "database equal to the fault-free run: "
        + ("yes" if not result.differences else "NO: " + "; ".join(result.differences))
    )
    lines.append("integrity check: " + ("ok" if not result.integrity else str(result.integrity)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--players", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fault-rate", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--history-scale", type=float, default=0.05)
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--attempts", type=int, default=4, help="tries per request")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    result = asyncio.run(
        soak(
            players=args.players,
            rounds=args.rounds,
            fault_rate=args.fault_rate,
            seed=args.seed,
            history_scale=args.history_scale,
            retry_after=args.retry_after,
            retry=RetryPolicy(attempts=args.attempts, base_delay=0.05, max_delay=0.5, budget=10.0),
            log=lambda s: print(s, file=sys.stderr, flush=True),
        )
    )
    print(json.dumps(result.to_dict(), indent=2) if args.json else _table(result))
    return 0 if not result.differences and not result.integrity else 1


if __name__ == "__main__":
    sys.exit(main())
