"""Custom and local (LAN) games (issue 13): synced by history type, stored, and kept apart
from matchmade numbers; and the simulator's expected kills and deaths per mode.

Expected numbers come from the simulator's world: which of a player's matches are custom,
local or matchmade, and each one's stats tuple."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from halotrack.errors import ConfigError
from halotrack.simulator import Simulator, gen, start_simulator
from halotrack.simulator.catalog import COL
from halotrack.simulator.views import skill_result
from halotrack.simulator.world import SimPlayer, Slot, World
from halotrack.store import Store
from halotrack.store import site as site_q
from halotrack.usecases import insights as ins
from halotrack.usecases.matches import sync_player_matches
from halotrack.waypoint import Limits, WaypointClient

SKILL_URL = re.compile(r"/hi/matches/([0-9a-f-]+)/skill$")


@dataclass
class Env:
    sim: Simulator
    player: SimPlayer
    client: WaypointClient

    def ids(self, kind: str) -> set[str]:
        """The player's match ids of one history type, from the world."""
        world = self.sim.world
        return {
            s.match.match_id
            for s in world.slots(self.player)
            if kind == "all" or s.match.history_type == kind
        }

    def client_now(self) -> WaypointClient:
        """A client with fresh tokens (after the world's clock moved past the first ones)."""
        return WaypointClient(
            tokens=self.sim.issue_tokens(self.player.xuid),
            api_root=self.sim.base_url,
            limits=Limits.unlimited(concurrency=6),
            cache=False,
        )

    def slots(self, kind: str) -> list[Slot]:
        return [s for s in self.sim.world.slots(self.player) if s.match.history_type == kind]


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with start_simulator(seed=11, players=40, history_scale=0.5) as sim:
        world = sim.world
        mixed = []
        for p in world.players:
            kinds = Counter(s.match.history_type for s in world.slots(p))
            if kinds["custom"] >= 2 and kinds["local"] >= 2 and kinds["matchmaking"] >= 20:
                mixed.append((sum(kinds.values()), p.index))
        assert mixed, "no player of the world plays matchmade, custom and LAN games"
        p = world.players[min(mixed)[1]]
        env = Env(sim, p, None)  # type: ignore[arg-type]
        async with env.client_now() as client:
            env.client = client
            yield env


def totals(world: World, slots: list[Slot]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for s in slots:
        v = world.slot_vector(s)
        out.update(
            matches=1,
            wins=s.outcome == gen.WIN,
            kills=v[COL["core.Kills"]],
            deaths=v[COL["core.Deaths"]],
        )
    return {k: out[k] for k in ("matches", "wins", "kills", "deaths")}


def is_pve(s: Slot) -> bool:
    return s.match.variant.category == 42 or s.match.interaction == 2


@pytest.mark.slow
async def test_each_type_syncs_exactly_its_matches_and_keeps_its_own_state(
    env: Env, match_store: Store
) -> None:
    store, xuid = match_store, env.player.xuid
    custom = await sync_player_matches(env.client, store, xuid, history_type="custom")
    assert custom.complete and custom.history_type == "custom"
    assert store.player_match_ids(xuid) == env.ids("custom")
    # The skill service rates matchmade games only: never asked about these.
    asked = {m[1] for r in env.sim.requests(limit=20_000) if (m := SKILL_URL.search(r["path"]))}
    assert not asked and custom.skill_failed == 0
    local = await sync_player_matches(env.client, store, xuid, history_type="local")
    assert store.player_match_ids(xuid) == env.ids("custom") | env.ids("local")
    assert local.new_matches == len(env.ids("local"))
    # A matchmade sync after them is not stopped early by their newer matches.
    made = await sync_player_matches(env.client, store, xuid, history_type="matchmaking")
    assert made.new_matches == len(env.ids("matchmaking")) and made.complete
    assert store.player_match_ids(xuid) == env.ids("all")
    assert store.get_sync_state(xuid, "custom").complete
    assert store.get_sync_state(xuid).newest_match_id is None  # `all` never ran
    # New games of both kinds: each type's incremental sync takes only its own.
    world = env.sim.world
    new = env.sim.play(xuid, 40)
    kinds = Counter(world.find_match(m).history_type for m in new)  # type: ignore[union-attr]
    assert kinds["custom"] and kinds["matchmaking"]
    async with env.client_now() as client:
        again = await sync_player_matches(client, store, xuid, history_type="custom")
        assert again.new_matches == kinds["custom"]
        again = await sync_player_matches(client, store, xuid, history_type="matchmaking")
        assert again.new_matches == kinds["matchmaking"]
        everything = await sync_player_matches(client, store, xuid)
    assert everything.new_matches == kinds["local"] and everything.complete
    assert store.player_match_ids(xuid) == env.ids("all")
    assert store.match_count(xuid, "local") == len(env.ids("local"))


async def test_an_unknown_type_is_refused_before_anything_else() -> None:
    # No client and no store: the type is checked before either is touched.
    with pytest.raises(ConfigError, match="unknown match type 'lan'") as err:
        await sync_player_matches(None, None, 1, history_type="lan")  # type: ignore[arg-type]
    assert "matchmaking" in (err.value.hint or "")


@pytest.mark.slow
async def test_matchmade_numbers_leave_custom_and_local_games_out(
    env: Env, match_store: Store
) -> None:
    store, world, p = match_store, env.sim.world, env.player
    await sync_player_matches(env.client, store, p.xuid)
    made = env.slots("matchmaking")
    others = env.slots("custom") + env.slots("local")
    headline = ins.pvp_and_pve(store, str(p.xuid))
    pvp = headline["pvp"]
    want = totals(world, [s for s in made if not is_pve(s)])
    assert (pvp.matches, pvp.wins, pvp.kills, pvp.deaths) == tuple(want.values())
    apart = headline["custom"]
    assert (apart.matches, apart.kills) == (len(others), totals(world, others)["kills"])
    board = site_q.match_totals(store, [p.xuid], datetime(2000, 1, 1, tzinfo=UTC))
    got = board[p.xuid]
    # (the expectation columns are checked against the skill answers in test_site_insights)
    assert {k: getattr(got, k) for k in ("matches", "wins", "kills", "deaths")} == totals(
        world, made
    )
    rows = ins.breakdown(store, str(p.xuid), "mode")
    assert rows.total.matches == want["matches"]


@pytest.mark.slow
async def test_custom_games_are_listed_apart(
    env: Env, match_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from halotrack.cli import main

    store, p = match_store, env.player
    await sync_player_matches(env.client, store, p.xuid)
    url = store.engine.url.render_as_string(hide_password=False)
    for kind in ("custom", "local"):
        args = ["--db", url, "matches", str(p.xuid), "--type", kind, "-n", "500", "--json"]
        code = await asyncio.to_thread(main, args)
        out, err = capsys.readouterr()
        assert code == 0, err
        rows = json.loads(out)
        assert {r["match_id"] for r in rows} == env.ids(kind)
        assert {r["type"] for r in rows} == {kind}
        assert all(r["csr_pre"] is None and r["performance"] is None for r in rows)
    assert await asyncio.to_thread(main, ["--db", url, "matches", str(p.xuid), "--type", "lan"])
    _, err = capsys.readouterr()
    assert "unknown match type 'lan'" in err and len(err.strip().splitlines()) <= 2


# ---------------------------------------------------------------- the simulator's expectations


def _minutes(text: str) -> float:
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    assert m is not None, text
    h, mi, sec = m.groups()
    return int(h or 0) * 60 + int(mi or 0) + float(sec or 0) / 60


def _real_rates(real_dir: Path) -> dict[int, tuple[float, float]]:
    """Per game variant category of the recorded matchmade matches: kills and deaths per
    player-minute played."""
    out = {}
    for path in sorted((real_dir / "match-stats").glob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        info = doc["MatchInfo"]
        if info["LifecycleMode"] != 3:
            continue  # custom games against a few bots say little of a real lobby
        kills = deaths = minutes = 0.0
        for player in doc["Players"]:
            core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
            kills += core["Kills"]
            deaths += core["Deaths"]
            minutes += _minutes(player["ParticipationInfo"]["TimePlayed"])
        out[info["GameVariantCategory"]] = (kills / minutes, deaths / minutes)
    return out


@pytest.fixture(scope="module")
def expectations() -> dict[int, list[tuple[float, float, int, int, float]]]:
    """Per category: (expected kills, expected deaths, kills, deaths, minutes played) of
    every matchmade match of a small world's players."""
    world = World(seed=5, players=30)
    out: dict[int, list[tuple[float, float, int, int, float]]] = defaultdict(list)
    for p in world.players:
        for s in world.slots(p):
            if s.match.history_type != "matchmaking":
                continue
            perf = skill_result(world, s)["Result"]["StatPerformances"]
            v = world.slot_vector(s)
            out[s.match.variant.category].append(
                (
                    perf["Kills"]["Expected"],
                    perf["Deaths"]["Expected"],
                    perf["Kills"]["Count"],
                    perf["Deaths"]["Count"],
                    v[COL["_time"]] / (60 * 10_000_000),
                )
            )
    return out


@pytest.mark.slow
def test_expected_kills_per_mode_are_near_real_matches(
    real_dir: Path, expectations: dict[int, list[tuple[float, float, int, int, float]]]
) -> None:
    real = _real_rates(real_dir)
    assert {6, 42}.issubset(real)  # Slayer and Firefight at least: the two extremes
    for category, (kills, deaths) in real.items():
        rows = expectations[category]
        assert len(rows) >= 20, f"category {category}: too few simulated matches"
        minutes = sum(r[4] for r in rows)
        sim_kills = sum(r[0] for r in rows) / minutes
        sim_deaths = sum(r[1] for r in rows) / minutes
        assert 0.5 <= sim_kills / kills <= 2, (category, sim_kills, kills)
        assert 0.5 <= sim_deaths / deaths <= 2, (category, sim_deaths, deaths)


@pytest.mark.slow
def test_expectations_follow_the_mode_and_the_match_length(
    expectations: dict[int, list[tuple[float, float, int, int, float]]],
) -> None:
    for category, rows in expectations.items():
        if len(rows) < 50:
            continue
        expected = sum(r[0] for r in rows), sum(r[1] for r in rows)
        actual = sum(r[2] for r in rows), sum(r[3] for r in rows)
        for want, got in zip(expected, actual, strict=True):
            assert abs(want - got) <= 0.15 * max(got, 20), (category, want, got)
    # Where the clock, not a score limit, ends the match (Strongholds), a longer match
    # expects more kills.
    zones = sorted(expectations[11], key=lambda r: r[4])
    half = len(zones) // 2
    assert sum(r[0] for r in zones[half:]) > 1.3 * sum(r[0] for r in zones[:half])
