"""Decoding every real sample into its model, with values checked against the raw JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from halotrack.errors import ConfigError, ParseError
from halotrack.models import (
    KINDS,
    CareerRankTrack,
    CoreStats,
    CsrSeasonCalendar,
    GameVariantVersion,
    MapModePairVersion,
    MapVersion,
    MatchCount,
    MatchHistory,
    MatchSkill,
    MatchStats,
    MedalMetadata,
    PlaylistAsset,
    PlaylistCsr,
    PlaylistVersion,
    SeasonCalendar,
    SeasonMetadata,
    ServiceRecord,
    User,
    Users,
    decode,
    decode_as,
    decoder_for,
    guess_kind,
)
from tests.support.samples import REAL, SAMPLES


def load(rel: str, kind: str | None = None) -> Any:
    data = (REAL / rel).read_bytes()
    return decode(kind or SAMPLES[rel], data, source=rel)


def raw(rel: str) -> Any:
    return json.loads((REAL / rel).read_bytes())


def test_every_sample_is_listed() -> None:
    found = {
        str(p.relative_to(REAL))
        for p in REAL.rglob("*.json")
        if p.parts[-2] != "auth" and p.name != "settings-endpoints.json"
    }
    assert found == set(SAMPLES)


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_sample_decodes_and_kind_is_guessed(rel: str) -> None:
    data = (REAL / rel).read_bytes()
    assert guess_kind(data) == SAMPLES[rel]
    model = decode(SAMPLES[rel], data, source=rel)
    assert isinstance(model, KINDS[SAMPLES[rel]].model)
    assert model.raw_bytes == data
    assert model.raw == json.loads(data)


def test_raw_is_parsed_lazily_once() -> None:
    sr = load("servicerecord/matchmade-lifetime.json")
    assert "_raw_obj" not in sr.__dict__
    first = sr.raw
    assert sr.raw is first
    assert first["CoreStats"]["Kills"] == sr.core_stats.kills


def test_model_built_in_code_still_has_raw() -> None:
    sr = ServiceRecord(matches_completed=3, core_stats=CoreStats(), wins=3)
    assert json.loads(sr.raw_bytes)["Wins"] == 3
    assert sr.raw["Wins"] == 3


def test_service_record_lifetime() -> None:
    rel = "servicerecord/matchmade-lifetime.json"
    sr: ServiceRecord = load(rel)
    r = raw(rel)
    core = r["CoreStats"]
    assert sr.matches_completed == r["MatchesCompleted"]
    assert (sr.wins, sr.losses, sr.ties) == (r["Wins"], r["Losses"], r["Ties"])
    assert sr.core_stats.kills == core["Kills"]
    assert sr.core.deaths == core["Deaths"]
    assert sr.average_kda == core["AverageKDA"]
    assert sr.accuracy == core["Accuracy"]
    assert sr.kd_ratio == pytest.approx(core["Kills"] / core["Deaths"])
    assert sr.win_rate == pytest.approx(r["Wins"] / r["MatchesCompleted"])
    assert sr.time_played == timedelta(days=17, hours=10, minutes=55, seconds=53.768551)
    assert sr.season_ids == r["Subqueries"]["SeasonIds"]
    assert sr.subqueries is not None
    assert sr.subqueries.game_variant_categories == r["Subqueries"]["GameVariantCategories"]
    medals = sr.medal_counts()
    assert len(medals) == len(core["Medals"])
    assert all(medals[m["NameId"]] == m["Count"] for m in core["Medals"])
    scores = sr.personal_score_counts()
    assert all(scores[p["NameId"]] == p["Count"] for p in core["PersonalScores"])
    totals = sr.personal_score_totals()
    assert all(
        totals[p["NameId"]] == p["TotalPersonalScoreAwarded"] for p in core["PersonalScores"]
    )
    assert sr.capture_the_flag_stats is not None
    ctf = r["CaptureTheFlagStats"]
    assert sr.capture_the_flag_stats.flag_captures == ctf["FlagCaptures"]
    assert sr.capture_the_flag_stats.time_as_flag_carrier == timedelta(
        hours=1, minutes=55, seconds=54
    )
    assert sr.zones_stats is not None
    assert sr.zones_stats.captures == r["ZonesStats"]["ZoneCaptures"]
    assert sr.zones_stats.occupation_time == timedelta(hours=12, minutes=32, seconds=9.3)
    assert sr.oddball_stats is not None
    assert sr.oddball_stats.skull_scoring_ticks == r["OddballStats"]["SkullScoringTicks"]
    assert sr.pvp_stats is not None and sr.pvp_stats.kills == r["PvpStats"]["Kills"]
    assert sr.pve_stats is not None and sr.pve_stats.boss_kills == r["PveStats"]["BossKills"]
    assert sr.infection_stats is not None
    assert sr.infection_stats.infected_killed == r["InfectionStats"]["InfectedKilled"]
    assert sr.stockpile_stats is not None and sr.extraction_stats is not None
    assert sr.elimination_stats is not None
    assert sr.elimination_stats.eliminations == r["EliminationStats"]["Eliminations"]
    assert sr.bomb_stats is None and sr.vip_stats is None
    assert set(sr.mode_blocks()) == {
        "capture_the_flag_stats",
        "elimination_stats",
        "extraction_stats",
        "infection_stats",
        "oddball_stats",
        "zones_stats",
        "stockpile_stats",
        "pvp_stats",
        "pve_stats",
    }
    assert sr.core_stats.objectives_completed == core["ObjectivesCompleted"]
    assert sr.core_stats.medals[0].name_id == core["Medals"][0]["NameId"]


def test_service_record_empty() -> None:
    sr: ServiceRecord = load("servicerecord/matchmade-empty.json")
    assert sr.subqueries is not None and sr.subqueries.season_ids is None
    assert sr.season_ids == []
    assert sr.time_played == timedelta(0)
    assert sr.matches_completed == 0 and sr.win_rate == 0.0 and sr.kd_ratio == 0.0
    assert sr.mode_blocks() == {}
    assert sr.core_stats.medals == [] and sr.medal_counts() == {}


def test_match_history() -> None:
    rel = "match-history/matches-page.json"
    mh: MatchHistory = load(rel)
    r = raw(rel)
    assert (mh.start, mh.count, mh.result_count) == (r["Start"], r["Count"], r["ResultCount"])
    assert mh.match_ids == [x["MatchId"] for x in r["Results"]]
    assert not mh.is_last_page
    first, rfirst = mh.results[0], r["Results"][0]
    assert first.outcome == rfirst["Outcome"]
    assert first.outcome_name == "Loss"
    assert first.rank == rfirst["Rank"]
    info = first.match_info
    assert info.start_time == datetime(2025, 1, 29, 4, 20, 33, 441000, tzinfo=UTC)
    assert info.start_time.tzinfo is not None
    assert info.game_variant_category == 18 and info.category_name == "Oddball"
    assert info.is_matchmade
    assert info.playlist_id == rfirst["MatchInfo"]["Playlist"]["AssetId"]
    assert info.duration == timedelta(minutes=18, seconds=31.214187)


def test_match_stats_slayer_players_and_teams() -> None:
    rel = "match-stats/slayer-2025.json"
    m: MatchStats = load(rel)
    r = raw(rel)
    assert m.match_id == r["MatchId"]
    assert m.match_info.duration == timedelta(minutes=9, seconds=9.421162)
    assert m.match_info.enum_name("lifecycle_mode") == "Matchmade"
    for rp in r["Players"]:
        p = m.player(rp["PlayerId"])
        assert p is not None
        assert p.core.kills == rp["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Kills"]
        assert p.core.average_kda == rp["PlayerTeamStats"][0]["Stats"]["CoreStats"]["KDA"]
        assert p.outcome == rp["Outcome"]
    me = r["Players"][0]
    xuid = int(me["PlayerId"][5:-1])
    assert m.player(xuid) is m.player(str(xuid)) is m.player(me["PlayerId"])
    team = m.team_of(xuid)
    assert team is not None and team.team_id == me["LastTeamId"]
    assert m.outcome_of(xuid) == me["Outcome"]
    assert m.player("xuid(1)") is None and m.outcome_of(1) is None
    rteam = r["Teams"][0]
    assert m.teams[0].stats.core.kills == rteam["Stats"]["CoreStats"]["Kills"]
    assert m.teams[0].stats.pvp_stats is not None
    assert m.teams[0].stats.pvp_stats.kda == rteam["Stats"]["PvpStats"]["KDA"]
    participation = m.players[0].participation_info
    assert participation is not None and participation.last_leave_time is None


def test_match_stats_zones_use_stronghold_names() -> None:
    rel = "match-stats/zones-2025.json"
    m: MatchStats = load(rel)
    rp = raw(rel)["Players"][0]["PlayerTeamStats"][0]["Stats"]["ZonesStats"]
    zones = m.players[0].stats.zones_stats
    assert zones is not None
    assert zones.stronghold_captures == rp["StrongholdCaptures"]
    assert zones.captures == rp["StrongholdCaptures"]
    assert zones.secures == rp["StrongholdSecures"]
    assert zones.zone_captures is None
    assert m.match_info.category_name == "Strongholds"


def test_match_stats_infection_has_no_teams() -> None:
    m: MatchStats = load("match-stats/infection-2025.json")
    assert m.teams == []
    p = m.players[0]
    assert m.team_of(p.player_id) is None
    assert p.stats.infection_stats is not None


def test_match_stats_bots_and_per_mode_blocks() -> None:
    m: MatchStats = load("match-stats/vip-2025.json")
    r = raw("match-stats/vip-2025.json")
    bots = [p for p in r["Players"] if p["PlayerId"].startswith("bid(")]
    assert len(m.bots) == len(bots) and len(m.humans) == len(r["Players"]) - len(bots)
    assert all(b.xuid is None and b.is_bot for b in m.bots)
    vip = m.humans[0].stats.vip_stats
    assert vip is not None
    for name in ("ctf-2025", "oddball-2025", "stockpile-2024", "extraction-2024"):
        ms: MatchStats = load(f"match-stats/{name}.json")
        assert ms.players[0].stats.mode_blocks(), name
    pve: MatchStats = load("match-stats/pve-2024.json")
    rp = raw("match-stats/pve-2024.json")["Players"][0]["PlayerTeamStats"][0]["Stats"]
    block = pve.players[0].stats.pve_stats
    assert block is not None and block.grunt_kills == rp["PveStats"]["GruntKills"]
    assert pve.match_info.category_name == "Firefight"
    elim: MatchStats = load("match-stats/elimination-2024.json")
    es = elim.players[0].stats.elimination_stats
    assert es is not None and es.lives_remaining is None
    assert elim.teams[0].stats.elimination_stats is not None
    assert elim.teams[0].stats.elimination_stats.lives_remaining is not None


def test_match_count() -> None:
    mc: MatchCount = load("stats-other/match-count.json")
    r = raw("stats-other/match-count.json")
    assert mc.matches_played_count == r["MatchesPlayedCount"]
    assert mc.matchmade_matches_played_count == r["MatchmadeMatchesPlayedCount"]
    assert mc.custom_matches_played_count == r["CustomMatchesPlayedCount"]


def test_playlist_csr_labels() -> None:
    csr: PlaylistCsr = load("csr/playlist-csrs-one-player.json")
    r = raw("csr/playlist-csrs-one-player.json")["Value"][0]
    entry = csr.for_player(r["Id"])
    assert entry is not None and entry is csr.for_player(int(r["Id"][5:-1]))
    assert entry.ok and entry.result_code_name == "Success"
    assert entry.result is not None
    assert entry.result.all_time_max is not None and entry.result.current is not None
    assert entry.result.all_time_max.value == r["Result"]["AllTimeMax"]["Value"]
    assert entry.result.all_time_max.label == "Onyx 1549"
    assert entry.result.all_time_max.progress is None
    assert entry.result.current.label == "Unranked, 4 placement matches left"
    assert entry.current is entry.result.current and not entry.current.is_ranked
    assert csr.for_player("xuid(42)") is None


def test_match_skill() -> None:
    rel = "match-skill/match-skill-one-player.json"
    ms: MatchSkill = load(rel)
    r = raw(rel)["Value"][0]["Result"]
    entry = ms.for_player(raw(rel)["Value"][0]["Id"])
    assert entry is not None and entry.result is not None
    res = entry.result
    assert res.team_mmr == r["TeamMmr"]
    assert res.rank_recap is not None
    assert res.rank_recap.pre_match_csr is not None
    assert res.rank_recap.pre_match_csr.value == r["RankRecap"]["PreMatchCsr"]["Value"]
    assert res.rank_recap.delta == (
        r["RankRecap"]["PostMatchCsr"]["Value"] - r["RankRecap"]["PreMatchCsr"]["Value"]
    )
    perf = res.stat_performances
    assert perf is not None and perf.kills is not None and perf.deaths is not None
    assert perf.kills.count == r["StatPerformances"]["Kills"]["Count"]
    assert perf.kills.expected == r["StatPerformances"]["Kills"]["Expected"]
    assert perf.deaths.std_dev == r["StatPerformances"]["Deaths"]["StdDev"]
    assert perf.kills.deviation == pytest.approx(
        (perf.kills.count - perf.kills.expected) / perf.kills.std_dev
    )
    assert res.team_mmrs == r["TeamMmrs"]
    assert res.counterfactuals is not None
    assert (
        res.counterfactuals.tier_counterfactuals["Onyx"].kills
        == (r["Counterfactuals"]["TierCounterfactuals"]["Onyx"]["Kills"])
    )


def test_season_calendars() -> None:
    cal: SeasonCalendar = load("gamecms/seasoncalendar.json")
    r = raw("gamecms/seasoncalendar.json")
    assert len(cal.seasons) == len(r["Seasons"])
    s0 = cal.seasons[0]
    assert s0.csr_season_file_path == r["Seasons"][0]["CsrSeasonFilePath"]
    assert s0.start == datetime(2021, 6, 20, 17, tzinfo=UTC)
    assert s0.end == datetime(2022, 5, 3, 17, tzinfo=UTC)
    assert s0.date_label == "2021-06-20 to 2022-05-03"
    assert cal.season_at(datetime(2021, 12, 1, tzinfo=UTC)) is s0
    assert cal.season_at(datetime(2001, 1, 1, tzinfo=UTC)) is None
    assert len(cal.events) == len(r["Events"])
    assert cal.events[0].start == datetime(2021, 9, 18, 21, 30, tzinfo=UTC)
    assert cal.career_rank is not None
    assert cal.career_rank.reward_track_path == r["CareerRank"]["RewardTrackPath"]
    csr: CsrSeasonCalendar = load("gamecms/csr-season-calendar.json")
    rc = raw("gamecms/csr-season-calendar.json")["Seasons"]
    assert [s.csr_season_file_path for s in csr.seasons] == [s["CsrSeasonFilePath"] for s in rc]
    assert csr.seasons[0].csr_season_id == "CsrSeason1"


def test_career_rank_track() -> None:
    track: CareerRankTrack = load("gamecms/careerrank1.json")
    r = raw("gamecms/careerrank1.json")
    assert len(track.ranks) == len(r["Ranks"]) == 272
    assert track.total_xp == sum(x["XpRequiredForRank"] for x in r["Ranks"])
    assert track.rank(1) is not None and track.rank(1).title == "Recruit"  # type: ignore[union-attr]
    r4 = r["Ranks"][3]
    want = " ".join(
        x
        for x in (r4["RankTitle"]["value"], r4["RankSubTitle"]["value"], r4["RankTier"]["value"])
        if x
    )
    assert track.ranks[3].title == want
    assert track.xp_to_reach(3) == sum(x["XpRequiredForRank"] for x in r["Ranks"][:2])
    assert track.name is not None and track.name.value == r["Name"]["value"]
    rewards = track.ranks[0].free_rewards
    assert rewards is not None
    first_with_items = next(x for x in r["Ranks"] if x["FreeRewards"]["InventoryRewards"])
    got = track.rank(first_with_items["Rank"])
    assert got is not None and got.free_rewards is not None
    assert (
        got.free_rewards.inventory_rewards[0].inventory_item_path
        == (first_with_items["FreeRewards"]["InventoryRewards"][0]["InventoryItemPath"])
    )


def test_medal_metadata_camel_case() -> None:
    md: MedalMetadata = load("gamecms/medals-metadata.json")
    r = raw("gamecms/medals-metadata.json")
    assert len(md.medals) == len(r["medals"])
    m0, r0 = md.medals[0], r["medals"][0]
    assert (m0.name_id, m0.name.value) == (r0["nameId"], r0["name"]["value"])
    assert m0.difficulty_index == r0["difficultyIndex"] and m0.type_index == r0["typeIndex"]
    assert md.difficulty_name(m0.difficulty_index) == r["difficulties"][r0["difficultyIndex"]]
    assert md.sprites["small"].columns == r["sprites"]["small"]["columns"]
    assert m0.enum_name("type_index") == r["types"][r0["typeIndex"]]


def test_playlist_asset_experience_is_a_string() -> None:
    pa: PlaylistAsset = load("gamecms/playlist-asset-ranked-arena.json")
    r = raw("gamecms/playlist-asset-ranked-arena.json")
    assert pa.playlist_experience == "Arena" == pa.experience_name
    assert pa.has_csr is r["HasCsr"] is True
    assert pa.ugc_playlist_version == r["UgcPlaylistVersion"]


def test_discovery_assets() -> None:
    pl: PlaylistVersion = load("discovery/playlist-version.json")
    r = raw("discovery/playlist-version.json")
    assert pl.public_name == r["PublicName"] == str(pl)
    assert pl.description == r["Description"]
    assert len(pl.rotation_entries) == len(r["RotationEntries"])
    assert pl.rotation_entries[0].metadata is not None
    assert pl.rotation_entries[0].metadata.weight == r["RotationEntries"][0]["Metadata"]["Weight"]
    mp: MapVersion = load("discovery/map-version.json")
    assert mp.public_name == raw("discovery/map-version.json")["PublicName"]
    assert mp.asset_stats is not None and mp.asset_stats.favorites == 8
    mmp: MapModePairVersion = load("discovery/map-mode-pair-version.json")
    rm = raw("discovery/map-mode-pair-version.json")
    assert mmp.map_link is not None and mmp.map_link.public_name == rm["MapLink"]["PublicName"]
    assert mmp.ugc_game_variant_link is not None
    gv: GameVariantVersion = load("discovery/ugc-game-variant-version.json")
    rg = raw("discovery/ugc-game-variant-version.json")
    assert gv.public_name == rg["PublicName"]
    assert gv.engine_game_variant_link is not None
    assert gv.engine_game_variant_link.public_name == rg["EngineGameVariantLink"]["PublicName"]


def test_profile_users() -> None:
    u: User = load("profile/user.json")
    assert u.gamertag == "GAMERTAG" and u.xuid_int == 1234567890
    assert u.gamerpic is not None and u.gamerpic.small
    us: Users = load("profile/users.json")
    r = raw("profile/users.json")
    assert [x.gamertag for x in us.users] == [x["gamertag"] for x in r]
    assert list(us.by_xuid()) == [int(x["xuid"]) for x in r]
    assert us.raw == r


def test_career_rank_progress_tolerates_partial_bodies() -> None:
    body = {
        "RewardTrackPath": "RewardTracks/CareerRanks/careerRank1.json",
        "TrackType": "CareerRank",
        "CurrentProgress": {"Rank": 120, "PartialProgress": 3400, "IsOverride": False},
        "PreviousProgress": {"Rank": 119, "PartialProgress": 0},
        "IsOwned": True,
        "BaseXp": None,
        "BoostXp": None,
        "Surprise": [1, 2, 3],
    }
    p = decode("career-rank-progress", json.dumps(body).encode())
    assert p.rank == 120 and p.partial_xp == 3400 and p.is_owned is True
    assert p.previous_progress.rank == 119 and p.base_xp is None
    assert guess_kind(json.dumps(body)) == "career-rank-progress"
    empty = decode("career-rank-progress", b'{"CurrentProgress": null}')
    assert empty.rank == 0 and empty.current_progress is None


def test_decoders_are_cached_per_type() -> None:
    assert decoder_for(ServiceRecord) is decoder_for(ServiceRecord)
    assert decoder_for(MatchStats) is not decoder_for(ServiceRecord)


def test_decode_accepts_str_bytearray_memoryview() -> None:
    data = (REAL / "stats-other/match-count.json").read_bytes()
    for body in (data.decode(), bytearray(data), memoryview(data)):
        assert decode("match-count", body).matches_played_count == 731


def test_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown kind"):
        decode("nope", b"{}")


def test_guess_kind_gives_up_politely() -> None:
    assert guess_kind(b"not json") is None
    assert guess_kind(b"{}") is None
    assert guess_kind(b"[1, 2]") is None
    assert guess_kind(b"42") is None
    assert guess_kind((REAL / "auth" / "spartan.json").read_bytes()) is None


def test_models_are_frozen() -> None:
    sr: ServiceRecord = load("servicerecord/matchmade-lifetime.json")
    with pytest.raises(AttributeError):
        sr.wins = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        sr.core_stats.kills = 1  # type: ignore[misc]


def test_encode_roundtrip_keeps_api_names() -> None:
    sr: ServiceRecord = load("servicerecord/matchmade-lifetime.json")
    again = msgspec.json.decode(msgspec.json.encode(sr), type=ServiceRecord)
    assert again == sr
    out = json.loads(msgspec.json.encode(sr.core_stats))
    assert out["AverageKDA"] == sr.average_kda and "Kills" in out


def test_parse_error_fields() -> None:
    with pytest.raises(ParseError) as info:
        decode("match-stats", b'{"MatchId": 5}', source="https://x/hi/matches/1/stats", status=200)
    err = info.value
    assert err.service == "stats" and err.status == 200
    assert err.url == "https://x/hi/matches/1/stats"
    assert "match-stats" in str(err) and "$.MatchId" in str(err)
    with pytest.raises(ParseError) as info2:
        decode("user", b"", source="f.json", service="profile")
    assert info2.value.service == "profile" and "empty body" in str(info2.value)
    assert info2.value.status is None


def test_decode_as_any_model_type() -> None:
    from halotrack.models import Csr, decode_as

    csr = decode_as(Csr, b'{"Value": 1487, "Tier": "Diamond", "SubTier": 5}', source="x")
    assert csr.label == "Diamond 6 (1487)"
    sr = decode_as(ServiceRecord, b'{"Wins": 2, "MatchesCompleted": 2, "CoreStats": {}}')
    assert sr.raw == {"Wins": 2, "MatchesCompleted": 2, "CoreStats": {}}
    with pytest.raises(ParseError, match="missing required field"):
        decode_as(ServiceRecord, b'{"Wins": 2}')
    with pytest.raises(ParseError) as info:
        decode_as(Csr, b'{"Value": "high"}', source="csr.json", service="skill", status=200)
    assert (info.value.service, info.value.status, info.value.url) == ("skill", 200, "csr.json")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_wrong_shape_is_a_parse_error_for_every_kind(kind: str) -> None:
    """A 200 answer without the fields that identify its kind must not decode to defaults
    (an all-zero service record once became the latest snapshot)."""
    body = b'[{"Weird": 1}]' if kind == "users" else b'{"Weird": 1}'
    with pytest.raises(ParseError, match="missing required field"):
        decode(kind, body, source="https://example.invalid/x")


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_sample_still_decodes_without_any_optional_key(rel: str) -> None:
    """Tolerance stays: dropping any one top-level key that is not identifying still decodes."""
    whole = raw(rel)
    if not isinstance(whole, dict):
        return
    for key in whole:
        rest = {k: v for k, v in whole.items() if k != key}
        try:
            decode(SAMPLES[rel], json.dumps(rest), source=rel)
        except ParseError as exc:
            assert f"`{key}`" in str(exc), (key, str(exc))


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ({"Name": {"value": " Season 5 ", "translations": {}}}, "Season 5"),
        ({"Name": "Season 6"}, "Season 6"),
        ({"Name": {"value": ""}, "DisplayName": {"value": "Winter Update"}}, "Winter Update"),
        ({"Name": None, "Description": {"value": "x"}}, None),
    ],
)
def test_a_season_metadata_file_names_its_season(body: dict[str, Any], title: str | None) -> None:
    """The one reader of a season's public name, for the CLI's tables and the page."""
    meta = decode_as(SeasonMetadata, json.dumps(body))
    assert meta.title == title


def test_a_season_metadata_file_of_another_shape_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        decode_as(SeasonMetadata, b'["Season 5"]')
    with pytest.raises(ParseError):
        decode_as(SeasonMetadata, b'{"Name": 5}')
    with pytest.raises(ParseError, match="missing required field"):
        decode_as(SeasonMetadata, b'{"DisplayName": "Season 5"}')


def test_a_calendar_date_without_a_zone_is_utc() -> None:
    body = {"Seasons": [{"StartDate": {"ISO8601Date": "2024-01-02T03:04:05"}}]}
    entry = decode_as(SeasonCalendar, json.dumps(body)).seasons[0]
    assert entry.start == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert entry.contains(datetime(2024, 2, 1, tzinfo=UTC))


def test_the_medal_sprite_sheet_is_the_small_one_else_the_first() -> None:
    meta: MedalMetadata = load("gamecms/medals-metadata.json")
    small = raw("gamecms/medals-metadata.json")["sprites"]["small"]
    sheet = meta.sprite_sheet()
    assert sheet is not None
    assert (sheet.path, sheet.columns, sheet.size) == (
        small["path"],
        small["columns"],
        small["size"],
    )
    other = {"medals": [], "sprites": {"large": {"path": "l.png", "columns": 8, "size": 256}}}
    only = decode_as(MedalMetadata, json.dumps(other)).sprite_sheet()
    assert only is not None and only.path == "l.png"
    none = {"medals": [], "sprites": {"small": {"columns": 8, "size": 72}}}
    assert decode_as(MedalMetadata, json.dumps(none)).sprite_sheet() is None
