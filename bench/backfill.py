"""Match backfill: is pacing, not client overhead, what limits a big first sync?

One simulated player plays N matches (default 2,000) in a simulator running in its own
process (so its CPU is not counted); this process syncs them into a fresh SQLite store with
`sync_player_matches` at a configured client rate (default 100 requests/s overall). It
reports the achieved request rate as a fraction of the configured one (the pacer spaces
requests 1/rate apart, so N requests cannot take less than (N-1)/rate seconds) and the
client CPU per match (`time.process_time()` of this process: the event loop, decoding,
building rows and the store's writer thread).

    .venv/bin/python bench/backfill.py                      # 2000 matches at 100 req/s
    .venv/bin/python bench/backfill.py -n 500 --rate 50 --concurrency 8

Target: pacing_efficiency >= 0.9. The last line is
`pacing_efficiency=<x> cpu_ms_per_match=<y>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def serve_simulator(matches: int) -> None:
    """Child process: a world whose player 0 has only `matches` fresh matches; prints the
    root and tokens as JSON, stops when stdin closes."""
    from halotrack.simulator import start_simulator

    async def main() -> None:
        async with start_simulator(seed=7, players=5, history_scale=0.0) as sim:
            xuid = sim.world.players[0].xuid
            sim.play(xuid, matches)
            tokens = sim.issue_tokens(xuid)
            info = {
                "root": sim.base_url,
                "spartan": tokens.spartan,
                "clearance": tokens.clearance,
                "xuid": xuid,
                "matches": len(sim.world.slots(sim.world.players[0])),
            }
            print(json.dumps(info), flush=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)
            stats = sim.stats()
            print(json.dumps({"server_cpu": stats["process_cpu_seconds"]}), flush=True)

    asyncio.run(main())


async def run_sync(info: dict[str, Any], rate: float, concurrency: int) -> dict[str, Any]:
    from halotrack.store import open_store
    from halotrack.usecases.matches import sync_player_matches
    from halotrack.waypoint import Limits, Tokens, WaypointClient

    tokens = Tokens(spartan=info["spartan"], clearance=info["clearance"])
    limits = Limits(rate=rate, global_rate=rate, concurrency=concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'backfill.sqlite'}")
        try:
            async with WaypointClient(
                tokens=tokens, api_root=info["root"], limits=limits, cache=False
            ) as client:
                wall, cpu = time.perf_counter(), time.process_time()
                result = await sync_player_matches(client, store, info["xuid"])
                wall = time.perf_counter() - wall
                cpu = time.process_time() - cpu
                counters = client.counters.as_dict()
        finally:
            store.close()
    return {"result": result, "wall": wall, "cpu": cpu, "counters": counters}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--matches", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="client requests/s overall")
    parser.add_argument("--concurrency", type=int, default=16, help="client requests in flight")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve_simulator(args.serve)
        return 0

    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(args.matches)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        info = json.loads(child.stdout.readline())
        out = asyncio.run(run_sync(info, args.rate, args.concurrency))
    finally:
        child.stdin.close()
        tail = child.stdout.readline()
        child.wait(timeout=30)
    server_cpu = json.loads(tail)["server_cpu"] if tail.strip() else float("nan")

    result = out["result"]
    requests = out["counters"]["requests"]
    achieved = requests / out["wall"]
    floor = (requests - 1) / args.rate
    efficiency = achieved / args.rate
    cpu_ms = out["cpu"] * 1000 / max(1, result.new_matches)
    rows = [
        ("matches in history", f"{info['matches']}"),
        ("matches stored", f"{result.new_matches}"),
        ("requests (all services)", f"{requests}"),
        ("  by service", json.dumps(out["counters"]["by_service"])),
        ("  retries", f"{out['counters']['retries']}"),
        ("configured rate (req/s)", f"{args.rate:.0f}"),
        ("client concurrency", f"{args.concurrency}"),
        ("wall time (s)", f"{out['wall']:.2f}"),
        ("pacing floor (s)", f"{floor:.2f}"),
        ("achieved rate (req/s)", f"{achieved:.1f}"),
        ("pacing efficiency", f"{efficiency:.3f}"),
        ("client CPU (s)", f"{out['cpu']:.2f}"),
        ("client CPU per match (ms)", f"{cpu_ms:.2f}"),
        ("client CPU per request (ms)", f"{out['cpu'] * 1000 / max(1, requests):.2f}"),
        ("simulator CPU, whole run (s)", f"{server_cpu:.2f}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    ok = result.complete and result.new_matches == info["matches"]
    if not ok:
        print("ERROR: the sync did not store every match", file=sys.stderr)
    print(f"pacing_efficiency={efficiency:.3f} cpu_ms_per_match={cpu_ms:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
