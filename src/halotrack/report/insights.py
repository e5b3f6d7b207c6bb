"""The page's insight sections (issue 13), read through the insight use cases.

Why a module of its own: every number of these sections is an answer of
`halotrack.usecases.insights` (the same the CLI prints); this module only picks which
answers the page shows and turns the per-match CSR into a chart. No derivation happens
here, so the page, `halotrack session` and `halotrack breakdown` can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from halotrack.report.data import MAX_CHART_POINTS, Chart, ChartSeries
from halotrack.store import StoreReader
from halotrack.usecases import insights as ins

MATES_SHOWN = 10
"""Teammates and opponents listed on the page, each."""


@dataclass(frozen=True, slots=True)
class SessionView:
    """The last session and its summary as `halotrack session --json` gives it (the sums
    over every playlist are the use case's, read from there)."""

    session: ins.Session
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PageInsights:
    session: SessionView | None
    breakdowns: tuple[ins.Breakdown, ...]  # PvP: by mode, map, playlist
    pve: ins.Breakdown  # PvE by playlist, apart from the headline
    custom: ins.Totals  # custom and local games, never mixed in
    csr: ins.CsrHistory
    season_labels: dict[str, str]  # CSR season id -> the season's one name
    csr_chart: Chart
    streaks: ins.Streaks
    mates: ins.Mates


InsightReader = Callable[[StoreReader, int, Callable[[str], str]], PageInsights | None]
"""What reads the sections for the page (`read_insights`, or the site's cache of it)."""


def read_insights(
    store: StoreReader, xuid: int, season_label: Callable[[str], str] = str
) -> PageInsights | None:
    """The sections for a player with stored matches; None without any (nothing to show).
    `season_label` names a CSR season id (`usecases.seasons.season_name` with the page's
    calendar)."""
    if not store.match_count(xuid):
        return None
    player = str(xuid)
    career = ins.read_career(store, player)  # one read for every section below
    last = ins.sessions(store, player, last=1, career=career)

    def by_playlist(play: str) -> ins.Breakdown:
        return ins.breakdown(store, player, "playlist", play=play, career=career)

    csr = ins.csr_history(store, player, career=career)
    return PageInsights(
        session=SessionView(last[0], last[0].as_dict()) if last else None,
        breakdowns=tuple(ins.breakdown(store, player, by, career=career) for by in ins.BYS),
        pve=by_playlist("pve"),
        custom=by_playlist("custom").total,
        csr=csr,
        season_labels={r.season: season_label(r.season) for r in csr.seasons},
        csr_chart=csr_match_chart(csr.points),
        streaks=ins.streaks(store, player, career=career),
        mates=ins.mates(store, player, limit=MATES_SHOWN),
    )


def csr_match_chart(points: list[ins.CsrPoint]) -> Chart:
    """CSR after each of the newest MAX_CHART_POINTS counted matches with a CSR (a match
    still placing has none to draw), one series per playlist, and the placement matches
    that gave a CSR as markers on their own series."""
    shown = [p for p in points if p.csr is not None][-MAX_CHART_POINTS:]
    playlists = list(dict.fromkeys(p.playlist for p in shown))
    xs = tuple(p.start_time.timestamp() for p in shown)
    columns: dict[str, list[float | None]] = {pl: [None] * len(shown) for pl in playlists}
    placed: list[float | None] = [None] * len(shown)
    for i, p in enumerate(shown):
        columns[p.playlist][i] = p.csr
        if p.placement:
            placed[i] = p.csr
    series = [ChartSeries(pl, tuple(columns[pl]), "CSR", "left", "line") for pl in playlists]
    if any(v is not None for v in placed):
        series.append(ChartSeries("Placement", tuple(placed), "CSR", "left", "points"))
    return Chart("csr-matches", "CSR after each ranked match", xs, tuple(series), "CSR")
