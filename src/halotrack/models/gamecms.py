"""gamecms-hacs models: season calendars, career rank track, medal metadata, playlist asset.

Why: these static files name what the stats only number (medals, seasons, ranks); they are
fetched rarely and cached, so the models favour convenient lookups over raw speed.
"""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec

from halotrack.models._base import Leaf, Model, Response, iso_datetime
from halotrack.models.enums import MedalDifficulty, MedalType, PlaylistExperience


class GameCmsDate(Leaf, frozen=True):
    """gamecms wraps timestamps: `{"ISO8601Date": "2021-06-20T17:00:00.000Z"}`."""

    iso8601_date: datetime | None = msgspec.field(name="ISO8601Date", default=None)


class LocalizedText(Model, rename=None, gc=False, frozen=True):
    """`{"value": "...", "translations": {"de-DE": "..."}}`, keys in lowercase."""

    value: str = ""
    translations: dict[str, str] = {}
    status: str | None = None

    def __str__(self) -> str:
        return self.value


def _date(d: GameCmsDate | None) -> datetime | None:
    """The date, aware: a date written without a zone is taken as UTC, as the API means it."""
    when = d.iso8601_date if d else None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


class _Dated(Model, gc=False, frozen=True):
    start_date: GameCmsDate | None = None
    end_date: GameCmsDate | None = None

    @property
    def start(self) -> datetime | None:
        return _date(self.start_date)

    @property
    def end(self) -> datetime | None:
        return _date(self.end_date)

    def contains(self, when: datetime) -> bool:
        """True when `when` (aware) falls in [start, end); an open end runs forever."""
        start, end = self.start, self.end
        return (start is None or start <= when) and (end is None or when < end)

    @property
    def date_label(self) -> str:
        """`2023-10-17 to 2024-03-05`: a name for a season when its metadata is not fetched."""
        s = iso_datetime(self.start)[:10] if self.start else "?"
        e = iso_datetime(self.end)[:10] if self.end else "open"
        return f"{s} to {e}"


def csr_season_id(path: str | None) -> str | None:
    """`Csr/Seasons/CsrSeason5-1.json` -> `CsrSeason5-1` (the skill service's `season=`)."""
    if not path:
        return None
    name = path.rsplit("/", 1)[-1]
    return name[:-5] if name.lower().endswith(".json") else name


class SeasonEntry(_Dated, gc=False, frozen=True):
    csr_season_file_path: str | None = None
    operation_track_path: str | None = None
    season_metadata: str | None = None

    @property
    def csr_season_id(self) -> str | None:
        return csr_season_id(self.csr_season_file_path)


class EventEntry(_Dated, gc=False, frozen=True):
    reward_track_path: str | None = None


class RewardTrackRef(Leaf, frozen=True):
    reward_track_path: str | None = None


class SeasonCalendar(Response, frozen=True):
    """`/hi/progression/file/calendars/seasons/seasoncalendar.json` (`Seasons` required)."""

    seasons: list[SeasonEntry]
    events: list[EventEntry] = []
    career_rank: RewardTrackRef | None = None

    def season_at(self, when: datetime) -> SeasonEntry | None:
        """The season running at `when` (aware datetime), or None between seasons."""
        return next((s for s in self.seasons if s.contains(when)), None)


class SeasonMetadata(Response, frozen=True):
    """A season's metadata file (a calendar entry's `SeasonMetadata`, e.g.
    `Seasons/Season5-Op1.json`): where the public season name comes from. `Name` is
    required: it is what makes a body this kind of file."""

    name: LocalizedText | str | None
    display_name: LocalizedText | str | None = None

    @property
    def title(self) -> str | None:
        """`Season 5`: `Name`, else `DisplayName`; None when neither has text."""
        for value in (self.name, self.display_name):
            text = (value.value if isinstance(value, LocalizedText) else value or "").strip()
            if text:
                return text
        return None


class CsrSeasonEntry(_Dated, gc=False, frozen=True):
    csr_season_file_path: str | None = None

    @property
    def csr_season_id(self) -> str | None:
        return csr_season_id(self.csr_season_file_path)


class CsrSeasonCalendar(Response, frozen=True):
    """`/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json` (`Seasons` required)."""

    seasons: list[CsrSeasonEntry]

    def season_at(self, when: datetime) -> CsrSeasonEntry | None:
        return next((s for s in self.seasons if s.contains(when)), None)


class InventoryReward(Leaf, frozen=True):
    inventory_item_path: str = ""
    amount: int = 0
    type: str | None = None


class Rewards(Model, gc=False, frozen=True):
    inventory_rewards: list[InventoryReward] = []
    currency_rewards: list[Any] = []


class CareerRank(Model, gc=False, frozen=True):
    rank: int
    free_rewards: Rewards | None = None
    paid_rewards: Rewards | None = None
    xp_required_for_rank: int = 0
    rank_title: LocalizedText | None = None
    rank_sub_title: LocalizedText | None = None
    rank_tier: LocalizedText | None = None
    rank_icon: str | None = None
    rank_large_icon: str | None = None
    rank_adornment_icon: str | None = None
    tier_type: str | None = None
    rank_grade: int | None = None

    @property
    def title(self) -> str:
        """`Recruit`, `Cadet Bronze 3`, `Hero`: title, sub-title and tier as shown in game."""
        parts = (self.rank_title, self.rank_sub_title, self.rank_tier)
        return " ".join(p.value for p in parts if p and p.value) or f"Rank {self.rank}"


class CareerRankTrack(Response, frozen=True):
    """`/hi/progression/file/RewardTracks/CareerRanks/careerRank1.json` (272 ranks;
    `Ranks` required)."""

    ranks: list[CareerRank]
    track_id: str = ""
    name: LocalizedText | None = None
    description: LocalizedText | None = None
    operation_number: int | None = None
    date_range: LocalizedText | None = None
    is_ritual: bool | None = None
    summary_image_path: str | None = None
    week_number: int | None = None
    xp_per_rank: int | None = None

    def rank(self, number: int) -> CareerRank | None:
        return next((r for r in self.ranks if r.rank == number), None)

    def xp_to_reach(self, number: int) -> int:
        """Total XP from rank 1 to reach `number` (sum of the ranks below it)."""
        return sum(r.xp_required_for_rank for r in self.ranks if r.rank < number)

    @property
    def total_xp(self) -> int:
        return sum(r.xp_required_for_rank for r in self.ranks)


class SpriteSheet(Leaf, rename=None, frozen=True):
    path: str = ""
    columns: int = 0
    size: int = 0


class Medal(Model, rename="camel", gc=False, frozen=True):
    """A medal's metadata; keys are lowerCamelCase in this file only."""

    __enums__: ClassVar[dict[str, Any]] = {
        "difficulty_index": MedalDifficulty,
        "type_index": MedalType,
    }

    name_id: int
    name: LocalizedText = LocalizedText()
    description: LocalizedText = LocalizedText()
    sprite_index: int | None = None
    sorting_weight: int | None = None
    difficulty_index: int | None = None
    type_index: int | None = None
    personal_score: int | None = None


class MedalMetadata(Response, rename="camel", frozen=True):
    """`/hi/Waypoint/file/medals/metadata.json`: names, difficulty, type, sprite position.
    `medals` is required."""

    medals: list[Medal]
    difficulties: list[str] = []
    types: list[str] = []
    sprites: dict[str, SpriteSheet] = {}

    def by_id(self) -> dict[int, Medal]:
        """NameId -> Medal (build once and keep it; see `names.MedalBook`)."""
        return {m.name_id: m for m in self.medals}

    def sprite_sheet(self) -> SpriteSheet | None:
        """The sheet medal icons are cut from: the small one (what a page needs), else the
        first the file lists; None when it lists none with a path."""
        sheet = self.sprites.get("small") or next(iter(self.sprites.values()), None)
        return sheet if sheet is not None and sheet.path else None

    def difficulty_name(self, index: int | None) -> str:
        """Name of a difficulty index from this file, else from the enum."""
        if index is not None and 0 <= index < len(self.difficulties):
            return self.difficulties[index]
        return MedalDifficulty.label(index)

    def type_name(self, index: int | None) -> str:
        if index is not None and 0 <= index < len(self.types):
            return self.types[index]
        return MedalType.label(index)


class PlaylistAsset(Response, frozen=True):
    """`/hi/Multiplayer/file/playlists/assets/{id}.json`. Here `PlaylistExperience` is a
    string (`"Arena"`); match stats carry it as a number. `UgcPlaylistVersion` (the
    discovery version it describes) is required, though it may be null."""

    ugc_playlist_version: str | None
    name_hint: str | None = None
    platform_matchmaking_hopper_id: str | None = None
    game_start_rules_id: str | None = None
    true_match_settings: str | None = None
    thunderhead_content_configuration: str | None = None
    thunderhead_vm_size: str | None = None
    has_csr: bool = False
    playlist_experience: str | int | None = None
    matchmaking_delay_sec: int | None = None
    use_game_variant_filter: bool | None = None
    match_on_csr: bool | None = None
    force_enable_eac: bool | None = None

    @property
    def experience_name(self) -> str:
        exp = self.playlist_experience
        if isinstance(exp, int):
            return PlaylistExperience.label(exp)
        return exp or "Unknown"
