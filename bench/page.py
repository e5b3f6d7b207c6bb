"""Benchmark the stats page for a long-tracked player: 3,000 lifetime snapshots, 3,000 CSR
readings over three playlists, 5,000 matches in the store's match tables.

Measures reading the store and assembling PageData (with the insight sections of issue 13:
the matches are 25 minutes apart, so they make one session of 5,000 matches, the dearest
case for the last-session section; `--session N` puts a break after every N), rendering the
HTML, and the file size.
Targets: under 1 s for the whole page, under 600 KB. The medal sprite sheet is left out
(no real sheet is in the samples); its base64 size adds to the file when cached.

    .venv/bin/python bench/page.py [--snapshots 3000] [--matches 5000] [--repeat 5] [--session N]

Prints a table; the last line is `render_s=<x> size_kb=<y>` (x = store read + assemble +
render, median of the repeats).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from halotrack.models import MatchSkill, MatchStats, decode_as
from halotrack.models.summary import read_summary
from halotrack.report import build_page_data, render_page
from halotrack.report.build import (
    METADATA_CSR_CALENDAR,
    METADATA_MEDALS,
    METADATA_SEASON_CALENDAR,
)
from halotrack.report.insights import read_insights
from halotrack.store import Scope, Store, open_store
from halotrack.store.matches import match_rows

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test-support package: tests/support/synthetic.py
from tests.support import synthetic  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
XUID = "2535445291321133"
PLAYLISTS = (
    ("edfef3ac-9cbe-4fa2-b949-8f29deafd483", 1487),
    ("fa5aa2a3-2428-4912-a023-e1eeea7b877c", 1320),
    ("0c47c724-3625-4243-a3fd-29b66a2aea6d", 1560),
)


def real(name: str) -> Any:
    return json.loads((REAL / name).read_text("utf-8"))


def seed(store: Store, snapshots: int) -> None:
    life = real("servicerecord/matchmade-lifetime.json")
    end = read_summary(life)
    step = timedelta(hours=6)
    points = synthetic.history(end, count=snapshots, until=NOW, step=step, seed=11)
    store.upsert_player(XUID, "Bench Spartan", seen_at=NOW)
    with store.transaction() as tx:
        for i, p in enumerate(points):
            rec = copy.deepcopy(life)
            # Distinct content per snapshot so the store keeps every one.
            rec["MatchesCompleted"], rec["Wins"], rec["Losses"] = p.matches + i, p.wins, p.losses
            rec["CoreStats"].update(Kills=p.kills, Deaths=p.deaths, Assists=p.assists)
            rec["TimePlayed"] = f"PT{p.time_played.total_seconds():.1f}S"
            tx.save_service_record(XUID, "matchmade", Scope(), rec, p.captured_at)
        per_playlist = snapshots // len(PLAYLISTS)
        for pid, final in PLAYLISTS:
            walk = synthetic.csr_history(
                [(pid, final)], count=per_playlist, until=NOW, step=step * 3, seed=len(pid)
            )
            for i, c in enumerate(walk):
                raw = synthetic.csr_result(c.value, max(c.value, 1500), 1600 + i)
                tx.save_csr(XUID, pid, "CsrSeason9-1", raw, c.captured_at)
        tx.put_metadata(*METADATA_MEDALS, json.dumps(real("gamecms/medals-metadata.json")))
        tx.put_metadata(*METADATA_SEASON_CALENDAR, json.dumps(real("gamecms/seasoncalendar.json")))
        tx.put_metadata(
            *METADATA_CSR_CALENDAR, json.dumps(real("gamecms/csr-season-calendar.json"))
        )


def seed_matches(store: Store, count: int, session: int = 0) -> None:
    """`count` stored matches: the real slayer match (with its skill answer) under new ids,
    25 minutes apart, newest at NOW; with `session`, a 3-hour break after every `session`
    matches (0: none, so every match is in the last session)."""
    stats = decode_as(MatchStats, (REAL / "match-stats/slayer-2025.json").read_bytes())
    skill = decode_as(MatchSkill, (REAL / "match-skill/match-skill-one-player.json").read_bytes())
    with store.transaction() as tx:
        for i in range(count):
            start = NOW - timedelta(minutes=25 * i + (180 * (i // session) if session else 0))
            info = msgspec.structs.replace(
                stats.match_info, start_time=start, end_time=start + timedelta(minutes=12)
            )
            one = msgspec.structs.replace(
                stats, match_id=str(uuid.UUID(int=i + 1)), match_info=info
            )
            tx.save_match(match_rows(one, skill, fetched_at=NOW))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshots", type=int, default=3000)
    ap.add_argument("--matches", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--session",
        type=int,
        default=0,
        help="matches per session (0: one session of every match, the dearest last session)",
    )
    args = ap.parse_args(argv)

    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(f"sqlite:///{Path(tmp) / 'bench.sqlite'}") as store,
    ):
        t0 = time.perf_counter()
        seed(store, args.snapshots)
        seed_matches(store, args.matches, args.session)
        seed_s = time.perf_counter() - t0
        build_times, render_times, sizes, cpu_times = [], [], [], []
        for _ in range(args.repeat):
            c0 = time.process_time()
            t0 = time.perf_counter()
            data = build_page_data(store, XUID, now=NOW)
            t1 = time.perf_counter()
            html = render_page(data)
            t2 = time.perf_counter()
            cpu_times.append(time.process_time() - c0)
            build_times.append(t1 - t0)
            render_times.append(t2 - t1)
            sizes.append(len(html.encode("utf-8")))
        t0 = time.perf_counter()
        stored = len(store.records_history(XUID, Scope()))
        history_s = time.perf_counter() - t0
        insight_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            read_insights(store, int(XUID))
            insight_times.append(time.perf_counter() - t0)
        csr_rows = len(store.csr_history(XUID))
        stored_matches = store.match_count(int(XUID))

    build_s = statistics.median(build_times)
    render_s = statistics.median(render_times)
    total = statistics.median(b + r for b, r in zip(build_times, render_times, strict=True))
    size_kb = sizes[-1] / 1024
    points = max(len(c.x) for c in data.charts)
    rows = [
        ("lifetime snapshots stored", f"{stored:,}"),
        ("CSR readings stored", f"{csr_rows:,}"),
        ("matches stored", f"{stored_matches:,} (page shows {len(data.recent_matches)})"),
        ("seed the store (once)", f"{seed_s:.2f} s"),
        ("read store + assemble (median)", f"{build_s * 1000:.0f} ms"),
        ("  of which records_history() alone", f"{history_s * 1000:.0f} ms (rows carry raw JSON)"),
        (
            "  of which the insight sections",
            f"{statistics.median(insight_times) * 1000:.0f} ms (last session: "
            f"{args.session or args.matches} matches)",
        ),
        ("render HTML (median)", f"{render_s * 1000:.0f} ms"),
        ("total (median)", f"{total * 1000:.0f} ms  (target < 1000 ms)"),
        ("total CPU time (median)", f"{statistics.median(cpu_times) * 1000:.0f} ms"),
        ("page size", f"{size_kb:.0f} KB  (target < 600 KB)"),
        ("most points in one chart", f"{points}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"render_s={total:.3f} size_kb={size_kb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
