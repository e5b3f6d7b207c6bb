"""Insights (issue 13) against the simulator's truth: a small world's matches stored
through the store's own `match_rows`/`save_match`, every number then checked against what
the world generated (not against the code under test)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from halotrack.models import MatchSkill, MatchStats, decode_as
from halotrack.simulator import gen
from halotrack.simulator.catalog import COL
from halotrack.simulator.views import guest_tag, match_stats, skill_result
from halotrack.simulator.world import Match, SimPlayer, Slot, World
from halotrack.store import Store
from halotrack.store import matches as sm
from halotrack.usecases import insights as ins
from tests.support.stores import sqlite_copy

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@dataclass
class Data:
    world: World
    rows: list[sm.MatchRows]
    tags: dict[int, str]
    assets: list[tuple[str, str, str, str]]  # kind, asset id, version id, name


@cache
def _build() -> Data:
    """The insight tests' world, built once per session: the modules that read it share
    it, and a module that changes its names or assets (test_exports) copies those first."""
    world = World(seed=13, players=10, history_scale=0.25)
    for p in world.players:
        world.history(p)
    # Friends play together: shared matches for mates and `vs`.
    world.advance(36, active_fraction=0.9)
    # A fresh session for the first daily player: six matches after a long break.
    world.clock.advance(6)
    world.play(daily(world).xuid, 6)
    return stored(world)


def stored(world: World) -> Data:
    """The rows of every match of the world's players, as a sync would store them."""
    seen: dict[str, Match] = {}
    for p in world.players:
        for s in world.slots(p):
            seen.setdefault(s.match.match_id, s.match)
    rows = []
    tags = {p.xuid: p.gamertag for p in world.players}
    for m in seen.values():
        stats = match_stats(world, m)
        humans = [s for s in world.roster(m) if not s.bot]
        skill = {"Value": [skill_result(world, s) for s in humans]}
        for s in humans:
            tags.setdefault(s.xuid or 0, guest_tag(s.xuid or 0))
        rows.append(
            sm.match_rows(
                decode_as(MatchStats, json.dumps(stats).encode()),
                decode_as(MatchSkill, json.dumps(skill).encode()),
                fetched_at=NOW,
            )
        )
    assets = [("map", a.asset_id, a.version_id, a.name) for a in world.maps]
    assets += [("mode", a.asset_id, a.version_id, a.name) for a in world.variant_assets.values()]
    assets += [
        ("playlist", p.asset.asset_id, p.asset.version_id, p.asset.name) for p in world.playlists
    ]
    return Data(world, rows, tags, assets)


def daily(world: World) -> SimPlayer:
    return next(p for p in world.players if p.activity == "daily")


@pytest.fixture(scope="module")
def world_data() -> Data:
    return _build()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def match_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, world_data: Data
) -> Iterator[Store]:
    """One store per backend for the whole module, filled once (the tests only read): a
    schema of its own on PostgreSQL, so other modules' cleaning never reaches it."""
    import uuid

    import sqlalchemy as sa

    from halotrack.store import open_store

    admin = None
    if request.param == "sqlite":
        dest = tmp_path_factory.mktemp("insights") / "store.sqlite"
        url = filled_sqlite(world_data, dest, tmp_path_factory)
    else:
        schema = f"halotrack_test_{uuid.uuid4().hex[:12]}"
        base = request.getfixturevalue("pg_url")
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
    store = open_store(url)
    try:
        if admin is not None:  # a fresh schema; the SQLite copy is filled already
            _fill(store, world_data)
        yield store
    finally:
        store.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()


def filled_sqlite(data: Data, dest: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store at `dest` holding `data` as `_fill` stores it (filled once a session,
    then copied); its URL."""
    return sqlite_copy(data, lambda store: _fill(store, data), dest, tmp_path_factory)


def _fill(store: Store, data: Data) -> None:
    with store.transaction() as tx:
        for r in data.rows:
            tx.save_match(r)
        for kind, aid, vid, name in data.assets:
            tx.save_asset(kind, aid, vid, name=name, raw="{}", fetched_at=NOW)
    for p in data.world.players:
        store.upsert_player(p.xuid, p.gamertag, seen_at=NOW)
    store.put_gamertags(data.tags, now=NOW)


@pytest.fixture
def data(match_store: Store, world_data: Data) -> Data:
    return world_data


# ---------------------------------------------------------------------------- truth


def vec(world: World, s: Slot) -> tuple[int, int, int]:
    v = world.slot_vector(s)
    return v[COL["core.Kills"]], v[COL["core.Deaths"]], v[COL["core.Assists"]]


def is_pve(m: Match) -> bool:
    return m.variant.category == 42 or m.interaction == 2


def pvp(m: Match) -> bool:
    return m.lifecycle == 3 and not is_pve(m)


def truth_totals(world: World, slots: list[Slot]) -> dict[str, Any]:
    out: Counter[str] = Counter()
    for s in slots:
        k, d, a = vec(world, s)
        out.update(
            matches=1,
            wins=s.outcome == gen.WIN,
            losses=s.outcome in (gen.LOSS, gen.DNF),
            ties=s.outcome == gen.TIE,
            kills=k,
            deaths=d,
            assists=a,
        )
    return {k: v for k, v in out.items() if v}


def fields(t: ins.Totals) -> dict[str, Any]:
    return {
        k: getattr(t, k)
        for k in ("matches", "wins", "losses", "ties", "kills", "deaths", "assists")
        if getattr(t, k)
    }


def grouped(slots: list[Slot], by: str) -> dict[str, list[Slot]]:
    """The world's matches by mode, map or playlist name (a breakdown's rows)."""
    out: dict[str, list[Slot]] = defaultdict(list)
    for s in slots:
        m = s.match
        name = {"mode": m.variant_asset.name, "map": m.map_asset.name}.get(by)
        out[name or (m.playlist.asset.name if m.playlist else "")].append(s)
    return out


def runs(flags: list[bool]) -> tuple[int, int]:
    """(current, longest) run of True, oldest to newest."""
    longest = cur = 0
    for f in flags:
        cur = cur + 1 if f else 0
        longest = max(longest, cur)
    return cur, longest


# ---------------------------------------------------------------------------- tests


def test_breakdown_rows_equal_the_worlds_matches_and_sum_to_the_totals(
    data: Data, match_store: Store
) -> None:
    world = data.world
    p = daily(world)
    mine = [s for s in world.slots(p) if pvp(s.match)]
    for by in ("mode", "map", "playlist"):
        got = ins.breakdown(match_store, p.gamertag, by)
        assert fields(got.total) == truth_totals(world, mine)
        summed = ins.Totals()
        for row in got.rows:
            summed = summed + row.totals
        assert fields(summed) == fields(got.total)
        want = grouped(mine, by)
        assert {r.key: fields(r.totals) for r in got.rows} == {
            k: truth_totals(world, v) for k, v in want.items()
        }


def test_a_narrow_read_is_the_full_reads_columns(data: Data, match_store: Store) -> None:
    """A route that reads a few columns (`only`) gets the full read's values for them,
    row for row; a column the read does not have is an error, not a silent None."""
    p = daily(data.world)
    with match_store.reader() as tx:
        full = ins.read_career(tx, p.gamertag)
        narrow = ins.read_career(tx, p.gamertag, only=("map_asset_id", *ins.TOTALS_READ))
        assert len(narrow.rows) == len(full.rows) > 0
        keys = {"map_asset_id", *ins.TOTALS_READ}
        assert narrow.rows == [{k: r[k] for k in keys} for r in full.rows]
        with pytest.raises(ValueError, match="no column \\['skill'\\]"):
            ins.read_career(tx, p.gamertag, only=("kills", "skill"))


def test_the_page_and_the_api_list_each_matchs_csr_as_the_world_ranked_it(
    data: Data, match_store: Store
) -> None:
    """Before and after of every listed match, on the page's list and in the API's, are
    the world's readings: none for an unranked match, nor for a placement match's -1."""
    from halotrack.report.build import recent_matches
    from halotrack.site.data import matches_page

    world = data.world
    p = max(world.players, key=lambda q: sum(s.match.ranked for s in world.slots(q)))
    world.replay_csr(p)
    slots = world.slots(p)
    assert any(s.match.ranked and s.csr_pre[0] < 0 for s in slots)

    def reading(v: tuple[int, int]) -> int | None:
        return v[0] if v[0] >= 0 else None

    want = {
        s.match.match_id: (reading(s.csr_pre), reading(s.csr_post))
        if s.match.ranked
        else (None, None)
        for s in slots
    }
    with match_store.reader() as tx:
        listed = recent_matches(tx, p.xuid, len(want))
    page = {m.match_id: (m.csr_before, m.csr_after) for m in listed}
    api = matches_page(match_store, p.xuid, offset=0, limit=len(want)).items
    assert page == {m.match_id: (m.csr_before, m.csr_after) for m in api} == want


def test_a_season_is_exactly_its_matches(data: Data, match_store: Store) -> None:
    """`--season 1` is season 1 only (not 10, 11 or 12, whose ids start the same)."""
    world = data.world
    p = daily(world)
    mine = [s for s in world.slots(p) if pvp(s.match)]
    played = sorted({s.match.season.index for s in mine})
    assert len(played) >= 3
    for index in played:
        got = ins.breakdown(match_store, p.gamertag, "playlist", season=str(index)).total
        want = [s for s in mine if s.match.season.index == index]
        assert fields(got) == truth_totals(world, want), index
    assert ins.breakdown(match_store, p.gamertag, "map", season="99").total.matches == 0


def test_expected_values_and_the_index_are_the_skill_answers(
    data: Data, match_store: Store
) -> None:
    world = data.world
    p = daily(world)
    slots = {s.match.match_id: s for s in world.slots(p)}
    perf = ins.match_performance(match_store, p.xuid, slots)
    assert len(perf) == len(slots)
    exp_k = exp_d = 0.0
    for mid, got in perf.items():
        want = skill_result(world, slots[mid])["Result"]["StatPerformances"]
        k, d = want["Kills"], want["Deaths"]
        assert (got.kills, got.expected_kills, got.kills_spread) == (
            k["Count"],
            k["Expected"],
            k["StdDev"],
        )
        assert (got.deaths, got.expected_deaths, got.deaths_spread) == (
            d["Count"],
            d["Expected"],
            d["StdDev"],
        )
        index = (k["Count"] - k["Expected"]) / k["StdDev"] - (d["Count"] - d["Expected"]) / d[
            "StdDev"
        ]
        assert got.index == pytest.approx(index)
        if pvp(slots[mid].match):
            exp_k += k["Expected"]
            exp_d += d["Expected"]
    total = ins.breakdown(match_store, p.gamertag, "mode").total
    assert total.expected_kills == pytest.approx(exp_k)
    assert total.expected_deaths == pytest.approx(exp_d)


def test_pve_is_apart_from_the_headline_numbers(data: Data, match_store: Store) -> None:
    world = data.world
    for p in world.players:
        slots = world.slots(p)
        if any(is_pve(s.match) for s in slots) and any(pvp(s.match) for s in slots):
            break
    else:
        pytest.fail("no player in the world played both PvP and Firefight")
    got = ins.pvp_and_pve(match_store, p.gamertag)
    assert fields(got["pvp"]) == truth_totals(world, [s for s in slots if pvp(s.match)])
    pve = [s for s in slots if is_pve(s.match) and s.match.lifecycle == 3]
    assert fields(got["pve"]) == truth_totals(world, pve)
    custom = [s for s in slots if s.match.lifecycle != 3]
    assert fields(got["custom"]) == truth_totals(world, custom)


def test_the_last_session_is_what_the_world_played(data: Data, match_store: Store) -> None:
    world = data.world
    p = daily(world)
    played = p.live[-6:]
    [got] = ins.sessions(match_store, p.gamertag, last=1)
    assert got.matches == 6
    assert got.start == datetime.fromtimestamp(played[0].match.start_ms / 1000, UTC)
    assert fields(got.pvp) == truth_totals(world, [s for s in played if pvp(s.match)])
    assert fields(got.pve) == truth_totals(world, [s for s in played if is_pve(s.match)])
    world.replay_csr(p)
    deltas: dict[str, int | None] = {}
    for s in played:
        name = s.match.playlist.asset.name if s.match.playlist else "custom games"
        pre, post = s.csr_pre[0], s.csr_post[0]
        step = post - pre if s.match.ranked and pre >= 0 and post >= 0 else None
        if step is not None:
            deltas[name] = (deltas.get(name) or 0) + step
        else:
            deltas.setdefault(name, None)
    assert {r.playlist: r.csr_delta for r in got.playlists} == deltas
    assert got.best is not None and got.best.match_id in {s.match.match_id for s in played}
    # A gap shorter than the pause before this session splits nothing off it; two
    # sessions back reach into the history.
    older = ins.sessions(match_store, p.gamertag, last=2)
    assert older[0] == got and older[1].end <= got.start - ins.DEFAULT_GAP


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def evenings(world: World, p: SimPlayer, gap_minutes: int = 60) -> list[list[Slot]]:
    """The player's games of every kind cut where a game starts more than the gap after
    the previous one ended, oldest first."""
    out: list[list[Slot]] = []
    end = None
    for s in sorted(world.slots(p), key=lambda s: (s.match.start_ms, s.match.match_id)):
        if end is None or s.match.start_ms - end > gap_minutes * 60_000:
            out.append([])
        out[-1].append(s)
        end = end_ms(s)
    return out


def session_truth(world: World, p: SimPlayer) -> list[tuple[datetime, datetime, datetime]]:
    """(first start, last start, last end) of the evenings with a matchmade game, newest
    first: custom or LAN games alone make no session."""
    return [
        (_at(e[0].match.start_ms), _at(e[-1].match.start_ms), _at(end_ms(e[-1])))
        for e in reversed(evenings(world, p))
        if any(s.match.lifecycle == 3 for s in e)
    ]


def end_ms(s: Slot) -> int:
    return s.match.start_ms + s.match.duration_ticks // 10_000


def test_sessions_cut_across_pages_are_the_worlds_evenings(data: Data, match_store: Store) -> None:
    world = data.world
    p = daily(world)
    whole = ins.session_bounds(match_store, p.xuid, last=10_000)
    assert ins.session_bounds(match_store, p.xuid, last=10_000, page_size=7) == whole
    assert ins.session_bounds(match_store, p.xuid, last=3, page_size=2) == whole[:3]
    assert whole == session_truth(world, p)


def test_streaks_are_the_worlds_runs(data: Data, match_store: Store) -> None:
    world = data.world
    for p in world.players[:6]:
        slots = [s for s in world.slots(p) if pvp(s.match)]
        if not slots:
            continue
        slots.sort(key=lambda s: (s.match.start_ms, s.match.match_id))

        got = ins.streaks(match_store, p.gamertag)
        assert (got.current_win, got.longest_win) == runs([s.outcome == gen.WIN for s in slots])
        assert (got.current_loss, got.longest_loss) == runs(
            [s.outcome in (gen.LOSS, gen.DNF) for s in slots]
        )
        kd = [vec(world, s)[0] > vec(world, s)[1] for s in slots]
        assert (got.current_positive_kd, got.longest_positive_kd) == runs(kd)


def _shared(
    world: World, p: SimPlayer, kind: str = "matchmaking", everyone: bool = False
) -> dict[int, tuple[Counter[str], Counter[str]]]:
    """Other world player (`everyone`: other human, guests too) -> (same team, other side)
    match counts and wins, in the player's games of one history type (or `all`)."""
    out: dict[int, tuple[Counter[str], Counter[str]]] = defaultdict(lambda: (Counter(), Counter()))
    for s in world.slots(p):
        if kind not in ("all", s.match.history_type):
            continue
        for o in world.roster(s.match) if everyone else s.match.slots:
            if o.bot or o.xuid is None or o.xuid == p.xuid:
                continue
            if not everyone and o.xuid not in world.by_xuid:
                continue
            same = o.team == s.team
            c = out[o.xuid][0 if same else 1]
            c.update(matches=1, wins=s.outcome == gen.WIN)
    return out


def test_mates_and_vs_find_exactly_the_shared_matches(data: Data, match_store: Store) -> None:
    world = data.world
    pairs = [(p, _shared(world, p)) for p in world.players]
    p, shared = max(
        pairs, key=lambda x: sum(c[0]["matches"] + c[1]["matches"] for c in x[1].values())
    )
    assert shared, "the world's friends never met"
    got = ins.mates(match_store, p.gamertag, limit=200)
    team = {m.xuid: m for m in got.teammates if m.xuid in world.by_xuid}
    side = {m.xuid: m for m in got.opponents if m.xuid in world.by_xuid}
    assert {x: (m.totals.matches, m.totals.wins) for x, m in team.items()} == {
        x: (c[0]["matches"], c[0]["wins"]) for x, c in shared.items() if c[0]["matches"]
    }
    assert {x: m.totals.matches for x, m in side.items()} == {
        x: c[1]["matches"] for x, c in shared.items() if c[1]["matches"]
    }
    assert all(m.name == world.by_xuid[x].gamertag for x, m in team.items())
    other = world.by_xuid[max(shared, key=lambda x: sum(c["matches"] for c in shared[x]))]
    vs = ins.versus(match_store, p.gamertag, other.gamertag)
    want = {
        s.match.match_id for s in world.slots(p) if any(o.xuid == other.xuid for o in s.match.slots)
    }
    assert {m.match_id for m in vs.matches} == want
    assert vs.together.matches + vs.against.matches == len(want)
    assert vs.other == other.gamertag


def test_csr_history_is_the_worlds_replay(data: Data, match_store: Store) -> None:
    world = data.world
    p = max(world.players, key=lambda q: sum(s.match.ranked for s in world.slots(q)))
    world.replay_csr(p)
    got = ins.csr_history(match_store, p.gamertag)
    ranked = [s for s in world.slots(p) if s.match.ranked]
    assert [pt.match_id for pt in got.points] == [s.match.match_id for s in ranked]
    assert [pt.placement for pt in got.points] == [s.csr_pre[1] > 0 for s in ranked]
    assert [pt.csr for pt in got.points] == [
        s.csr_post[0] if s.csr_post[0] >= 0 else None for s in ranked
    ]
    per: dict[tuple[str, str], list[int]] = defaultdict(list)
    for s in ranked:
        assert s.match.playlist is not None
        key = (s.match.playlist.asset.name, f"CsrSeason{s.match.season.index}-1")
        per[key].append(s.csr_post[0])
    seasons = {(r.playlist, r.season): (r.end, r.max, r.matches) for r in got.seasons}
    assert seasons == {
        k: (
            v[-1] if v[-1] >= 0 else None,
            max(v) if max(v) >= 0 else None,
            len(v),
        )
        for k, v in per.items()
    }
    for pl, best in got.all_time_max.items():
        top = max(s.csr_post[0] for s in ranked if s.match.playlist.asset.name == pl)  # type: ignore[union-attr]
        assert best == (top if top >= 0 else None)


def test_an_unknown_player_is_one_line_that_says_to_sync(match_store: Store) -> None:
    from halotrack.errors import Unknown

    with pytest.raises(Unknown, match="no stored matches") as err:
        ins.breakdown(match_store, "Nobody Here", "mode")
    assert "matches sync" in (err.value.hint or "")


# ---------------------------------------------------------------------------- commands


def cli(
    capsys: pytest.CaptureFixture[str], store: Store, *args: str, code: int = 0
) -> tuple[str, str]:
    from halotrack.cli import main

    url = store.engine.url.render_as_string(hide_password=False)
    got = main(["--db", url, *args])
    out, err = capsys.readouterr()
    assert got == code, err
    return out, err


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> int:
    from halotrack.cli import common

    monkeypatch.setattr(common.console, "_width", 80)  # COLUMNS is read once, at import
    return 80


def fits(text: str, width: int = 80) -> bool:
    # Rich shows "..." for a table it cannot fit at all, "…" for a cut cell.
    cut = "…" in text or "..." in text
    return not cut and max(len(line) for line in text.splitlines()) <= width


def test_breakdown_command_prints_the_library_answer(
    data: Data, match_store: Store, capsys: pytest.CaptureFixture[str], narrow: int
) -> None:
    p = daily(data.world)
    for by in ("mode", "map", "playlist"):
        out, _ = cli(capsys, match_store, "breakdown", p.gamertag, "--by", by, "--json")
        doc = json.loads(out)
        assert doc == json.loads(json.dumps(ins.breakdown(match_store, p.gamertag, by).as_dict()))
        assert {r["key"] for r in doc["rows"]} <= {a[3] for a in data.assets}  # names, not ids
        assert sum(r["kills"] for r in doc["rows"]) == doc["total"]["kills"]
        text, _ = cli(capsys, match_store, "breakdown", p.gamertag, "--by", by)
        assert fits(text)
        assert all(r["key"] in text for r in doc["rows"])


def test_session_mates_vs_csr_and_performance_commands_fit_80_columns(
    data: Data, match_store: Store, capsys: pytest.CaptureFixture[str], narrow: int
) -> None:
    world = data.world
    p = daily(world)
    out, _ = cli(capsys, match_store, "session", p.gamertag, "--json")
    doc = json.loads(out)
    assert doc["sessions"][0]["matches"] == 6 and "longest_win" in doc["streaks"]
    mates, _ = cli(capsys, match_store, "mates", p.gamertag, "--json")
    names = [m["player"] for m in json.loads(mates)["teammates"]]
    assert names and not any(n.startswith("xuid(") for n in names)
    friend = next(m for m in json.loads(mates)["teammates"] if int(m["xuid"]) in world.by_xuid)
    vs, _ = cli(capsys, match_store, "vs", p.gamertag, friend["player"], "--json")
    assert len(json.loads(vs)["matches"]) == friend["matches"] + sum(
        m["matches"] for m in json.loads(mates)["opponents"] if m["xuid"] == friend["xuid"]
    )
    for args in (
        ("session", p.gamertag, "--last", "2", "--gap", "30m"),
        ("streaks", p.gamertag),
        ("mates", p.gamertag),
        ("vs", p.gamertag, friend["player"]),
        ("csr-history", p.gamertag),
        ("performance", p.gamertag),
        ("matches", p.gamertag),
    ):
        text, _ = cli(capsys, match_store, *args)
        assert fits(text), args
    perf, _ = cli(capsys, match_store, "performance", p.gamertag, "--json")
    indexed = [s for s in world.slots(p) if pvp(s.match)]
    assert sum(r["matches"] for r in json.loads(perf)) == len(indexed)


def test_matches_and_match_show_the_performance_index(
    data: Data, match_store: Store, capsys: pytest.CaptureFixture[str], narrow: int
) -> None:
    world = data.world
    p = daily(world)
    out, _ = cli(capsys, match_store, "matches", p.gamertag, "--limit", "5", "--json")
    rows = json.loads(out)
    slots = {s.match.match_id: s for s in world.slots(p)}
    for row in rows:
        sp = skill_result(world, slots[row["match_id"]])["Result"]["StatPerformances"]
        k, d = sp["Kills"], sp["Deaths"]
        want = (k["Count"] - k["Expected"]) / k["StdDev"] - (d["Count"] - d["Expected"]) / d[
            "StdDev"
        ]
        assert row["performance"]["index"] == pytest.approx(want, abs=1e-3)
    text, _ = cli(capsys, match_store, "matches", p.gamertag, "--limit", "5")
    assert "index" in text and f"{rows[0]['performance']['index']:+.2f}" in text
    board, _ = cli(capsys, match_store, "match", rows[0]["match_id"])
    assert "Against expectation" in board and fits(board)
    doc = json.loads(cli(capsys, match_store, "match", rows[0]["match_id"], "--json")[0])
    mine = next(x for x in doc["players"] if x["player_id"] == p.player_id)
    assert mine["performance"] == rows[0]["performance"]


def test_command_errors_are_one_line(
    data: Data, match_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _, err = cli(capsys, match_store, "session", "Nobody Here", code=6)
    assert len(err.strip().splitlines()) == 1 and "matches sync" in err
    p = daily(data.world)
    _, err = cli(capsys, match_store, "breakdown", p.gamertag, "--by", "weapon", code=2)
    assert len(err.strip().splitlines()) == 1 and "mode, map, playlist" in err
    _, err = cli(capsys, match_store, "session", p.gamertag, "--gap", "60", code=2)
    assert "--gap 60 has no unit" in err
    _, err = cli(capsys, match_store, "vs", p.gamertag, p.gamertag, code=2)
    assert "same player" in err


def truth_index(world: World, s: Slot) -> float:
    """The performance index of one slot from the world's own skill answer."""
    perf = skill_result(world, s)["Result"]["StatPerformances"]
    k, d = perf["Kills"], perf["Deaths"]
    return float(
        (k["Count"] - k["Expected"]) / k["StdDev"] - (d["Count"] - d["Expected"]) / d["StdDev"]
    )


@cache
def firefight_evening() -> tuple[Data, SimPlayer, list[Slot]]:
    """A small world whose daily player, after a long break, plays an evening of PvP
    games with Firefight games among them (built once; its readers do not change it)."""
    world = World(seed=16, players=3, history_scale=0.05)
    for p in world.players:
        world.history(p)
    p = daily(world)
    world.clock.advance(6)
    for playlist in ("Quick Play", "Firefight", "Ranked Arena", "Firefight", "Firefight"):
        world.play(p.xuid, 2, playlist)
    return stored(world), p, p.live[-10:]


def test_a_sessions_best_match_and_performance_are_its_pvp_games(
    store: Store,
) -> None:
    """The best match and the mean index are the PvP games' alone, however well the
    Firefight games of the same evening went; PvE stays apart in its own totals."""
    data, p, played = firefight_evening()
    world = data.world
    _fill(store, data)
    shooters = [s for s in played if pvp(s.match)]
    index = {s.match.match_id: truth_index(world, s) for s in shooters}
    best = max(shooters, key=lambda s: index[s.match.match_id])
    pve_top = max(truth_index(world, s) for s in played if is_pve(s.match))
    assert pve_top > index[best.match.match_id], "the evening no longer tests the rule"
    [got] = ins.sessions(store, p.gamertag, last=1)
    assert got.start == _at(played[0].match.start_ms) and got.matches == len(played)
    assert fields(got.pve) == truth_totals(world, [s for s in played if is_pve(s.match)])
    assert got.indexed_matches == len(shooters)
    assert got.mean_index == pytest.approx(sum(index.values()) / len(index))
    assert got.best is not None and got.best.match_id == best.match.match_id
    assert got.best.index == pytest.approx(index[best.match.match_id])


def test_the_spreads_are_stored_and_backfilled_from_the_skill_answers(store_url: str) -> None:
    """The match writer stores each expectation's spread; a store migrated from before
    the spread columns gets them from the stored skill answers."""
    from alembic import command

    from halotrack.store import migrate as mig
    from halotrack.store import open_store

    data, p, played = firefight_evening()
    world = data.world
    want: dict[str, tuple[float, float]] = {}
    for s in played:
        perf = skill_result(world, s)["Result"]["StatPerformances"]
        want[s.match.match_id] = (perf["Kills"]["StdDev"], perf["Deaths"]["StdDev"])

    def spreads(store: Store) -> dict[str, tuple[float, float]]:
        rows = store.skill_performance_rows(p.xuid, want)
        return {m: (r["expected_kills_sd"], r["expected_deaths_sd"]) for m, r in rows.items()}

    store = open_store(store_url)
    try:
        _fill(store, data)
        assert spreads(store) == want
        with (
            store.engine.connect().execution_options(halotrack_write=True) as conn,
            conn.begin(),
        ):
            command.downgrade(mig.alembic_config(conn), "0006")
    finally:
        store.close()
    again = open_store(store_url)  # migrates to the head: 0007 fills the spreads
    try:
        assert spreads(again) == want
    finally:
        again.close()
