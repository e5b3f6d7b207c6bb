"""JSON bodies in the real API's shapes, built from the world's numbers.

Why: shapes (key names, casing, int vs float, duration and timestamp formats, quirks such as
`Zone*` vs `Stronghold*` and `Teams: []` in Infection) live here and nowhere else.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

from halotrack.models.csr import csr_block as _csr_block
from halotrack.simulator.catalog import (
    COL,
    CORE,
    CUSTOM_SCORE,
    MEDALS,
    MODES,
    PERSONAL_SCORES,
    RECORD_MODE_ORDER,
    WIDTH,
)
from halotrack.simulator.formats import (
    TICKS_PER_MS,
    cms_date,
    duration,
    from_ms,
    guid,
    timestamp,
    trunc2,
)
from halotrack.simulator.world import (
    GUEST_BASE,
    LIFECYCLE_MATCHMADE,
    PLACEMENT_MATCHES,
    Asset,
    Filters,
    Match,
    Playlist,
    SimPlayer,
    Slot,
    World,
    sum_rows,
)

JSON = dict[str, Any]

_MEDAL_COLS = tuple((m, COL[f"medal.{m}"]) for m in MEDALS)
_PS_COLS = tuple((nid, COL[f"ps.{nid}"], pts) for nid, pts in PERSONAL_SCORES)
_CUSTOM_TOTAL = COL["ps_total.custom"]
_CORE_COLS = tuple(COL[f"core.{name}"] for name in CORE)


@cache
def data_text(name: str) -> str:
    return (resources.files("halotrack.simulator") / "data" / name).read_text("utf-8")


@cache
def data_json(name: str) -> Any:
    return json.loads(data_text(name))


# --------------------------------------------------------------------------- stats blocks
def _medals(v: list[int] | tuple[int, ...]) -> list[JSON]:
    out = [
        {"NameId": nid, "Count": v[col], "TotalPersonalScoreAwarded": 0}
        for nid, col in _MEDAL_COLS
        if v[col]
    ]
    out.sort(key=lambda x: -x["Count"])
    return out


def _personal_scores(v: list[int] | tuple[int, ...]) -> list[JSON]:
    out = []
    for nid, col, pts in _PS_COLS:
        n = v[col]
        if n:
            total = v[_CUSTOM_TOTAL] if nid == CUSTOM_SCORE else n * pts
            out.append({"NameId": nid, "Count": n, "TotalPersonalScoreAwarded": total})
    return out


def _kda(k: int, d: int, a: int) -> float:
    return k + a / 3 - d


def core_block(v: list[int] | tuple[int, ...], *, match_level: bool) -> JSON:
    c = dict(zip(CORE, [v[i] for i in _CORE_COLS], strict=True))
    kills, deaths, assists = c["Kills"], c["Deaths"], c["Assists"]
    fired, hit = c["ShotsFired"], c["ShotsHit"]
    acc = hit / fired * 100 if fired else 0.0
    out: JSON = {}
    for name in CORE:
        out[name] = c[name]
        if name == "Assists":
            if match_level:
                out["KDA"] = float(trunc2(_kda(kills, deaths, assists)))
            else:
                n = v[COL["_matches"]]
                out["AverageKDA"] = float(_kda(kills, deaths, assists) / n) if n else 0.0
        elif name == "Betrayals" and match_level:
            life = v[COL["_time"]] // max(1, deaths)
            out["AverageLifeDuration"] = duration(life // 1_000_000 * 1_000_000)
        elif name == "ShotsHit":
            out["Accuracy"] = float(trunc2(acc)) if match_level else float(acc)
        elif name == "MaxKillingSpree":
            out["Medals"] = _medals(v)
            out["PersonalScores"] = _personal_scores(v)
            if match_level:
                out["DeprecatedDamageDealt"] = float(c["DamageDealt"])
                out["DeprecatedDamageTaken"] = float(c["DamageTaken"])
    return out


def mode_block(mode: str, v: list[int] | tuple[int, ...], *, match_level: bool, team: bool) -> JSON:
    block = MODES[mode]
    out: JSON = {}
    for rec, mname, kind in block.fields:
        val = v[COL[f"{mode}.{rec}"]]
        key = mname if match_level else rec
        out[key] = duration(val) if kind in ("dur", "maxdur") else val
        if rec == "Assists" and mode in ("pvp", "pve") and match_level:
            k, d = v[COL[f"{mode}.Kills"]], v[COL[f"{mode}.Deaths"]]
            out["KDA"] = float(trunc2(_kda(k, d, val)))
    if mode == "elimination" and match_level:
        out["LivesRemaining"] = 0 if team else None
        out["EliminationOrder"] = 0
    return out


# --------------------------------------------------------------------------- service record
def empty_record() -> JSON:
    v = [0] * WIDTH
    return {
        "Subqueries": {
            "SeasonIds": None,
            "GameVariantCategories": None,
            "IsRanked": None,
            "PlaylistAssetIds": None,
            "GameplayInteractions": None,
        },
        "TimePlayed": "PT0S",
        "MatchesCompleted": 0,
        "Wins": 0,
        "Losses": 0,
        "Ties": 0,
        "CoreStats": core_block(v, match_level=False),
    }


def _distinct(values: Any) -> list[Any]:
    seen: dict[Any, None] = {}
    for x in values:
        if x is not None:
            seen.setdefault(x, None)
    return list(seen)


def _season_ids(f: Filters, matches: list[Match]) -> list[str]:
    """As in the real record: the season metadata ids (`Seasons/Season6.json`) of the seasons
    played, newest first, then the CSR season ids (`Csr/Seasons/CsrSeason6-1.json`, Season 5
    on) in ascending order. A record asked for one season lists just the id asked for."""
    if f.season is not None:
        return [f.season]
    seasons = _distinct(m.season for m in reversed(matches))
    csr = sorted((s for s in seasons if s.index >= 5), key=lambda s: s.index)
    return [s.metadata_path for s in seasons] + [s.csr_path for s in csr]


def service_record(world: World, p: SimPlayer, f: Filters) -> JSON:
    agg = world.aggregate(p, f)
    if agg is None:
        return empty_record()
    v, matches = agg
    out: JSON = {
        "Subqueries": {
            "SeasonIds": _season_ids(f, matches),
            "GameVariantCategories": _distinct(m.variant.category for m in matches),
            "IsRanked": sorted(_distinct(m.ranked for m in matches)),
            "PlaylistAssetIds": _distinct(
                m.playlist.asset.asset_id if m.playlist else None for m in matches
            )
            or None,
            "GameplayInteractions": None,
        },
        "TimePlayed": duration(v[COL["_time"]]),
        "MatchesCompleted": v[COL["_matches"]],
        "Wins": v[COL["_wins"]],
        "Losses": v[COL["_losses"]],
        "Ties": v[COL["_ties"]],
        "CoreStats": core_block(v, match_level=False),
    }
    for mode in RECORD_MODE_ORDER:
        key = MODES[mode].record_key
        if key:
            out[key] = mode_block(mode, v, match_level=False, team=False)
    return out


# --------------------------------------------------------------------------- matches
def _asset_ref(kind: int, a: Asset) -> JSON:
    return {"AssetKind": kind, "AssetId": a.asset_id, "VersionId": a.version_id}


def match_info(world: World, m: Match) -> JSON:
    end_ms = m.start_ms + m.duration_ticks // TICKS_PER_MS
    playable = m.duration_ticks // TICKS_PER_MS * TICKS_PER_MS - 250 * TICKS_PER_MS
    pl = m.playlist
    return {
        "StartTime": timestamp(m.start_ms),
        "EndTime": timestamp(end_ms),
        "Duration": duration(m.duration_ticks),
        "LifecycleMode": m.lifecycle,
        "GameVariantCategory": m.variant.category,
        "LevelId": guid(world.seed, "level", m.map_asset.name),
        "MapVariant": _asset_ref(2, m.map_asset),
        "UgcGameVariant": _asset_ref(6, m.variant_asset),
        "ClearanceId": world.clearance_id,
        "Playlist": _asset_ref(3, pl.asset) if pl else None,
        "PlaylistExperience": pl.spec.experience if pl else None,
        "PlaylistMapModePair": _asset_ref(7, m.pair) if m.pair else None,
        "SeasonId": m.season.csr_path if m.lifecycle == LIFECYCLE_MATCHMADE else None,
        "PlayableDuration": duration(playable),
        "TeamsEnabled": m.team_mode != "ffa",
        "TeamScoringEnabled": m.team_mode != "ffa",
        "GameplayInteraction": m.interaction,
    }


def _stats(m: Match, v: list[int] | tuple[int, ...], *, team: bool) -> JSON:
    out: JSON = {"CoreStats": core_block(v, match_level=True)}
    for mode in m.variant.modes:
        out[MODES[mode].match_key] = mode_block(mode, v, match_level=True, team=team)
    return out


def _participation(world: World, s: Slot, v: tuple[int, ...]) -> JSON:
    m = s.match
    joined = m.start_ms + (30_000 if not s.bot else 31_800) + s.index * 7
    time = v[COL["_time"]]
    leave = timestamp(joined + time // TICKS_PER_MS) if s.left_early else None
    return {
        "FirstJoinedTime": timestamp(joined),
        "LastLeaveTime": leave,
        "PresentAtBeginning": not s.bot,
        "JoinedInProgress": False,
        "LeftInProgress": s.left_early,
        "PresentAtCompletion": not s.left_early,
        "TimePlayed": duration(time),
        "ConfirmedParticipation": None,
    }


def match_stats(world: World, m: Match) -> JSON:
    slots = world.roster(m)
    vecs = [world.slot_vector(s) for s in slots]
    players = []
    for s, v in zip(slots, vecs, strict=True):
        players.append(
            {
                "PlayerId": s.player_id,
                "PlayerType": 2 if s.bot else 1,
                "BotAttributes": {"Difficulty": 4} if s.bot else None,
                "LastTeamId": s.team,
                "Outcome": s.outcome,
                "Rank": s.rank,
                "ParticipationInfo": _participation(world, s, v),
                "PlayerTeamStats": [{"TeamId": s.team, "Stats": _stats(m, v, team=False)}],
            }
        )
    teams: list[JSON] = []
    if m.team_mode != "ffa":
        for t in range(m.team_count):
            rows = [v for s, v in zip(slots, vecs, strict=True) if s.team == t]
            tv = sum_rows(rows) if rows else [0] * WIDTH
            if m.team_mode == "pve" and t == 1:
                outcome = 4
            elif m.winner < 0:
                outcome = 1
            else:
                outcome = 2 if t == m.winner else 3
            rank = 1 if outcome in (1, 2) or m.team_mode == "pve" else 2
            teams.append(
                {"TeamId": t, "Outcome": outcome, "Rank": rank, "Stats": _stats(m, tv, team=True)}
            )
    return {
        "MatchId": m.match_id,
        "MatchInfo": match_info(world, m),
        "Teams": teams,
        "Players": players,
    }


def history_page(world: World, p: SimPlayer, start: int, count: int, kind: str) -> JSON:
    slots = world.slots(p)
    if kind != "all":
        slots = [s for s in slots if s.match.history_type == kind]
    newest = slots[::-1][start : start + count] if start >= 0 else []
    results = [
        {
            "MatchId": s.match.match_id,
            "MatchInfo": match_info(world, s.match),
            "LastTeamId": s.team,
            "Outcome": s.outcome,
            "Rank": s.rank,
            "PresentAtEndOfMatch": not s.left_early,
        }
        for s in newest
    ]
    return {
        "Start": start,
        "Count": count,
        "ResultCount": len(results),
        "Results": results,
        "Links": {},
    }


def match_count(world: World, p: SimPlayer) -> JSON:
    kinds = Counter(s.match.history_type for s in world.slots(p))
    return {
        "CustomMatchesPlayedCount": kinds["custom"],
        "MatchesPlayedCount": kinds.total(),
        "MatchmadeMatchesPlayedCount": kinds["matchmaking"],
        "LocalMatchesPlayedCount": kinds["local"],
    }


# --------------------------------------------------------------------------- skill
def csr_block(value: int, remaining: int) -> JSON:
    return _csr_block(value, remaining, placement=PLACEMENT_MATCHES)


def csr_entry(world: World, p: SimPlayer, pl: Playlist, season_bare: str | None) -> JSON:
    cs = world.csr_season(season_bare)
    if cs is None:
        cur, rem, smax, amax = -1, PLACEMENT_MATCHES, -1, -1
    else:
        cur, rem, smax, amax = world.csr_of(p, pl, cs)
    return {
        "Id": p.player_id,
        "ResultCode": 0,
        "Result": {
            "Current": csr_block(cur, rem),
            "SeasonMax": csr_block(smax, rem),
            "AllTimeMax": csr_block(amax, rem),
        },
    }


_TIER_KILLS = (
    ("Bronze", 0.2),
    ("Silver", 0.35),
    ("Gold", 0.5),
    ("Platinum", 0.65),
    ("Diamond", 0.8),
    ("Onyx", 0.95),
)


def skill_result(world: World, s: Slot) -> JSON:
    m = s.match
    if s.xuid is not None and s.xuid < GUEST_BASE and s.xuid in world.by_xuid:
        world.replay_csr(world.by_xuid[s.xuid])
    v = world.slot_vector(s)
    exp_k, exp_d = world.expectation(s)
    mmr = 250 + 1350 * s.skill
    team_mmr: dict[str, float] = {}
    for t in range(max(m.team_count, 1)):
        members = [x.skill for x in world.roster(m) if x.team == t] or [0.5]
        team_mmr[str(t)] = 250 + 1350 * sum(members) / len(members)
    pre = s.csr_pre if m.ranked else (-1, PLACEMENT_MATCHES)
    post = s.csr_post if m.ranked else (-1, PLACEMENT_MATCHES)
    return {
        "Id": s.player_id,
        "ResultCode": 0,
        "Result": {
            "TeamMmr": team_mmr.get(str(s.team), mmr),
            "RankRecap": {
                "PreMatchCsr": csr_block(*pre),
                "PostMatchCsr": csr_block(*post),
            },
            "StatPerformances": {
                "Kills": {
                    "Count": v[COL["core.Kills"]],
                    "Expected": exp_k,
                    "StdDev": max(1.0, exp_k**0.5),
                },
                "Deaths": {
                    "Count": v[COL["core.Deaths"]],
                    "Expected": exp_d,
                    "StdDev": max(1.0, exp_d**0.5),
                },
            },
            "TeamId": s.team,
            "TeamMmrs": team_mmr,
            "RankedRewards": None,
            "Counterfactuals": {
                "SelfCounterfactuals": {"Kills": exp_k, "Deaths": exp_d},
                "TierCounterfactuals": {
                    name: dict(zip(("Kills", "Deaths"), world.expectation(s, q), strict=True))
                    for name, q in _TIER_KILLS
                },
            },
        },
    }


# --------------------------------------------------------------------------- profile
def _gamerpic(xuid: int) -> JSON:
    base = f"https://images-eds-ssl.xboxlive.com/image?url=sim{xuid:x}&format=png"
    return {
        "small": base + "&w=64&h=64",
        "medium": base + "&w=208&h=208",
        "large": base + "&w=424&h=424",
        "xlarge": base,
    }


def user(xuid: int, gamertag: str) -> JSON:
    return {"xuid": str(xuid), "gamertag": gamertag, "gamerpic": _gamerpic(xuid)}


def guest_tag(xuid: int) -> str:
    return f"Guest{xuid % 10**6:06d}"


# --------------------------------------------------------------------------- gamecms
def season_calendar(world: World) -> JSON:
    seasons = [
        {
            "CsrSeasonFilePath": s.csr_path,
            "OperationTrackPath": s.operation_track,
            "SeasonMetadata": s.metadata_path,
            "StartDate": {"ISO8601Date": cms_date(s.start_ms)},
            "EndDate": {"ISO8601Date": cms_date(s.end_ms)},
        }
        for s in world.seasons
    ]
    events = [
        {
            "RewardTrackPath": f"RewardTracks/Events/Event{s.index:02d}.json",
            "StartDate": {"ISO8601Date": cms_date(s.start_ms + 14 * 86_400_000)},
            "EndDate": {"ISO8601Date": cms_date(s.start_ms + 21 * 86_400_000)},
        }
        for s in world.seasons
    ]
    return {
        "Seasons": seasons,
        "Events": events,
        "CareerRank": {"RewardTrackPath": "RewardTracks/CareerRanks/careerrank1.json"},
    }


def csr_calendar(world: World) -> JSON:
    return {
        "Seasons": [
            {
                "CsrSeasonFilePath": cs.path,
                "StartDate": {"ISO8601Date": cms_date(cs.start_ms)},
                "EndDate": {"ISO8601Date": cms_date(cs.end_ms)},
            }
            for cs in world.csr_seasons
        ]
    }


def _loc(value: str) -> JSON:
    return {"status": "Test", "value": value, "translations": {}}


def _date_range(start_ms: int, end_ms: int) -> str:
    a, b = from_ms(start_ms), from_ms(end_ms)
    return f"{a:%b} {a.day}, {a.year} - {b:%b} {b.day}, {b.year}"


def season_metadata(world: World, path: str) -> JSON | None:
    """Season metadata files (`Seasons/SeasonN.json`): the fields public clients read (name,
    number, date range, logo, description). No sample of this file exists; gamecms files that
    are recorded (the career track) give `Name`, `Description` and `DateRange` as localized
    objects, so these do too, and readers also take a plain string."""
    for s in world.seasons:
        if s.metadata_path.lower() == path.lower():
            logo = f"progression/Seasons/S{s.index:02d}_Logo.png"
            return {
                "Name": _loc(s.name),
                "Number": s.index,
                "DateRange": _loc(_date_range(s.start_ms, s.end_ms)),
                "Logo": logo,
                "SeasonLogoImage": logo,
                "Description": _loc(f"{s.name} of the simulated world."),
                "OperationTrackPath": s.operation_track,
                "StartDate": {"ISO8601Date": cms_date(s.start_ms)},
                "EndDate": {"ISO8601Date": cms_date(s.end_ms)},
            }
    return None


def playlist_asset(pl: Playlist, seed: int) -> JSON:
    exp = {1: "Untracked", 2: "Arena", 3: "BTB", 4: "PveBots", 5: "Featured", 6: "PvE"}
    hint = pl.spec.name.lower().replace(" ", "_")
    return {
        "NameHint": hint,
        "PlatformMatchmakingHopperId": f"SIM-RETAIL_{hint}",
        "UgcPlaylistVersion": pl.asset.version_id,
        "GameStartRulesId": "rankedArena" if pl.ranked else "social",
        "TrueMatchSettings": "rankedPlay.json" if pl.ranked else "socialPlay.json",
        "ThunderheadContentConfiguration": "NonCampaign",
        "ThunderheadVmSize": "Medium",
        "HasCsr": pl.ranked,
        "PlaylistExperience": exp[pl.spec.experience],
        "MatchmakingDelaySec": 0,
        "UseGameVariantFilter": False,
        "MatchOnCsr": pl.ranked,
        "ForceEnableEac": False,
    }


def career_progress(world: World, p: SimPlayer) -> JSON:
    """Economy career rank progress (no real sample: shape as public clients model it)."""
    xp = sum(world.slot_vector(s)[COL["core.PersonalScore"]] for s in world.slots(p)) // 4
    ranks = data_json("careerrank1.json")["Ranks"]
    rank, left = 1, xp
    for r in ranks:
        need = r["XpRequiredForRank"]
        if left < need:
            break
        left -= need
        rank = r["Rank"] + 1
    maxed = rank > len(ranks)
    return {
        "RewardTrackPath": "RewardTracks/CareerRanks/careerRank1.json",
        "TrackType": "CareerRank",
        "CurrentProgress": {
            "Rank": min(rank, len(ranks)),
            "PartialProgress": 0 if maxed else left,
            "IsOwned": False,
            "HasReachedMaxRank": maxed,
        },
        "PreviousProgress": None,
        "IsOwned": False,
        "BaseXp": None,
        "BoostXp": None,
    }


# --------------------------------------------------------------------------- discovery
def _retarget(template: JSON, asset: Asset) -> JSON:
    text = json.dumps(template)
    text = text.replace(template["AssetId"], asset.asset_id)
    text = text.replace(template["VersionId"], asset.version_id)
    out: JSON = json.loads(text)
    out["PublicName"] = asset.name
    out["Description"] = asset.description
    return out


def _link(template: JSON, a: Asset) -> JSON:
    out = copy.deepcopy(template)
    out.update(
        AssetId=a.asset_id, VersionId=a.version_id, PublicName=a.name, Description=a.description
    )
    if "Files" in out:
        old = template["Files"]["Prefix"].rstrip("/").split("/")
        kind = old[-3] if len(old) >= 3 else "asset"
        prefix = f"/ugcstorage/{kind}/{a.asset_id}/{a.version_id}/"
        out["Files"] = {
            **template["Files"],
            "Prefix": f"https://blobs-infiniteugc.svc.halowaypoint.com{prefix}",
        }
        if isinstance(template["Files"].get("PrefixEndpoint"), dict):
            out["Files"]["PrefixEndpoint"] = {**template["Files"]["PrefixEndpoint"], "Path": prefix}
    return out


def discovery_asset(world: World, kind: str, asset_id: str, version_id: str | None) -> JSON | None:
    """An asset version; `version_id` None asks for the current one (the path without
    `/versions/...`, which some clients call)."""
    aid = asset_id.lower()

    def same(a: Asset) -> bool:
        return version_id is None or a.version_id == version_id.lower()

    if kind == "playlists":
        pl = world.playlist_by_id.get(aid)
        if pl is None or not same(pl.asset):
            return None
        tpl = data_json("discovery-playlist.json")
        out = _retarget(tpl, pl.asset)
        entry = tpl["RotationEntries"][0]
        out["RotationEntries"] = [_link(entry, pair) for pair, _m, _v in pl.pairs]
        out["CustomData"] = {
            **tpl["CustomData"],
            "PlaylistEntries": [
                {"MapModePairAssetId": pair.asset_id, "Metadata": {"Weight": 1.0}}
                for pair, _m, _v in pl.pairs
            ],
        }
        return out
    if kind == "mapmodepairs":
        hit = world.pairs.get(aid)
        if hit is None or not same(hit[0]):
            return None
        pair, map_asset, var = hit
        tpl = data_json("discovery-mapmodepair.json")
        out = _retarget(tpl, pair)
        out["MapLink"] = _link(tpl["MapLink"], map_asset)
        out["UgcGameVariantLink"] = _link(tpl["UgcGameVariantLink"], var)
        return out
    if kind == "maps":
        for a in world.maps:
            if a.asset_id == aid and same(a):
                return _retarget(data_json("discovery-map.json"), a)
        return None
    if kind == "ugcgamevariants":
        for a in world.variant_assets.values():
            if a.asset_id == aid and same(a):
                return _retarget(data_json("discovery-ugcgamevariant.json"), a)
        return None
    return None
