"""The site's insight routes (sessions, breakdowns, streaks, mates, CSR per match) against
the simulator's truth, on SQLite and PostgreSQL, the player page's links to mates, and
`serve --open` in process: validation before anything is stored, one lookup per new
player, the per-client budget, hostile gamertags inert."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from halotrack.simulator import gen
from halotrack.simulator.views import skill_result
from halotrack.simulator.world import Slot
from halotrack.site import make_app
from halotrack.site.opening import OpenSearch, Queued, TokenBucket
from halotrack.store import Store, open_store
from tests.integration.test_insights import (
    NOW,
    Data,
    _fill,
    _shared,
    daily,
    match_store,
    pvp,
    truth_totals,
    vec,
    world_data,
)
from tests.support.page import XSS_GAMERTAG

__all__ = ["match_store", "world_data"]  # the insight tests' world, filled once per backend
SHORT_XSS = "<i>x</i>'&\"<"  # within the gamertag rules (12 characters)
TOTALS = ("matches", "wins", "losses", "ties", "kills", "deaths", "assists")


@pytest.fixture(scope="module")
def client(match_store: Store) -> Iterator[TestClient[Any]]:
    with TestClient(make_app(match_store, clock=lambda: NOW)) as c:
        yield c


def nonzero(totals: dict[str, Any]) -> dict[str, Any]:
    return {k: totals[k] for k in TOTALS if totals[k]}


def test_breakdown_route_equals_the_worlds_matches(
    world_data: Data, client: TestClient[Any]
) -> None:
    world = world_data.world
    p = daily(world)
    mine = [s for s in world.slots(p) if pvp(s.match)]
    for by in ("mode", "map", "playlist"):
        got = client.get(f"/api/v1/players/{p.xuid}/breakdown", params={"by": by}).json()
        assert nonzero(got["total"]) == truth_totals(world, mine)
        want: dict[str, list[Slot]] = defaultdict(list)
        for s in mine:
            m = s.match
            name = {"mode": m.variant_asset.name, "map": m.map_asset.name}.get(by)
            want[name or (m.playlist.asset.name if m.playlist else "")].append(s)
        assert {r["key"]: nonzero(r["totals"]) for r in got["rows"]} == {
            k: truth_totals(world, v) for k, v in want.items()
        }
    bad = client.get(f"/api/v1/players/{p.xuid}/breakdown", params={"by": "weather"})
    assert bad.status_code == 400


def test_sessions_route_is_the_last_session_played(
    world_data: Data, client: TestClient[Any]
) -> None:
    world = world_data.world
    p = daily(world)
    played = p.live[-6:]  # the world's fresh session: six matches after a long break
    got = client.get(f"/api/v1/players/{p.xuid}/sessions", params={"last": 2}).json()
    assert len(got) == 2
    newest = got[0]
    assert sum(pl["totals"]["matches"] for pl in newest["playlists"]) == len(played)
    assert nonzero(newest["pvp"]) == truth_totals(world, [s for s in played if pvp(s.match)])
    assert newest["best"]["match_id"] in {s.match.match_id for s in played}
    assert got[1]["end"] < newest["start"]


def test_streaks_route_is_the_worlds_runs(world_data: Data, client: TestClient[Any]) -> None:
    world = world_data.world
    p = daily(world)
    slots = sorted(
        (s for s in world.slots(p) if pvp(s.match)),
        key=lambda s: (s.match.start_ms, s.match.match_id),
    )

    def runs(flags: list[bool]) -> list[int]:
        longest = cur = 0
        for f in flags:
            cur = cur + 1 if f else 0
            longest = max(longest, cur)
        return [cur, longest]

    got = client.get(f"/api/v1/players/{p.xuid}/streaks").json()
    assert [got["current_win"], got["longest_win"]] == runs([s.outcome == gen.WIN for s in slots])
    kd = [vec(world, s)[0] > vec(world, s)[1] for s in slots]
    assert [got["current_positive_kd"], got["longest_positive_kd"]] == runs(kd)


def test_mates_route_and_the_player_page_link_each_mate(
    world_data: Data, client: TestClient[Any]
) -> None:
    world = world_data.world
    p, shared = max(
        ((q, _shared(world, q)) for q in world.players),
        key=lambda x: sum(c[0]["matches"] + c[1]["matches"] for c in x[1].values()),
    )
    got = client.get(f"/api/v1/players/{p.xuid}/mates", params={"limit": 50}).json()
    team = {
        m["xuid"]: m["totals"]["matches"] for m in got["teammates"] if m["xuid"] in world.by_xuid
    }
    assert team == {x: c[0]["matches"] for x, c in shared.items() if c[0]["matches"]} != {}
    page = client.get(f"/player/{p.xuid}").text
    shown = client.get(f"/api/v1/players/{p.xuid}/mates").json()  # the page's ten per side
    for m in shown["teammates"] + shown["opponents"]:
        if m["xuid"] in world.by_xuid:  # stored players: linked to their page
            assert f'<a class="name" href="/player/{m["xuid"]}">' in page
    assert 'href="/match/' in page


def test_csr_route_is_the_worlds_replay(world_data: Data, client: TestClient[Any]) -> None:
    world = world_data.world
    p = max(world.players, key=lambda q: sum(s.match.ranked for s in world.slots(q)))
    world.replay_csr(p)
    ranked = [s for s in world.slots(p) if s.match.ranked]
    got = client.get(f"/api/v1/players/{p.xuid}/csr/matches").json()
    assert [pt["match_id"] for pt in got["points"]] == [s.match.match_id for s in ranked]
    assert [pt["csr"] for pt in got["points"]] == [
        s.csr_post[0] if s.csr_post[0] >= 0 else None for s in ranked
    ]


def test_leaderboard_vs_expected_is_the_skill_answers(
    world_data: Data, client: TestClient[Any]
) -> None:
    world = world_data.world
    got = client.get("/api/v1/leaderboard", params={"period": "season", "limit": 200}).json()
    since = datetime.fromisoformat(got["board"]["since"])
    rows = {int(r["xuid"]): r for r in got["board"]["rows"]}
    checked = 0
    for p in world.players:
        played = [
            s
            for s in world.slots(p)
            if datetime.fromtimestamp(s.match.start_ms / 1000, UTC) >= since
        ]
        if any(s.match.lifecycle != 3 for s in played):
            continue  # whether custom games count is the leaderboard's choice, not this test's
        diffs = []
        for s in played:
            perf = skill_result(world, s)["Result"].get("StatPerformances")
            if perf is not None:
                k, d = perf["Kills"], perf["Deaths"]
                diffs.append((k["Count"] - k["Expected"]) - (d["Count"] - d["Expected"]))
        want = round(sum(diffs) / len(diffs), 2) if diffs else None
        assert rows[p.xuid]["vs_expected"] == pytest.approx(want, abs=0.006), p.gamertag
        checked += bool(diffs)
    assert checked >= 3
    page = client.get("/", params={"period": "season", "sort": "vs_expected"}).text
    assert 'data-stat="vs_expected"' in page


def test_insight_routes_are_404_for_unknown_players(client: TestClient[Any]) -> None:
    for route in ("sessions", "breakdown", "streaks", "mates", "csr/matches"):
        assert client.get(f"/api/v1/players/1234567890123456/{route}").status_code == 404
    doc = client.get("/api/v1/openapi.json").json()
    for route in ("sessions", "breakdown", "streaks", "mates", "csr/matches"):
        assert f"/api/v1/players/{{xuid}}/{route}" in doc["paths"]


# ---------------------------------------------------------------------------- --open


class FakeLookup:
    """Stands in for `serve --open`'s lookup (the real one is in test_site_open): records
    each call and watches the player as `watch add` would."""

    def __init__(self, store: Store, known: dict[str, int]) -> None:
        self.store = store
        self.known = known
        self.calls: list[str] = []

    def __call__(self, query: str) -> Queued:
        self.calls.append(query)
        xuid = self.known.get(query)
        if xuid is None:
            return Queued(query, None, None, "no player with this gamertag (check the spelling)")
        self.store.watch_add(xuid, gamertag=query, matches=True, now=NOW)
        return Queued(query, xuid, query)


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[TestClient[Any], FakeLookup, list[float], Store]]:
    known = {"New Spartan": 2535400000000001, SHORT_XSS: 2535400000000002}
    ticks = [0.0]
    with open_store(f"sqlite:///{tmp_path / 'open.sqlite'}") as store:
        lookup = FakeLookup(store, known)
        bucket = TokenBucket(capacity=3, period=3600, clock=lambda: ticks[0])
        app = make_app(store, clock=lambda: NOW, open_search=OpenSearch(lookup, bucket))
        with TestClient(app) as c:
            yield c, lookup, ticks, store


def test_open_queues_a_new_player_once(opened: Any) -> None:
    client, lookup, _, store = opened
    first = client.get("/search", params={"q": "New Spartan"})
    assert first.status_code == 202 and 'data-stat="queued"' in first.text
    assert [e.xuid for e in store.watch_list()] == [2535400000000001]
    again = client.get("/search", params={"q": "new spartan"})  # now a stored player
    assert again.status_code == 200 and 'data-stat="queued"' in again.text
    assert str(again.url).endswith("/player/2535400000000001")
    assert lookup.calls == ["New Spartan"]


def test_open_limits_lookups_per_client(opened: Any) -> None:
    client, lookup, ticks, _ = opened
    for name in ("Nobody One", "Nobody Two", "Nobody Three"):
        r = client.get("/search", params={"q": name})
        assert r.status_code == 404 and "found no player" in r.text
    over = client.get("/search", params={"q": "New Spartan"})
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) == 1200  # a token every 20 minutes
    assert len(lookup.calls) == 3
    ticks[0] = 1200.0
    assert client.get("/search", params={"q": "New Spartan"}).status_code == 202


def test_open_refuses_malformed_gamertags_before_anything(opened: Any) -> None:
    client, lookup, _, store = opened
    for bad in ("x" * 40, "tab\there", "line\nbreak", "nul\x00"):
        r = client.get("/search", params={"q": bad})
        assert r.status_code == 400 and "Not a gamertag" in r.text, bad
    assert lookup.calls == [] and store.watch_list() == [] and store.list_players() == []
    # The budget was not spent on them either.
    for name in ("Nobody One", "Nobody Two", "Nobody Three"):
        assert client.get("/search", params={"q": name}).status_code == 404


def test_open_being_fetched_page_keeps_hostile_gamertags_inert(opened: Any) -> None:
    client, _, _, _ = opened
    r = client.get("/search", params={"q": SHORT_XSS})
    assert r.status_code == 202 and 'data-stat="queued"' in r.text
    assert "<i>" not in r.text and "&lt;i&gt;x&lt;/i&gt;" in r.text
    assert "script-src 'none'" in r.headers["content-security-policy"]
    assert client.get("/player/2535400000000002").text.count("&lt;i&gt;") >= 2
    too_long = client.get("/search", params={"q": XSS_GAMERTAG})  # refused, and inert too
    assert too_long.status_code == 400 and "<script>" not in too_long.text


def test_without_open_an_unknown_player_is_a_404_with_a_hint(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'closed.sqlite'}") as store:
        with TestClient(make_app(store, clock=lambda: NOW)) as c:
            r = c.get("/search", params={"q": "New Spartan"})
        assert r.status_code == 404 and "halotrack watch add" in r.text
        assert store.list_players() == []


def test_token_bucket_keeps_clients_apart() -> None:
    ticks = [0.0]
    bucket = TokenBucket(capacity=3, period=3600, clock=lambda: ticks[0])
    assert [bucket.take("a") for _ in range(4)] == [0, 0, 0, 1200]
    assert bucket.take("b") == 0
    ticks[0] = 600.0
    assert bucket.take("a") == 600


def test_match_page_shows_the_skill_answers_expectations_and_names_bots(
    world_data: Data, client: TestClient[Any]
) -> None:
    """Expected kills and deaths on the match page are the skill answer's for each player;
    bots read `Bot N`, never the API's raw `bid(N.0)`."""
    world = world_data.world
    p = daily(world)
    checked = bots = 0
    for s in world.slots(p)[-12:]:
        page = client.get(f"/match/{s.match.match_id}").text
        assert "bid(" not in page
        for o in world.roster(s.match):
            if o.bot:
                bots += f">Bot {o.player_id[4:-3]}<" in page
                continue
            perf = skill_result(world, o)["Result"].get("StatPerformances")
            if perf is None or o.xuid is None:
                continue
            row = page.split(f'data-xuid="{o.xuid}"', 1)[1].split("</tr>", 1)[0]
            for stat, key in (("expected_kills", "Kills"), ("expected_deaths", "Deaths")):
                assert f'data-stat="{stat}">{perf[key]["Expected"]:,.1f}<' in row
            checked += 1
    assert checked >= 10
    assert bots or not any(s.match.bots for s in world.slots(p)[-12:])


def test_insight_answers_are_cached_until_the_player_has_a_new_match(
    world_data: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeated request is answered without summing the career again; storing a match of
    the player gives the new numbers at once (the world's truth over every match)."""
    from halotrack.site import data as site_data

    world = world_data.world
    p = daily(world)
    pvp_ids = {s.match.match_id for s in world.slots(p) if pvp(s.match)}
    held = max(
        (r for r in world_data.rows if r.match["match_id"] in pvp_ids),
        key=lambda r: r.match["start_time"],
    )
    computed: list[str] = []
    real = site_data.insights.breakdown

    def counted(*args: Any, **kwargs: Any) -> Any:
        computed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(site_data.insights, "breakdown", counted)
    rest = [r for r in world_data.rows if r is not held]
    with open_store(f"sqlite:///{tmp_path / 'cache.sqlite'}") as store:
        _fill(store, dataclasses.replace(world_data, rows=rest))
        with TestClient(make_app(store, clock=lambda: NOW)) as c:
            url = f"/api/v1/players/{p.xuid}/breakdown"
            first = c.get(url).json()
            assert c.get(url).json() == first
            assert len(computed) == 1
            with store.transaction() as tx:
                tx.save_match(held)
            after = c.get(url).json()
    assert len(computed) == 2
    assert after["total"]["matches"] == first["total"]["matches"] + 1
    assert nonzero(after["total"]) == truth_totals(
        world, [s for s in world.slots(p) if pvp(s.match)]
    )


def newest_row(data: Data, p: Any) -> Any:
    """The stored rows of `p`'s newest match: the one a test holds back and stores later."""
    mine = {s.match.match_id for s in data.world.slots(p)}
    return max(
        (r for r in data.rows if r.match["match_id"] in mine),
        key=lambda r: r.match["start_time"],
    )


def test_player_page_sections_are_cached_until_the_player_has_a_new_match(
    world_data: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page visited again sums nothing and shows the same page; once a match of the
    player is stored, the next visit shows what a site with no cache shows."""
    from halotrack.site import pages

    world = world_data.world
    p = daily(world)
    held = newest_row(world_data, p)
    computed: list[int] = []
    real = pages.read_insights

    def counted(tx: Any, xuid: int, label: Any) -> Any:
        computed.append(xuid)
        return real(tx, xuid, label)

    monkeypatch.setattr(pages, "read_insights", counted)
    rest = [r for r in world_data.rows if r is not held]
    with open_store(f"sqlite:///{tmp_path / 'page-cache.sqlite'}") as store:
        _fill(store, dataclasses.replace(world_data, rows=rest))
        with TestClient(make_app(store, clock=lambda: NOW)) as c:
            url = f"/player/{p.xuid}"
            first = c.get(url).text
            assert c.get(url).text == first
            assert computed == [p.xuid]
            with store.transaction() as tx:
                tx.save_match(held)
            after = c.get(url).text
        assert computed == [p.xuid, p.xuid]
        with TestClient(make_app(store, clock=lambda: NOW)) as fresh:
            assert fresh.get(url).text == after
    assert after != first and held.match["match_id"] in after


def newest_first(slots: list[Slot]) -> list[str]:
    """The world's matches of a player in the matches API's order: newest first, ties by
    match id."""
    return [
        m.match_id.lower()
        for m in sorted((s.match for s in slots), key=lambda m: (-m.start_ms, m.match_id.lower()))
    ]


def follow(c: TestClient[Any], url: str, **params: Any) -> tuple[list[str], list[str]]:
    """(match ids, the `next` links followed) paging from `url` until the last page."""
    got: list[str] = []
    links: list[str] = []
    page = (c.get(url, params=params) if params else c.get(url)).json()
    while True:
        got += [m["match_id"] for m in page["items"]]
        if page["next"] is None:
            assert page["next_cursor"] is None
            return got, links
        links.append(page["next"])
        page = c.get(page["next"]).json()


def test_matches_api_pages_by_cursor_through_the_worlds_matches(
    world_data: Data, client: TestClient[Any]
) -> None:
    p = daily(world_data.world)
    truth = newest_first(world_data.world.slots(p))
    url = f"/api/v1/players/{p.xuid}/matches"
    got, links = follow(client, url, limit=7)
    assert got == truth
    assert len(links) == (len(truth) - 1) // 7
    assert all(link.startswith(f"{url}?limit=7&cursor=") for link in links)
    by_offset = client.get(url, params={"limit": 7, "offset": 7}).json()
    assert [m["match_id"] for m in by_offset["items"]] == truth[7:14]
    assert by_offset["next"] == links[1]  # an offset page links on by cursor too


def test_matches_api_cursor_neither_repeats_nor_skips_when_a_match_is_stored(
    world_data: Data, tmp_path: Path
) -> None:
    """A newer match stored between two pages: the cursor's pages are still the matches
    there were, each once (an offset page would repeat one), and a first page now starts
    with the new match."""
    world = world_data.world
    p = daily(world)
    held = newest_row(world_data, p)
    truth = newest_first(world.slots(p))
    assert truth[0] == held.match["match_id"].lower()
    rest = [r for r in world_data.rows if r is not held]
    with open_store(f"sqlite:///{tmp_path / 'keyset.sqlite'}") as store:
        _fill(store, dataclasses.replace(world_data, rows=rest))
        with TestClient(make_app(store, clock=lambda: NOW)) as c:
            url = f"/api/v1/players/{p.xuid}/matches"
            first = c.get(url, params={"limit": 5}).json()
            with store.transaction() as tx:
                tx.save_match(held)
            got, _ = follow(c, first["next"])
            before = [m["match_id"] for m in first["items"]] + got
            by_offset = c.get(url, params={"limit": 5, "offset": 5}).json()
            again = c.get(url, params={"limit": 5}).json()
    assert before == truth[1:]
    assert by_offset["items"][0]["match_id"] == first["items"][-1]["match_id"]
    assert [m["match_id"] for m in again["items"]] == truth[:5]
    assert again["total"] == first["total"] + 1


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "bm90IGEgY3Vyc29y"},  # base64 of "not a cursor"
        {"cursor": "%%%"},
        {"cursor": "MjAyNi0wMS0wMVQwMDowMDowMHxhYmM"},  # a time without its zone
    ],
)
def test_matches_api_refuses_a_cursor_it_did_not_give(
    world_data: Data, client: TestClient[Any], params: dict[str, str]
) -> None:
    p = daily(world_data.world)
    got = client.get(f"/api/v1/players/{p.xuid}/matches", params=params)
    assert got.status_code == 400


def test_matches_api_takes_a_cursor_or_an_offset_not_both(
    world_data: Data, client: TestClient[Any]
) -> None:
    p = daily(world_data.world)
    url = f"/api/v1/players/{p.xuid}/matches"
    cursor = client.get(url, params={"limit": 3}).json()["next_cursor"]
    assert client.get(url, params={"cursor": cursor, "offset": 3}).status_code == 400
    assert client.get(url, params={"cursor": cursor}).status_code == 200
