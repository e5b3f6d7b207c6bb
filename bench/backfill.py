"""Match backfill: is pacing, not client overhead, what limits a big first sync?

Three runs against one simulator in its own process (so its CPU is not counted), each into
a fresh SQLite store:

1. *fast*: one player's N matches (default 2,000) synced with `sync_player_matches` at a
   high client rate (default 100 requests/s overall, 16 in flight). Reports the achieved
   request rate as a fraction of the configured one (the pacer spaces requests 1/rate
   apart, so N requests cannot take less than (N-1)/rate seconds) and the client CPU per
   match (`time.process_time()` of this process: the event loop, decoding, building rows and
   the store's writer thread).
2. *default*: another player's matches (default 140) synced at the default `Limits()`
   (5 requests/s per service, 10 overall, 4 in flight): what users run.
3. *track*: the first `Tracker.run_cycle()` of a few watched players opted in to match
   sync (default 3 players with 50 matches each), at the default limits: `track --once`.

For the default-limit runs the pacing floor is the largest, over the overall pacer and each
service's, of its requests divided by its rate; efficiency is that floor over the wall time.

    .venv/bin/python bench/backfill.py                      # all three runs
    .venv/bin/python bench/backfill.py --runs default,track # only the default-limit runs
    .venv/bin/python bench/backfill.py -n 500 --rate 50 --concurrency 8 --runs fast

Target: every efficiency >= 0.9. The last line is `key=value` pairs of the runs made:
`pacing_efficiency=<x> cpu_ms_per_match=<y> default_efficiency=<z> track_efficiency=<w>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNS = ("fast", "default", "track")


def serve_simulator(plan: dict[str, Any]) -> None:
    """Child process: a world whose players have only fresh matches (player 0: the fast
    run's, player 1: the default run's, the next ones: the track run's); prints the root,
    tokens and players as JSON, stops when stdin closes."""
    from halotrack.simulator import start_simulator

    async def main() -> None:
        players = 2 + plan["track_players"]
        async with start_simulator(seed=7, players=max(5, players), history_scale=0.0) as sim:
            counts = [plan["fast"], plan["default"]] + [plan["track_matches"]] * plan[
                "track_players"
            ]
            xuids = []
            for player, count in zip(sim.world.players, counts, strict=False):
                if count:
                    sim.play(player.xuid, count)
                xuids.append(player.xuid)
            tokens = sim.issue_tokens(xuids[0])
            info = {
                "root": sim.base_url,
                "spartan": tokens.spartan,
                "clearance": tokens.clearance,
                "xuids": xuids,
                "matches": [len(sim.world.slots(p)) for p in sim.world.players[: len(xuids)]],
            }
            print(json.dumps(info), flush=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)
            stats = sim.stats()
            print(json.dumps({"server_cpu": stats["process_cpu_seconds"]}), flush=True)

    asyncio.run(main())


async def timed_run(
    info: dict[str, Any], limits: Any, work: Callable[[Any, Any], Awaitable[Any]]
) -> dict[str, Any]:
    """`work(client, store)` with a fresh store and client; wall, CPU and the counters."""
    from halotrack.store import open_store
    from halotrack.waypoint import Tokens, WaypointClient

    tokens = Tokens(spartan=info["spartan"], clearance=info["clearance"])
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'backfill.sqlite'}")
        try:
            async with WaypointClient(
                tokens=tokens, api_root=info["root"], limits=limits, cache=False
            ) as client:
                wall, cpu = time.perf_counter(), time.process_time()
                result = await work(client, store)
                wall = time.perf_counter() - wall
                cpu = time.process_time() - cpu
                counters = client.counters.as_dict()
                limits = client.transport.limits
        finally:
            store.close()
    return {"result": result, "wall": wall, "cpu": cpu, "counters": counters, "limits": limits}


def pacing_floor(counters: dict[str, Any], limits: Any) -> float:
    """The least wall time the pacers allow: over the overall pacer and each service's,
    the largest of its requests divided by its rate."""
    floors = [0.0]
    if limits.global_rate:
        floors.append(counters["requests"] / limits.global_rate)
    for service, count in counters["by_service"].items():
        rate = limits.per_service.get(service, limits.rate)
        if rate:
            floors.append(count / rate)
    return max(floors)


def sync_one(xuid: int) -> Callable[[Any, Any], Awaitable[Any]]:
    from halotrack.usecases.matches import sync_player_matches

    async def work(client: Any, store: Any) -> Any:
        return await sync_player_matches(client, store, xuid)

    return work


def track_first(xuids: list[int]) -> Callable[[Any, Any], Awaitable[Any]]:
    from halotrack.usecases import Tracker

    async def work(client: Any, store: Any) -> Any:
        for x in xuids:
            store.watch_add(x, matches=True)
        return await Tracker(client, store).run_cycle()

    return work


def show(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print()


def common_rows(out: dict[str, Any], floor: float) -> list[tuple[str, str]]:
    counters, limits = out["counters"], out["limits"]
    return [
        ("requests (all services)", f"{counters['requests']}"),
        ("  by service", json.dumps(counters["by_service"])),
        ("  retries", f"{counters['retries']}"),
        ("rate per service / overall", f"{limits.rate} / {limits.global_rate}"),
        ("client concurrency", f"{limits.concurrency}"),
        ("wall time (s)", f"{out['wall']:.2f}"),
        ("pacing floor (s)", f"{floor:.2f}"),
        ("achieved rate (req/s)", f"{counters['requests'] / out['wall']:.1f}"),
        ("client CPU (s)", f"{out['cpu']:.2f}"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--matches", type=int, default=2000, help="fast run's matches")
    parser.add_argument("--rate", type=float, default=100.0, help="fast run: requests/s overall")
    parser.add_argument("--concurrency", type=int, default=16, help="fast run: in flight")
    parser.add_argument("--default-matches", type=int, default=140)
    parser.add_argument("--track-players", type=int, default=3)
    parser.add_argument("--track-matches", type=int, default=50, help="matches per player")
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated: " + ",".join(RUNS))
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve_simulator(json.loads(args.serve))
        return 0
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    if unknown := set(runs) - set(RUNS):
        parser.error(f"unknown runs: {', '.join(sorted(unknown))}")

    from halotrack.waypoint import Limits

    plan = {
        "fast": args.matches if "fast" in runs else 0,
        "default": args.default_matches if "default" in runs else 0,
        "track_players": args.track_players if "track" in runs else 0,
        "track_matches": args.track_matches,
    }
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", json.dumps(plan)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    outs: dict[str, dict[str, Any]] = {}
    try:
        info = json.loads(child.stdout.readline())
        xuids, counts = info["xuids"], info["matches"]
        if "fast" in runs:
            fast = Limits(rate=args.rate, global_rate=args.rate, concurrency=args.concurrency)
            outs["fast"] = asyncio.run(timed_run(info, fast, sync_one(xuids[0])))
        if "default" in runs:
            outs["default"] = asyncio.run(timed_run(info, Limits(), sync_one(xuids[1])))
        if "track" in runs:
            track = xuids[2 : 2 + args.track_players]
            outs["track"] = asyncio.run(timed_run(info, Limits(), track_first(track)))
    finally:
        child.stdin.close()
        tail = child.stdout.readline()
        child.wait(timeout=30)
    server_cpu = json.loads(tail)["server_cpu"] if tail.strip() else float("nan")

    ok = True
    last: list[str] = []
    if "fast" in runs:
        out = outs["fast"]
        result, requests = out["result"], out["counters"]["requests"]
        efficiency = requests / out["wall"] / args.rate
        cpu_ms = out["cpu"] * 1000 / max(1, result.new_matches)
        print("== fast: one player's backfill at a high rate")
        show(
            [
                ("matches in history", f"{counts[0]}"),
                ("matches stored", f"{result.new_matches}"),
                *common_rows(out, (requests - 1) / args.rate),
                ("pacing efficiency", f"{efficiency:.3f}"),
                ("client CPU per match (ms)", f"{cpu_ms:.2f}"),
                ("client CPU per request (ms)", f"{out['cpu'] * 1000 / max(1, requests):.2f}"),
            ]
        )
        ok &= result.complete and result.new_matches == counts[0]
        last += [f"pacing_efficiency={efficiency:.3f}", f"cpu_ms_per_match={cpu_ms:.2f}"]
    if "default" in runs:
        out = outs["default"]
        result = out["result"]
        floor = pacing_floor(out["counters"], out["limits"])
        efficiency = floor / out["wall"]
        print("== default: `matches sync` of one player at the default limits")
        show(
            [
                ("matches in history", f"{counts[1]}"),
                ("matches stored", f"{result.new_matches}"),
                *common_rows(out, floor),
                ("default efficiency", f"{efficiency:.3f}"),
            ]
        )
        ok &= result.complete and result.new_matches == counts[1]
        last.append(f"default_efficiency={efficiency:.3f}")
    if "track" in runs:
        out = outs["track"]
        report = out["result"]
        floor = pacing_floor(out["counters"], out["limits"])
        efficiency = floor / out["wall"]
        expected = sum(counts[2 : 2 + args.track_players])
        print(f"== track: first `track --once` of {args.track_players} players with --matches")
        show(
            [
                ("matches in histories", f"{expected}"),
                ("matches stored", f"{report.matches_synced}"),
                ("failures", f"{len(report.failures)}"),
                *common_rows(out, floor),
                ("track efficiency", f"{efficiency:.3f}"),
            ]
        )
        ok &= report.matches_synced == expected and not report.failures
        last.append(f"track_efficiency={efficiency:.3f}")
    print(f"simulator CPU, whole run (s)  {server_cpu:.2f}")
    if not ok:
        print("ERROR: a run did not store every match", file=sys.stderr)
    print(" ".join(last))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
