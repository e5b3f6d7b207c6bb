"""The simulator's numbers agree with themselves, checked through HTTP like a client would.

A service record must equal the sum of the player's match stats in scope; CSR from `/csrs`
must equal the last ranked match's `/skill` post-match CSR; paging must cover every match.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from halotrack.simulator import Filters, World
from halotrack.simulator.catalog import COL, MODES

_DUR = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,7}))?S)?)?$")


def ticks(text: str) -> int:
    m = _DUR.match(text)
    assert m, text
    d, h, mi, s, frac = m.groups()
    seconds = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + int(s or 0)
    return seconds * 10_000_000 + int((frac or "").ljust(7, "0"))


async def all_matches(client: Any, xuid: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        status, page = await client.get(
            "stats", f"/hi/players/xuid({xuid})/matches", {"start": start, "count": 25}
        )
        assert status == 200
        out += page["Results"]
        if page["ResultCount"] < 25:
            return out
        start += 25


def expected_record(stats: list[dict[str, Any]], xuid: int) -> dict[str, Any]:
    """Sum the player's per-match numbers the way a service record should."""
    core: Counter[str] = Counter()
    medals: Counter[int] = Counter()
    scores: Counter[int] = Counter()
    score_pts: Counter[int] = Counter()
    modes: dict[str, Counter[str]] = {}
    outcome: Counter[int] = Counter()
    time = 0
    spree = 0
    for doc in stats:
        me = next(p for p in doc["Players"] if p["PlayerId"] == f"xuid({xuid})")
        outcome[me["Outcome"]] += 1
        time += ticks(me["ParticipationInfo"]["TimePlayed"])
        for team in me["PlayerTeamStats"]:
            c = team["Stats"]["CoreStats"]
            for k, v in c.items():
                if isinstance(v, int) and not isinstance(v, bool) and k != "MaxKillingSpree":
                    core[k] += v
            spree = max(spree, c["MaxKillingSpree"])
            for m in c["Medals"]:
                medals[m["NameId"]] += m["Count"]
            for s in c["PersonalScores"]:
                scores[s["NameId"]] += s["Count"]
                score_pts[s["NameId"]] += s["TotalPersonalScoreAwarded"]
            for block, values in team["Stats"].items():
                if block == "CoreStats":
                    continue
                acc = modes.setdefault(block, Counter())
                for k, v in values.items():
                    if isinstance(v, str):
                        acc[k] += ticks(v)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        acc[k] += v
    return {
        "core": core,
        "spree": spree,
        "medals": medals,
        "scores": scores,
        "score_pts": score_pts,
        "modes": modes,
        "outcome": outcome,
        "time": time,
        "n": len(stats),
    }


def assert_record_matches(record: dict[str, Any], exp: dict[str, Any]) -> None:
    assert record["MatchesCompleted"] == exp["n"]
    assert record["Wins"] == exp["outcome"][2]
    assert record["Losses"] == exp["outcome"][3]
    assert record["Ties"] == exp["outcome"][1]
    assert ticks(record["TimePlayed"]) == exp["time"]
    core = record["CoreStats"]
    for key in ("Kills", "Deaths", "Assists", "Score", "PersonalScore", "ShotsFired", "ShotsHit"):
        assert core[key] == exp["core"][key], key
    for key in ("HeadshotKills", "DamageDealt", "CalloutAssists", "Spawns", "RoundsWon"):
        assert core[key] == exp["core"][key], key
    assert core["MaxKillingSpree"] == exp["spree"]
    assert {m["NameId"]: m["Count"] for m in core["Medals"]} == dict(+exp["medals"])
    assert {s["NameId"]: s["Count"] for s in core["PersonalScores"]} == dict(+exp["scores"])
    assert core["PersonalScore"] == sum(
        s["TotalPersonalScoreAwarded"] for s in core["PersonalScores"]
    )
    kda = (exp["core"]["Kills"] + exp["core"]["Assists"] / 3 - exp["core"]["Deaths"]) / exp["n"]
    assert abs(core["AverageKDA"] - kda) < 1e-9
    # Mode blocks: the record's Zone* are the matches' Stronghold*.
    for mode in MODES.values():
        if mode.record_key is None or mode.match_key not in exp["modes"]:
            continue
        got = record[mode.record_key]
        for rec_name, match_name, kind in mode.fields:
            if kind in ("max", "maxdur"):
                continue
            value = got[rec_name]
            total = ticks(value) if isinstance(value, str) else value
            assert total == exp["modes"][mode.match_key][match_name], (mode.record_key, rec_name)


def moderate_players(world: World, n: int = 3) -> list[Any]:
    picked = [p for p in world.players if 15 <= len(world.history(p)) <= 90]
    return picked[:n]


async def stats_of(client: Any, ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for mid in ids:
        status, doc = await client.get("stats", f"/hi/matches/{mid}/stats")
        assert status == 200
        out.append(doc)
    return out


@pytest.mark.slow
async def test_records_equal_sum_of_matches(simulator, sim_client) -> None:
    world = simulator.world
    players = moderate_players(world)
    assert len(players) == 3
    for p in players:
        simulator.play(p.xuid, 3)  # live matches count too
        history = await all_matches(sim_client, p.xuid)
        matchmade = [h for h in history if h["MatchInfo"]["LifecycleMode"] == 3]
        docs = await stats_of(sim_client, [h["MatchId"] for h in matchmade])
        base = f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord"

        _, lifetime = await sim_client.get("stats", base)
        assert_record_matches(lifetime, expected_record(docs, p.xuid))
        assert lifetime == world.expected_record(p.xuid)

        season = docs[0]["MatchInfo"]["SeasonId"]  # newest match: current season (>= 5)
        in_season = [d for d in docs if d["MatchInfo"]["SeasonId"] == season]
        _, rec = await sim_client.get("stats", base, {"seasonId": season})
        assert_record_matches(rec, expected_record(in_season, p.xuid))
        assert rec["Subqueries"]["SeasonIds"] == [season]

        category = docs[-1]["MatchInfo"]["GameVariantCategory"]
        of_mode = [d for d in docs if d["MatchInfo"]["GameVariantCategory"] == category]
        _, rec = await sim_client.get("stats", base, {"gameVariantCategory": category})
        assert_record_matches(rec, expected_record(of_mode, p.xuid))

        ranked_ids = {pl.asset.asset_id for pl in world.playlists if pl.ranked}
        unranked = [d for d in docs if d["MatchInfo"]["Playlist"]["AssetId"] not in ranked_ids]
        _, rec = await sim_client.get("stats", base, {"isRanked": "false"})
        assert_record_matches(rec, expected_record(unranked, p.xuid))

        pvp = [d for d in docs if d["MatchInfo"]["GameplayInteraction"] == 1]
        _, rec = await sim_client.get("stats", base, {"gameplayInteraction": 1})
        assert_record_matches(rec, expected_record(pvp, p.xuid))


@pytest.mark.slow
async def test_playlist_filter_and_custom_record(simulator, sim_client) -> None:
    world = simulator.world
    p = moderate_players(world, 1)[0]
    history = await all_matches(sim_client, p.xuid)
    matchmade = [h for h in history if h["MatchInfo"]["LifecycleMode"] == 3]
    playlist = matchmade[0]["MatchInfo"]["Playlist"]["AssetId"]
    ids = [h["MatchId"] for h in matchmade if h["MatchInfo"]["Playlist"]["AssetId"] == playlist]
    docs = await stats_of(sim_client, ids)
    _, rec = await sim_client.get(
        "stats",
        f"/hi/players/xuid({p.xuid})/Matchmade/servicerecord",
        {"playlistAssetId": playlist},
    )
    assert_record_matches(rec, expected_record(docs, p.xuid))
    custom_ids = [h["MatchId"] for h in history if h["MatchInfo"]["LifecycleMode"] == 1]
    _, rec = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/Custom/servicerecord")
    if custom_ids:
        assert_record_matches(rec, expected_record(await stats_of(sim_client, custom_ids), p.xuid))
    else:
        assert rec["MatchesCompleted"] == 0


def test_world_truth_matches_aggregate_api() -> None:
    world = World(seed=11, players=20)
    p = next(p for p in world.players if world.history(p))
    agg = world.aggregate(p, Filters())
    assert agg is not None
    totals, matches = agg
    assert len(matches) == sum(1 for m in world.matches_of(p) if m.lifecycle == 3)
    kills = COL["core.Kills"]
    mine = [s for s in world.slots(p) if s.match.lifecycle == 3]
    assert totals[kills] == sum(world.slot_vector(s)[kills] for s in mine)


@pytest.mark.slow
async def test_personal_scores_follow_stats(simulator, sim_client) -> None:
    """Killed Player counts Kills, Kill Assist counts Assists, Flag Captured counts captures:
    what a later 'infer personal score names' feature will rely on."""
    world = simulator.world
    seen_ctf = False
    for p in world.players[:15]:
        for s in world.history(p)[:40]:
            _, doc = await sim_client.get("stats", f"/hi/matches/{s.match.match_id}/stats")
            me = next(x for x in doc["Players"] if x["PlayerId"] == p.player_id)
            stats = me["PlayerTeamStats"][0]["Stats"]
            core = stats["CoreStats"]
            ps = {x["NameId"]: x for x in core["PersonalScores"]}
            assert ps.get(1024030246, {"Count": 0})["Count"] == core["Kills"]
            assert ps.get(638246808, {"Count": 0})["Count"] == core["Assists"]
            for x in ps.values():
                if x["NameId"] == 1024030246:
                    assert x["TotalPersonalScoreAwarded"] == 100 * x["Count"]
            assert core["PersonalScore"] == sum(
                x["TotalPersonalScoreAwarded"] for x in core["PersonalScores"]
            )
            if "CaptureTheFlagStats" in stats:
                seen_ctf = True
                caps = stats["CaptureTheFlagStats"]["FlagCaptures"]
                assert ps.get(601966503, {"Count": 0})["Count"] == caps
    assert seen_ctf


async def test_csr_agrees_with_skill_and_evolves(simulator, sim_client) -> None:
    world = simulator.world
    ranked = [pl for pl in world.playlists if pl.ranked]
    p = max(world.players, key=lambda x: (x.activity == "daily", x.skill))
    before = await _check_csr(simulator, sim_client, p, ranked[0])
    # Play until at least a few more ranked matches happened in that playlist.
    for _ in range(20):
        simulator.play(p.xuid, 5)
        slots = [s for s in world.slots(p) if s.match.playlist is ranked[0]]
        if len(slots) >= before + 3:
            break
    sim_client.tokens = simulator.issue_tokens(p.xuid)  # playing moved the clock past expiry
    after = await _check_csr(simulator, sim_client, p, ranked[0])
    assert after > before


async def _check_csr(simulator, sim_client, p, playlist) -> int:  # type: ignore[no-untyped-def]
    world = simulator.world
    slots = [s for s in world.slots(p) if s.match.playlist is playlist]
    assert slots, "player has no ranked matches"
    last = slots[-1]
    season = last.match.season.csr_path.rsplit("/", 1)[-1].removesuffix(".json")
    status, skill = await sim_client.get(
        "skill", f"/hi/matches/{last.match.match_id}/skill", {"players": p.player_id}
    )
    assert status == 200
    post = skill["Value"][0]["Result"]["RankRecap"]["PostMatchCsr"]
    _, csrs = await sim_client.get(
        "skill",
        f"/hi/playlist/{playlist.asset.asset_id}/csrs",
        {"players": p.player_id, "season": season},
    )
    current = csrs["Value"][0]["Result"]["Current"]
    assert current == post
    # Consecutive ranked matches in one season chain: pre of one is post of the previous.
    same = [s for s in slots if s.match.season is last.match.season][-4:]
    posts = []
    for s in same:
        _, sk = await sim_client.get(
            "skill", f"/hi/matches/{s.match.match_id}/skill", {"players": p.player_id}
        )
        recap = sk["Value"][0]["Result"]["RankRecap"]
        if posts:
            assert recap["PreMatchCsr"] == posts[-1]
        posts.append(recap["PostMatchCsr"])
    return len(slots)


async def test_paging_covers_every_match_newest_first(simulator, sim_client) -> None:
    p = next(p for p in simulator.world.players if len(simulator.world.history(p)) > 60)
    history = await all_matches(sim_client, p.xuid)
    _, count = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/matches/count")
    assert len(history) == count["MatchesPlayedCount"]
    assert len({h["MatchId"] for h in history}) == len(history)
    starts = [h["MatchInfo"]["StartTime"] for h in history]
    assert starts == sorted(starts, reverse=True)
    _, page = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/matches", {"count": 100})
    assert page["Count"] == 25 and page["ResultCount"] == 25
    custom = 0
    start = 0
    while True:
        _, pg = await sim_client.get(
            "stats",
            f"/hi/players/xuid({p.xuid})/matches",
            {"type": "custom", "start": start, "count": 25},
        )
        custom += pg["ResultCount"]
        if pg["ResultCount"] < 25:
            break
        start += 25
    assert custom == count["CustomMatchesPlayedCount"]
    local = count["LocalMatchesPlayedCount"]
    assert count["MatchmadeMatchesPlayedCount"] + custom + local == count["MatchesPlayedCount"]
    # A new match shows up first, and the count follows.
    new = simulator.play(p.xuid, 1)
    _, page = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/matches", {"count": 1})
    assert page["Results"][0]["MatchId"] == new[0]
    _, count2 = await sim_client.get("stats", f"/hi/players/xuid({p.xuid})/matches/count")
    assert count2["MatchesPlayedCount"] == count["MatchesPlayedCount"] + 1


async def test_bots_in_bootcamp_and_skill_rejects_bots(simulator, sim_client) -> None:
    world = simulator.world
    boot = next(pl for pl in world.playlists if pl.spec.bots)
    match = next(
        s.match for p in world.players for s in world.history(p) if s.match.playlist is boot
    )
    _, doc = await sim_client.get("stats", f"/hi/matches/{match.match_id}/stats")
    bots = [x for x in doc["Players"] if x["PlayerId"].startswith("bid(")]
    assert bots and all(b["PlayerType"] == 2 and b["BotAttributes"] for b in bots)
    status, _ = await sim_client.get(
        "skill", f"/hi/matches/{match.match_id}/skill", {"players": bots[0]["PlayerId"]}
    )
    assert status == 400


@pytest.mark.slow
def test_advance_plays_matches_and_moves_clock() -> None:
    world = World(seed=3, players=40)
    start = world.clock.now()
    n = world.advance(24)
    assert n > 0
    assert (world.clock.now() - start).total_seconds() == 24 * 3600
    idle = [p for p in world.players if p.activity == "idle"]
    assert all(not p.live for p in idle)
    active = [p for p in world.players if p.live]
    for p in active:
        times = [s.match.start_ms for s in world.slots(p)]
        assert times == sorted(times)
    n2 = world.advance(24, active_fraction=0.1)
    assert n2 > 0


def test_lazy_world_starts_without_histories() -> None:
    world = World(seed=7, players=10_000)
    assert len(world.players) == 10_000
    assert all(p.history is None for p in world.players)
    tags = [p.gamertag for p in world.players]
    assert len({t.lower() for t in tags}) == len(tags)
    assert any(" " in t for t in tags)
    assert any(not t.isascii() for t in tags)
    assert any(len(t) == 15 for t in tags)
    assert all(len(str(p.xuid)) == 16 for p in world.players)
    assert {p.activity for p in world.players} == {"idle", "casual", "daily"}


def test_same_seed_same_world() -> None:
    from halotrack.simulator.views import match_stats, service_record

    a, b, c = World(seed=5, players=30), World(seed=5, players=30), World(seed=6, players=30)
    assert a.player_list() == b.player_list()
    assert a.player_list() != c.player_list()
    for i in (0, 7, 19):
        pa, pb = a.players[i], b.players[i]
        assert service_record(a, pa, Filters()) == service_record(b, pb, Filters())
        ma, mb = a.matches_of(pa), b.matches_of(pb)
        assert [m.match_id for m in ma] == [m.match_id for m in mb]
        if ma:
            assert match_stats(a, ma[0]) == match_stats(b, mb[0])
    assert a.advance(12) == b.advance(12)
    assert sorted(a.live_matches) == sorted(b.live_matches)


@pytest.mark.slow
def test_rosters_are_complete_deterministic_and_ranked() -> None:
    a, b = World(seed=9, players=15), World(seed=9, players=15)
    for pa, pb in zip(a.players, b.players, strict=True):
        for sa, sb in zip(a.history(pa)[:30], b.history(pb)[:30], strict=True):
            ra, rb = a.roster(sa.match), b.roster(sb.match)
            assert [(s.player_id, s.team, s.outcome, s.rank) for s in ra] == [
                (s.player_id, s.team, s.outcome, s.rank) for s in rb
            ]
            assert sorted(s.rank for s in ra) == list(range(1, len(ra) + 1))
            assert ra[0] is sa  # the world player's own slot is kept, not regenerated
