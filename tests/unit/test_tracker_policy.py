"""The schedule policy and the season rules are pure functions: tested without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from halotrack.models import CsrSeasonCalendar, SeasonCalendar, decode_as
from halotrack.usecases import check_interval, next_check_at
from halotrack.usecases.seasons import (
    current_csr_season,
    is_ended,
    season_ends,
    seasons_to_fetch,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("idle", "interval"),
    [
        (timedelta(0), timedelta(0)),
        (timedelta(hours=23), timedelta(0)),
        (timedelta(days=6, hours=23), timedelta(0)),
        (timedelta(days=7), timedelta(hours=6)),
        (timedelta(days=29), timedelta(hours=6)),
        (timedelta(days=30), timedelta(days=1)),
        (timedelta(days=400), timedelta(days=1)),
    ],
)
def test_idle_players_are_checked_less_often(idle: timedelta, interval: timedelta) -> None:
    assert check_interval(NOW, NOW - idle) == interval
    due = next_check_at(NOW, NOW - idle)
    assert due == (None if interval == timedelta(0) else NOW + interval)


def test_never_seen_playing_is_checked_daily() -> None:
    assert check_interval(NOW, None) == timedelta(days=1)


def _dates(start: str, end: str) -> dict[str, dict[str, str]]:
    return {"StartDate": {"ISO8601Date": start}, "EndDate": {"ISO8601Date": end}}


CAL = msgspec.json.encode(
    {
        "Seasons": [
            {
                "SeasonMetadata": "Seasons/Season3.json",
                "CsrSeasonFilePath": "Csr/Seasons/CsrSeason3-1.json",
                **_dates("2022-11-08T18:00:00Z", "2023-03-07T18:00:00Z"),
            },
            {
                "SeasonMetadata": "Seasons/Season5.json",
                "CsrSeasonFilePath": "Csr/Seasons/CsrSeason5-1.json",
                **_dates("2023-10-17T17:00:00Z", "2026-02-01T00:00:00Z"),
            },
            {
                "SeasonMetadata": "Seasons/Season6.json",
                "CsrSeasonFilePath": "Csr/Seasons/CsrSeason6-1.json",
                **_dates("2026-02-01T00:00:00Z", "2026-06-01T00:00:00Z"),
            },
        ]
    }
)
CSR_CAL = msgspec.json.encode(
    {
        "Seasons": [
            {"CsrSeasonFilePath": "Csr/Seasons/CsrSeason5-1.json", **_dates(
                "2023-10-17T17:00:00Z", "2026-02-01T00:00:00Z")},
            {"CsrSeasonFilePath": "Csr/Seasons/CsrSeason6-1.json", **_dates(
                "2026-02-01T00:00:00Z", "2026-06-01T00:00:00Z")},
        ]
    }
)  # fmt: skip


def test_seasons_named_both_ways_resolve_to_their_end() -> None:
    ends = season_ends(decode_as(SeasonCalendar, CAL), decode_as(CsrSeasonCalendar, CSR_CAL))
    # Before Season 5 a record names the season by its metadata path, after by its CSR file.
    assert is_ended("Seasons/Season3.json", ends, NOW)
    assert is_ended("csr/seasons/csrseason5-1.json", ends, NOW)
    assert not is_ended("Csr/Seasons/CsrSeason6-1.json", ends, NOW)
    # Unknown seasons are never frozen.
    assert not is_ended("Seasons/Season99.json", ends, NOW)
    assert current_csr_season(decode_as(CsrSeasonCalendar, CSR_CAL), NOW) == "CsrSeason6-1"


def test_the_newest_season_is_never_frozen() -> None:
    """A clock ahead of the calendar (or a last season with no successor yet) must not
    stop the newest season from being fetched."""
    ends = season_ends(decode_as(SeasonCalendar, CAL), decode_as(CsrSeasonCalendar, CSR_CAL))
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert not is_ended("Csr/Seasons/CsrSeason6-1.json", ends, later)
    assert is_ended("Csr/Seasons/CsrSeason5-1.json", ends, later)


def test_ended_seasons_are_fetched_until_marked_done() -> None:
    ends = season_ends(decode_as(SeasonCalendar, CAL), None)
    ids = ["Csr/Seasons/CsrSeason6-1.json", "Csr/Seasons/CsrSeason5-1.json", "Seasons/Season3.json"]
    assert seasons_to_fetch(ids, ends, NOW, set()) == [
        ("Csr/Seasons/CsrSeason6-1.json", False),
        ("Csr/Seasons/CsrSeason5-1.json", True),
        ("Seasons/Season3.json", True),
    ]
    done = {"Csr/Seasons/CsrSeason5-1.json", "Seasons/Season3.json"}
    assert seasons_to_fetch(ids, ends, NOW, done) == [("Csr/Seasons/CsrSeason6-1.json", False)]
    # The running season is fetched every time, even if (wrongly) marked.
    assert seasons_to_fetch(ids[:1], ends, NOW, set(ids)) == [(ids[0], False)]
