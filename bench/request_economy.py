"""Requests per steady-state tracking cycle: halotrack against the naive approach.

    .venv/bin/python bench/request_economy.py [--players 1000] [--played 0.10] [--seed 7]

World: 8 seasons, 3 ranked playlists; the watched players are world players whose history
covers all 8 seasons. Both approaches first store everything (an initial cycle each, into
separate SQLite databases), then 10% of the watched players play 1-3 matches, and one more
cycle of each is counted from the simulator's own request counters (`/_sim/stats`):

- halotrack: `Tracker.run_cycle()` (match count per player; lifetime and running-season
  records for those who played; CSR batched per ranked playlist; ended seasons never again).
- naive: per player, the lifetime record, every season's record in its `SeasonIds`, and
  every ranked playlist's CSR, one request each. (`SeasonIds` names each season from
  Season 5 on twice, by metadata and CSR path; naive follows both, halotrack the CSR path,
  so the slices compared below leave the naive copies under the alias out.)

Afterwards the latest stored snapshot of every slice (lifetime, each season, each CSR) must
be identical in both databases. Pacing is off (the simulator is local). The last line is
`requests_per_player=<x> naive/halotrack=<ratio>`; targets: x <= 1.3 and ratio >= 8.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from halotrack.simulator import Simulator, start_simulator
from halotrack.simulator.formats import to_ms
from halotrack.simulator.world import LAUNCH, World
from halotrack.store import Scope, Store, open_store, to_thread
from halotrack.usecases import StoreEtagCache, Tracker
from halotrack.usecases.seasons import current_csr_season
from halotrack.waypoint import Limits, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens

SEASONS = 8
RANKED = 3


def covers_all_seasons(world: World, index: int) -> bool:
    """Whether a player's pre-start history touches every season, decided from the match
    times alone (the world draws them before it builds any match, so this is cheap); the
    bench verifies the choice afterwards from the stored records."""
    from halotrack.simulator import world as w

    p = world.players[index]
    rng = random.Random(w._h(world.seed, "history", p.xuid))
    n = world._history_size(p, rng)
    start = to_ms(world.start)
    first = to_ms(LAUNCH) + rng.randint(0, (start - to_ms(LAUNCH)) * 2 // 3)
    seasons = {world.season_at(rng.randint(first, start - 3_600_000)).index for _ in range(n)}
    return len(seasons) == len(world.seasons)


def client_for(sim: Simulator, store: Store, xuid: int) -> WaypointClient:
    return WaypointClient(
        tokens=SimulatorTokens(sim, xuid),
        api_root=sim.base_url,
        limits=Limits.unlimited(concurrency=32),
        cache=StoreEtagCache(store),
    )


async def naive_cycle(
    client: WaypointClient, store: Store, xuids: list[int], ranked: list[str], season: str, now: Any
) -> None:
    """Everything, for everyone, one request per item; stored like the tracker stores it."""
    sem = asyncio.Semaphore(32)
    write_lock = asyncio.Lock()  # one SQLite writer at a time, as the tracker does

    async def one(x: int) -> None:
        async with sem:
            life = await client.stats.service_record(x)
            seasons = await asyncio.gather(
                *(client.stats.service_record(x, season_id=s) for s in life.season_ids)
            )
            csrs = await asyncio.gather(*(client.skill.playlist_csr_one(p, x) for p in ranked))

        def write() -> None:
            when = now()
            with store.transaction() as tx:
                tx.save_service_record(x, "matchmade", Scope(), life.raw_bytes, when)
                for sid, rec in zip(life.season_ids, seasons, strict=True):
                    tx.save_service_record(x, "matchmade", Scope.season(sid), rec.raw_bytes, when)
                for pid, resp in zip(ranked, csrs, strict=True):
                    tx.save_csr(x, pid, season, resp.raw["Value"][0], when)

        async with write_lock:
            await to_thread(write)

    await asyncio.gather(*(one(x) for x in xuids))


def latest_hashes(store: Store, xuids: list[int]) -> dict[tuple[Any, ...], str]:
    out: dict[tuple[Any, ...], str] = {}
    with store.reader() as tx:
        for x in xuids:
            for kind, key in tx.record_scopes(x):
                row = tx.latest_record(x, kind, Scope.parse(key))
                assert row is not None
                out[(x, kind, key)] = row.content_hash
            for c in tx.csr_history(x):
                out[(x, "csr", c.playlist_id, c.csr_season_id)] = c.content_hash  # last wins
    return out


async def main(args: argparse.Namespace) -> int:
    t_all = time.perf_counter()
    world_size = args.players * 12
    tmp = Path(tempfile.mkdtemp(prefix="halotrack-bench-"))
    async with start_simulator(
        seed=args.seed,
        players=world_size,
        seasons=SEASONS,
        ranked_playlists=RANKED,
        history_scale=args.history_scale,
    ) as sim:
        chosen = [
            p.xuid for i, p in enumerate(sim.world.players) if covers_all_seasons(sim.world, i)
        ][: args.players]
        if len(chosen) < args.players:
            print(f"only {len(chosen)} players cover all seasons", file=sys.stderr)
        n = len(chosen)
        ours = open_store(f"sqlite:///{tmp / 'halotrack.sqlite'}")
        naive = open_store(f"sqlite:///{tmp / 'naive.sqlite'}")
        with ours.transaction() as tx:
            for x in chosen:
                tx.watch_add(x, gamertag=sim.world.by_xuid[x].gamertag, now=sim.clock.now())
        async with (
            client_for(sim, ours, chosen[0]) as c_ours,
            client_for(sim, naive, chosen[0]) as c_naive,
        ):
            tracker = Tracker(c_ours, ours, clock=sim.clock.now, concurrency=32)
            t0 = time.perf_counter()
            first = await tracker.run_cycle()
            t_first = time.perf_counter() - t0
            print(f"halotrack initial cycle: {t_first:.0f}s", file=sys.stderr)
            ranked = sorted(
                p.asset.asset_id for p in sim.world.playlists if p.ranked
            )  # what the naive tracker is told up front
            csr_cal = await c_naive.gamecms.csr_season_calendar()
            season = current_csr_season(csr_cal, sim.clock.now()) or "current"
            t0 = time.perf_counter()
            await naive_cycle(c_naive, naive, chosen, ranked, season, sim.clock.now)
            t_naive_first = time.perf_counter() - t0

            rng = random.Random(args.seed)
            players = rng.sample(chosen, max(1, round(n * args.played)))
            for x in players:
                sim.play(x, rng.randint(1, 3))

            sim.reset_stats()
            t0 = time.perf_counter()
            steady = await tracker.run_cycle()
            t_ours = time.perf_counter() - t0
            ours_stats = sim.stats()
            sim.reset_stats()
            t0 = time.perf_counter()
            await naive_cycle(c_naive, naive, chosen, ranked, season, sim.clock.now)
            t_naive = time.perf_counter() - t0
            naive_stats = sim.stats()

        a, b = latest_hashes(ours, chosen), latest_hashes(naive, chosen)
        # The record lists each season from Season 5 on under its metadata path too; halotrack
        # asks only the CSR path (the same matches), the naive approach follows both.
        aliases = {f"season={s.metadata_path}" for s in sim.world.seasons if s.index >= 5}
        b = {k: v for k, v in b.items() if k[2] not in aliases}
        differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        seasons_per = [_season_count(ours, x) for x in chosen]
        ours.close()
        naive.close()

    r_ours, r_naive = ours_stats["total"], naive_stats["total"]
    per = r_ours / n
    ratio = r_naive / r_ours
    print(
        f"world {world_size} players, {SEASONS} seasons, {RANKED} ranked playlists, "
        f"history_scale {args.history_scale}; watched {n} (seasons per watched player: "
        f"mean {statistics.mean(seasons_per):.2f}, min {min(seasons_per)}); "
        f"{len(players)} of them played 1-3 matches between the two counted cycles"
    )
    print(
        f"initial cycles (not counted): halotrack {first.requests} requests in {t_first:.1f}s, "
        f"naive in {t_naive_first:.1f}s; steady halotrack report: played {steady.played}, "
        f"records {steady.records_created} new / {steady.records_unchanged} unchanged, "
        f"CSR {steady.csr_created} new / {steady.csr_unchanged} unchanged, "
        f"failures {len(steady.failures)}"
    )
    print()
    print("| approach | requests | per player | wall s | by endpoint |")
    print("|---|---:|---:|---:|---|")
    for name, stats, wall in (
        ("halotrack", ours_stats, t_ours),
        ("naive", naive_stats, t_naive),
    ):
        ep = ", ".join(f"{k} {v}" for k, v in sorted(stats["by_endpoint"].items()))
        print(f"| {name} | {stats['total']} | {stats['total'] / n:.3f} | {wall:.1f} | {ep} |")
    print()
    print(
        f"stored latest slices: {len(a)} halotrack, {len(b)} naive, {len(differ)} differ"
        + (f" (first: {differ[:3]})" if differ else " (identical)")
    )
    print(f"total wall {time.perf_counter() - t_all:.0f}s, databases in {tmp}")
    print(f"requests_per_player={per:.3f} naive/halotrack={ratio:.2f}")
    return 0 if not differ else 1


def _season_count(store: Store, xuid: int) -> int:
    row = store.latest_record(xuid)
    sub = row.raw.get("Subqueries") if row is not None else None
    return len((sub or {}).get("SeasonIds") or [])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--players", type=int, default=1000)
    ap.add_argument("--played", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--history-scale", type=float, default=0.5)
    sys.exit(asyncio.run(main(ap.parse_args())))
