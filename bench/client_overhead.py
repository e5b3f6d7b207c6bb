"""Client CPU per service record: halotrack vs SPNKr 0.10.2 vs a bare aiohttp + orjson loop.

Why: the client's own CPU cost is a goal of the project (DESIGN.md). Each client fetches and
decodes N service records from the simulator at concurrency 16. The simulator runs in its own
process and every client in a fresh process of its own, so the CPU measured
(`time.process_time()` around the timed loop, after a warm-up) is the client's alone.

    .venv/bin/python bench/client_overhead.py                # N=3000, 3 interleaved rounds
    .venv/bin/python bench/client_overhead.py -n 1000 --rounds 1 --skip-spnkr

SPNKr runs from its own virtualenv (default bench/.venv-spnkr, created on first use with
`python3 -m venv bench/.venv-spnkr && bench/.venv-spnkr/bin/pip install spnkr==0.10.2`).
It is pointed at the simulator by replacing the host constant of its stats service module,
and its rate limiter is raised out of the way. Targets: halotrack <= 0.5x SPNKr and
<= 1.5x the floor. The last line is `halotrack/spnkr=<ratio> halotrack/floor=<ratio>`, each
the median over rounds of the ratio within a round (robust to a machine whose load drifts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPNKR_VENV = HERE / ".venv-spnkr"
SPNKR_VERSION = "0.10.2"
CONCURRENCY = 16
WARMUP = 200

# ----------------------------------------------------------------------------- simulator


def serve_simulator(players: int) -> None:
    """Child process: run the simulator, print its root and tokens, stop when stdin closes."""
    from halotrack.simulator import start_simulator

    async def main() -> None:
        async with start_simulator(seed=7, players=players) as sim:
            xuids = [p.xuid for p in sim.world.players]
            tokens = sim.issue_tokens(xuids[0])
            info = {
                "root": sim.base_url,
                "spartan": tokens.spartan,
                "clearance": tokens.clearance,
                "xuids": xuids,
            }
            print(json.dumps(info), flush=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


# ----------------------------------------------------------------------------- workers


async def _drive(fetch: Any, xuids: list[int], n: int) -> None:
    """`n` calls of `fetch(xuid)` from CONCURRENCY workers, players in rotation."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await fetch(xuids[i % len(xuids)])

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _measure(fetch: Any, xuids: list[int], n: int) -> dict[str, float]:
    await _drive(fetch, xuids, WARMUP)
    wall, cpu = time.perf_counter(), time.process_time()
    await _drive(fetch, xuids, n)
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "n": n}


async def run_halotrack(info: dict[str, Any], n: int) -> dict[str, float]:
    from halotrack.waypoint import Limits, Tokens, WaypointClient

    tokens = Tokens(spartan=info["spartan"], clearance=info["clearance"])
    async with WaypointClient(
        tokens=tokens,
        api_root=info["root"],
        limits=Limits.unlimited(CONCURRENCY),
        cache=False,
    ) as client:
        seen = 0

        async def fetch(xuid: int) -> None:
            nonlocal seen
            record = await client.stats.service_record(xuid)
            seen += record.matches_completed >= 0

        result = await _measure(fetch, info["xuids"], n)
        assert client.counters.retries == 0
    return result


async def run_floor(info: dict[str, Any], n: int) -> dict[str, float]:
    import aiohttp
    import orjson

    headers = {
        "x-343-authorization-spartan": info["spartan"],
        "343-clearance": info["clearance"],
        "Accept": "application/json",
    }
    base = f"{info['root']}/halostats.svc.halowaypoint.com/hi/players"
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch(xuid: int) -> None:
            url = f"{base}/xuid({xuid})/Matchmade/servicerecord"
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 200
                orjson.loads(await resp.read())

        return await _measure(fetch, info["xuids"], n)


async def run_spnkr(info: dict[str, Any], n: int) -> dict[str, float]:
    import aiohttp
    import spnkr
    from spnkr.services import stats as spnkr_stats

    spnkr_stats._HOST = f"{info['root']}/halostats.svc.halowaypoint.com"  # type: ignore[attr-defined]
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = spnkr.HaloInfiniteClient(
            session=session,
            spartan_token=info["spartan"],
            clearance_token=info["clearance"],
            requests_per_second=1_000_000,
        )

        async def fetch(xuid: int) -> None:
            resp = await client.stats.get_service_record(xuid)
            record = await resp.parse()
            assert record.matches_completed >= 0

        return await _measure(fetch, info["xuids"], n)


WORKERS = {"halotrack": run_halotrack, "floor": run_floor, "spnkr": run_spnkr}


def worker_main(kind: str, n: int) -> None:
    info = json.loads(sys.stdin.readline())
    result = asyncio.run(WORKERS[kind](info, n))
    print(json.dumps(result), flush=True)


# ----------------------------------------------------------------------------- driver


def ensure_spnkr() -> Path | None:
    """The SPNKr virtualenv's python, creating it on first use; None if it cannot be."""
    python = SPNKR_VENV / "bin" / "python"
    probe = f"import importlib.metadata as m; assert m.version('spnkr') == '{SPNKR_VERSION}'"
    check = [str(python), "-c", probe]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {SPNKR_VENV} with spnkr=={SPNKR_VERSION} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(SPNKR_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"spnkr=={SPNKR_VERSION}"], check=True
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"cannot install SPNKr: {exc}", file=sys.stderr)
        return None
    return python if subprocess.run(check, capture_output=True).returncode == 0 else None


def run_worker(python: str, kind: str, n: int, info_line: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")} if kind != "spnkr" else None
    proc = subprocess.run(
        [python, str(Path(__file__).resolve()), "--worker", kind, "-n", str(n)],
        input=info_line + "\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="records per client per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--skip-spnkr", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_simulator(args.players)
        return 0
    if args.worker:
        worker_main(args.worker, args.n)
        return 0

    kinds = ["halotrack", "floor"]
    pythons = {"halotrack": sys.executable, "floor": sys.executable}
    if not args.skip_spnkr:
        spnkr_python = ensure_spnkr()
        if spnkr_python is None:
            print("SPNKr could not be installed: its column is left out", file=sys.stderr)
        else:
            kinds.append("spnkr")
            pythons["spnkr"] = str(spnkr_python)

    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "--players", str(args.players)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
    )
    try:
        assert server.stdout is not None
        info_line = server.stdout.readline().strip()
        results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                results[kind].append(run_worker(pythons[kind], kind, args.n, info_line))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)

    per: dict[str, float] = {}
    print(f"\n{args.n} service records per round, concurrency {CONCURRENCY}, {args.rounds} rounds")
    print(f"{'client':<10} {'CPU ms/record (median)':>24} {'all rounds':>28} {'wall s':>8}")
    for kind in kinds:
        cpus = [r["cpu"] / r["n"] * 1000 for r in results[kind]]
        per[kind] = statistics.median(cpus)
        walls = statistics.median(r["wall"] for r in results[kind])
        rounds = " ".join(f"{c:.3f}" for c in cpus)
        print(f"{kind:<10} {per[kind]:>24.3f} {rounds:>28} {walls:>8.2f}")

    def ratio(other: str) -> str:
        # median of per-round ratios: the rounds are interleaved, so a ratio within one
        # round compares clients under the same machine load
        if other not in results:
            return "n/a"
        pairs = zip(results["halotrack"], results[other], strict=True)
        return f"{statistics.median(a['cpu'] / a['n'] / (b['cpu'] / b['n']) for a, b in pairs):.2f}"

    print(f"halotrack/spnkr={ratio('spnkr')} halotrack/floor={ratio('floor')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
