"""The community site in process (Litestar's test client): leaderboard and API numbers equal
the stored samples' own JSON, ETags, the CSV limit, search, 404s, escaping, OpenAPI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from test_page_browser import save_real_matches

from halotrack.site import make_app
from halotrack.site.api import CSV_PER_MINUTE
from halotrack.store import Scope, Store, open_store
from tests.support.page import RANKED_ARENA, XSS_GAMERTAG, XUID, lifetime, seed_store

REAL = Path(__file__).parents[1] / "data" / "real" / "match-stats"
MATCHES = ("slayer-2025", "ctf-2025", "oddball-2025", "zones-2025")
MATE = "2535412760927018"  # XUID's team mate in slayer-2025


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REAL / f"{name}.json").read_text("utf-8"))
    return data


def start(m: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(m["MatchInfo"]["StartTime"].replace("Z", "+00:00"))


def line(m: dict[str, Any], xuid: str) -> dict[str, Any] | None:
    for p in m["Players"]:
        if p["PlayerId"] == f"xuid({xuid})":
            stats: dict[str, Any] = p["PlayerTeamStats"][0]["Stats"]["CoreStats"]
            return {**stats, "Outcome": p["Outcome"], "LastTeamId": p.get("LastTeamId")}
    return None


SAMPLES = {name: sample(name) for name in MATCHES}
CLOCK = max(start(m) for m in SAMPLES.values()) + timedelta(hours=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("site") / "halotrack.sqlite"
    with open_store(f"sqlite:///{path}") as s:
        seed_store(s)
        save_real_matches(s)
        s.watch_add(MATE, gamertag=XSS_GAMERTAG, now=CLOCK)
        yield s


@pytest.fixture
def client(store: Store) -> Iterator[TestClient[Any]]:
    with TestClient(make_app(store, clock=lambda: CLOCK)) as c:
        yield c


def week_totals(xuid: str) -> dict[str, int]:
    """What the samples say for the week before CLOCK, read from their JSON."""
    out = {"matches": 0, "wins": 0, "kills": 0, "deaths": 0}
    for m in SAMPLES.values():
        mine = line(m, xuid)
        if mine is None or start(m) < CLOCK - timedelta(days=7):
            continue
        out["matches"] += 1
        out["wins"] += mine["Outcome"] == 2
        out["kills"] += mine["Kills"]
        out["deaths"] += mine["Deaths"]
    return out


def test_week_leaderboard_equals_the_samples(client: TestClient[Any]) -> None:
    board = client.get("/api/v1/leaderboard", params={"period": "week"}).json()
    rows = {r["xuid"]: r for r in board["board"]["rows"]}
    assert set(rows) == {XUID, MATE}
    for xuid in (XUID, MATE):
        want = week_totals(xuid)
        assert want["matches"] > 0
        got = rows[xuid]
        assert {k: got[k] for k in want} == want
        assert got["kd"] == pytest.approx(want["kills"] / want["deaths"], abs=0.01)
        assert got["matches_week"] == want["matches"]


def test_all_time_is_the_lifetime_service_record(client: TestClient[Any], store: Store) -> None:
    board = client.get("/api/v1/leaderboard", params={"period": "all"}).json()
    row = next(r for r in board["board"]["rows"] if r["xuid"] == XUID)
    rec = lifetime()
    core = rec["CoreStats"]
    assert row["matches"] == rec["MatchesCompleted"]
    assert row["wins"] == rec["Wins"]
    assert (row["kills"], row["deaths"]) == (core["Kills"], core["Deaths"])
    # the mate has stored matches this week but no lifetime record: unknown, not zero
    mate = next(r for r in board["board"]["rows"] if r["xuid"] == MATE)
    assert store.latest_record(MATE, "matchmade", Scope()) is None
    assert (mate["matches"], mate["matches_week"]) == (None, week_totals(MATE)["matches"])
    assert mate["matches_week"] > 0
    newest = {c.playlist_id: c.current_value for c in store.csr_history(XUID)}
    assert newest[RANKED_ARENA] == -1  # the real sample: unranked now, so no CSR shown
    assert row["csr"] == {p: v for p, v in newest.items() if v is not None and v >= 0} != {}


def test_sorting_and_the_page_show_the_same_rows(client: TestClient[Any]) -> None:
    by_kd = client.get("/api/v1/leaderboard", params={"sort": "kd"}).json()["board"]["rows"]
    kds = [r["kd"] for r in by_kd]
    assert kds == sorted(kds, reverse=True)
    page = client.get("/", params={"sort": "kd"}).text
    assert page.index(f'data-xuid="{by_kd[0]["xuid"]}"') < page.index(
        f'data-xuid="{by_kd[1]["xuid"]}"'
    )


def test_matches_are_paginated_newest_first(client: TestClient[Any]) -> None:
    mine = sorted((start(m), m["MatchId"]) for m in SAMPLES.values() if line(m, XUID) is not None)
    first = client.get(f"/api/v1/players/{XUID}/matches", params={"limit": 2}).json()
    second = client.get(f"/api/v1/players/{XUID}/matches", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == len(mine)
    got = [m["match_id"] for m in first["items"] + second["items"]]
    assert got == [mid for _, mid in reversed(mine)]


def test_match_api_and_page_show_the_scoreboard(client: TestClient[Any]) -> None:
    m = SAMPLES["slayer-2025"]
    view = client.get(f"/api/v1/matches/{m['MatchId']}").json()
    lines = {p["xuid"]: p for t in view["teams"] for p in t["players"] if p["xuid"]}
    for xuid in (XUID, MATE):
        want = line(m, xuid)
        assert want is not None
        assert (lines[xuid]["kills"], lines[xuid]["deaths"]) == (want["Kills"], want["Deaths"])
    page = client.get(f"/match/{m['MatchId']}").text
    assert f'href="/player/{XUID}"' in page
    assert XSS_GAMERTAG not in page and "&lt;script&gt;" in page


def test_etag_answers_not_modified(client: TestClient[Any]) -> None:
    first = client.get(f"/api/v1/players/{XUID}")
    etag = first.headers["etag"]
    again = client.get(f"/api/v1/players/{XUID}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(f"/api/v1/players/{MATE}", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_csv_export_is_limited_per_client(client: TestClient[Any]) -> None:
    url = f"/api/v1/players/{XUID}/matches.csv"
    answers = [client.get(url) for _ in range(CSV_PER_MINUTE + 1)]
    assert [a.status_code for a in answers[:-1]] == [200] * CSV_PER_MINUTE
    assert answers[-1].status_code == 429
    rows = answers[0].text.strip().splitlines()
    assert rows[0].startswith("match_id,") and len(rows) == 1 + week_totals(XUID)["matches"]


def test_search_finds_current_and_past_gamertags(client: TestClient[Any]) -> None:
    for q in ("Sample Spartan", "old tag", XUID):
        r = client.get("/search", params={"q": q}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/player/{XUID}"
    assert client.get("/search", params={"q": "Nobody Here"}).status_code == 404


def test_unknown_things_are_404_pages(client: TestClient[Any]) -> None:
    for url in (
        "/player/1234567890123456",
        "/player/not-a-xuid",
        "/player/99999999999999999999",
        "/match/00000000-0000-0000-0000-000000000000",
        "/vs?a=x&b=y",
    ):
        r = client.get(url)
        assert r.status_code == 404 and "Not found" in r.text, url
    assert client.get("/api/v1/players/123").status_code == 404


def test_head_to_head_counts_shared_matches(client: TestClient[Any]) -> None:
    together = [m for m in SAMPLES.values() if line(m, XUID) and line(m, MATE)]
    page = client.get("/vs", params={"a": XUID, "b": MATE}).text
    assert page.count("data-match=") == len(together) > 0
    assert XSS_GAMERTAG not in page


def test_pages_forbid_script_and_outside_loads(client: TestClient[Any]) -> None:
    for url in ("/", f"/player/{XUID}", "/vs?a=Sample+Spartan&b=" + MATE):
        csp = client.get(url).headers["content-security-policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
    home = client.get("/").headers["content-security-policy"]
    assert "script-src 'none'" in home
    player = client.get(f"/player/{XUID}").text
    assert 'href="/match/' in player


def test_openapi_document_lists_every_route(client: TestClient[Any]) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/leaderboard", "/api/v1/players/{xuid}/matches"} <= set(doc["paths"])
    assert not any(p.startswith("/player/") for p in doc["paths"])


def test_leaderboard_rows_are_shared_for_a_few_seconds(tmp_path: Path) -> None:
    from halotrack.site.data import BoardCache

    ticks = [0.0]
    cache = BoardCache(ttl=10, clock=lambda: ticks[0])
    with open_store(f"sqlite:///{tmp_path / 'c.sqlite'}") as s:
        s.watch_add(XUID, gamertag="First", now=CLOCK)

        def names(sort: str = "kd") -> list[str]:
            board = cache.get(s, period="week", sort=sort, now=CLOCK)
            return [r.gamertag for r in board.rows]

        assert names() == ["First"]
        s.watch_add(MATE, gamertag="Second", now=CLOCK)
        ticks[0] = 9.9
        assert names("gamertag") == ["First"]  # within the TTL: the shared rows
        ticks[0] = 10.0
        assert names("gamertag") == ["First", "Second"]


def totals_since(xuid: str, since: datetime) -> dict[str, int]:
    out = {"matches": 0, "wins": 0, "kills": 0, "deaths": 0}
    for m in SAMPLES.values():
        mine = line(m, xuid)
        if mine is None or start(m) < since:
            continue
        out["matches"] += 1
        out["wins"] += mine["Outcome"] == 2
        out["kills"] += mine["Kills"]
        out["deaths"] += mine["Deaths"]
    return out


def test_season_starts_where_the_cached_calendar_says(tmp_path: Path) -> None:
    from halotrack.report.build import METADATA_SEASON_CALENDAR

    starts = sorted(start(m) for m in SAMPLES.values())
    season = starts[1] + (starts[2] - starts[1]) / 2  # between two sample matches
    calendar = {
        "Seasons": [
            {
                "StartDate": {"ISO8601Date": season.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
                "EndDate": {
                    "ISO8601Date": (CLOCK + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                },
                "SeasonMetadata": "Seasons/Season-Test.json",
            }
        ]
    }
    with open_store(f"sqlite:///{tmp_path / 's.sqlite'}") as s:
        seed_store(s)
        save_real_matches(s)
        s.put_metadata(*METADATA_SEASON_CALENDAR, json.dumps(calendar), fetched_at=CLOCK)
        with TestClient(make_app(s, clock=lambda: CLOCK)) as c:
            board = c.get("/api/v1/leaderboard", params={"period": "season"}).json()["board"]
    (row,) = board["rows"]
    want = totals_since(XUID, season)
    assert 0 < want["matches"] < len(SAMPLES)
    assert {k: row[k] for k in want} == want


def test_an_empty_period_says_so_instead_of_showing_zeros(store: Store) -> None:
    """A month after the last stored match, this week's board holds no match: the page says
    so and links all time, and K/D reads `–` rather than a K/D of 0.00."""
    later = CLOCK + timedelta(days=30)
    with TestClient(make_app(store, clock=lambda: later)) as c:
        week = c.get("/", params={"period": "week"}).text
        all_time = c.get("/", params={"period": "all"}).text
    assert 'id="no-matches"' in week and 'id="no-matches"' not in all_time
    kds = re.findall(r'data-stat="kd">([^<]*)<', week)
    assert kds and set(kds) == {"–"}
