"""Sessions, mates and `vs` keep custom and local (LAN) games apart from matchmade ones
(issue 13). A small world's LAN player plays one evening of matchmade, custom and LAN games
back to back; every number is checked against what the world generated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_insights import (
    Data,
    _shared,
    cli,
    data,
    evenings,
    fields,
    fits,
    is_pve,
    match_store,
    narrow,
    pvp,
    session_truth,
    stored,
    truth_totals,
)

from halotrack.simulator.views import skill_result
from halotrack.simulator.world import SimPlayer, Slot, World
from halotrack.store import Store
from halotrack.usecases import insights as ins

__all__ = ["data", "match_store", "narrow"]  # fixtures this module shares with test_insights


def lan_player(world: World) -> SimPlayer:
    return next(p for p in world.players if world.lan_lifecycle(p) is not None)


@pytest.fixture(scope="module")
def world_data() -> Data:
    """Overrides test_insights' world: the LAN player's evening, after a long break, lasts
    until it holds a custom and a LAN game (seed 6: ten games)."""
    world = World(seed=6, players=6, history_scale=0.1)
    for p in world.players:
        world.history(p)
    p = lan_player(world)
    world.clock.advance(6)
    while not {"custom", "local"} <= {s.match.history_type for s in p.live}:
        assert len(p.live) < 40, "the LAN player played no custom and LAN game in 40"
        world.play(p.xuid, 1)
    return stored(world)


def evening(world: World) -> dict[str, list[Slot]]:
    """History type -> the LAN player's games of the evening (every live game)."""
    out: dict[str, list[Slot]] = {"matchmaking": [], "custom": [], "local": []}
    for s in lan_player(world).live:
        out[s.match.history_type].append(s)
    return out


def indexed(world: World, slots: list[Slot]) -> int:
    """How many of these games the skill answer gives a performance index (both spreads)."""
    n = 0
    for s in slots:
        sp = skill_result(world, s)["Result"].get("StatPerformances") or {}
        n += bool(sp and sp["Kills"]["StdDev"] and sp["Deaths"]["StdDev"])
    return n


def test_a_session_counts_matchmade_games_and_shows_custom_and_lan_apart(
    data: Data, match_store: Store
) -> None:
    world = data.world
    p = lan_player(world)
    games = evening(world)
    made = games["matchmaking"]
    [got] = ins.sessions(match_store, p.gamertag, last=1)
    assert (got.start, got.end) == session_truth(world, p)[0][::2]  # the whole evening
    assert got.matches == len(made)
    assert fields(got.pvp) == truth_totals(world, [s for s in made if pvp(s.match)])
    assert fields(got.pve) == truth_totals(world, [s for s in made if is_pve(s.match)])
    assert fields(got.custom) == truth_totals(world, games["custom"])
    assert fields(got.local) == truth_totals(world, games["local"])
    names = {s.match.playlist.asset.name for s in made if s.match.playlist}
    assert {r.playlist for r in got.playlists} == names
    shooters = [s for s in made if pvp(s.match)]  # the best and the index are PvP's
    assert got.best is not None and got.best.match_id in {s.match.match_id for s in shooters}
    assert got.indexed_matches == indexed(world, shooters)
    doc = got.as_dict()
    made_all = fields(got.pvp + got.pve)
    assert {k: doc[k] for k in ("matches", "wins", "losses")} == {
        k: made_all.get(k, 0) for k in ("matches", "wins", "losses")
    }
    assert doc["custom"]["matches"] == len(games["custom"])
    assert doc["local"]["matches"] == len(games["local"])


def test_custom_or_lan_games_alone_make_no_session(data: Data, match_store: Store) -> None:
    world = data.world
    p = lan_player(world)
    got = ins.session_bounds(match_store, p.xuid, last=10_000)
    assert got == session_truth(world, p)
    # The history holds evenings of custom or LAN games alone: the rule is exercised.
    assert any(all(s.match.lifecycle != 3 for s in e) for e in evenings(world, p))


def _mates(got: ins.Mates) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    def rows(ms: list[ins.Mate]) -> dict[int, tuple[int, int]]:
        return {m.xuid: (m.totals.matches, m.totals.wins) for m in ms}

    return rows(got.teammates), rows(got.opponents)


def _want(shared: dict[int, Any]) -> tuple[dict[int, tuple[int, int]], ...]:
    return tuple(
        {x: (c[i]["matches"], c[i]["wins"]) for x, c in shared.items() if c[i]["matches"]}
        for i in (0, 1)
    )


def test_mates_come_from_matchmade_rosters_unless_asked(data: Data, match_store: Store) -> None:
    world = data.world
    p = lan_player(world)
    got = ins.mates(match_store, p.gamertag, limit=10_000)
    assert _mates(got) == _want(_shared(world, p, "matchmaking", everyone=True))
    for kind in ("custom", "local", "all"):
        got = ins.mates(match_store, p.gamertag, limit=10_000, kind=kind)
        assert _mates(got) == _want(_shared(world, p, kind, everyone=True)), kind


def test_vs_lists_every_kind_and_its_record_counts_matchmade_games(
    data: Data, match_store: Store
) -> None:
    world = data.world
    p = lan_player(world)
    for kind, slots in evening(world).items():
        if kind == "matchmaking":
            continue
        s = slots[0]
        other = next(o for o in world.roster(s.match) if not o.bot and o.xuid not in (None, p.xuid))
        vs = ins.versus(match_store, p.gamertag, str(other.xuid))
        assert [(m.match_id, m.type) for m in vs.matches] == [(s.match.match_id, kind)]
        assert vs.record_type == "matchmaking"
        assert vs.together.matches + vs.against.matches == 0
        asked = ins.versus(match_store, p.gamertag, str(other.xuid), kind=kind)
        record = asked.together if other.team == s.team else asked.against
        assert fields(record) == truth_totals(world, [s])


def test_mates_session_and_vs_commands(
    data: Data, match_store: Store, capsys: pytest.CaptureFixture[str], narrow: int
) -> None:
    world = data.world
    p = lan_player(world)
    games = evening(world)
    out, _ = cli(capsys, match_store, "session", p.gamertag, "--json")
    doc = json.loads(out)["sessions"][0]
    assert doc["matches"] == len(games["matchmaking"])
    assert doc["custom"]["matches"] == len(games["custom"])
    text, _ = cli(capsys, match_store, "session", p.gamertag)
    assert fits(text) and "Custom games" in text and "Local (LAN) games" in text
    out, _ = cli(capsys, match_store, "mates", p.gamertag, "--type", "local", "--json")
    lib = ins.mates(match_store, p.gamertag, kind="local")
    assert json.loads(out) == json.loads(json.dumps(lib.as_dict()))
    s = games["local"][0]
    guest = next(o for o in world.roster(s.match) if not o.bot and o.xuid not in (None, p.xuid))
    text, _ = cli(capsys, match_store, "vs", p.gamertag, str(guest.xuid))
    assert fits(text) and "LAN" in text and "record over matchmade games" in text
    _, err = cli(capsys, match_store, "mates", p.gamertag, "--type", "lan", code=2)
    assert "unknown match type 'lan'" in err and len(err.strip().splitlines()) == 1
