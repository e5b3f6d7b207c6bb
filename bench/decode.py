"""Decode cost of typed models against bare JSON parsers, on the real samples.

Why: the client's CPU budget (at most 1.5x a bare aiohttp+orjson loop) leaves no room for a
decoder much slower than orjson.loads; this prints where `halotrack.models.decode` stands.

    .venv/bin/python bench/decode.py [--number N] [--repeat R]

Each cell is the best of R interleaved runs of N decodes (GC on), in microseconds per
decode; ratios are against orjson.loads of the same bytes (lower is better, 1.00 = as fast
as orjson).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson

from halotrack.models import KINDS, decode, decoder_for

REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"
CASES = [
    ("servicerecord/matchmade-lifetime.json", "service-record"),
    ("match-stats/ctf-2025.json", "match-stats"),
    ("match-history/matches-page.json", "match-history"),
]


def measure(fns: dict[str, Callable[[], Any]], number: int, repeat: int) -> dict[str, float]:
    """Best time per call in microseconds. Rounds interleave the candidates so a busy
    machine slows them alike; the GC stays on, as it is in a real client loop."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t = timeit.Timer(fn, setup="gc.enable()", globals={"gc": gc}).timeit(number)
            best[name] = min(best[name], t / number * 1e6)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=150)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()}, msgspec {msgspec.__version__}, "
        f"orjson {orjson.__version__}; best of {args.repeat} x {args.number}, us per decode"
    )
    header = (
        f"{'sample':40} {'KB':>5} {'orjson':>8} {'json':>8} {'msgspec':>8} "
        f"{'typed':>8} {'decode()':>9} {'typed/orjson':>13} {'decode()/orjson':>16} "
        f"{'json/orjson':>12}"
    )
    print(header)
    print("-" * len(header))
    for rel, kind in CASES:
        data = (REAL / rel).read_bytes()
        typed = decoder_for(KINDS[kind].model)
        decode(kind, data)  # warm: builds and caches the decoder
        t = measure(
            {
                "orjson": lambda d=data: orjson.loads(d),
                "json": lambda d=data: json.loads(d),
                "msgspec": lambda d=data: msgspec.json.decode(d),
                "typed": lambda d=data, t=typed: t.decode(d),
                "decode": lambda d=data, k=kind: decode(k, d),
            },
            args.number,
            args.repeat,
        )
        t_orjson, t_json, t_untyped = t["orjson"], t["json"], t["msgspec"]
        t_typed, t_decode = t["typed"], t["decode"]
        print(
            f"{rel:40} {len(data) / 1024:5.1f} {t_orjson:8.1f} {t_json:8.1f} {t_untyped:8.1f} "
            f"{t_typed:8.1f} {t_decode:9.1f} {t_typed / t_orjson:13.2f} "
            f"{t_decode / t_orjson:16.2f} {t_json / t_orjson:12.2f}"
        )
    print(
        "\norjson/json/msgspec: untyped parse to dicts; typed: cached msgspec Decoder into the "
        "model;\ndecode(): halotrack.models.decode (typed + error wrapping + raw bytes kept)."
    )


if __name__ == "__main__":
    main()
