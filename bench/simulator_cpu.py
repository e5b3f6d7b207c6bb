"""How cheap is the simulator? Startup time, and server CPU per cached service-record request.

Why: benchmarks of the client run against the simulator; the simulator must not be the
bottleneck. Server CPU is read with time.process_time() inside each server process (via its
stats endpoint), before and after a burst of requests, and compared with a trivial aiohttp
handler that returns the same bytes (the floor any aiohttp server pays per request).

    .venv/bin/python bench/simulator_cpu.py [--requests 3000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

SIM_SERVER = """
import asyncio, sys
from halotrack.simulator import start_simulator
async def main():
    async with start_simulator(seed=7, players=int(sys.argv[1])) as sim:
        print(sim.base_url, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""

BASELINE_SERVER = """
import asyncio, sys, time
from aiohttp import web
body = open(sys.argv[1], "rb").read()
async def record(request):
    return web.Response(body=body, content_type="application/json")
async def stats(request):
    return web.json_response({"process_cpu_seconds": time.process_time()})
async def main():
    app = web.Application()
    app.router.add_get("/_sim/stats", stats)
    app.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def spawn(code: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def save(body: bytes) -> str:
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(body)
        return f.name


async def cpu(session: aiohttp.ClientSession, base: str) -> float:
    async with session.get(f"{base}/_sim/stats") as r:
        return float((await r.json())["process_cpu_seconds"])


async def burst(base: str, path: str, headers: dict[str, str], n: int, conc: int) -> float:
    """Server CPU seconds per request over `n` requests at concurrency `conc`."""
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(base + path) as r:  # warm the cache
            assert r.status == 200, r.status
            await r.read()
        before = await cpu(session, base)
        left = n

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with session.get(base + path) as r:
                    await r.read()

        await asyncio.gather(*(worker() for _ in range(conc)))
        after = await cpu(session, base)
    return (after - before) / n


async def first_records(base: str, players: list[dict[str, Any]], conc: int) -> tuple[float, int]:
    """Server CPU (ms) per player for the first record request, which builds the history."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/_sim/token", json={"xuid": players[0]["xuid"]}) as r:
            hdrs = {"x-343-authorization-spartan": (await r.json())["SpartanToken"]}
        todo = [p["xuid"] for p in players]
        total = 0
        before = await cpu(session, base)

        async def worker() -> None:
            nonlocal total
            while todo:
                x = todo.pop()
                url = f"{base}/halostats.svc.halowaypoint.com/hi/players/xuid({x})/matches/count"
                async with session.get(url, headers=hdrs) as r:
                    total += (await r.json())["MatchesPlayedCount"]

        await asyncio.gather(*(worker() for _ in range(conc)))
        after = await cpu(session, base)
    return (after - before) / len(players) * 1e3, total


async def uncached_match_stats(
    base: str, xuid: str, headers: dict[str, str], n: int, conc: int
) -> float:
    """Server CPU per match-stats request for matches never requested before."""
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{base}/_sim/play", json={"xuid": xuid, "matches": n}) as r:
            ids = list((await r.json())["match_ids"])
        # Playing moved the simulated clock: get a fresh token.
        async with session.post(f"{base}/_sim/token", json={"xuid": xuid}) as r:
            token = (await r.json())["SpartanToken"]
        hdrs = {"x-343-authorization-spartan": token}
        before = await cpu(session, base)

        async def worker() -> None:
            while ids:
                mid = ids.pop()
                url = f"{base}/halostats.svc.halowaypoint.com/hi/matches/{mid}/stats"
                async with session.get(url, headers=hdrs) as r:
                    assert r.status == 200, r.status
                    await r.read()

        await asyncio.gather(*(worker() for _ in range(conc)))
        after = await cpu(session, base)
    return (after - before) / n * 1e6


async def startup(players: int) -> tuple[float, float]:
    """(world construction, full start incl. listening socket) in seconds."""
    from halotrack.simulator import World, start_simulator

    t = time.perf_counter()
    World(seed=7, players=players)
    world_s = time.perf_counter() - t
    t = time.perf_counter()
    async with start_simulator(seed=7, players=players):
        start_s = time.perf_counter() - t
    return world_s, start_s


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    print("| players | world built (s) | server started (s) |")
    print("|---:|---:|---:|")
    for n in (200, 10_000):
        w, s = await startup(n)
        print(f"| {n:,} | {w:.3f} | {s:.3f} |")
    print()

    sim, sim_url = spawn(SIM_SERVER, "200")
    procs = [sim]
    saved = ""
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{sim_url}/_sim/players") as r:
                players: list[dict[str, Any]] = await r.json()
            xuid = next(p["xuid"] for p in players if p["activity"] == "daily")
            async with s.post(f"{sim_url}/_sim/token", json={"xuid": xuid}) as r:
                tok = await r.json()
        path = f"/halostats.svc.halowaypoint.com/hi/players/xuid({xuid})/Matchmade/servicerecord"
        headers = {"x-343-authorization-spartan": tok["SpartanToken"]}
        async with aiohttp.ClientSession(headers=headers) as s, s.get(sim_url + path) as r:
            body = await r.read()
        saved = save(body)
        base, base_url = spawn(BASELINE_SERVER, saved)
        procs.append(base)
        sim_runs, base_runs = [], []
        for _ in range(args.rounds):  # interleaved, best of
            sim_runs.append(await burst(sim_url, path, headers, args.requests, args.concurrency))
            base_runs.append(await burst(base_url, path, {}, args.requests, args.concurrency))
        sim_us, base_us = min(sim_runs) * 1e6, min(base_runs) * 1e6
        print(
            f"Cached service record ({len(body) / 1024:.1f} KB), {args.requests} requests, "
            f"concurrency {args.concurrency}, best of {args.rounds}:"
        )
        print()
        print("| server | CPU per request (µs) | ratio to baseline |")
        print("|---|---:|---:|")
        print(f"| trivial aiohttp handler, same bytes | {base_us:.0f} | 1.00 |")
        print(f"| simulator (auth, faults, routing, log) | {sim_us:.0f} | {sim_us / base_us:.2f} |")
        print()
        first_ms, hist_n = await first_records(sim_url, players[10:110], 8)
        print(
            f"First service record of 100 untouched players (their {hist_n} pre-start matches "
            f"generated on the way): {first_ms:.1f} ms of server CPU per player."
        )
        print()
        stats_us = await uncached_match_stats(sim_url, xuid, headers, 600, args.concurrency)
        print(
            f"Match stats built on request (600 distinct new matches, 4-24 players each): "
            f"{stats_us:.0f} µs of server CPU per match."
        )
        print()
        print(json.dumps({"sim_us": sim_us, "baseline_us": base_us, "match_stats_us": stats_us}))
    finally:
        for p in procs:
            p.terminate()
            p.wait(5)
        if saved:
            os.unlink(saved)


if __name__ == "__main__":
    asyncio.run(main())
