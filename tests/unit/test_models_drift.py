"""API drift: new enum numbers, new fields, missing or null blocks, old names, and broken
bodies. Tolerated drift decodes; a broken body is always a ParseError, never another error."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halotrack.errors import ParseError
from halotrack.models import MatchStats, ServiceRecord, decode
from halotrack.models.enums import GameVariantCategory, Outcome
from halotrack.models.export import to_jsonable

REAL = Path(__file__).parents[1] / "data" / "real"
SR = "servicerecord/matchmade-lifetime.json"
MS = "match-stats/slayer-2025.json"


def body(rel: str) -> Any:
    return json.loads((REAL / rel).read_bytes())


def enc(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_unknown_enum_numbers_are_kept_and_named() -> None:
    m = body(MS)
    m["MatchInfo"]["GameVariantCategory"] = 57
    m["MatchInfo"]["LifecycleMode"] = 9
    m["Players"][0]["Outcome"] = 8
    m["Players"][0]["PlayerType"] = 3
    ms: MatchStats = decode("match-stats", enc(m))
    assert ms.match_info.game_variant_category == 57
    assert ms.match_info.category_name == "Unknown(57)"
    assert GameVariantCategory.label(57) == "Unknown(57)"
    assert ms.players[0].outcome == 8 and ms.players[0].outcome_name == "Unknown(8)"
    assert Outcome.label(8) == "Unknown(8)"
    out = to_jsonable(ms)
    assert out["match_info"]["game_variant_category_name"] == "Unknown(57)"
    assert out["match_info"]["lifecycle_mode_name"] == "Unknown(9)"
    assert out["players"][0]["player_type_name"] == "Unknown(3)"


def test_extra_fields_are_ignored_but_kept_in_raw() -> None:
    r = body(SR)
    r["BrandNewBlock"] = {"Thing": 1}
    r["CoreStats"]["NewCounter"] = 7
    r["CoreStats"]["Medals"][0]["Rarity"] = "rare"
    sr: ServiceRecord = decode("service-record", enc(r))
    assert sr.core_stats.kills == r["CoreStats"]["Kills"]
    assert sr.raw["BrandNewBlock"] == {"Thing": 1}
    assert sr.raw["CoreStats"]["NewCounter"] == 7
    assert sr.raw["CoreStats"]["Medals"][0]["Rarity"] == "rare"


def test_missing_and_null_blocks() -> None:
    r = body(SR)
    for key in ("CaptureTheFlagStats", "OddballStats", "PvpStats", "PveStats"):
        del r[key]
    r["ZonesStats"] = None
    r["EliminationStats"] = None
    r["Subqueries"] = None
    sr: ServiceRecord = decode("service-record", enc(r))
    assert sr.capture_the_flag_stats is None and sr.pvp_stats is None
    assert sr.zones_stats is None and sr.elimination_stats is None
    assert sr.subqueries is None and sr.season_ids == []
    assert sr.infection_stats is not None
    m = body(MS)
    del m["Teams"]
    m["MatchInfo"]["Playlist"] = None
    m["MatchInfo"]["PlaylistExperience"] = None
    m["MatchInfo"]["SeasonId"] = None
    del m["MatchInfo"]["GameplayInteraction"]
    m["Players"][0]["ParticipationInfo"] = None
    del m["Players"][0]["PlayerTeamStats"][0]["Stats"]["PvpStats"]
    ms: MatchStats = decode("match-stats", enc(m))
    assert ms.teams == [] and ms.match_info.playlist_id is None
    assert ms.match_info.gameplay_interaction is None
    assert ms.players[0].participation_info is None
    assert ms.players[0].stats.pvp_stats is None
    assert to_jsonable(ms)["match_info"]["playlist_experience"] is None


def test_minimal_bodies_decode_with_defaults() -> None:
    """Only the identifying fields are required; every other field takes its default."""
    sr = decode("service-record", b'{"MatchesCompleted": 0, "CoreStats": {}}')
    assert sr.matches_completed == 0 and sr.core_stats.kills == 0
    assert sr.time_played == timedelta(0)
    m = decode(
        "match-stats",
        b'{"MatchId": "x", "MatchInfo": {"StartTime": "2025-01-01T00:00:00Z"}, "Players": []}',
    )
    assert m.teams == [] and m.match_info.duration == timedelta(0)
    assert decode("match-history", b'{"Results": []}').start == 0


def test_old_names_kda_and_bombstats() -> None:
    r = body(SR)
    core = r["CoreStats"]
    core["KDA"] = core.pop("AverageKDA")
    del core["ObjectivesCompleted"]
    r["BombStats"] = None
    sr: ServiceRecord = decode("service-record", enc(r))
    assert sr.average_kda == core["KDA"] and sr.core_stats.kda_average is None
    assert sr.core_stats.objectives_completed is None
    assert sr.bomb_stats is None
    r["BombStats"] = {"BombsArmed": 3}
    sr2: ServiceRecord = decode("service-record", enc(r))
    assert sr2.bomb_stats == {"BombsArmed": 3}
    neither = body(SR)
    del neither["CoreStats"]["AverageKDA"]
    assert decode("service-record", enc(neither)).average_kda == 0.0


def test_pre_2024_match_with_every_block_null() -> None:
    m = body(MS)
    stats = m["Players"][0]["PlayerTeamStats"][0]["Stats"]
    for key in (
        "CaptureTheFlagStats",
        "EliminationStats",
        "ExtractionStats",
        "InfectionStats",
        "OddballStats",
        "ZonesStats",
        "StockpileStats",
        "BombStats",
    ):
        stats[key] = None
    ms: MatchStats = decode("match-stats", enc(m))
    assert set(ms.players[0].stats.mode_blocks()) == {"pvp_stats"}


def test_service_record_zone_names_in_match_stats_and_back() -> None:
    r = body(SR)
    z = r["ZonesStats"]
    r["ZonesStats"] = {
        "StrongholdCaptures": z["ZoneCaptures"],
        "StrongholdOccupationTime": "PT1M",
    }
    sr: ServiceRecord = decode("service-record", enc(r))
    assert sr.zones_stats is not None
    assert sr.zones_stats.captures == z["ZoneCaptures"]
    assert sr.zones_stats.occupation_time == timedelta(minutes=1)
    assert sr.zones_stats.secures == 0


def test_huge_and_negative_integers() -> None:
    r = body(SR)
    core = r["CoreStats"]
    core["Medals"][0]["NameId"] = 4294967295
    core["Medals"][1]["Count"] = 2**70
    core["Kills"] = -5
    core["DamageDealt"] = 2**63 + 11
    r["MatchesCompleted"] = -(2**65)
    sr: ServiceRecord = decode("service-record", enc(r))
    assert sr.core_stats.medals[0].name_id == 4294967295
    assert sr.core_stats.medals[1].count == 2**70
    assert sr.core_stats.kills == -5
    assert sr.core_stats.damage_dealt == 2**63 + 11
    assert sr.matches_completed == -(2**65)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT0S", timedelta(0)),
        ("PT6.9S", timedelta(seconds=6.9)),
        ("PT9M9.4211615S", timedelta(minutes=9, seconds=9, microseconds=421162)),
        ("P17DT10H55M53.7685509S", timedelta(days=17, seconds=39353, microseconds=768551)),
        ("PT1H55M54S", timedelta(hours=1, minutes=55, seconds=54)),
    ],
)
def test_dotnet_durations(text: str, expected: timedelta) -> None:
    sr = decode("service-record", enc({"TimePlayed": text, "MatchesCompleted": 0, "CoreStats": {}}))
    assert sr.time_played == expected


def test_gamecms_dates_with_trimmed_fractions() -> None:
    cal = decode(
        "csr-season-calendar",
        enc(
            {
                "Seasons": [
                    {
                        "CsrSeasonFilePath": "Csr/Seasons/CsrSeason9-1.json",
                        "StartDate": {"ISO8601Date": "2021-09-18T21:30:00.00Z"},
                        "EndDate": None,
                    }
                ]
            }
        ),
    )
    s = cal.seasons[0]
    assert s.start is not None and s.start.utcoffset() == timedelta(0)
    assert s.end is None and s.csr_season_id == "CsrSeason9-1"


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r["CoreStats"].__setitem__("Kills", "many"), "$.CoreStats.Kills"),
        (lambda r: r.__setitem__("TimePlayed", 12), "$.TimePlayed"),
        (lambda r: r.__setitem__("TimePlayed", "yesterday"), "$.TimePlayed"),
        (lambda r: r["CoreStats"]["Medals"][0].__setitem__("NameId", None), "NameId"),
        (lambda r: r["CoreStats"].__setitem__("Medals", {"a": 1}), "$.CoreStats.Medals"),
        (lambda r: r.__setitem__("CoreStats", [1]), "$.CoreStats"),
        (lambda r: r["CoreStats"].__setitem__("Accuracy", "47%"), "$.CoreStats.Accuracy"),
    ],
)
def test_retyped_field_is_a_parse_error(mutate: Any, where: str) -> None:
    r = body(SR)
    mutate(r)
    with pytest.raises(ParseError) as info:
        decode("service-record", enc(r), source="sr.json")
    assert where in str(info.value)
    assert info.value.url == "sr.json" and info.value.service == "stats"


@pytest.mark.parametrize("rel", [SR, MS, "match-history/matches-page.json", "profile/users.json"])
def test_truncated_body_is_a_parse_error(rel: str) -> None:
    data = (REAL / rel).read_bytes().rstrip()
    kind = {SR: "service-record", MS: "match-stats"}.get(rel) or (
        "users" if "users" in rel else "match-history"
    )
    for cut in (1, len(data) // 3, len(data) // 2, len(data) - 2):
        with pytest.raises(ParseError, match="cannot decode"):
            decode(kind, data[:cut], source=rel)


@pytest.mark.parametrize("junk", [b"", b"   ", b"<html>502 Bad Gateway</html>", b"null", b"[]"])
def test_garbage_is_a_parse_error(junk: bytes) -> None:
    with pytest.raises(ParseError):
        decode("service-record", junk)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i))
    return out


_MATCH = body(MS)
_MATCH_PATHS = [p for p in _paths(_MATCH) if p]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_MATCH_PATHS), value=_JSON)
def test_any_single_mutation_decodes_or_is_a_parse_error(path: tuple[Any, ...], value: Any) -> None:
    doc = json.loads(json.dumps(_MATCH))
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        ms = decode("match-stats", enc(doc))
    except ParseError:
        return
    to_jsonable(ms)  # whatever decoded must also export cleanly
    for p in ms.players:
        assert p.stats is not None


_DOCS = {
    kind: body(rel)
    for rel, kind in (
        (SR, "service-record"),
        ("match-history/matches-page.json", "match-history"),
        ("csr/playlist-csrs-one-player.json", "playlist-csr"),
        ("match-skill/match-skill-one-player.json", "match-skill"),
        ("gamecms/seasoncalendar.json", "season-calendar"),
        ("discovery/map-mode-pair-version.json", "map-mode-pair"),
        ("profile/users.json", "users"),
    )
}
_DOC_PATHS = {kind: [p for p in _paths(doc) if p] for kind, doc in _DOCS.items()}


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(sorted(_DOCS)), value=_JSON, delete=st.booleans())
def test_any_kind_survives_one_change_or_is_a_parse_error(
    data: st.DataObject, kind: str, value: Any, delete: bool
) -> None:
    doc = json.loads(json.dumps(_DOCS[kind]))
    path = data.draw(st.sampled_from(_DOC_PATHS[kind]))
    target = doc
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    try:
        model = decode(kind, enc(doc), source="mutated.json")
    except ParseError as exc:
        assert exc.url == "mutated.json"
        return
    assert model.raw == doc
    to_jsonable(model)


_MS_BYTES = (REAL / MS).read_bytes().rstrip()


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(_MS_BYTES) - 1))
def test_any_truncation_is_a_parse_error(cut: int) -> None:
    data = _MS_BYTES
    with pytest.raises(ParseError):
        decode("match-stats", data[:cut])
