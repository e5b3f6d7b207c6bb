"""Match tables on SQLite and PostgreSQL: rows from real match samples, store-once, queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from halotrack.models import MatchSkill, MatchStats, decode
from halotrack.store import Store
from halotrack.store import matches as sm

REAL = Path(__file__).parents[1] / "data" / "real"
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _stats(name: str) -> MatchStats:
    data = (REAL / "match-stats" / f"{name}.json").read_bytes()
    return decode("match-stats", data)  # type: ignore[no-any-return]


def _skill() -> MatchSkill:
    data = (REAL / "match-skill" / "match-skill-one-player.json").read_bytes()
    return decode("match-skill", data)  # type: ignore[no-any-return]


def test_rows_from_a_real_ctf_match_match_its_json() -> None:
    stats = _stats("ctf-2025")
    raw = json.loads(stats.raw_bytes)
    rows = sm.match_rows(stats, None, fetched_at=NOW)
    assert rows.match_id == raw["MatchId"].lower()
    assert len(rows.players) == len(raw["Players"]) == 8
    first = raw["Players"][0]
    core = first["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    row = next(r for r in rows.players if r["player_id"] == first["PlayerId"])
    assert (row["kills"], row["deaths"], row["assists"]) == (
        core["Kills"],
        core["Deaths"],
        core["Assists"],
    )
    assert row["personal_score"] == core["PersonalScore"]
    assert row["medal_count"] == sum(m["Count"] for m in core["Medals"])
    assert row["xuid"] == int(first["PlayerId"][5:-1])
    ps = {r["name_id"]: r for r in rows.personal_scores if r["player_id"] == first["PlayerId"]}
    assert ps[1024030246]["count"] == core["Kills"]
    assert ps[1024030246]["total_points"] == 100 * core["Kills"]
    assert {t["team_id"] for t in rows.teams} == {0, 1}
    assert rows.match["map_asset_id"] == raw["MatchInfo"]["MapVariant"]["AssetId"].lower()


def test_a_player_who_switched_teams_is_summed() -> None:
    stats = _stats("stockpile-2024")
    raw = json.loads(stats.raw_bytes)
    switched = next(p for p in raw["Players"] if len(p["PlayerTeamStats"]) > 1)
    rows = sm.match_rows(stats, None, fetched_at=NOW)
    row = next(r for r in rows.players if r["player_id"] == switched["PlayerId"])
    kills = sum(t["Stats"]["CoreStats"]["Kills"] for t in switched["PlayerTeamStats"])
    assert row["kills"] == kills
    assert row["team_id"] == switched["LastTeamId"]


def test_bots_have_no_xuid() -> None:
    rows = sm.match_rows(_stats("elimination-2024"), None, fetched_at=NOW)
    bots = [r for r in rows.players if r["is_bot"]]
    assert bots and all(r["xuid"] is None and r["player_id"].startswith("bid(") for r in bots)


def test_skill_fills_csr_and_expectations() -> None:
    skill = _skill()
    entry = skill.value[0]
    stats = _stats("slayer-2025")
    xuid = entry.xuid
    assert xuid is not None
    rows = sm.match_rows(stats, skill, fetched_at=NOW)
    mine = [r for r in rows.players if r["xuid"] == xuid]
    assert mine, "the skill sample's player is in the slayer sample"
    row = mine[0]
    raw = json.loads(skill.raw_bytes)["Value"][0]["Result"]
    assert row["csr_pre"] == raw["RankRecap"]["PreMatchCsr"]["Value"]
    assert row["csr_post"] == raw["RankRecap"]["PostMatchCsr"]["Value"]
    assert row["expected_kills"] == pytest.approx(raw["StatPerformances"]["Kills"]["Expected"])
    assert row["skill_deaths"] == raw["StatPerformances"]["Deaths"]["Count"]
    assert rows.match["skill_json"] is not None


ALL = sorted(p.stem for p in (REAL / "match-stats").glob("*.json"))


def test_store_every_real_match_once(match_store: Store) -> None:
    store = match_store
    for name in ALL:
        rows = sm.match_rows(_stats(name), None, fetched_at=NOW)
        with store.transaction() as tx:
            assert tx.save_match(rows) is True
        with store.transaction() as tx:
            assert tx.save_match(rows) is False  # stored once, whoever saw it first
    assert store.match_count() == len(ALL)
    ids = {_stats(n).match_id.lower() for n in ALL}
    assert store.stored_match_ids([*ids, "00000000-0000-0000-0000-000000000000"]) == ids
    with store.reader() as tx:
        players = tx.conn.execute(sa.select(sa.func.count()).select_from(sm.match_players))
        assert players.scalar_one() == sum(len(_stats(n).players) for n in ALL)
    raws = list(store.iter_raw_matches())
    assert {r["MatchId"].lower() for r in raws} == ids


def test_queries_for_one_player(match_store: Store) -> None:
    store = match_store
    me = 2535445291321133  # the sample author: in most samples
    for name in ALL:
        store.save_match(sm.match_rows(_stats(name), None, fetched_at=NOW))
    mine = store.player_matches(me, limit=None)
    expected = [n for n in ALL if _stats(n).player(me) is not None]
    assert len(mine) == len(expected) >= 5
    assert [m.start_time for m in mine] == sorted((m.start_time for m in mine), reverse=True)
    assert all(m.start_time.tzinfo is not None for m in mine)
    assert len(store.player_matches(me, limit=2)) == 2
    ctf = _stats("ctf-2025")
    store.save_asset(
        "mode",
        ctf.match_info.ugc_game_variant.asset_id,  # type: ignore[union-attr]
        ctf.match_info.ugc_game_variant.version_id,  # type: ignore[union-attr]
        name="CTF 5 Captures",
        raw=b"{}",
        fetched_at=NOW,
    )
    only = store.player_matches(me, mode="ctf")
    assert [m.match_id for m in only] == [ctf.match_id.lower()]
    assert only[0].mode_name == "CTF 5 Captures"
    counts = store.player_medal_counts(me)
    total = sum(
        m.count
        for n in expected
        for m in _stats(n).player(me).core.medals  # type: ignore[union-attr]
    )
    assert sum(c for c, _ in counts.values()) == total
    some = next(iter(counts))
    hits = store.medal_matches(me, [some])
    assert hits and all(h[0] == some for h in hits)
    got = store.get_match(ctf.match_id)
    assert got is not None and got.mode_name == "CTF 5 Captures"
    assert len(got.players) == 8 and {t["team_id"] for t in got.teams} == {0, 1}
    assert store.get_match("00000000-0000-0000-0000-000000000000") is None


def test_sync_state_and_assets_roundtrip(match_store: Store) -> None:
    store = match_store
    store.upsert_player(42, "Someone")
    assert store.get_sync_state(42) == sm.SyncState(42)
    state = sm.SyncState(42, "abc", NOW, frontier=75, complete=False)
    with store.transaction() as tx:
        tx.put_sync_state(state, now=NOW)
    got = store.get_sync_state(42)
    assert (got.newest_match_id, got.newest_start_time, got.frontier, got.complete) == (
        "abc",
        NOW,
        75,
        False,
    )
    store.put_sync_state(sm.SyncState(42, "def", NOW, 0, True), now=NOW)
    assert store.get_sync_state(42).complete is True
    store.save_asset("map", "A-1", "V-1", name="Aquarius", raw="{}", fetched_at=NOW)
    store.save_asset("map", "a-1", "v-1", name="Changed", raw="{}", fetched_at=NOW)
    store.save_asset("map", "b-2", "v-2", name=None, raw=None, fetched_at=NOW)
    assert store.known_assets() == {("map", "a-1", "v-1"), ("map", "b-2", "v-2")}
    assert store.asset_names("map") == {"a-1": "Aquarius"}
