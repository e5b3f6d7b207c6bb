"""The demo: a simulated world, a watch list, weeks of tracking in seconds, pages and a diff.

Why: the README's first command must show what halotrack does with no account and no
network. Everything runs in-process against the simulator on loopback; time is simulated,
so six weeks of play are tracked in a few seconds and every snapshot carries simulated
time (history and diff read naturally).
"""

from __future__ import annotations

import importlib
import random
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from halotrack.config import config_dir
from halotrack.errors import HaloTrackError
from halotrack.models.names import load_personal_scores
from halotrack.report import build_page_data, write_page
from halotrack.report.build import METADATA_CAREER_TRACK, dumps_sprite
from halotrack.simulator import SimPlayer, Simulator, start_simulator
from halotrack.store import Store, open_store, to_thread
from halotrack.store import history as hist
from halotrack.usecases.cycle import CycleReport, Tracker
from halotrack.usecases.metadata import StoreEtagCache
from halotrack.usecases.notify import SendReport, Target, check_url, send_pending
from halotrack.usecases.watch import add_players
from halotrack.waypoint import Limits, WaypointClient
from halotrack.wiring.notify import AppriseSender
from halotrack.wiring.simtokens import SimulatorTokens

Say = Callable[[str], None]


@dataclass
class DemoResult:
    """What the demo made, for the command to print and tests to check."""

    database: Path
    pages: dict[str, Path] = field(default_factory=dict)
    players: list[str] = field(default_factory=list)
    diff_player: str = ""
    diff_lines: list[str] = field(default_factory=list)
    cycles: list[CycleReport] = field(default_factory=list)
    simulated_days: float = 0.0
    midpoint: str = ""
    wall_seconds: float = 0.0
    notified: SendReport | None = None

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.cycles)


def pick_players(sim: Simulator, n: int) -> list[SimPlayer]:
    """`n` players who play (daily or casual), including one whose gamertag has non-ASCII
    letters and one with a space, so the demo exercises escaping end to end."""
    active = [p for p in sim.world.players if p.activity != "idle"]
    chosen: list[SimPlayer] = []
    tests: tuple[Callable[[str], bool], ...] = (lambda t: not t.isascii(), lambda t: " " in t)
    for test in tests:
        hit = next((p for p in active if test(p.gamertag) and p not in chosen), None)
        if hit is not None:
            chosen.append(hit)
    daily = [p for p in active if p.activity == "daily" and p not in chosen]
    casual = [p for p in active if p.activity == "casual" and p not in chosen]
    for p in daily + casual:
        if len(chosen) >= n:
            break
        chosen.append(p)
    return chosen[:n]


def _slug(text: str) -> str:
    """A file-name-safe form of a gamertag: accents folded (`Jörmungandr` -> `jormungandr`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "player"


async def _enrich(client: WaypointClient, store: Store, sim: Simulator, xuids: list[int]) -> None:
    """Files only the page uses (season names, career rank, medal sprites): the tracker
    itself never spends requests on them."""
    now = sim.clock.now()
    puts: list[tuple[str, str, bytes | str]] = []
    try:
        calendar = await client.gamecms.season_calendar()
        for s in calendar.seasons:
            if s.season_metadata:
                doc = await client.gamecms.season_metadata(s.season_metadata)
                puts.append(("gamecms", f"/hi/Progression/file/{s.season_metadata}", doc.raw_bytes))
        track = await client.gamecms.career_rank_track()
        puts.append((*METADATA_CAREER_TRACK, track.raw_bytes))
        for x in xuids:
            progress = await client.economy.career_rank_progress(x)
            puts.append(("career_rank", str(x), progress.raw_bytes))
        medals = await client.gamecms.medal_metadata()
        sheet = medals.sprite_sheet()
        if sheet is not None:
            png = await client.gamecms.image(sheet.path)
            puts.append(("image", sheet.path, dumps_sprite(png)))
    except HaloTrackError:
        pass  # the page falls back to dates and text badges

    def write() -> None:
        with store.transaction() as tx:
            for kind, key, body in puts:
                tx.put_metadata(kind, key, body, fetched_at=now)

    await to_thread(write)


async def run_demo(
    out: Path,
    *,
    players: int = 6,
    weeks: float = 6.0,
    seed: int = 7,
    world_players: int = 30,
    say: Say = print,
    notify: str | None = None,
) -> DemoResult:
    """Run the demo into `out` (created; a previous demo database there is replaced);
    `notify`: an apprise URL that gets the demo's events (it is not kept anywhere)."""
    wall0 = time.perf_counter()
    sender = AppriseSender() if notify else None
    if notify and sender:
        check_url(sender, notify)
    db = await to_thread(_fresh_database, out)
    result = DemoResult(database=db)
    rng = random.Random(seed)
    async with start_simulator(seed=seed, players=world_players, history_scale=0.4) as sim:
        watched = pick_players(sim, max(1, players))
        result.players = [p.gamertag for p in watched]
        say(f"simulator on {sim.base_url}: {world_players} simulated players, no network")
        with open_store(f"sqlite:///{db}") as store:
            tokens = SimulatorTokens(sim, watched[0].xuid)
            async with WaypointClient(
                tokens=tokens,
                api_root=sim.base_url,
                limits=Limits.unlimited(concurrency=16),
                cache=StoreEtagCache(store),
            ) as client:
                matches = _match_sync_available()
                tags = [p.gamertag for p in watched]
                await add_players(client, store, tags, clock=sim.clock.now)
                note = ""
                if matches:
                    # Match sync backfills a whole history: one player with a short one
                    # keeps the demo quick and still fills the page's recent matches.
                    keen = min(
                        watched,
                        key=lambda p: (len(sim.world.history(p)) < 30, len(sim.world.history(p))),
                    )
                    await add_players(
                        client, store, [keen.gamertag], matches=True, clock=sim.clock.now
                    )
                    note = f" (and {keen.gamertag}'s matches)"
                say("watching: " + ", ".join(tags) + note)
                tracker = Tracker(client, store, clock=sim.clock.now)
                result.cycles.append(await tracker.run_cycle())
                elapsed = 0.0
                total = weeks * 7 * 24
                while elapsed < total:
                    step = min(total - elapsed, rng.choice((24, 36, 48, 72)))
                    await sim.advance(step)
                    elapsed += step
                    result.cycles.append(await tracker.run_cycle())
                result.simulated_days = elapsed / 24
                mid = result.cycles[len(result.cycles) // 2].started_at
                result.midpoint = mid.strftime("%Y-%m-%d")
                await _enrich(client, store, sim, [p.xuid for p in watched])
            say(
                f"tracked {len(result.cycles)} cycles over {result.simulated_days:.0f} "
                f"simulated days: {result.requests} requests, "
                f"{sum(c.records_created for c in result.cycles)} record snapshots, "
                f"{sum(c.csr_created for c in result.cycles)} CSR snapshots"
            )
            scores = load_personal_scores(config_dir() / "personal_scores.json")
            busiest = max(watched, key=lambda p: len(p.live))
            with store.reader() as tx:
                player = hist.resolve_player(tx, str(busiest.xuid))
                diff = hist.compute_diff(
                    tx, player, score_name=scores.name, score_points=scores.points
                )
            result.diff_player = busiest.gamertag
            result.diff_lines = diff.lines
            now = sim.clock.now()
            for p in watched:
                data = build_page_data(store, p.xuid, now=now)
                path = out / f"{_slug(p.gamertag)}-{p.xuid}.html"
                write_page(data, path)
                result.pages[p.gamertag] = path
            if notify and sender:
                target = Target(id="demo", url=notify)  # every event of the demo
                result.notified = await to_thread(send_pending, store, sender, targets=[target])
    result.wall_seconds = time.perf_counter() - wall0
    return result


def _fresh_database(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "halotrack.sqlite"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    return db


def _match_sync_available() -> bool:
    try:
        module = importlib.import_module("halotrack.usecases.matches")
    except ImportError:
        return False
    return hasattr(module, "sync_player_matches")
