"""The stats page's insight sections (issue 13) against the simulator's truth.

The world, its stored matches and the truth helpers are those of `test_insights.py` (the
library's tests); here the page is built from the store and rendered, the numbers are read
back out of the HTML, and each is compared with what the world generated: sessions cut
from its match times with the 60-minute gap, W/L, K/D and CSR changes, breakdown rows and
their totals, streak runs, and teammates and opponents from the match rosters.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from halotrack.report import build_page_data, render_page
from halotrack.report.data import MAX_CHART_POINTS, PageData
from halotrack.simulator import gen
from halotrack.simulator.formats import TICKS_PER_MS
from halotrack.simulator.world import LIFECYCLE_MATCHMADE, SimPlayer, Slot, World
from halotrack.store import Store, open_store
from tests.integration.test_insights import (
    NOW,
    Data,
    _build,
    _fill,
    daily,
    filled_sqlite,
    firefight_evening,
    grouped,
    is_pve,
    pvp,
    runs,
    truth_index,
    truth_totals,
    vec,
)
from tests.support.career import save_career

GAP = timedelta(minutes=60)
Cells = dict[tuple[str, str, str, str], str]  # (section, table, row key, stat) -> text


@pytest.fixture(scope="module")
def world_data() -> Data:
    return _build()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, world_data: Data) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("page-insights") / "store.sqlite"
    with open_store(filled_sqlite(world_data, path, tmp_path_factory)) as s:
        yield s


class _Reader(HTMLParser):
    """Every `data-insight` element's text, keyed by its section, table and row (`data-key`)."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, str, str]] = [("", "", "", "")]  # section, table, key, tag
        self.open: list[tuple[int, tuple[str, str, str, str], list[str]]] = []
        self.cells: Cells = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        section, table, key, _ = self.stack[-1]
        if tag == "section":
            section = a.get("id", "")
        table = a.get("data-table", table)
        key = a.get("data-key", key)
        if tag in self.VOID:
            return
        self.stack.append((section, table, key, tag))
        if "data-insight" in a:
            self.open.append((len(self.stack), (section, table, key, a["data-insight"]), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.open and self.open[-1][0] == len(self.stack):
            _, where, text = self.open.pop()
            self.cells[where] = " ".join("".join(text).split())
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for _, _, text in self.open:
            text.append(data)


def page_cells(store: Store, xuid: int) -> tuple[PageData, Cells]:
    data = build_page_data(store, xuid, now=NOW)
    reader = _Reader()
    reader.feed(render_page(data))
    return data, reader.cells


def number(text: str) -> int:
    return int(text.replace(",", "").replace("+", "").replace("−", "-"))


def wlt(t: dict[str, Any]) -> str:
    return f"{t.get('wins', 0)}-{t.get('losses', 0)}-{t.get('ties', 0)}"


def signed(value: int | None) -> str:
    """How the page writes a change: `+12`, `−3` (a minus sign), `±0`; `–` for none."""
    if value is None:
        return "–"
    return "±0" if value == 0 else f"{'+' if value > 0 else '−'}{abs(value):,}"


def row_numbers(
    cells: Cells,
    section: str,
    table: str,
    key: str,
    stats: tuple[str, ...] = ("matches", "kills", "deaths", "assists"),
) -> dict[str, Any]:
    """The numbers and the W-L-T of one table row, as truth_totals gives them."""
    got = {stat: number(cells[(section, table, key, stat)]) for stat in stats}
    wins, losses, ties = (int(n) for n in cells[(section, table, key, "wlt")].split("-"))
    got.update(wins=wins, losses=losses, ties=ties)
    return {k: v for k, v in got.items() if v}


def finish(world: World, s: Slot) -> datetime:
    m = s.match
    return datetime.fromtimestamp((m.start_ms + m.duration_ticks // TICKS_PER_MS) / 1000, UTC)


def start(s: Slot) -> datetime:
    return datetime.fromtimestamp(s.match.start_ms / 1000, UTC)


def truth_last_session(world: World, slots: list[Slot]) -> list[Slot]:
    """The newest run of matches each starting within GAP of the previous one's end."""
    ordered = sorted(slots, key=lambda s: (s.match.start_ms, s.match.match_id))
    cut = [ordered[0]]
    for prev, s in itertools.pairwise(ordered):
        cut = [*cut, s] if start(s) - finish(world, prev) <= GAP else [s]
    return cut


# ---------------------------------------------------------------------------- tests


def test_the_page_opens_with_the_last_session_the_world_played(
    world_data: Data, store: Store
) -> None:
    world = world_data.world
    p = daily(world)
    world.replay_csr(p)
    played = truth_last_session(world, world.slots(p))
    data, cells = page_cells(store, p.xuid)
    html = render_page(data)
    assert html.index('id="session"') < html.index('id="breakdown"') < html.index('id="summary"')
    sec = "session"
    assert number(cells[(sec, "", "", "matches")]) == len(played)
    every = truth_totals(world, played)
    assert cells[(sec, "", "", "wlt")] == wlt(every)
    headline = truth_totals(world, [s for s in played if pvp(s.match)])
    kills, deaths = cells[(sec, "", "", "kills_deaths")].split(" / ")
    assert (number(kills), number(deaths)) == (headline.get("kills", 0), headline.get("deaths", 0))
    assert cells[(sec, "", "", "start")] == f"{start(played[0]):%Y-%m-%d %H:%M} UTC"
    assert cells[(sec, "", "", "end")] == f"{finish(world, played[-1]):%Y-%m-%d %H:%M} UTC"
    # Per playlist: matches, W-L-T and the CSR gained, as the world's ranked replay says.
    want: dict[str, list[Slot]] = defaultdict(list)
    deltas: dict[str, int | None] = {}
    for s in played:
        name = s.match.playlist.asset.name if s.match.playlist else "custom games"
        name += " (PvE)" if is_pve(s.match) else ""
        want[name].append(s)
        pre, post = s.csr_pre[0], s.csr_post[0]
        if s.match.ranked and pre >= 0 and post >= 0:
            deltas[name] = (deltas.get(name) or 0) + post - pre
        else:
            deltas.setdefault(name, None)
    for name, slots in want.items():
        shown = row_numbers(cells, sec, "session-playlists", name, ("matches", "kills", "deaths"))
        assert shown == {k: v for k, v in truth_totals(world, slots).items() if k != "assists"}
        shown = cells[(sec, "session-playlists", name, "csr_delta")]
        assert shown == signed(deltas[name])
    assert data.insights is not None and data.insights.session is not None
    best_id = data.insights.session.session.best
    assert best_id is not None and best_id.match_id in {s.match.match_id for s in played}


def test_breakdown_tables_are_the_worlds_pvp_matches_and_sum_to_their_totals(
    world_data: Data, store: Store
) -> None:
    world = world_data.world
    p = daily(world)
    mine = [s for s in world.slots(p) if pvp(s.match)]
    _, cells = page_cells(store, p.xuid)
    for by in ("mode", "map", "playlist"):
        table = f"by-{by}"
        want = grouped(mine, by)
        keys = {k for (sec, t, k, _) in cells if sec == "breakdown" and t == table and k}
        assert keys == set(want)
        summed: Counter[str] = Counter()
        for key, slots in want.items():
            row = row_numbers(cells, "breakdown", table, key)
            assert row == truth_totals(world, slots), (by, key)
            summed.update(row)
        total = row_numbers(cells, "breakdown", table, "")
        assert total == truth_totals(world, mine) == dict(summed)


def test_pve_and_custom_games_are_apart_from_the_headline(world_data: Data, store: Store) -> None:
    world = world_data.world
    p = next(
        q
        for q in world.players
        if any(is_pve(s.match) and s.match.lifecycle == 3 for s in world.slots(q))
        and any(pvp(s.match) for s in world.slots(q))
    )
    slots = world.slots(p)
    _, cells = page_cells(store, p.xuid)
    pve = [s for s in slots if is_pve(s.match) and s.match.lifecycle == 3]
    assert row_numbers(cells, "breakdown", "pve", "") == truth_totals(world, pve)
    headline = row_numbers(cells, "breakdown", "by-mode", "")
    assert headline == truth_totals(world, [s for s in slots if pvp(s.match)])
    custom = [s for s in slots if s.match.lifecycle != 3]
    if custom:
        text = cells[("breakdown", "", "", "custom")]
        assert f"{len(custom):,} matches" in text


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, SimPlayer, Store]]:
    """A longer career (some 280 matches) whose ranked matches get past placement: the
    small world's players never do, so their CSR is only ever `placing`."""
    world = World(seed=5, players=8, history_scale=1.0)
    p = max(world.players, key=lambda q: sum(s.match.ranked for s in world.slots(q)))
    world.replay_csr(p)
    path = tmp_path_factory.mktemp("page-ranked") / "store.sqlite"
    with open_store(f"sqlite:///{path}") as s:
        save_career(s, world, p, world.slots(p), NOW)
        yield world, p, s


def test_csr_per_season_is_the_worlds_ranked_replay(
    ranked: tuple[World, SimPlayer, Store],
) -> None:
    world, p, store = ranked
    counted = [s for s in world.slots(p) if s.match.ranked]
    assert sum(s.csr_post[0] >= 0 for s in counted) > 10, "no CSR past placement"
    data, cells = page_cells(store, p.xuid)
    per: dict[tuple[str, str], list[int]] = defaultdict(list)
    for s in counted:
        assert s.match.playlist is not None
        per[(s.match.playlist.asset.name, f"CsrSeason{s.match.season.index}-1")].append(
            s.csr_post[0]
        )
    rows = {k for (sec, t, k, _) in cells if sec == "csr-seasons" and t == "csr-seasons" and k}
    assert rows == {f"{pl}|{season}" for pl, season in per}
    for (pl, season), values in per.items():
        key = f"{pl}|{season}"
        end = cells[("csr-seasons", "csr-seasons", key, "end")]
        assert end == (f"{values[-1]:,}" if values[-1] >= 0 else "placing")
        top = max(values)
        want = f"{top:,}" if top >= 0 else "–"
        assert cells[("csr-seasons", "csr-seasons", key, "max")] == want
        assert number(cells[("csr-seasons", "csr-seasons", key, "matches")]) == len(values)
    for pl in {k[0] for k in per}:
        top = max(v for (q, _), vs in per.items() if q == pl for v in vs)
        want = f"{top:,}" if top >= 0 else "–"
        assert cells[("csr-seasons", "", pl, "all_time_max")] == want
    # The per-match chart: the newest counted matches, placements on their own series.
    assert data.insights is not None
    chart = data.insights.csr_chart
    shown = [s for s in counted if s.csr_post[0] >= 0][-MAX_CHART_POINTS:]
    assert list(chart.x) == [s.match.start_ms / 1000 for s in shown]
    csr = [s.csr_post[0] for s in shown]
    lines = [x for x in chart.series if x.style == "line"]
    assert [
        next((v for v in col if v is not None), None)
        for col in zip(*(x.values for x in lines), strict=True)
    ] == csr
    [marks] = [x for x in chart.series if x.label == "Placement"]
    placed = [s.csr_pre[1] > 0 for s in shown]
    assert any(placed)
    assert [v is not None for v in marks.values] == placed
    assert 'id="chart-csr-matches"' in render_page(data)


def test_streaks_are_the_worlds_runs(world_data: Data, store: Store) -> None:
    world = world_data.world
    p = daily(world)
    slots = sorted(
        (s for s in world.slots(p) if pvp(s.match)),
        key=lambda s: (s.match.start_ms, s.match.match_id),
    )

    _, cells = page_cells(store, p.xuid)

    def shown(name: str) -> tuple[int, int]:
        return (
            number(cells[("streaks", "", "", f"current_{name}")]),
            number(cells[("streaks", "", "", f"longest_{name}")]),
        )

    assert shown("win") == runs([s.outcome == gen.WIN for s in slots])
    assert shown("loss") == runs([s.outcome in (gen.LOSS, gen.DNF) for s in slots])
    kd = [vec(world, s)[0] > vec(world, s)[1] for s in slots]
    assert shown("positive_kd") == runs(kd)


def test_mates_are_the_rosters_most_met_players_by_name(world_data: Data, store: Store) -> None:
    world = world_data.world
    p = daily(world)
    same: Counter[int] = Counter()
    other: Counter[int] = Counter()
    for s in world.slots(p):
        if s.match.lifecycle != LIFECYCLE_MATCHMADE:
            continue  # mates are matchmade games' (custom and LAN games apart)
        for o in world.roster(s.match):
            if o.xuid is None or o.xuid == p.xuid:
                continue
            (same if o.team == s.team else other)[o.xuid] += 1
    _, cells = page_cells(store, p.xuid)
    for table, counts in (("teammates", same), ("opponents", other)):
        rows = {
            k: cells[("mates", table, k, "matches")]
            for (sec, t, k, stat) in cells
            if sec == "mates" and t == table and stat == "matches"
        }
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: len(rows)]
        assert len(rows) == min(10, len(counts))
        assert {int(k): number(v) for k, v in rows.items()} == dict(ranked)
        for k in rows:
            assert cells[("mates", table, k, "name")] == world_data.tags[int(k)]


def test_hostile_names_are_escaped_in_the_sections(
    world_data: Data, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A teammate named like markup is text on the page, never a tag."""
    hostile = '<img src=x onerror=alert(1)>"'
    world = world_data.world
    p = daily(world)
    with open_store(filled_sqlite(world_data, tmp_path / "hostile.sqlite", tmp_path_factory)) as s:
        data = build_page_data(s, p.xuid, now=NOW)
        assert data.insights is not None
        mate = data.insights.mates.teammates[0].xuid  # shown on the page whatever its name
        s.upsert_player(mate, hostile, seen_at=NOW + timedelta(days=1))
        s.put_gamertags({mate: hostile}, now=NOW + timedelta(days=1))
        html = render_page(build_page_data(s, p.xuid, now=NOW))
    assert hostile not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;" in html


def test_a_player_without_stored_matches_gets_no_insight_sections(tmp_path: Path) -> None:
    from tests.support.page import XUID, seed_store

    with open_store(f"sqlite:///{tmp_path / 'none.sqlite'}") as s:
        seed_store(s)
        data = build_page_data(s, XUID, now=NOW)
    assert data.insights is None
    html = render_page(data)
    assert 'id="session"' not in html and 'id="mates"' not in html


def test_the_sessions_performance_on_the_page_is_its_pvp_games(tmp_path: Path) -> None:
    """An evening with Firefight beside PvP: the page's performance tile is the mean index
    of the PvP games alone, and the note counts those games, not the Firefight ones."""
    evening, p, played = firefight_evening()
    world = evening.world
    index = [truth_index(world, s) for s in played if pvp(s.match)]
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as s:
        _fill(s, evening)
        data = build_page_data(s, p.xuid, now=NOW)
    html = render_page(data)
    reader = _Reader()
    reader.feed(html)
    shown = reader.cells[("session", "", "", "mean_index")]
    assert float(shown.replace("−", "-").replace("±", "")) == pytest.approx(
        sum(index) / len(index), abs=5e-4
    )
    assert f"over the session's {len(index)} matches (PvP)" in html
    assert "PvE included" not in html
