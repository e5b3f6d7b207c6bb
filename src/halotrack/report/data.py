"""The stats page's data contract: plain, frozen dataclasses the templates read.

Why a contract of its own: the page must not know how the store keeps rows or how the models
decode responses. `assemble(PageInputs)` turns stored raw records, extracted snapshot columns
and cached metadata into a `PageData`; `halotrack.report.build.build_page_data` fills the
inputs from the store. Numbers stay numbers here; formatting belongs to the templates.
Every number a record or CSR reading carries is read by the models' readers
(`models.summary`, `models.csr`, `models.modes`), the same ones the store and history use.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from halotrack.models.csr import (
    csr_change as csr_gained,
)
from halotrack.models.csr import (
    csr_label,
    is_ranked,
    next_step_label,
    progress_to_next,
    read_csr_block,
)
from halotrack.models.enums import GameVariantCategory, MedalDifficulty, MedalType
from halotrack.models.gamecms import CsrSeasonCalendar, MedalMetadata, SeasonCalendar
from halotrack.models.modes import MODE_TABLE
from halotrack.models.names import PersonalScoreBook, load_personal_scores
from halotrack.models.summary import (
    RecordSummary,
    award_counts,
    duration,
    kd_ratio,
    read_int,
    read_summary,
    season_ids,
    variant_categories,
    win_percent,
)
from halotrack.usecases.seasons import calendar_pairs, season_name

if TYPE_CHECKING:
    from halotrack.report.insights import PageInsights

Raw = Mapping[str, Any]
StatValue = int | float | timedelta

# Charts get at most this many points per series; long histories are bucketed in time.
MAX_CHART_POINTS = 300
RECENT_MATCHES = 25
MIN_DELTA_SPAN = timedelta(days=1)
WEEK = timedelta(days=7)


# --------------------------------------------------------------------------- contract


@dataclass(frozen=True, slots=True)
class PagePlayer:
    xuid: str
    gamertag: str
    previous_gamertags: tuple[str, ...] = ()
    career_rank: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeasonRow:
    season_id: str
    label: str
    kind: Literal["season", "ranked"]
    start: datetime | None
    end: datetime | None
    summary: RecordSummary | None = None


@dataclass(frozen=True, slots=True)
class ModeStat:
    key: str
    label: str
    value: StatValue


@dataclass(frozen=True, slots=True)
class ModeSection:
    key: str
    name: str
    stats: tuple[ModeStat, ...]


@dataclass(frozen=True, slots=True)
class EarnedMedal:
    name_id: int
    name: str
    description: str
    count: int
    difficulty: str
    difficulty_index: int
    type: str
    sprite_index: int | None


@dataclass(frozen=True, slots=True)
class MedalSprite:
    """A sprite sheet inlined as a data: URI; medals are cut from it by background-position."""

    data_uri: str
    columns: int
    size: int


@dataclass(frozen=True, slots=True)
class PersonalScore:
    name_id: int
    name: str
    count: int
    points_each: int | None
    points: int


@dataclass(frozen=True, slots=True)
class CsrValue:
    value: int
    tier: str
    sub_tier: int
    label: str
    matches_remaining: int = 0
    next_label: str | None = None
    progress: float | None = None

    @property
    def ranked(self) -> bool:
        return is_ranked(self.value, self.tier)


@dataclass(frozen=True, slots=True)
class PlaylistRank:
    playlist_id: str
    name: str
    captured_at: datetime | None
    current: CsrValue
    season_max: CsrValue
    all_time_max: CsrValue


@dataclass(frozen=True, slots=True)
class ChartSeries:
    label: str
    values: tuple[float | None, ...]
    unit: str = ""
    axis: Literal["left", "right"] = "left"
    style: Literal["line", "step", "bars", "dash", "points"] = "line"


@dataclass(frozen=True, slots=True)
class Chart:
    """One uPlot chart: shared x (unix seconds, ascending) and aligned series."""

    id: str
    title: str
    x: tuple[float, ...]
    series: tuple[ChartSeries, ...]
    left_unit: str = ""
    right_unit: str = ""

    @property
    def empty(self) -> bool:
        """Fewer than two points with a value: one point is no trend, and a plot of it
        got a made-up time axis (May 2027 to May 2029) and labels like `2.045 2.045`."""
        filled = [i for i in range(len(self.x)) if any(_has(s.values, i) for s in self.series)]
        return len(filled) < 2


def _has(values: Sequence[float | None], i: int) -> bool:
    return i < len(values) and values[i] is not None


class ListedMatch(msgspec.Struct, frozen=True):
    """One match from one player's side, as the page's list and the site's API list it
    (`report.build.listed_match`)."""

    match_id: str
    start_time: datetime
    mode: str
    map: str
    playlist: str
    outcome: str
    kills: int
    deaths: int
    assists: int
    csr_before: int | None
    csr_after: int | None

    @property
    def csr_change(self) -> int | None:
        return csr_gained(self.csr_before, self.csr_after)


@dataclass(frozen=True, slots=True)
class Delta:
    key: str
    label: str
    before: float
    after: float
    kind: Literal["int", "ratio", "pct", "duration"] = "int"

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Deltas:
    since: datetime
    items: tuple[Delta, ...]
    full_week: bool = True  # False: compared with the oldest snapshot, under a week old


@dataclass(frozen=True, slots=True)
class PageData:
    player: PagePlayer
    generated_at: datetime
    summary: RecordSummary | None = None
    seasons: tuple[SeasonRow, ...] = ()
    modes_played: tuple[str, ...] = ()
    modes: tuple[ModeSection, ...] = ()
    medals: tuple[EarnedMedal, ...] = ()
    medal_sprite: MedalSprite | None = None
    personal_scores: tuple[PersonalScore, ...] = ()
    csr: tuple[PlaylistRank, ...] = ()
    charts: tuple[Chart, ...] = ()
    recent_matches: tuple[ListedMatch, ...] = ()
    deltas: Deltas | None = None
    matches_synced_at: datetime | None = None
    # The first and last snapshot: with less than MIN_DELTA_SPAN between them the page says
    # so instead of showing changes (a `K/D −0.000` against a snapshot minutes old).
    tracked_from: datetime | None = None
    tracked_to: datetime | None = None
    # The insight sections (last session, breakdowns, CSR per season, streaks, mates) from
    # the stored matches; None when none is stored.
    insights: PageInsights | None = None


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class RecordSnapshot:
    """One stored service record: when it was captured and its raw JSON."""

    captured_at: datetime
    raw: Raw


@dataclass(frozen=True, slots=True)
class CsrReading:
    """One stored CSR reading: `raw` is the `Result` object (Current/SeasonMax/AllTimeMax)."""

    playlist_id: str
    captured_at: datetime
    raw: Raw


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """Extracted columns of one lifetime service-record snapshot (no raw JSON needed)."""

    captured_at: datetime
    matches: int
    wins: int
    losses: int
    ties: int
    kills: int
    deaths: int
    assists: int
    time_played: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class CsrPoint:
    captured_at: datetime
    playlist_id: str
    value: int


@dataclass(frozen=True, slots=True)
class PageInputs:
    """Everything the page is made from, in plain form; the store adapter fills it."""

    xuid: str
    gamertag: str
    previous_gamertags: tuple[str, ...] = ()
    career_rank: str | None = None
    lifetime: RecordSnapshot | None = None
    seasons: Mapping[str, RecordSnapshot] = field(default_factory=dict)
    csr: Sequence[CsrReading] = ()
    history: Sequence[HistoryPoint] = ()
    csr_history: Sequence[CsrPoint] = ()
    matches: Sequence[ListedMatch] = ()
    medals_metadata: MedalMetadata | None = None
    medal_sprite_png: bytes | None = None
    season_calendar: SeasonCalendar | None = None
    csr_calendar: CsrSeasonCalendar | None = None
    season_names: Mapping[str, str] = field(default_factory=dict)
    playlist_names: Mapping[str, str] = field(default_factory=dict)
    # When the data was last confirmed current (the store moves `verified_at` forward on an
    # unchanged fetch); the page's "last updated". Defaults to the newest capture.
    checked_at: datetime | None = None
    # When the player's own matches were last synced (`matches sync`, `track --matches`);
    # None: the stored matches are only those shared with players who are synced.
    matches_synced_at: datetime | None = None


# --------------------------------------------------------------------------- assembly


def assemble(inputs: PageInputs, *, now: datetime | None = None) -> PageData:
    """Turn stored records and metadata into the page's data. Pure: no I/O, no clock but `now`."""
    now = now or datetime.now(UTC)
    life = inputs.lifetime.raw if inputs.lifetime else None
    updated = _latest(
        [inputs.lifetime.captured_at] if inputs.lifetime else [],
        [c.captured_at for c in inputs.csr],
        [h.captured_at for h in inputs.history[-1:]],
        [inputs.checked_at] if inputs.checked_at else [],
    )
    player = PagePlayer(
        xuid=inputs.xuid,
        gamertag=inputs.gamertag,
        previous_gamertags=tuple(inputs.previous_gamertags),
        career_rank=inputs.career_rank,
        updated_at=updated,
    )
    history = sorted(inputs.history, key=lambda h: h.captured_at)
    csr_history = sorted(inputs.csr_history, key=lambda c: c.captured_at)
    weeks = weekly(history)
    return PageData(
        player=player,
        generated_at=now,
        summary=read_summary(life) if life else None,
        seasons=season_rows(life, inputs),
        modes_played=modes_played(life),
        modes=mode_blocks(life),
        medals=medals_from_record(life, inputs.medals_metadata),
        medal_sprite=medal_sprite(inputs.medals_metadata, inputs.medal_sprite_png),
        personal_scores=personal_scores_from_record(life),
        csr=playlist_csrs(inputs.csr, inputs.playlist_names),
        charts=(
            csr_chart(csr_history, inputs.playlist_names),
            kd_winrate_chart(weeks),
            matches_chart(weeks),
        ),
        recent_matches=tuple(
            sorted(inputs.matches, key=lambda m: m.start_time, reverse=True)[:RECENT_MATCHES]
        ),
        deltas=weekly_deltas(history, csr_history, inputs.playlist_names, now),
        matches_synced_at=inputs.matches_synced_at,
        tracked_from=history[0].captured_at if history else None,
        tracked_to=history[-1].captured_at if history else None,
    )


def _latest(*groups: Sequence[datetime]) -> datetime | None:
    stamps = [t for g in groups for t in g]
    return max(stamps) if stamps else None


def _int(block: Raw | None, key: str) -> int:
    return read_int(block, key) or 0


# ----- seasons


def season_dates(
    season_id: str, calendar: SeasonCalendar | None, csr_calendar: CsrSeasonCalendar | None
) -> tuple[datetime | None, datetime | None]:
    """Dates of a season id: a `Seasons/...` metadata path or a `Csr/Seasons/...` file path.

    A ranked season may span several calendar entries (operations); it covers all of them.
    """
    csr_entries = csr_calendar.seasons if csr_calendar is not None else []
    entries = calendar.seasons if calendar is not None else []
    for spanned in (
        [e for e in csr_entries if e.csr_season_file_path == season_id],
        [e for e in entries if e.season_metadata == season_id],
        [e for e in entries if e.csr_season_file_path == season_id],
    ):
        starts = [e.start for e in spanned if e.start is not None]
        if starts:
            ends = [e.end for e in spanned if e.end is not None]
            return min(starts), max(ends) if ends else None
    return None, None


def season_rows(life: Raw | None, inputs: PageInputs) -> tuple[SeasonRow, ...]:
    """One row per season the player was active in (the record's `Subqueries.SeasonIds`) plus
    any season with a stored record; newest first, undated ones last."""
    ids: list[str] = []
    for sid in [*season_ids(life or {}), *inputs.seasons.keys()]:
        if sid not in ids:
            ids.append(sid)
    rows = []
    pairs = calendar_pairs(inputs.season_calendar)
    for sid in ids:
        start, end = season_dates(sid, inputs.season_calendar, inputs.csr_calendar)
        snap = inputs.seasons.get(sid)
        rows.append(
            SeasonRow(
                season_id=sid,
                label=season_name(sid, pairs, inputs.season_names),
                kind="ranked" if sid.startswith("Csr/") else "season",
                start=start,
                end=end,
                summary=read_summary(snap.raw) if snap else None,
            )
        )
    far_past = datetime.min.replace(tzinfo=UTC)

    def newest_first(r: SeasonRow) -> tuple[bool, datetime, bool, tuple[int, ...]]:
        numbers = tuple(int(n) for n in re.findall(r"\d+", r.season_id))
        return (r.start is not None, r.start or far_past, r.kind == "season", numbers)

    rows.sort(key=newest_first, reverse=True)
    return tuple(rows)


# ----- modes

MODE_NAMES: dict[str, str] = {
    **{m.match_key: m.name for m in MODE_TABLE},
    "BombStats": "Assault",
}
_NOT_MODES = {"CoreStats"}
# A fixed, game-like order per block (headline numbers first). Raw JSON may come back from
# the store with its keys sorted, so the page never relies on dict order; unknown keys follow.
MODE_STAT_ORDER: dict[str, tuple[str, ...]] = {m.match_key: m.display_order for m in MODE_TABLE}
# The order of the blocks on the page: Arena modes first, then the rest, PvP and PvE last.
MODE_PAGE_ORDER: tuple[str, ...] = (
    "CaptureTheFlagStats",
    "OddballStats",
    "ZonesStats",
    "StockpileStats",
    "EliminationStats",
    "ExtractionStats",
    "InfectionStats",
    "BombStats",
    "PvpStats",
    "PveStats",
)


def _ordered(keys: Sequence[str], preferred: Sequence[str]) -> list[str]:
    rank = {k: i for i, k in enumerate(preferred)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def humanize_key(key: str) -> str:
    """`KillsAsFlagCarrier` -> `Kills as flag carrier`; keeps acronyms like `EMP` whole."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", key)
    if not words:
        return key
    out = [words[0]] + [w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:]]
    return " ".join(out)


def _stat_value(key: str, value: Any) -> StatValue | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    return duration(value) if isinstance(value, str) else None


def _nonzero(value: StatValue) -> bool:
    return bool(value.total_seconds() if isinstance(value, timedelta) else value)


def mode_blocks(life: Raw | None) -> tuple[ModeSection, ...]:
    """The per-mode blocks (`*Stats`) that carry at least one non-zero number: modes played."""
    blocks = []
    life = life or {}
    for key in _ordered(list(life), MODE_PAGE_ORDER):
        block = life[key]
        if not key.endswith("Stats") or key in _NOT_MODES or not isinstance(block, Mapping):
            continue
        stats = []
        for skey in _ordered(list(block), MODE_STAT_ORDER.get(key, ())):
            value = _stat_value(skey, block[skey])
            if value is not None:
                stats.append(ModeStat(skey, humanize_key(skey), value))
        if any(_nonzero(s.value) for s in stats):
            name = MODE_NAMES.get(key) or humanize_key(key.removesuffix("Stats"))
            blocks.append(ModeSection(key, name, tuple(stats)))
    return tuple(blocks)


def modes_played(life: Raw | None) -> tuple[str, ...]:
    """Readable names of the game variant categories in the record's subqueries, deduplicated."""
    return tuple(sorted({GameVariantCategory.label(c) for c in variant_categories(life or {})}))


# ----- medals and personal scores


def medals_from_record(life: Raw | None, metadata: MedalMetadata | None) -> tuple[EarnedMedal, ...]:
    """Medals with their names, rarest first: difficulty descending, then count ascending."""
    index = metadata.by_id() if metadata is not None else {}
    medals = []
    for name_id, count in award_counts(life or {}, "Medals").items():
        if count <= 0:
            continue
        meta = index.get(name_id)
        if meta is None:
            medals.append(
                EarnedMedal(name_id, f"Medal {name_id}", "", count, "unknown", -1, "unknown", None)
            )
            continue
        diff = meta.difficulty_index if meta.difficulty_index is not None else -1
        mtype, sprite = meta.type_index, meta.sprite_index
        medals.append(
            EarnedMedal(
                name_id=name_id,
                name=meta.name.value or f"Medal {name_id}",
                description=meta.description.value,
                count=count,
                difficulty=MedalDifficulty.label(diff) if diff >= 0 else "unknown",
                difficulty_index=diff,
                type=MedalType.label(mtype) if mtype is not None else "unknown",
                sprite_index=sprite if sprite is not None and sprite >= 0 else None,
            )
        )
    medals.sort(key=lambda m: (-m.difficulty_index, m.count, m.name))
    return tuple(medals)


def medal_sprite(metadata: MedalMetadata | None, png: bytes | None) -> MedalSprite | None:
    """The sprite sheet as a data: URI when its bytes were cached; else None (text)."""
    sheet = metadata.sprite_sheet() if metadata is not None else None
    if not png or sheet is None or sheet.columns <= 0 or sheet.size <= 0:
        return None
    mime = "image/png" if png.startswith(b"\x89PNG") else "image/webp"
    data_uri = f"data:{mime};base64,{base64.b64encode(png).decode('ascii')}"
    return MedalSprite(data_uri, sheet.columns, sheet.size)


@cache
def known_personal_scores() -> PersonalScoreBook:
    """The bundled personal-score table (names, points per award), read once."""
    return load_personal_scores()


def personal_scores_from_record(
    life: Raw | None, book: PersonalScoreBook | None = None
) -> tuple[PersonalScore, ...]:
    """Personal scores by name. Points are count x points-per-award when the award is known:
    the lifetime record's `TotalPersonalScoreAwarded` is not a real total (it often equals one
    award), so it is only shown for scores we cannot price."""
    book = book if book is not None else known_personal_scores()
    rows = []
    for item in ((life or {}).get("CoreStats") or {}).get("PersonalScores") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("NameId"), int):
            continue
        name_id, count = int(item["NameId"]), _int(item, "Count")
        name = book.name(name_id) if name_id in book else f"Score {name_id}"
        each = book.points(name_id)
        points = count * each if each is not None else _int(item, "TotalPersonalScoreAwarded")
        rows.append(PersonalScore(name_id, name, count, each, points))
    rows.sort(key=lambda r: (-r.points, -r.count, r.name))
    return tuple(rows)


# ----- CSR


def csr_value(result: Raw, name: str, *, with_progress: bool = False) -> CsrValue:
    """Label one CSR block (`Current`, `SeasonMax`, `AllTimeMax`) of a `Result`."""
    block = read_csr_block(result, name)
    value = -1 if block.value is None else block.value
    tier = block.tier or ""
    sub = block.sub_tier or 0
    left = (block.matches_remaining or 0) if with_progress else 0
    label = csr_label(value, tier, sub, left)
    next_label = None
    progress = None
    if is_ranked(value, tier) and with_progress:
        next_label = next_step_label(tier, block.next_tier or "", block.next_sub_tier or 0)
        if next_label is not None:
            progress = progress_to_next(value, block.tier_start or 0, block.next_tier_start or 0)
    return CsrValue(value, tier, sub, label, left, next_label, progress)


def playlist_name(playlist_id: str, names: Mapping[str, str]) -> str:
    return names.get(playlist_id) or f"Playlist {playlist_id[:8]}"


def playlist_csrs(
    snapshots: Sequence[CsrReading], names: Mapping[str, str]
) -> tuple[PlaylistRank, ...]:
    """The latest reading per playlist, highest current CSR first."""
    latest: dict[str, CsrReading] = {}
    for snap in snapshots:
        have = latest.get(snap.playlist_id)
        if have is None or snap.captured_at >= have.captured_at:
            latest[snap.playlist_id] = snap
    rows = [
        PlaylistRank(
            playlist_id=pid,
            name=playlist_name(pid, names),
            captured_at=snap.captured_at,
            current=csr_value(snap.raw, "Current", with_progress=True),
            season_max=csr_value(snap.raw, "SeasonMax"),
            all_time_max=csr_value(snap.raw, "AllTimeMax"),
        )
        for pid, snap in latest.items()
    ]
    rows.sort(key=lambda r: (-r.current.value, -r.all_time_max.value, r.name))
    return tuple(rows)


# ----- charts


def _ts(when: datetime) -> float:
    return when.timestamp()


def csr_chart(points: Sequence[CsrPoint], names: Mapping[str, str]) -> Chart:
    """CSR per playlist over time. Over MAX_CHART_POINTS readings, time is cut into equal
    buckets and each playlist keeps its last reading per bucket (CSR moves in steps)."""
    playlists = list(dict.fromkeys(p.playlist_id for p in points))
    if not points:
        return Chart("csr", "CSR per playlist", (), ())
    stamps = sorted({_ts(p.captured_at) for p in points})
    if len(stamps) <= MAX_CHART_POINTS:
        slot_of = {t: i for i, t in enumerate(stamps)}
        xs = stamps

        def slot(t: float) -> int:
            return slot_of[t]
    else:
        lo, hi = stamps[0], stamps[-1]
        width = (hi - lo) / MAX_CHART_POINTS or 1.0
        last_in: dict[int, float] = {}
        for t in stamps:
            b = min(int((t - lo) / width), MAX_CHART_POINTS - 1)
            last_in[b] = t
        buckets = sorted(last_in)
        index = {b: i for i, b in enumerate(buckets)}
        xs = [last_in[b] for b in buckets]

        def slot(t: float) -> int:
            return index[min(int((t - lo) / width), MAX_CHART_POINTS - 1)]

    columns: dict[str, list[float | None]] = {pid: [None] * len(xs) for pid in playlists}
    read: dict[str, list[bool]] = {pid: [False] * len(xs) for pid in playlists}
    for p in points:  # sorted by time, so the last reading of a slot wins
        i = slot(_ts(p.captured_at))
        columns[p.playlist_id][i] = p.value if p.value >= 0 else None
        read[p.playlist_id][i] = True
    # The store keeps a reading only when it changed: until the next one, CSR stayed put.
    for pid in playlists:
        values, seen, last = columns[pid], read[pid], None
        for i in range(len(values)):
            if seen[i]:
                last = values[i]
            else:
                values[i] = last
    series = tuple(
        ChartSeries(playlist_name(pid, names), tuple(columns[pid]), "CSR", "left", "step")
        for pid in playlists
    )
    return Chart("csr", "CSR per playlist", tuple(xs), series, left_unit="CSR")


def week_start(when: datetime) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class WeekRow:
    start: datetime
    last: HistoryPoint
    matches: int
    wins: int
    kills: int
    deaths: int


def weekly(history: Sequence[HistoryPoint]) -> list[WeekRow]:
    """Per ISO week (Monday, UTC): the change over the week, from consecutive snapshots."""
    rows: list[WeekRow] = []
    prev: HistoryPoint | None = None
    current: datetime | None = None
    first: HistoryPoint | None = None
    last: HistoryPoint | None = None
    for point in history:
        start = week_start(point.captured_at)
        if start != current:
            if current is not None and first is not None and last is not None:
                rows.append(_week_row(current, first, last))
                prev = last
            current = start
            first = prev or point
        last = point
    if current is not None and first is not None and last is not None:
        rows.append(_week_row(current, first, last))
    return rows


def _week_row(start: datetime, base: HistoryPoint, last: HistoryPoint) -> WeekRow:
    return WeekRow(
        start,
        last,
        max(last.matches - base.matches, 0),
        max(last.wins - base.wins, 0),
        max(last.kills - base.kills, 0),
        max(last.deaths - base.deaths, 0),
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def kd_winrate_chart(weeks: Sequence[WeekRow]) -> Chart:
    x = tuple(_ts(w.start) for w in weeks)
    kd_week = tuple(_round(kd_ratio(w.kills, w.deaths), 3) if w.matches else None for w in weeks)
    kd_life = tuple(_round(kd_ratio(w.last.kills, w.last.deaths), 3) for w in weeks)
    win = tuple(_round(win_percent(w.wins, w.matches), 1) for w in weeks)
    return Chart(
        "kd-winrate",
        "K/D and win rate per week",
        x,
        (
            ChartSeries("K/D (week)", kd_week, "", "left", "line"),
            ChartSeries("K/D (lifetime)", kd_life, "", "left", "dash"),
            ChartSeries("Win rate (week)", win, "%", "right", "line"),
        ),
        left_unit="K/D",
        right_unit="%",
    )


def matches_chart(weeks: Sequence[WeekRow]) -> Chart:
    return Chart(
        "matches-week",
        "Matches per week",
        tuple(_ts(w.start) for w in weeks),
        (ChartSeries("Matches", tuple(float(w.matches) for w in weeks), "", "left", "bars"),),
        left_unit="matches",
    )


# ----- since last week


def weekly_deltas(
    history: Sequence[HistoryPoint],
    csr_history: Sequence[CsrPoint],
    names: Mapping[str, str],
    now: datetime,
) -> Deltas | None:
    """Change between the newest snapshot and the newest one at least a week old (or the
    oldest we have, when tracking began less than a week ago). None while the snapshots
    span less than MIN_DELTA_SPAN: a change over minutes is noise, not news."""
    if len(history) < 2:
        return None
    after = history[-1]
    cutoff = now - WEEK
    older = [h for h in history if h.captured_at <= cutoff]
    before = older[-1] if older else history[0]
    if after.captured_at - before.captured_at < MIN_DELTA_SPAN:
        return None
    items = [
        Delta("matches", "Matches", before.matches, after.matches),
        Delta("wins", "Wins", before.wins, after.wins),
        Delta("losses", "Losses", before.losses, after.losses),
        Delta("kills", "Kills", before.kills, after.kills),
        Delta("deaths", "Deaths", before.deaths, after.deaths),
        Delta("assists", "Assists", before.assists, after.assists),
        Delta(
            "kd",
            "K/D",
            kd_ratio(before.kills, before.deaths),
            kd_ratio(after.kills, after.deaths),
            "ratio",
        ),
        Delta(
            "win_rate",
            "Win rate",
            win_percent(before.wins, before.matches) or 0.0,
            win_percent(after.wins, after.matches) or 0.0,
            "pct",
        ),
        Delta(
            "time_played",
            "Time played",
            before.time_played.total_seconds(),
            after.time_played.total_seconds(),
            "duration",
        ),
    ]
    for pid in dict.fromkeys(p.playlist_id for p in csr_history):
        readings = [p for p in csr_history if p.playlist_id == pid and p.value >= 0]
        if not readings:
            continue
        old = [p for p in readings if p.captured_at <= cutoff]
        base = old[-1] if old else readings[0]
        items.append(
            Delta(f"csr:{pid}", f"CSR {playlist_name(pid, names)}", base.value, readings[-1].value)
        )
    return Deltas(before.captured_at, tuple(items), full_week=bool(older))
