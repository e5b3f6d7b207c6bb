"""Turn a decoded model into plain JSON values a person or a script can read.

Conventions (the `halotrack decode` output): keys are the models' snake_case attribute
names; durations are ISO 8601 strings (`PT9M9.421162S`, `P17DT10H55M53.768551S`);
datetimes are ISO 8601 UTC with `Z`; every enum-valued int keeps its number and gains a
`<field>_name` beside it (`Unknown(<n>)` when new); medal and personal-score entries gain
`name` (plus `difficulty`/`type` for medals when metadata is given, `points` per award for
scores); CSR blocks gain `label`, `progress` and `next_label`.

Also the column list of the match exports (`COLUMNS`): defined once, here, so the three
formats, the help and the README name the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from halotrack.models._base import iso_datetime, iso_duration
from halotrack.models.names import MedalBook, PersonalScoreBook
from halotrack.models.skill import Csr
from halotrack.models.stats import Award, ServiceRecord


def to_jsonable(
    obj: Any,
    *,
    medals: MedalBook | None = None,
    scores: PersonalScoreBook | None = None,
) -> Any:
    """A JSON-ready copy of `obj` (a model, list, dict or scalar) following the conventions
    in this module's docstring."""
    return _Exporter(medals, scores).value(obj, "")


class _Exporter:
    def __init__(self, medals: MedalBook | None, scores: PersonalScoreBook | None) -> None:
        self.medals = medals
        self.scores = scores

    def value(self, v: Any, field: str) -> Any:
        if isinstance(v, msgspec.Struct):
            return self.struct(v, field)
        if isinstance(v, list | tuple):
            return [self.value(x, field) for x in v]
        if isinstance(v, dict):
            return {str(k): self.value(x, str(k)) for k, x in v.items()}
        if isinstance(v, datetime):
            return iso_datetime(v)
        if isinstance(v, timedelta):
            return iso_duration(v)
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return v

    def struct(self, s: msgspec.Struct, field: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        enums: dict[str, Any] = getattr(type(s), "__enums__", {})
        for name in s.__struct_fields__:
            v = getattr(s, name)
            out[name] = self.value(v, name)
            if name in enums and v is not None:
                out[f"{name}_name"] = enums[name].label(v)
        if isinstance(s, Award):
            self.award(s, field, out)
        elif isinstance(s, Csr):
            out["label"] = s.label
            out["progress"] = s.progress
            out["next_label"] = s.next_label
        elif isinstance(s, ServiceRecord):
            out["kd_ratio"] = s.kd_ratio
            out["win_rate"] = s.win_rate
        return out

    def award(self, a: Award, field: str, out: dict[str, Any]) -> None:
        if field == "medals" and self.medals is not None:
            out["name"] = self.medals.name(a.name_id)
            out["difficulty"] = self.medals.difficulty(a.name_id)
            out["type"] = self.medals.type(a.name_id)
        elif field == "personal_scores" and self.scores is not None:
            out["name"] = self.scores.name(a.name_id)
            out["points"] = self.scores.points(a.name_id)


# ---------------------------------------------------------------------------- match exports

Kind = Literal["str", "int", "float", "bool", "time"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of `halotrack export matches`, the same in CSV, JSON lines and Parquet."""

    name: str
    kind: Kind
    doc: str


COLUMNS: tuple[Column, ...] = (
    Column("match_id", "str", "the match's GUID"),
    Column("start_time", "time", "when the match started (UTC)"),
    Column("end_time", "time", "when it ended (UTC)"),
    Column("duration_seconds", "float", "match length"),
    Column("lifecycle", "str", "Matchmade, Custom or Local"),
    Column("game_type", "str", "the game variant category (Slayer, CTF, Firefight...)"),
    Column("interaction", "str", "PvP, PvE or PvPvE (when the match says)"),
    Column("pve", "bool", "against the AI (PvE or Firefight): left out of the headline K/D"),
    Column("experience", "str", "the playlist experience (Arena, BTB...)"),
    Column("playlist", "str", "playlist name (empty when not fetched, or no playlist)"),
    Column("playlist_id", "str", "playlist asset id"),
    Column("playlist_version", "str", "playlist version id"),
    Column("map", "str", "map name"),
    Column("map_id", "str", "map asset id"),
    Column("map_version", "str", "map version id"),
    Column("mode", "str", "game variant (mode) name"),
    Column("mode_id", "str", "game variant asset id"),
    Column("mode_version", "str", "game variant version id"),
    Column("season_id", "str", "the season the match belongs to"),
    Column("teams_enabled", "bool", "a team game"),
    Column("player_count", "int", "players in the match, bots included"),
    Column("human_count", "int", "humans in the match"),
    Column("player", "str", "gamertag (as last seen); empty for bots"),
    Column("xuid", "int", "the player's XUID; empty for bots"),
    Column("player_id", "str", "the match's player id (xuid(...) or bid(...))"),
    Column("is_bot", "bool", "a bot"),
    Column("team_id", "int", "team number"),
    Column("outcome", "str", "Win, Loss, Tie or Did not finish"),
    Column("rank", "int", "place on the scoreboard"),
    Column("present_at_completion", "bool", "still there at the end"),
    Column("time_played_seconds", "float", "time the player played"),
    Column("kills", "int", "kills"),
    Column("deaths", "int", "deaths"),
    Column("assists", "int", "assists"),
    Column("kd", "float", "kills per death (with no deaths, the kills)"),
    Column("kda", "float", "the game's KDA"),
    Column("accuracy", "float", "shot accuracy, percent"),
    Column("score", "int", "score"),
    Column("personal_score", "int", "personal score"),
    Column("damage_dealt", "int", "damage dealt"),
    Column("damage_taken", "int", "damage taken"),
    Column("shots_fired", "int", "shots fired"),
    Column("shots_hit", "int", "shots hit"),
    Column("headshot_kills", "int", "headshot kills"),
    Column("max_killing_spree", "int", "longest killing spree"),
    Column("medal_count", "int", "medals earned"),
    Column("expected_kills", "float", "kills the skill service expected"),
    Column("kills_spread", "float", "its standard deviation"),
    Column("expected_deaths", "float", "deaths the skill service expected"),
    Column("deaths_spread", "float", "its standard deviation"),
    Column("performance_index", "float", "(kills-expected)/spread - (deaths-expected)/spread"),
    Column("csr_before", "int", "CSR before the match (-1: unranked)"),
    Column("csr_before_tier", "str", "its tier"),
    Column("csr_before_sub_tier", "int", "its sub-tier"),
    Column("placements_left_before", "int", "placement matches left before it"),
    Column("csr_after", "int", "CSR after the match (-1: unranked)"),
    Column("csr_after_tier", "str", "its tier"),
    Column("csr_after_sub_tier", "int", "its sub-tier"),
    Column("placements_left_after", "int", "placement matches left after it"),
    Column("csr_delta", "int", "CSR gained (empty unless ranked before and after)"),
    Column("team_mmr", "float", "the team's matchmaking rating"),
)
NAMES = tuple(c.name for c in COLUMNS)


MATCH_COLUMNS_HELP = ", ".join(NAMES)
"""The column names, for `export matches --help` (the CLI imports no store code at start)."""
