"""One entry point from response bytes to a typed model: `decode(kind, data)`.

Why: the client, the store (re-reading raw JSON), the CLI and tests all decode the same way;
each type gets one `msgspec.json.Decoder`, built on first use and kept; every failure becomes
a `ParseError` that names the kind and where the bytes came from.

Each response model declares the fields that identify its kind as required (no default):
a 200 body of the wrong shape (`{"Weird": 1}`) is then a `ParseError` naming the missing
field, never an all-default model that would be stored as a real snapshot. Every other
field stays optional and unknown fields are ignored, so API drift costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import msgspec

from halotrack.errors import ConfigError, ParseError
from halotrack.models._base import attach_raw
from halotrack.models.discovery import (
    GameVariantVersion,
    MapModePairVersion,
    MapVersion,
    PlaylistVersion,
)
from halotrack.models.economy import CareerRankProgress
from halotrack.models.gamecms import (
    CareerRankTrack,
    CsrSeasonCalendar,
    MedalMetadata,
    PlaylistAsset,
    SeasonCalendar,
    SeasonMetadata,
)
from halotrack.models.profile import User, Users
from halotrack.models.skill import MatchSkill, PlaylistCsr
from halotrack.models.stats import MatchCount, MatchHistory, MatchStats, ServiceRecord

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Kind:
    """A decodable response: its model, the API service it comes from, and an optional
    step turning the decoded value into the model (bare JSON lists need a wrapper)."""

    name: str
    model: type[Any]
    service: str
    wire_type: Any = None
    wrap: Callable[[Any], Any] | None = None


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("service-record", ServiceRecord, "stats"),
        Kind("match-history", MatchHistory, "stats"),
        Kind("match-stats", MatchStats, "stats"),
        Kind("match-count", MatchCount, "stats"),
        Kind("match-skill", MatchSkill, "skill"),
        Kind("playlist-csr", PlaylistCsr, "skill"),
        Kind("season-calendar", SeasonCalendar, "gamecms"),
        Kind("csr-season-calendar", CsrSeasonCalendar, "gamecms"),
        Kind("career-rank-track", CareerRankTrack, "gamecms"),
        Kind("season-metadata", SeasonMetadata, "gamecms"),
        Kind("medal-metadata", MedalMetadata, "gamecms"),
        Kind("playlist-asset", PlaylistAsset, "gamecms"),
        Kind("playlist", PlaylistVersion, "discovery"),
        Kind("map", MapVersion, "discovery"),
        Kind("map-mode-pair", MapModePairVersion, "discovery"),
        Kind("game-variant", GameVariantVersion, "discovery"),
        Kind("user", User, "profile"),
        Kind("users", Users, "profile", list[User], lambda v: Users(users=v)),
        Kind("career-rank-progress", CareerRankProgress, "economy"),
    )
}
"""Every kind `decode()` accepts, by name."""

_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decoder_for(tp: type[T]) -> msgspec.json.Decoder[T]:
    """The cached decoder for a model type (built once; building costs far more than using)."""
    dec = _DECODERS.get(tp)
    if dec is None:
        dec = _DECODERS[tp] = msgspec.json.Decoder(tp)
    return cast("msgspec.json.Decoder[T]", dec)


_DECODE_ERRORS = (msgspec.MsgspecError, ValueError, TypeError, OverflowError, RecursionError)


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def decode(
    kind: str,
    data: bytes | bytearray | memoryview | str,
    *,
    source: str = "<bytes>",
    service: str | None = None,
    status: int | None = None,
) -> Any:
    """Decode a response body of `kind` (see `KINDS`) into its model, raw bytes attached.

    `source` is the URL or file the body came from and `status` its HTTP status; both go
    into the `ParseError` raised for a body that is not the promised shape.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ConfigError(f"unknown kind {kind!r}", hint="one of: " + ", ".join(sorted(KINDS)))
    body = _as_bytes(data)
    try:
        value = decoder_for(spec.wire_type or spec.model).decode(body)
        if spec.wrap is not None:
            value = spec.wrap(value)
    except _DECODE_ERRORS as exc:
        raise ParseError(
            f"cannot decode {kind} from {source}: {_describe(exc, body)}",
            service=service or spec.service,
            status=status,
            url=source,
            hint="the body is truncated, or the API changed shape at the path named",
        ) from exc
    attach_raw(value, body)
    return value


def decode_as(
    tp: type[T],
    data: bytes | bytearray | memoryview | str,
    *,
    source: str = "<bytes>",
    service: str = "unknown",
    status: int | None = None,
) -> T:
    """Decode into any model type (not only the named kinds), with the same error rules."""
    body = _as_bytes(data)
    try:
        value = decoder_for(tp).decode(body)
    except _DECODE_ERRORS as exc:
        raise ParseError(
            f"cannot decode {tp.__name__} from {source}: {_describe(exc, body)}",
            service=service,
            status=status,
            url=source,
        ) from exc
    if hasattr(value, "__dict__"):
        attach_raw(value, body)
    return value


def _describe(exc: BaseException, body: bytes) -> str:
    if not body.strip():
        return "empty body"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def guess_kind(data: bytes | bytearray | memoryview | str) -> str | None:
    """Name the kind a body looks like from its top-level keys, or None when unsure."""
    try:
        obj = msgspec.json.decode(_as_bytes(data))
    except msgspec.DecodeError:
        return None
    return guess_kind_of(obj)


# Kinds told by top-level keys, first match wins: (kind, keys all present, keys one of which
# is present). Tried in order, before and after the `Value` list of the batch answers.
_KeyRule = tuple[str, frozenset[str], frozenset[str]]


def _rule(kind: str, every: str, one_of: str = "") -> _KeyRule:
    return kind, frozenset(every.split()), frozenset(one_of.split())


_TOP_LEVEL = (
    _rule("user", "xuid gamertag"),
    _rule("match-stats", "MatchId", "Players Teams"),
    _rule("match-history", "Results", "ResultCount Start"),
    _rule("service-record", "Subqueries"),
    _rule("service-record", "CoreStats MatchesCompleted"),
    _rule("match-count", "", "MatchesPlayedCount MatchmadeMatchesPlayedCount"),
)
_TOP_LEVEL_NO_VALUE = (
    _rule("medal-metadata", "medals", "difficulties types"),
    _rule("career-rank-track", "Ranks", "TrackId XpPerRank"),
    _rule("career-rank-progress", "CurrentProgress"),
    _rule("career-rank-progress", "RewardTrackPath IsOwned"),
)
# Discovery assets (`AssetId` and `VersionId`): by their links, else by their `CustomData`.
_ASSET = (
    _rule("playlist", "RotationEntries"),
    _rule("map-mode-pair", "", "MapLink UgcGameVariantLink"),
    _rule("game-variant", "EngineGameVariantLink"),
    _rule("map", "PrefabLinks"),
)
_ASSET_CUSTOM = (
    _rule("playlist", "PlaylistEntries"),
    _rule("map", "", "NumOfObjectsOnMap TagLevelId"),
    _rule("game-variant", "KeyValues"),
)


def _by_keys(rules: tuple[_KeyRule, ...], keys: set[str]) -> str | None:
    for kind, every, one_of in rules:
        if keys >= every and (not one_of or keys & one_of):
            return kind
    return None


def guess_kind_of(obj: Any) -> str | None:
    """`guess_kind` for an already parsed JSON value."""
    if isinstance(obj, list):
        if all(isinstance(x, dict) and ("xuid" in x or "gamertag" in x) for x in obj):
            return "users"
        return None
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if kind := _by_keys(_TOP_LEVEL, keys):
        return kind
    if isinstance(obj.get("Value"), list):
        for entry in obj["Value"]:
            result = entry.get("Result") if isinstance(entry, dict) else None
            if isinstance(result, dict):
                if "RankRecap" in result or "StatPerformances" in result or "TeamMmr" in result:
                    return "match-skill"
                if "Current" in result or "AllTimeMax" in result:
                    return "playlist-csr"
        return None
    if kind := _by_keys(_TOP_LEVEL_NO_VALUE, keys):
        return kind
    if "Seasons" in keys:
        seasons = obj.get("Seasons") or []
        if "Events" in keys or "CareerRank" in keys:
            return "season-calendar"
        if any(isinstance(s, dict) and "SeasonMetadata" in s for s in seasons):
            return "season-calendar"
        return "csr-season-calendar"
    if "UgcPlaylistVersion" in keys or "HasCsr" in keys or "PlatformMatchmakingHopperId" in keys:
        return "playlist-asset"
    if "AssetId" in keys and "VersionId" in keys:
        custom = obj.get("CustomData")
        by_custom = _by_keys(_ASSET_CUSTOM, set(custom)) if isinstance(custom, dict) else None
        return _by_keys(_ASSET, keys) or by_custom
    return None
