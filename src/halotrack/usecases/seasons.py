"""Which seasons have ended, from the season and CSR calendars. Pure functions.

Why: an ended season's record never changes again (REFERENCE "Seasons"), so the tracker
fetches it once, ever. The record's `Subqueries.SeasonIds` name seasons two ways: from
Season 5 on by the CSR season file path (`Csr/Seasons/CsrSeason5-1.json`, which is also the
calendar's `CsrSeasonFilePath`), before that by the season metadata path
(`Seasons/Season3.json`, the calendar's `SeasonMetadata`). Both are looked up here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from halotrack.errors import ConfigError
from halotrack.models import (
    CsrSeasonCalendar,
    CsrSeasonEntry,
    SeasonCalendar,
    SeasonEntry,
    csr_season_id,
)

E = TypeVar("E", SeasonEntry, CsrSeasonEntry)


def _norm(path: str) -> str:
    return path.strip().lower()


def season_ends(
    calendar: SeasonCalendar | None, csr_calendar: CsrSeasonCalendar | None
) -> dict[str, datetime]:
    """Season id (lower case, either naming) -> end time, for every dated calendar entry
    except each calendar's newest season: that one is never frozen, so a clock that runs
    ahead of the API's calendar (or a calendar not yet given its next season) costs a
    refetch, never a lost snapshot."""
    ends: dict[str, datetime] = {}
    if csr_calendar is not None:
        for c in _all_but_newest(csr_calendar.seasons):
            if c.csr_season_file_path and c.end is not None:
                ends[_norm(c.csr_season_file_path)] = c.end
    if calendar is not None:
        for s in _all_but_newest(calendar.seasons):
            if s.end is None:
                continue
            for path in (s.season_metadata, s.csr_season_file_path):
                if path:
                    ends.setdefault(_norm(path), s.end)
    return ends


def season_aliases(calendar: SeasonCalendar | None) -> dict[str, str]:
    """Season metadata path -> the CSR season path of the same calendar entry (lower case).
    The record lists a season from Season 5 on under both; the CSR path is the `seasonId`
    to pass (REFERENCE "Seasons"), the other is an alias worth no request of its own."""
    out: dict[str, str] = {}
    for s in calendar.seasons if calendar is not None else []:
        if s.season_metadata and s.csr_season_file_path:
            out[_norm(s.season_metadata)] = _norm(s.csr_season_file_path)
    return out


def record_season_ids(season_ids: Iterable[str], aliases: dict[str, str]) -> list[str]:
    """The record's season ids minus metadata paths whose CSR path is listed too."""
    ids = list(season_ids)
    listed = {_norm(s) for s in ids}
    return [s for s in ids if aliases.get(_norm(s)) not in listed]


def _all_but_newest(entries: Sequence[E]) -> list[E]:
    dated = [e for e in entries if e.start is not None]
    if not dated:
        return list(entries)
    newest = max(dated, key=lambda e: e.start or datetime.min)
    return [e for e in entries if e is not newest]


def is_ended(season_id: str, ends: dict[str, datetime], now: datetime) -> bool:
    """True only when a calendar says the season ended before `now`; an unknown season is
    treated as running, so it is fetched again rather than frozen too early."""
    end = ends.get(_norm(season_id))
    return end is not None and end <= now


def current_csr_season(csr_calendar: CsrSeasonCalendar | None, now: datetime) -> str | None:
    """The bare CSR season id (`CsrSeason5-1`) running at `now`, if the calendar has one."""
    if csr_calendar is None:
        return None
    entry = csr_calendar.season_at(now)
    return entry.csr_season_id if entry is not None else None


def seasons_to_fetch(
    season_ids: Iterable[str], ends: dict[str, datetime], now: datetime, done: set[str]
) -> list[tuple[str, bool]]:
    """(season id, ended) for each season of a record that still needs a fetch: every
    running season, and ended seasons not yet fetched after their end (`done`)."""
    out: list[tuple[str, bool]] = []
    for sid in dict.fromkeys(season_ids):
        ended = is_ended(sid, ends, now)
        if ended and sid in done:
            continue
        out.append((sid, ended))
    return out


# ----- names

_SEASON_FILE = re.compile(r"(?:Csr)?Season-?(?P<rest>[^/]*?)(?:\.json)?$", re.IGNORECASE)


def humanize_season_id(season_id: str) -> str:
    """`Seasons/Season6-2.json` -> `Season 6-2`; `Csr/Seasons/CsrSeason9-1.json` ->
    `Ranked season 9-1`; `Seasons/Season-Winter-Break-22.json` -> `Season Winter Break 22`.
    The last resort of `season_name`, when no calendar entry names the id."""
    match = _SEASON_FILE.search(season_id)
    rest = match.group("rest").replace("-", " ") if match else season_id
    if match and re.fullmatch(r"\d+( \d+)?", rest):
        rest = rest.replace(" ", "-")
    ranked = season_id.lower().startswith("csr")
    return f"{'Ranked season' if ranked else 'Season'} {rest}".strip()


def calendar_pairs(calendar: SeasonCalendar | None) -> list[tuple[str | None, str | None]]:
    """(CSR season file, season metadata file) of each calendar entry, in calendar order:
    what `season_name` reads."""
    if calendar is None:
        return []
    return [(s.csr_season_file_path, s.season_metadata) for s in calendar.seasons]


def season_name(
    season_id: str,
    calendar: Iterable[tuple[str | None, str | None]],
    names: Mapping[str, str] | None = None,
) -> str:
    """The one name of a season, for every table, title and page: `Season 12`.

    `season_id` is any of the forms the API and users use (a metadata file
    `Seasons/Season3.json`, a CSR season file `Csr/Seasons/CsrSeason12-1.json`, or their bare
    ids); `calendar` is `calendar_pairs(...)`; `names` maps metadata files to the public name
    in their metadata (`Name`), when fetched. A CSR season is named after the calendar
    entries it spans (`Season 5 Op1 to Season 5 Op3`). Raw paths belong only in `--json`."""
    names = names or {}
    key = _bare(season_id)
    pairs = list(calendar)

    def shown(meta: str) -> str:
        return names.get(meta) or humanize_season_id(meta)

    for _, meta in pairs:
        if meta and _bare(meta) == key:
            return shown(meta)
    spanned = list(dict.fromkeys(m for c, m in pairs if m and c and _bare(c) == key))
    if len(spanned) == 1:
        return shown(spanned[0])
    if spanned:
        return f"{shown(spanned[0])} to {shown(spanned[-1])}"
    return humanize_season_id(season_id)


def _bare(path: str) -> str:
    return (csr_season_id(path.strip()) or "").lower()


# ----- what a user typed


def season_record_id(entry: SeasonEntry) -> str | None:
    """The `seasonId` a service record takes for a calendar entry: from Season 5 on it is
    the CSR season file, before that the season metadata file."""
    csr = entry.csr_season_file_path
    match = _CSR_NUMBER.search(csr or "")
    if csr and match and int(match.group(1)) >= 5:
        return csr
    return entry.season_metadata or csr


_CSR_NUMBER = re.compile(r"CsrSeason(\d+)", re.IGNORECASE)


def current_season(calendar: SeasonCalendar, now: datetime | None = None) -> SeasonEntry:
    """The season running now, or else the latest one that has started."""
    when = now or datetime.now(UTC)
    entry = calendar.season_at(when)
    if entry is not None:
        return entry
    started = [s for s in calendar.seasons if s.start is None or s.start <= when]
    if not started:
        raise ConfigError("the season calendar lists no season yet")
    return max(started, key=lambda s: s.start or datetime.min.replace(tzinfo=UTC))


def find_season(calendar: SeasonCalendar, wanted: str, now: datetime | None = None) -> SeasonEntry:
    """The calendar entry a user meant: `current`, a record season id, a CSR season file or
    bare id (`CsrSeason5-1`), or a metadata file or bare name (`Season6`)."""
    if wanted.strip().lower() == "current":
        return current_season(calendar, now)
    key = _bare(wanted)
    for entry in calendar.seasons:
        names = {entry.csr_season_file_path, entry.season_metadata, season_record_id(entry)}
        if key in {_bare(n) for n in names if n}:
            return entry
    raise ConfigError(
        f"unknown season {wanted!r}", hint="see `halotrack seasons` for the ids, or use current"
    )


def find_csr_season(calendar: CsrSeasonCalendar, wanted: str) -> str:
    """The bare CSR season id (`CsrSeason5-1`, as the calendar spells it) a user meant."""
    key = _bare(wanted)
    for s in calendar.seasons:
        bare = csr_season_id(s.csr_season_file_path)
        if bare and bare.lower() == key:
            return bare
    raise ConfigError(
        f"unknown CSR season {wanted!r}", hint="see `halotrack seasons` (CSR season column)"
    )
