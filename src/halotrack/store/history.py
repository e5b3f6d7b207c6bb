"""History, diff and export built from stored snapshots: what `halotrack history/diff/export`
show, kept out of the CLI so the stats page and scripts can use the same numbers.

Why here: it reads only the store (no network), and the words ("matches +7 (5 W, 2 L)",
"CSR Platinum 6 to Diamond 1") must be the same everywhere they appear.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from halotrack.errors import ConfigError, Unknown
from halotrack.models.csr import is_ranked
from halotrack.models.format import duration_words
from halotrack.models.gamecms import csr_season_id
from halotrack.models.summary import award_counts, kd_or_none, season_ids
from halotrack.store.extract import RECORD_NUMBERS
from halotrack.store.repository import (
    CsrSnapshot,
    ServiceRecordSnapshot,
    StoredPlayer,
    StoreReader,
)
from halotrack.store.scope import Scope

NameOf = Callable[[int], str]
N = TypeVar("N", int, float)


# -- parsing user input --------------------------------------------------------------------


def parse_when(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """`2026-01-05` (start of that UTC day, or its end with `end_of_day`), or an ISO datetime
    (naive means UTC)."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"not a date: {text!r}", hint="use YYYY-MM-DD or an ISO time like 2026-01-05T18:00Z"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def resolve_player(tx: StoreReader, text: str) -> StoredPlayer:
    """A stored player by gamertag (current or past) or XUID; `Unknown` when not stored."""
    player = tx.find_player(text)
    if player is None:
        raise Unknown(
            f"unknown player {text!r}: not in this database",
            hint="check the spelling or --db, or fetch the player's record first",
        )
    return player


def resolve_scope(tx: StoreReader, xuid: int, kind: str, scope: str, season: str | None) -> Scope:
    """`lifetime`, or `season ID` where ID may be a full path (`Csr/Seasons/CsrSeason5-1.json`)
    or its bare name (`CsrSeason5-1`) as stored for this player."""
    if scope == "lifetime":
        return Scope()
    if scope != "season" or not season:
        raise ConfigError(
            f"bad scope {scope!r}{' ' + season if season else ''}",
            hint="name the season after the player: `halotrack history PLAYER CsrSeason5-1`",
        )
    stored = [Scope.parse(k) for kd, k in tx.record_scopes(xuid) if kd == kind]
    wanted = season.lower()
    for s in stored:
        if s.season_id and not s.has_matchmade_filters:
            sid = s.season_id.lower()
            if wanted in (sid, csr_season_id(sid)):
                return s
    return Scope.season(season)


# -- small formatting helpers --------------------------------------------------------------


def _delta(a: N | None, b: N | None) -> N | None:
    return None if a is None or b is None else b - a


def signed(n: float) -> str:
    if isinstance(n, float) and not n.is_integer():
        return f"{n:+,.2f}"
    return f"{int(n):+,}"


def csr_short(value: int | None, tier: str | None, sub_tier: int | None) -> str:
    """`Diamond 1`, `Onyx 1549`, `Unranked` — the words a player uses for a rank."""
    if not is_ranked(value, tier):
        return "Unranked"
    if tier == "Onyx":
        return f"Onyx {value}"
    return f"{tier} {(sub_tier or 0) + 1}"


def _season_matches(scope: Scope, csr_season_id: str) -> bool:
    if not scope.season_id:
        return True
    bare = scope.season_id.rsplit("/", 1)[-1].removesuffix(".json").lower()
    return csr_season_id.rsplit("/", 1)[-1].removesuffix(".json").lower() == bare


# -- history -------------------------------------------------------------------------------


# The numbers a history row shows -> the snapshot attribute each comes from.
ROW_NUMBERS = {
    "matches": "matches_completed",
    **{n: n for n in ("wins", "losses", "ties", "kills", "deaths", "assists", "kd", "accuracy")},
}


@dataclass
class HistoryRow:
    """One snapshot's `ROW_NUMBERS` and their change from the previous snapshot (None on
    the first row)."""

    captured_at: datetime
    verified_at: datetime
    numbers: dict[str, float | None]
    deltas: dict[str, float | None]
    csr: dict[str, str] = field(default_factory=dict)
    csr_short: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat, as `history --json` writes a row: each number, then each `<name>_delta`."""
        return {
            "captured_at": self.captured_at.isoformat(),
            "verified_at": self.verified_at.isoformat(),
            **self.numbers,
            **{f"{name}_delta": self.deltas[name] for name in self.numbers},
            "csr": dict(self.csr),
            "csr_short": dict(self.csr_short),
        }


def history_rows(
    tx: StoreReader,
    xuid: int,
    *,
    kind: str = "matchmade",
    scope: Scope | None = None,
    since: datetime | None = None,
) -> list[HistoryRow]:
    """Snapshots oldest first, each with deltas and the CSR readings that changed since the
    previous snapshot (per playlist, as `Diamond 6 (1487)`)."""
    scope = scope or Scope()
    snaps = tx.records_history(xuid, scope, kind=kind)
    csr = [c for c in tx.csr_history(xuid) if _season_matches(scope, c.csr_season_id)]
    rows: list[HistoryRow] = []
    prev: ServiceRecordSnapshot | None = None
    for snap in snaps:
        numbers = {name: getattr(snap, attr) for name, attr in ROW_NUMBERS.items()}
        deltas = {
            name: None if prev is None else _delta(getattr(prev, attr), numbers[name])
            for name, attr in ROW_NUMBERS.items()
        }
        row = HistoryRow(snap.captured_at, snap.verified_at, numbers, deltas)
        lo = prev.captured_at if prev is not None else None
        for c in csr:
            if c.captured_at <= snap.captured_at and (lo is None or c.captured_at > lo):
                row.csr[c.playlist_id] = c.label()
                row.csr_short[c.playlist_id] = csr_short(
                    c.current_value, c.current_tier, c.current_sub_tier
                )
        if since is None or snap.captured_at >= since:
            rows.append(row)
        prev = snap
    return rows


# -- diff ----------------------------------------------------------------------------------


@dataclass
class CsrChange:
    playlist_id: str
    playlist_name: str
    csr_season_id: str
    before: str
    after: str
    before_value: int | None
    after_value: int | None
    text: str


@dataclass
class NamedCount:
    name_id: int
    name: str
    count: int
    points: int | None = None


@dataclass
class Diff:
    """What changed between two moments, as numbers and as sentences (`lines`)."""

    xuid: int
    gamertag: str | None
    kind: str
    scope: str
    from_at: datetime | None
    to_at: datetime | None
    numbers: dict[str, Any] = field(default_factory=dict)
    medals: list[NamedCount] = field(default_factory=list)
    personal_scores: list[NamedCount] = field(default_factory=list)
    csr: list[CsrChange] = field(default_factory=list)
    new_seasons: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["from_at"] = self.from_at.isoformat() if self.from_at else None
        d["to_at"] = self.to_at.isoformat() if self.to_at else None
        return d


def _gained(a: Mapping[int, int], b: Mapping[int, int]) -> list[tuple[int, int]]:
    gains = [(k, b[k] - a.get(k, 0)) for k in b if b[k] - a.get(k, 0) > 0]
    return sorted(gains, key=lambda kv: (-kv[1], kv[0]))


def diff_records(
    a: ServiceRecordSnapshot | None,
    b: ServiceRecordSnapshot,
    *,
    medal_name: NameOf,
    score_name: NameOf,
    score_points: Callable[[int], int | None] = lambda _id: None,
) -> tuple[dict[str, Any], list[NamedCount], list[NamedCount], list[str], list[str]]:
    """(numbers, medals gained, personal scores gained, new season ids, lines) from a to b."""
    araw = a.raw if a is not None else {}
    braw = b.raw

    def val(s: ServiceRecordSnapshot | None, name: str) -> Any:
        return getattr(s, name) if s is not None else 0

    numbers: dict[str, Any] = {}
    for name in RECORD_NUMBERS:
        if name in ("kda", "accuracy"):  # a ratio and a percentage: compared below
            continue
        before, after = val(a, name), getattr(b, name)
        numbers[name] = {"before": before, "after": after, "delta": _delta(before, after)}
    kd_before = a.kd if a is not None else None
    numbers["kd"] = {"before": kd_before, "after": b.kd, "delta": _delta(kd_before, b.kd)}
    acc_before = a.accuracy if a is not None else None
    numbers["accuracy"] = {
        "before": acc_before,
        "after": b.accuracy,
        "delta": _delta(acc_before, b.accuracy),
    }

    def d(name: str) -> int:
        delta = numbers[name]["delta"]
        return int(delta) if delta is not None else 0

    lines: list[str] = []
    if d("matches_completed"):
        outcome = f"{d('wins')} W, {d('losses')} L"
        if d("ties"):
            outcome += f", {d('ties')} T"
        lines.append(f"matches {signed(d('matches_completed'))} ({outcome})")
    for name, label in (("kills", "kills"), ("deaths", "deaths"), ("assists", "assists")):
        if d(name):
            lines.append(f"{label} {signed(d(name))}")
    if kd_before is not None and b.kd is not None and round(kd_before, 2) != round(b.kd, 2):
        lines.append(f"K/D {kd_before:.2f} to {b.kd:.2f}")
    if d("kills") or d("deaths"):
        window_kd = kd_or_none(d("kills"), d("deaths"))
        if window_kd is not None and d("matches_completed"):
            lines.append(f"K/D in these matches {window_kd:.2f}")
    if (
        acc_before is not None
        and b.accuracy is not None
        and round(acc_before, 2) != round(b.accuracy, 2)
    ):
        lines.append(f"accuracy {acc_before:.2f}% to {b.accuracy:.2f}%")
    if d("damage_dealt"):
        lines.append(f"damage dealt {signed(d('damage_dealt'))}")
    played = numbers["time_played_seconds"]["delta"]
    if played:
        lines.append(f"time played +{duration_words(round(played), pad=True)}")
    if d("personal_score"):
        lines.append(f"personal score {signed(d('personal_score'))}")

    medals = [
        NamedCount(k, medal_name(k), n)
        for k, n in _gained(award_counts(araw, "Medals"), award_counts(braw, "Medals"))
    ]
    if medals:
        lines.append("medals: " + ", ".join(f"{m.name} +{m.count}" for m in medals))
    scores = [
        NamedCount(k, score_name(k), n, score_points(k))
        for k, n in _gained(
            award_counts(araw, "PersonalScores"), award_counts(braw, "PersonalScores")
        )
    ]
    if scores:
        lines.append("personal scores: " + ", ".join(f"{s.name} +{s.count}" for s in scores))
    new_seasons = [s for s in season_ids(braw) if s not in set(season_ids(araw))] if a else []
    for s in new_seasons:
        lines.append(f"new season entered: {s}")
    return numbers, medals, scores, new_seasons, lines


def _last_at_or_before(snaps: Sequence[Any], when: datetime | None) -> Any:
    found = None
    for s in snaps:
        if when is None or s.captured_at <= when:
            found = s
    return found


def diff_csr(
    history: Sequence[CsrSnapshot],
    from_at: datetime | None,
    to_at: datetime | None,
    playlist_name: Callable[[str], str | None] = lambda _p: None,
) -> list[CsrChange]:
    """Per playlist and CSR season: the rank at `from_at` against the rank at `to_at`."""
    groups: dict[tuple[str, str], list[CsrSnapshot]] = {}
    for c in history:
        groups.setdefault((c.playlist_id, c.csr_season_id), []).append(c)
    changes: list[CsrChange] = []
    # Before the first CSR reading of all, the earliest reading is the baseline; a playlist or
    # season first seen later than that is "new".
    start = min((c.captured_at for c in history), default=None)
    if from_at is not None and start is not None and from_at < start:
        from_at = None
    for (playlist, season), snaps in sorted(groups.items()):
        before = _last_at_or_before(snaps, from_at) if from_at is not None else snaps[0]
        after = _last_at_or_before(snaps, to_at)
        if after is None or (before is not None and before.content_hash == after.content_hash):
            continue
        name = playlist_name(playlist) or playlist
        a_words = (
            csr_short(before.current_value, before.current_tier, before.current_sub_tier)
            if before
            else None
        )
        b_words = csr_short(after.current_value, after.current_tier, after.current_sub_tier)
        if before is None:
            text = f"CSR {name} ({season}): new, {after.label()}"
        else:
            text = f"CSR {name}: {a_words} to {b_words}"
            bv, av = before.current_value, after.current_value
            if bv is not None and av is not None and bv >= 0 and av >= 0:
                text += f" ({bv} to {av}, {signed(av - bv)})"
            elif a_words == b_words:
                text += f" ({after.label()})"
        changes.append(
            CsrChange(
                playlist_id=playlist,
                playlist_name=name,
                csr_season_id=season,
                before=a_words or "",
                after=b_words,
                before_value=before.current_value if before else None,
                after_value=after.current_value,
                text=text,
            )
        )
    return changes


def compute_diff(
    tx: StoreReader,
    player: StoredPlayer,
    *,
    from_at: datetime | None = None,
    to_at: datetime | None = None,
    kind: str = "matchmade",
    scope: Scope | None = None,
    score_name: NameOf | None = None,
    score_points: Callable[[int], int | None] | None = None,
) -> Diff:
    """Compare the record as it stood at `from_at` (default: the first snapshot) with the
    record at `to_at` (default: the latest)."""
    scope = scope or Scope()
    snaps = tx.records_history(player.xuid, scope, kind=kind)
    result = Diff(player.xuid, player.gamertag, kind, scope.key(), from_at, to_at)
    b = _last_at_or_before(snaps, to_at)
    a = _last_at_or_before(snaps, from_at) if from_at is not None else None
    if a is None and snaps:
        a = snaps[0]
    if b is not None and from_at is not None and from_at > b.captured_at:
        # Nothing was stored in the window; comparing the latest snapshot with itself would
        # print a backwards span ("2027-01-24 to 2026-02-12") and a misleading "no change".
        result.lines = [
            f"no snapshot since {from_at:%Y-%m-%d %H:%M}: the latest is from "
            f"{b.captured_at:%Y-%m-%d %H:%M} UTC (run `halotrack track`, or pick an earlier --from)"
        ]
        return result
    medal_names = tx.medal_names()
    if b is not None:
        # The span is what was compared: asked for 2026-01-01 with the first snapshot on
        # 01-05, the diff starts 01-05 (earlier snapshots than asked stand for the date).
        start = a.captured_at if a else None
        result.from_at = start if from_at is None or (start and start > from_at) else from_at
        result.to_at = to_at or b.captured_at
        if a is not None and a.id != b.id:
            numbers, medals, scores, seasons, lines = diff_records(
                a,
                b,
                medal_name=lambda i: medal_names.get(i, f"Medal {i}"),
                score_name=score_name or (lambda i: f"Personal score {i}"),
                score_points=score_points or (lambda _i: None),
            )
            result.numbers, result.medals, result.personal_scores = numbers, medals, scores
            result.new_seasons, result.lines = seasons, lines
    csr = [c for c in tx.csr_history(player.xuid) if _season_matches(scope, c.csr_season_id)]
    result.csr = diff_csr(csr, result.from_at, to_at, tx.playlist_name)
    result.lines += [c.text for c in result.csr]
    if not result.lines:
        result.lines = ["no change"]
    return result


# -- export --------------------------------------------------------------------------------

RECORD_COLUMNS = (
    "captured_at",
    "verified_at",
    "kind",
    "scope_key",
    *RECORD_NUMBERS,
    "content_hash",
)
CSR_COLUMNS = (
    "captured_at",
    "verified_at",
    "playlist_id",
    "csr_season_id",
    "current_value",
    "current_tier",
    "current_sub_tier",
    "matches_remaining",
    "season_max_value",
    "season_max_tier",
    "all_time_max_value",
    "all_time_max_tier",
    "content_hash",
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_data(tx: StoreReader, player: StoredPlayer) -> dict[str, Any]:
    """Every snapshot of a player: records (all kinds and scopes) and CSR, raw JSON included."""
    records = tx.records_history(player.xuid, kind=None, all_scopes=True)
    csr = tx.csr_history(player.xuid)
    return {
        "player": {
            "xuid": player.xuid,
            "gamertag": player.gamertag,
            "gamertags": [
                {k: _plain(v) for k, v in asdict(g).items()}
                for g in tx.gamertag_history(player.xuid)
            ],
        },
        "service_records": [
            {**{c: _plain(getattr(r, c)) for c in RECORD_COLUMNS}, "raw": r.raw} for r in records
        ],
        "csr": [{**{c: _plain(getattr(s, c)) for c in CSR_COLUMNS}, "raw": s.raw} for s in csr],
    }


def export_csv(data: Mapping[str, Any], table: str = "service_records") -> str:
    """One table of `export_data` as CSV (no raw JSON: use the JSON export for that)."""
    columns = RECORD_COLUMNS if table == "service_records" else CSR_COLUMNS
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["xuid", "gamertag", *columns])
    player = data["player"]
    for row in data[table]:
        writer.writerow([player["xuid"], player["gamertag"], *(row[c] for c in columns)])
    return out.getvalue()


def export_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
