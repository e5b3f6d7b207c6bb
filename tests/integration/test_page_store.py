"""The stats page built from a real (temporary SQLite) store, and the `page` command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from halotrack.cli import main
from halotrack.errors import Unknown
from halotrack.report import build_page_data, find_xuid, render_page
from halotrack.report.build import METADATA_CAREER_TRACK, METADATA_MEDALS, METADATA_SEASON_CALENDAR
from halotrack.store import Scope, Store, open_store
from tests.support.page import (
    NOW,
    RANKED_ARENA,
    RANKED_DOUBLES,
    XSS_GAMERTAG,
    XUID,
    lifetime,
    seed_store,
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'halotrack.sqlite'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as s:
        seed_store(s)
        yield s


def test_page_data_equals_the_store(store: Store) -> None:
    page = build_page_data(store, XUID, now=NOW)
    latest = store.latest_record(XUID, "matchmade", Scope())
    assert latest is not None
    s = page.summary
    assert s is not None
    assert (s.matches, s.wins, s.losses, s.kills, s.deaths, s.assists) == (
        latest.matches_completed,
        latest.wins,
        latest.losses,
        latest.kills,
        latest.deaths,
        latest.assists,
    )
    assert s.damage_dealt == latest.damage_dealt
    assert s.time_played.total_seconds() == pytest.approx(latest.time_played_seconds)
    assert s.matches == lifetime()["MatchesCompleted"]
    assert page.player.gamertag == "Sample Spartan"
    assert page.player.previous_gamertags == ("Old Tag",)
    assert page.player.career_rank == "Cadet Bronze 1"
    assert page.player.updated_at == NOW
    assert page.recent_matches == ()  # no match synced: the section is hidden


def test_history_and_charts_come_from_the_snapshots(store: Store) -> None:
    page = build_page_data(store, XUID, now=NOW)
    rows = store.records_history(XUID, Scope())
    assert 10 < len(rows) <= 40  # unchanged records are not stored twice
    charts = {c.id: c for c in page.charts}
    weekly = charts["matches-week"]
    assert sum(v or 0 for v in weekly.series[0].values) == (rows[-1].matches_completed or 0) - (
        rows[0].matches_completed or 0
    )
    csr = charts["csr"]
    assert {s.label for s in csr.series} == {"Ranked Arena", f"Playlist {RANKED_DOUBLES[:8]}"}
    assert page.deltas is not None
    assert next(d for d in page.deltas.items if d.key == "matches").after == 2664


def test_csr_metadata_and_seasons_from_the_store(store: Store) -> None:
    page = build_page_data(store, XUID, now=NOW)
    by_id = {p.playlist_id: p for p in page.csr}
    assert by_id[RANKED_ARENA].name == "Ranked Arena"  # from the cached discovery document
    assert by_id[RANKED_ARENA].current.label == "Unranked, 4 placement matches left"
    assert by_id[RANKED_DOUBLES].all_time_max.label == "Onyx 1549"
    seasons = {r.season_id: r for r in page.seasons}
    s5 = seasons["Csr/Seasons/CsrSeason5-1.json"]
    assert s5.summary is not None and s5.summary.matches == 212
    assert seasons["Seasons/Season3.json"].label == "Season 3"  # tracker.seasons.season_name
    assert page.medal_sprite is not None and page.medal_sprite.columns == 16
    assert page.medals[0].name  # names from the cached medal metadata
    assert not page.medals[0].name.startswith("Medal ")


def test_unknown_player_is_unknown(store: Store) -> None:
    with pytest.raises(Unknown, match="no player"):
        build_page_data(store, "1234567890123456", now=NOW)
    with pytest.raises(Unknown):
        find_xuid(store, "Nobody Here")
    assert find_xuid(store, "old tag") == int(XUID)  # past gamertags find the player too


def test_hostile_gamertag_from_the_store_is_escaped(db_url: str) -> None:
    with open_store(db_url) as s:
        seed_store(s, XSS_GAMERTAG, snapshots=5)
        html = render_page(build_page_data(s, XUID, now=NOW))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_page_command_writes_a_self_contained_file(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "stats.html"
    code = main(["--db", db_url, "page", "Sample Spartan", "-o", str(out)])
    assert code == 0
    html = out.read_text("utf-8")
    assert 'data-stat="matches">2,664<' in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)


def test_page_command_unknown_player_exits_not_found(db_url: str, tmp_path: Path) -> None:
    with open_store(db_url):
        pass
    code = main(["--db", db_url, "page", "Nobody", "-o", str(tmp_path / "x.html")])
    assert code == Unknown.exit_code
    assert not (tmp_path / "x.html").exists()


def test_a_week_without_snapshots_still_shows_the_page(db_url: str) -> None:
    with open_store(db_url) as s:
        s.upsert_player(XUID, "Solo", seen_at=NOW)
        s.save_service_record(XUID, "matchmade", Scope(), lifetime(), NOW - timedelta(days=1))
        page = build_page_data(s, XUID, now=NOW)
    assert page.deltas is None
    assert all(c.empty for c in page.charts if c.id == "csr")
    assert page.medal_sprite is None
    assert page.medals[0].name.startswith("Medal ")  # no metadata cached: ids only


def test_recent_matches_come_from_the_match_tables(store: Store) -> None:
    from halotrack.models import MatchSkill, MatchStats, decode_as
    from halotrack.store.matches import match_rows

    real = Path(__file__).parents[1] / "data" / "real"
    stats = decode_as(MatchStats, (real / "match-stats/slayer-2025.json").read_bytes())
    skill = decode_as(MatchSkill, (real / "match-skill/match-skill-one-player.json").read_bytes())
    other = decode_as(MatchStats, (real / "match-stats/ctf-2025.json").read_bytes())
    with store.transaction() as tx:
        tx.save_match(match_rows(stats, skill, fetched_at=NOW))
        tx.save_match(match_rows(other, None, fetched_at=NOW))
    stored = store.player_matches(int(XUID), limit=None)
    page = build_page_data(store, XUID, now=NOW)
    assert [m.match_id for m in page.recent_matches] == [m.match_id for m in stored]
    slayer = next(m for m in page.recent_matches if m.match_id == stats.match_id.lower())
    row = next(m for m in stored if m.match_id == slayer.match_id)
    assert (slayer.kills, slayer.deaths, slayer.assists) == (row.kills, row.deaths, row.assists)
    assert slayer.csr_change == row.csr_delta
    assert slayer.csr_change is not None
    html = render_page(page)
    assert 'id="matches"' in html
    assert f'data-match="{slayer.match_id}"' in html


def test_given_matches_replace_the_stored_ones(store: Store) -> None:
    from tests.support import synthetic

    page = build_page_data(store, XUID, now=NOW, matches=synthetic.matches(60, until=NOW))
    assert len(page.recent_matches) == 25


def test_last_updated_is_the_last_confirmation_not_the_last_change(store: Store) -> None:
    later = NOW + timedelta(hours=5)
    assert store.save_service_record(XUID, "matchmade", Scope(), lifetime(), later) == "unchanged"
    page = build_page_data(store, XUID, now=later)
    assert page.player.updated_at == later


def test_the_page_knows_when_the_players_matches_were_synced(store: Store) -> None:
    from halotrack.store import matches as sm

    assert build_page_data(store, XUID, now=NOW).matches_synced_at is None
    state = sm.SyncState(int(XUID), newest_match_id="0" * 8 + "-0000-0000-0000-" + "0" * 12)
    store.put_sync_state(state, now=NOW)
    assert build_page_data(store, XUID, now=NOW).matches_synced_at == NOW


def test_cached_names_come_through_the_models(store: Store) -> None:
    """Season names and the career rank are read from the cache by the same models the
    client decodes with: `Name` (localized or plain), else `DisplayName`."""
    files = {
        "Seasons/Season3.json": {"Name": {"value": " Season 3: Echoes Within "}},
        "Seasons/Season4.json": {"Name": "", "DisplayName": "Season 4: Infection"},
        "Seasons/Season5-Op1.json": {"Name": "Season 5 Op1"},
    }
    with store.transaction() as tx:
        for path, doc in files.items():
            tx.put_metadata("gamecms", f"/hi/Progression/file/{path}", json.dumps(doc))
    page = build_page_data(store, XUID, now=NOW)
    labels = {r.season_id: r.label for r in page.seasons}
    assert labels["Seasons/Season3.json"] == "Season 3: Echoes Within"
    assert labels["Seasons/Season4.json"] == "Season 4: Infection"
    assert labels["Csr/Seasons/CsrSeason5-1.json"] == "Season 5 Op1 to Season 5 Op3"
    assert page.player.career_rank == "Cadet Bronze 1"


@pytest.mark.parametrize(
    "key",
    [METADATA_MEDALS, METADATA_SEASON_CALENDAR, METADATA_CAREER_TRACK, ("career_rank", XUID)],
)
def test_a_cached_document_of_the_wrong_shape_falls_back(store: Store, key: Any) -> None:
    """A cached file that no longer decodes (the API changed shape, or the row was hurt)
    leaves the page as if it had never been fetched, instead of failing it."""
    before = build_page_data(store, XUID, now=NOW)
    with store.transaction() as tx:
        tx.put_metadata(*key, json.dumps({"medals": 5, "Seasons": "x", "Ranks": [{"Rank": "a"}]}))
    page = build_page_data(store, XUID, now=NOW)
    assert page.summary == before.summary
    if key == METADATA_MEDALS:
        assert page.medals[0].name.startswith("Medal ") and page.medal_sprite is None
        assert before.medal_sprite is not None
    elif key == METADATA_SEASON_CALENDAR:
        assert not any(r.start for r in page.seasons if r.kind == "season")
        assert any(r.start for r in before.seasons if r.kind == "season")
    else:
        assert page.player.career_rank is None
        assert before.player.career_rank == "Cadet Bronze 1"
