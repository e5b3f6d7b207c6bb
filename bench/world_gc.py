"""How long one full garbage collection takes in a process holding a simulated world.

    .venv/bin/python bench/world_gc.py [--players 20000]

Why: bench/scale.py's simulator runs in the bench's own process; a full collection walks
every object of the world and holds the gateway's event loop meanwhile, and so does a
simulated day (`Simulator.advance` runs the world's play in the loop). Prints the world's
size, three full collections, one after `gc.freeze()` (what `--gc-freeze` does) and one
simulated day; the last line is `gc_s=<median full collection> frozen_s=<after freeze>
day_s=<one day played>`.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time

from halotrack.simulator.world import World


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--players", type=int, default=20000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    world = World(seed=17, players=args.players, seasons=4, ranked_playlists=2, history_scale=0.02)
    for p in world.players:
        world.history(p)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"world of {args.players} players built in {time.perf_counter() - t0:.1f} s: "
          f"{len(gc.get_objects())} tracked objects, {rss:.0f} MB resident")  # fmt: skip
    times = []
    for _ in range(3):
        t = time.perf_counter()
        gc.collect()
        times.append(time.perf_counter() - t)
    gc.freeze()
    t = time.perf_counter()
    gc.collect()
    frozen = time.perf_counter() - t
    print(
        f"full collections: {', '.join(f'{x:.3f}' for x in times)} s; after freeze {frozen:.3f} s"
    )
    t = time.perf_counter()
    played = world.advance(24, None)
    day = time.perf_counter() - t
    print(f"one simulated day: {played} matches in {day:.2f} s")
    print(f"gc_s={statistics.median(times):.3f} frozen_s={frozen:.3f} day_s={day:.2f}")


if __name__ == "__main__":
    main()
