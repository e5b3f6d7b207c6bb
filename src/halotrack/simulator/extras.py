"""Bodies for endpoints halotrack does not read but other public clients call.

Why: a tool author points their own client at the simulator; a 404 on an endpoint the real
API serves fails them where the real API would not. No real sample exists for these: the
shapes follow the types public clients declare for them (REFERENCE.md lists the paths), and
the values come from the world so that they agree with the rest of the simulator.
"""

from __future__ import annotations

from typing import Any

from halotrack.simulator.formats import TICKS_PER_MS, cms_date, guid
from halotrack.simulator.views import data_json, user
from halotrack.simulator.world import Match, Season, SimPlayer, World

JSON = dict[str, Any]

# Film chunk types: 1 header, 2 replication data (20 s each), 3 highlight events.
_CHUNK_MS = 20_000
_BLOBS = "https://blobs-infiniteugc.svc.halowaypoint.com/ugcstorage"


def _date(ms: int) -> JSON:
    return {"ISO8601Date": cms_date(ms)}


def _loc(value: str) -> JSON:
    return {"status": "Test", "value": value, "translations": {}}


def comms_me(p: SimPlayer) -> JSON:
    return user(p.xuid, p.gamertag)


def matches_privacy() -> JSON:
    """Both kinds of history visible: the simulator has no private players."""
    return {"MatchmadeGames": 1, "OtherGames": 1}


def ban_summary(targets: list[str]) -> JSON:
    return {
        "Results": [{"Id": t, "ResultCode": 0, "Result": {"BansInEffect": []}} for t in targets],
        "Links": {},
    }


def challenge_decks(world: World, p: SimPlayer) -> JSON:
    season = world.season_at(world.clock.now_ms())
    return {"AssignedDecks": [], "ActiveSeasonId": season.metadata_path, "Xuid": str(p.xuid)}


def _track_ranks(count: int) -> list[JSON]:
    empty: JSON = {"InventoryRewards": [], "CurrencyRewards": []}
    return [{"Rank": r, "FreeRewards": empty, "PaidRewards": empty} for r in range(1, count + 1)]


OPERATION_RANKS = 50
OPERATION_XP_PER_RANK = 1000


def operation_track(world: World, path: str) -> JSON | None:
    """An operation (battle pass) reward track file, named by a season's OperationTrackPath."""
    for s in world.seasons:
        if s.operation_track.lower() == path.lower():
            return {
                "TrackId": s.operation_track.rsplit("/", 1)[-1].removesuffix(".json"),
                "Ranks": _track_ranks(OPERATION_RANKS),
                "Name": _loc(f"{s.name} Operation"),
                "Description": _loc(f"The operation of {s.name}."),
                "XpPerRank": OPERATION_XP_PER_RANK,
                "BattlePassImage": f"progression/Operations/S{s.index:02d}_Pass.png",
                "BackgroundImagePath": f"progression/Operations/S{s.index:02d}_Background.png",
            }
    return None


def _ops_progress(world: World, p: SimPlayer, s: Season) -> JSON:
    """100 XP per minute played in the season's matches."""
    minutes = sum(
        slot.match.duration_ticks // (60_000 * TICKS_PER_MS)
        for slot in world.slots(p)
        if s.start_ms <= slot.match.start_ms < s.end_ms
    )
    rank, partial = divmod(minutes * 100, OPERATION_XP_PER_RANK)
    maxed = rank >= OPERATION_RANKS
    return {
        "Rank": min(rank, OPERATION_RANKS),
        "PartialProgress": 0 if maxed else partial,
        "IsOwned": False,
        "HasReachedMaxRank": maxed,
    }


def operations(world: World, p: SimPlayer) -> JSON:
    current = world.season_at(world.clock.now_ms())
    tracks = [
        {
            "RewardTrackPath": s.operation_track,
            "CurrentProgress": _ops_progress(world, p, s),
            "IsOwned": False,
        }
        for s in world.seasons
        if s.start_ms <= world.clock.now_ms()
    ]
    return {
        "ActiveOperationRewardTrackPath": current.operation_track,
        "OperationRewardTracks": tracks,
    }


def customization(world: World, p: SimPlayer) -> JSON:
    """The player's appearance with no cores equipped (the simulator has no inventory)."""
    first = world.slots(p)[0].match.start_ms if world.slots(p) else world.clock.now_ms()
    return {
        "ArmorCores": {"ArmorCores": []},
        "SpartanBody": {
            "LastModifiedDateUtc": _date(first),
            "LeftArm": "Inventory/Spartan/Bodies/Arm-Default.json",
            "RightArm": "Inventory/Spartan/Bodies/Arm-Default.json",
            "LeftLeg": "Inventory/Spartan/Bodies/Leg-Default.json",
            "RightLeg": "Inventory/Spartan/Bodies/Leg-Default.json",
            "BodyType": "Inventory/Spartan/Bodies/Type-Default.json",
            "VoicePath": "Inventory/Spartan/Voices/Voice-Default.json",
        },
        "Appearance": {
            "LastModifiedDateUtc": _date(first),
            "ActionPosePath": "Inventory/Spartan/ActionPoses/Pose-Default.json",
            "BackdropImagePath": "Inventory/Spartan/BackdropImages/Backdrop-Default.json",
            "Emblem": {
                "EmblemPath": "Inventory/Spartan/Emblems/Emblem-Default.json",
                "ConfigurationId": -1,
            },
            "ServiceTag": p.gamertag[:4].upper(),
            "IntroEmotePath": None,
            "PlayerTitlePath": None,
        },
        "WeaponCores": {"WeaponCores": []},
        "AiCores": {"AiCores": []},
        "VehicleCores": {"VehicleCores": []},
    }


def search(world: World, term: str, start: int, count: int) -> JSON:
    """Asset search over the world's maps (kind 2), name or description containing `term`."""
    low = term.lower()
    hits = [a for a in world.maps if low in a.name.lower() or low in a.description.lower()]
    page = hits[start : start + count]
    t0 = world.seasons[0].start_ms
    results = [
        {
            "AssetId": a.asset_id,
            "AssetVersionId": a.version_id,
            "Name": a.name,
            "Description": a.description,
            "AssetKind": 2,
            "Tags": ["343i"],
            "ThumbnailUrl": f"{_BLOBS}/map/{a.asset_id}/{a.version_id}/images/thumbnail.jpg",
            "ReferencedAssets": [],
            "OriginalAuthor": "aaid(343)",
            "Likes": 0,
            "Bookmarks": 0,
            "PlaysRecent": 0,
            "NumberOfObjects": 0,
            "DateCreatedUtc": _date(t0),
            "DateModifiedUtc": _date(t0),
            "DatePublishedUtc": _date(t0),
            "HasNodeGraph": False,
            "ReadOnlyClones": True,
            "PlaysAllTime": 0,
            "Contributors": [],
            "ParentAssetCount": 0,
            "AverageRating": 0.0,
            "NumberOfRatings": 0,
        }
        for a in page
    ]
    return {
        "Tags": [{"Tag": "343i", "Count": len(hits)}] if hits else [],
        "EstimatedTotal": len(hits),
        "Start": start,
        "Count": count,
        "ResultCount": len(results),
        "Results": results,
        "Links": {},
    }


def film(world: World, m: Match) -> JSON:
    """The saved film of a match: a header, one chunk per 20 s, then the highlight events."""
    length = m.duration_ticks // TICKS_PER_MS
    asset, version = guid(world.seed, "film", m.match_id), guid(world.seed, "film", m.match_id, 1)
    starts = range(0, max(length, 1), _CHUNK_MS)
    chunks = [(1, 0, 0), *((2, a, min(_CHUNK_MS, length - a)) for a in starts), (3, 0, length)]
    return {
        "FilmStatusBond": 1,
        "CustomData": {
            "FilmLength": length,
            "Chunks": [
                {
                    "Index": i,
                    "ChunkStartTimeOffsetMilliseconds": at,
                    "DurationMilliseconds": dur,
                    "ChunkSize": 4096 if kind != 2 else 65536,
                    "FileRelativePath": f"/filmChunk{i}",
                    "ChunkType": kind,
                }
                for i, (kind, at, dur) in enumerate(chunks)
            ],
            "HasGameEnded": True,
            "ManifestRefreshSeconds": 0,
            "MatchId": m.match_id,
            "FilmMajorVersion": 35,
        },
        "BlobStoragePathPrefix": f"{_BLOBS}/film/{asset}/{version}/",
        "AssetId": asset,
    }


def settings_catalogue() -> JSON:
    """The settings endpoint catalogue (authorities and endpoints), as recorded."""
    doc: JSON = data_json("settings-endpoints.json")
    return doc
