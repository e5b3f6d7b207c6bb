"""The repository on SQLite and PostgreSQL: change-only snapshots, views, players, watch list."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from halotrack.errors import StoreError
from halotrack.models.summary import duration_seconds
from halotrack.store import Scope, Store, open_store
from halotrack.store.extract import content_hash

XUID = 2535445291321133
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
REAL = Path(__file__).parents[1] / "data" / "real"


def lifetime() -> dict[str, Any]:
    data = json.loads((REAL / "servicerecord" / "matchmade-lifetime.json").read_text())
    assert isinstance(data, dict)
    return data


def csr_result() -> dict[str, Any]:
    data = json.loads((REAL / "csr" / "playlist-csrs-one-player.json").read_text())
    result = data["Value"][0]["Result"]
    assert isinstance(result, dict)
    return result


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def test_unchanged_record_writes_no_snapshot(store: Store) -> None:
    raw = (REAL / "servicerecord" / "matchmade-lifetime.json").read_bytes()
    assert store.save_service_record(XUID, "matchmade", Scope(), raw, T0) == "created"
    # Same content, different key order and whitespace: still unchanged.
    reordered = json.dumps(dict(reversed(list(lifetime().items()))), indent=4)
    later = T0 + timedelta(hours=1)
    assert store.save_service_record(XUID, "matchmade", Scope(), reordered, later) == "unchanged"
    assert count(store, "service_records") == 1
    latest = store.latest_record(XUID)
    assert latest is not None
    assert latest.captured_at == T0
    assert latest.verified_at == later
    assert latest.raw_json == raw.decode()  # kept exactly as sent


def test_changed_record_writes_exactly_one(store: Store) -> None:
    data = lifetime()
    store.save_service_record(XUID, "matchmade", Scope(), data, T0)
    changed = copy.deepcopy(data)
    changed["MatchesCompleted"] += 1
    changed["Wins"] += 1
    t1 = T0 + timedelta(minutes=30)
    assert store.save_service_record(XUID, "matchmade", Scope(), changed, t1) == "created"
    assert store.save_service_record(XUID, "matchmade", Scope(), changed, t1 + timedelta(1)) == (
        "unchanged"
    )
    history = store.records_history(XUID, Scope())
    assert [r.matches_completed for r in history] == [2664, 2665]
    assert [r.wins for r in history] == [1405, 1406]
    assert history[1].content_hash == content_hash(changed)


def test_extracted_columns_match_the_real_sample(store: Store) -> None:
    store.save_service_record(XUID, "matchmade", Scope(), lifetime(), T0)
    r = store.latest_record(XUID)
    assert r is not None
    assert (r.matches_completed, r.wins, r.losses, r.ties) == (2664, 1405, 1219, 38)
    assert (r.kills, r.deaths, r.assists) == (42197, 26566, 15174)
    assert r.kda == pytest.approx(7.766141141141141)
    assert r.accuracy == pytest.approx(47.15381334169039)
    assert (r.damage_dealt, r.damage_taken) == (12475748, 9157476)
    assert (r.score, r.personal_score) == (46966, 5333643)
    assert r.time_played_seconds == pytest.approx(17 * 86400 + 10 * 3600 + 55 * 60 + 53.7685509)
    assert r.kd == pytest.approx(42197 / 26566)


def test_older_shape_uses_kda_and_missing_blocks_are_none(store: Store) -> None:
    old = {"MatchesCompleted": 3, "CoreStats": {"KDA": 1.5, "Kills": 9}, "BombStats": None}
    store.save_service_record(XUID, "custom", Scope(), old, T0)
    r = store.latest_record(XUID, "custom")
    assert r is not None
    assert (r.kda, r.kills, r.deaths, r.time_played_seconds) == (1.5, 9, None, None)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT0S", 0.0), ("PT6.9S", 6.9), ("PT9M9.4211615S", 549.4211615), ("P1D", 86400.0)],
)
def test_duration_seconds(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


def test_duration_rejects_junk() -> None:
    assert duration_seconds("P1Y") is None
    assert duration_seconds(5) is None
    assert duration_seconds("PT") is None


def test_scopes_are_separate_slices(store: Store) -> None:
    data = lifetime()
    season = Scope.season("Csr/Seasons/CsrSeason5-1.json")
    ranked = Scope(season_id="Csr/Seasons/CsrSeason5-1.json", is_ranked=True)
    for scope in (Scope(), season, ranked):
        assert store.save_service_record(XUID, "matchmade", scope, data, T0) == "created"
    assert count(store, "service_records") == 3
    assert store.record_scopes(XUID) == sorted(
        [("matchmade", s.key()) for s in (Scope(), season, ranked)]
    )
    r = store.latest_record(XUID, "matchmade", ranked)
    assert r is not None
    assert r.scope == ranked


def test_scope_key_round_trip_and_validation() -> None:
    s = Scope("Seasons/Season6.json", 6, False, "BDCEEFB3-1c52-4848-a6b7-d49acd13109d", 1)
    key = s.key()
    assert key == (
        "season=Seasons/Season6.json;category=6;ranked=false;"
        "playlist=bdceefb3-1c52-4848-a6b7-d49acd13109d;interaction=1"
    )
    assert Scope.parse(key).key() == key
    assert Scope.parse("lifetime") == Scope()
    with pytest.raises(ValueError):
        Scope.parse("nonsense")


def test_custom_records_refuse_matchmade_filters(store: Store) -> None:
    with pytest.raises(ValueError, match="season filter"):
        store.save_service_record(XUID, "custom", Scope(is_ranked=True), {}, T0)
    with pytest.raises(ValueError, match="kind"):
        store.save_service_record(XUID, "arena", Scope(), {}, T0)


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone"):
        store.save_service_record(XUID, "matchmade", Scope(), {}, datetime(2026, 1, 1))


def test_views_return_the_latest(store: Store) -> None:
    store.upsert_player(XUID, "Tester", seen_at=T0)
    data = lifetime()
    for i in range(3):
        data["MatchesCompleted"] += 1
        store.save_service_record(XUID, "matchmade", Scope(), data, T0 + timedelta(hours=i))
    store.save_service_record(XUID, "matchmade", Scope.season("S1"), data, T0)
    result = csr_result()
    for i, value in enumerate((1400, 1450, 1420)):
        result["Current"]["Value"] = value
        store.save_csr(XUID, "PL-1", "CsrSeason5-1", result, T0 + timedelta(hours=i))
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT gamertag, scope_key, matches_completed FROM latest_service_records "
                "ORDER BY scope_key"
            )
        ).all()
        csr_rows = conn.execute(
            sa.text("SELECT gamertag, playlist_id, current_value FROM latest_csr")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Tester", "lifetime", 2667),
        ("Tester", "season=S1", 2667),
    ]
    assert [tuple(r) for r in csr_rows] == [("Tester", "pl-1", 1420)]


def test_csr_change_only_and_columns(store: Store) -> None:
    result = csr_result()
    entry = {"Id": f"xuid({XUID})", "ResultCode": 0, "Result": result}
    assert store.save_csr(XUID, "pl", "CsrSeason5-1", entry, T0) == "created"
    assert store.save_csr(XUID, "pl", "CsrSeason5-1", result, T0 + timedelta(1)) == "unchanged"
    snap = store.latest_csr(XUID, "pl", "CsrSeason5-1")
    assert snap is not None
    assert (snap.current_value, snap.current_tier, snap.matches_remaining) == (-1, "", 4)
    assert (snap.all_time_max_value, snap.all_time_max_tier) == (1549, "Onyx")
    assert snap.label() == "Unranked, 4 placement matches left"
    assert snap.raw == result
    # A value that goes back to an earlier reading is still a change from the latest.
    result2 = copy.deepcopy(result)
    result2["Current"].update(Value=1210, Tier="Diamond", SubTier=0)
    store.save_csr(XUID, "pl", "CsrSeason5-1", result2, T0 + timedelta(2))
    store.save_csr(XUID, "pl", "CsrSeason5-1", result, T0 + timedelta(3))
    values = [c.current_value for c in store.csr_history(XUID, "pl")]
    assert values == [-1, 1210, -1]
    assert store.csr_history(XUID, since=T0 + timedelta(days=2))[0].label() == "Diamond 1 (1210)"


def test_gamertag_history(store: Store) -> None:
    assert store.record_gamertag(XUID, "Old Name", seen_at=T0) is True
    assert store.record_gamertag(XUID, "Old Name", seen_at=T0 + timedelta(1)) is False
    assert store.record_gamertag(XUID, "New Name", seen_at=T0 + timedelta(2)) is True
    hist = store.gamertag_history(XUID)
    assert [(g.gamertag, g.first_seen_at, g.last_seen_at) for g in hist] == [
        ("Old Name", T0, T0 + timedelta(1)),
        ("New Name", T0 + timedelta(2), T0 + timedelta(2)),
    ]
    player = store.get_player(XUID)
    assert player is not None and player.gamertag == "New Name"
    for text in ("new name", "OLD NAME", str(XUID), f"xuid({XUID})"):
        found = store.find_player(text)
        assert found is not None and found.xuid == XUID, text
    assert store.find_player("nobody") is None


def test_watch_list(store: Store) -> None:
    entry = store.watch_add(XUID, gamertag="Tester", matches=True, options={"every": 600}, now=T0)
    assert entry.matches_opt_in and entry.options == {"every": 600}
    assert entry.gamertag == "Tester" and entry.failure_count == 0
    store.watch_add(2, now=T0)
    store.watch_add(3, now=T0 + timedelta(seconds=1))
    assert [w.xuid for w in store.watch_list()] == [2, XUID, 3]  # by added_at, then xuid
    store.watch_update(3, next_check_at=T0)
    assert [w.xuid for w in store.watch_list()] == [2, XUID, 3]  # never-checked first
    store.watch_remove(3)
    store.watch_update(XUID, last_checked_at=T0, next_check_at=T0 + timedelta(hours=1))
    store.watch_update(2, next_check_at=T0 + timedelta(hours=3))
    due = store.watch_list(due_at=T0 + timedelta(hours=2))
    assert [w.xuid for w in due] == [XUID]
    store.watch_failed(XUID, "ServerError 503", next_check_at=T0 + timedelta(hours=4))
    store.watch_failed(XUID, "ServerError 503 again")
    got = store.watch_get(XUID)
    assert got is not None
    assert (got.failure_count, got.last_error) == (2, "ServerError 503 again")
    with pytest.raises(ValueError, match="unknown watch fields"):
        store.watch_update(XUID, tokens="nope")
    with pytest.raises(StoreError, match="not on the watch list"):
        store.watch_update(99, failure_count=0)
    assert store.watch_remove(XUID) is True
    assert store.watch_remove(XUID) is False
    assert [w.xuid for w in store.watch_list()] == [2]


def test_metadata_cache_and_medal_names(store: Store) -> None:
    assert store.get_metadata("gamecms", "x") is None
    assert store.medal_names() == {}
    body = (REAL / "gamecms" / "medals-metadata.json").read_bytes()
    key = "hi/Waypoint/file/medals/metadata.json"
    store.put_metadata("gamecms", key, body, etag='"abc"', fetched_at=T0)
    store.put_metadata("gamecms", key, body, etag='"def"', fetched_at=T0 + timedelta(1))
    cached = store.get_metadata("gamecms", key)
    assert cached is not None
    assert (cached.etag, cached.fetched_at) == ('"def"', T0 + timedelta(1))
    store.touch_metadata("gamecms", key, T0 + timedelta(2))
    cached = store.get_metadata("gamecms", key)
    assert cached is not None and cached.fetched_at == T0 + timedelta(2)
    names = store.medal_names()
    assert names[622331684] == "Double Kill"
    # a newer copy that no longer decodes counts as not cached
    store.put_metadata(
        "gamecms", key, '{"medals": [{"nameId": "x"}]}', fetched_at=T0 + timedelta(3)
    )
    assert store.medal_names() == {}


def test_gamertags_are_kept_in_bulk_and_renames_replace_the_name(store: Store) -> None:
    """1,200 names cross the 500-name chunks; a second batch renames some, adds others and
    leaves the rest as they were."""
    first = {2533274800000000 + i: f"Name {i}" for i in range(1200)}
    store.put_gamertags(first, now=T0)
    assert store.cached_gamertags(first) == first
    second = {x: f"Renamed {x % 1000}" for x in list(first)[::3]}
    second |= {2533274900000000 + i: f"New {i}" for i in range(700)}
    store.put_gamertags(second, now=T0 + timedelta(1))
    assert store.cached_gamertags(set(first) | set(second)) == first | second
    renamed = store.get_metadata("gamertag", str(next(iter(second))))
    assert renamed is not None and renamed.fetched_at == T0 + timedelta(1)
    untouched = store.get_metadata("gamertag", str(list(first)[1]))
    assert untouched is not None and untouched.fetched_at == T0
    store.put_gamertags({}, now=T0)


def test_seasons_fetched(store: Store) -> None:
    assert not store.season_fetched(XUID, "servicerecord:matchmade", "Seasons/Season6.json")
    store.mark_season_fetched(XUID, "servicerecord:matchmade", "Seasons/Season6.json", T0)
    store.mark_season_fetched(XUID, "servicerecord:matchmade", "Seasons/Season6.json", T0)
    assert store.season_fetched(XUID, "servicerecord:matchmade", "Seasons/Season6.json")
    assert not store.season_fetched(XUID, "csr:pl", "Seasons/Season6.json")


def test_transaction_is_all_or_nothing(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction() as tx:
        tx.save_service_record(XUID, "matchmade", Scope(), lifetime(), T0)
        tx.save_csr(XUID, "pl", "s", csr_result(), T0)
        raise Boom
    assert count(store, "service_records") == 0
    assert count(store, "csr_snapshots") == 0
    assert count(store, "players") == 0
    with store.transaction() as tx:
        tx.watch_add(XUID, now=T0)
        tx.save_service_record(XUID, "matchmade", Scope(), lifetime(), T0)
        tx.save_csr(XUID, "pl", "s", csr_result(), T0)
        tx.watch_update(XUID, last_checked_at=T0)
    assert count(store, "service_records") == 1
    assert count(store, "csr_snapshots") == 1
    assert store.integrity_check() == []


def test_integrity_check_finds_a_tampered_snapshot(store: Store) -> None:
    store.save_service_record(XUID, "matchmade", Scope(), lifetime(), T0)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE service_records SET raw_json = '{}'"))
    problems = store.integrity_check()
    assert any("does not match its hash" in p for p in problems)


async def test_to_thread_helper(store: Store) -> None:
    from halotrack.store import to_thread

    result = await to_thread(store.save_service_record, XUID, "matchmade", Scope(), {}, T0)
    assert result == "created"


def test_unknown_backend_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        open_store("mysql://x@localhost/db")


def test_in_memory_sqlite_works_across_threads() -> None:
    import asyncio

    from halotrack.store import to_thread

    store = open_store("sqlite://")
    try:
        result = asyncio.run(
            to_thread(store.save_service_record, XUID, "matchmade", Scope(), {}, T0)
        )
        assert result == "created"
        assert len(store.records_history(XUID)) == 1
    finally:
        store.close()


@pytest.mark.parametrize("body", [b"", b"[1]", b"{", b'{"a": "\xff"}', b"[" * 50_000])
def test_bad_bodies_are_a_store_error_and_write_nothing(store: Store, body: bytes) -> None:
    with pytest.raises(StoreError, match="cannot store this service record") as info:
        store.save_service_record(XUID, "matchmade", Scope(), body, T0)
    assert info.value.hint and "nothing was written" in info.value.hint
    assert count(store, "service_records") == 0


def test_out_of_range_numbers_keep_raw_and_null_the_column(store: Store) -> None:
    body = b'{"Wins": 3000000000, "MatchesCompleted": 1e400, "CoreStats": {"Score": 1e30}}'
    assert store.save_service_record(XUID, "matchmade", Scope(), body, T0) == "created"
    r = store.latest_record(XUID)
    assert r is not None
    assert (r.wins, r.matches_completed, r.score) == (None, None, None)
    assert r.raw_json == body.decode()
    assert store.integrity_check() == []


@pytest.mark.slow
def test_find_player_folds_unicode_gamertags_on_every_backend(store: Store) -> None:
    """SQLite's lower() is ASCII-only; a stored unicode gamertag must still be found."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store.upsert_player(2533274800000777, "Éclair Ñandú", seen_at=now)
    found = store.find_player("éclair ñandú")
    assert found is not None and found.xuid == 2533274800000777
    assert store.find_player("ÉCLAIR ÑANDÚ") is not None
    assert store.find_player("Eclair Nandu") is None
