"""Secrets: simulator tokens carry the session's canary (so the hunt in conftest.py means
something), the hunt itself notices a leak, and credentials never reach a host outside the
configured base URLs, redirects included, from the library and from the CLI.

Token files are owner-only: tests/integration/test_auth_store.py
(test_files_are_owner_only_even_with_a_permissive_umask,
test_signed_in_files_are_owner_only_and_repaired) proves it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web

import conftest
from halotrack.cli import main
from halotrack.errors import ApiError, HaloTrackError
from halotrack.models import decode
from halotrack.models.hosts import WAYPOINT_HOSTS
from halotrack.simulator import SimState, start_simulator
from halotrack.store import Store
from halotrack.store import matches as sm
from halotrack.waypoint import RetryPolicy, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens
from tests.support.sim import SimThread, point_cli_at

SPARTAN = "x-343-authorization-spartan"
CLEARANCE = "343-clearance"


class Foreign:
    """A second loopback server (another port: another origin) recording what it is sent;
    it can bounce the request back to a URL of the API."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.bounce_to: str | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append({"path": self.path, "headers": dict(self.headers.items())})
                if outer.bounce_to:
                    self.send_response(302)
                    self.send_header("Location", outer.bounce_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def secrets_seen(self, *secrets: str) -> list[str]:
        found = []
        for entry in self.seen:
            low = {k.lower(): v for k, v in entry["headers"].items()}
            if SPARTAN in low or CLEARANCE in low:
                found.append(f"auth header sent to {entry['path']}")
            text = json.dumps(entry)
            found += [f"secret in {entry['path']}" for s in secrets if s and s in text]
        return found


@pytest.fixture
def foreign() -> Iterator[Foreign]:
    f = Foreign()
    f.thread.start()
    try:
        yield f
    finally:
        f.server.shutdown()
        f.server.server_close()


def redirect_plugin(target: dict[str, str]) -> Any:
    """Route the service record of any player named `Moved...` to `target["url"]`."""

    def plugin(app: web.Application, state: SimState) -> None:
        host = WAYPOINT_HOSTS["stats"]

        async def moved(request: web.Request) -> web.Response:
            code = int(request.match_info["player"].removeprefix("Moved"))
            return web.Response(status=code, headers={"Location": target["url"]})

        app.router.add_get(
            f"/{host}/hi/players/{{player:Moved[0-9]+}}/Matchmade/servicerecord", moved
        )

    return plugin


async def test_simulator_tokens_carry_the_canary() -> None:
    assert conftest.CANARY.startswith("CaNaRy") or conftest.CANARY
    async with start_simulator(seed=3, players=3) as sim:
        tokens = sim.issue_tokens(sim.world.players[0].xuid)
        assert conftest.CANARY in tokens.spartan
        async with (
            aiohttp.ClientSession() as s,
            s.post(f"{sim.base_url}/_sim/token", json={"xuid": sim.world.players[1].xuid}) as r,
        ):
            assert conftest.CANARY in (await r.json())["SpartanToken"]


def test_the_hunt_notices_a_leak(tmp_path: Path) -> None:
    """Each sink the session hunt watches really reports a canary (then forgets it here)."""
    before = len(conftest.CANARY_LEAKS)
    logging.getLogger("halotrack.test").debug("header was %s", f"v4={conftest.CANARY}abc")
    HaloTrackError(f"token v4={conftest.CANARY}abc")
    assert len(conftest.CANARY_LEAKS) == before + 2
    del conftest.CANARY_LEAKS[before:]
    leak = tmp_path / "page.html"
    leak.write_text(f"<p>{conftest.CANARY}</p>")
    assert conftest._files_with_canary(tmp_path) == [str(leak)]
    leak.unlink()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_port_gets_no_credentials(foreign: Foreign, code: int) -> None:
    target = {"url": f"{foreign.url}/collect"}
    async with start_simulator(seed=3, players=3, plugins=[redirect_plugin(target)]) as sim:
        provider = SimulatorTokens(sim, sim.world.players[0].xuid)
        tokens = await provider.get()
        async with WaypointClient(tokens=provider, api_root=sim.base_url, cache=False) as c:
            try:
                await c.stats.service_record(f"Moved{code}")
            except ApiError as exc:  # the foreign body is no service record: fine
                assert conftest.CANARY not in f"{exc} {exc!r}"
    assert foreign.seen, "the redirect was not followed"
    assert foreign.secrets_seen(tokens.spartan, tokens.clearance or "", conftest.CANARY) == []


async def test_credentials_do_not_come_back_after_leaving(foreign: Foreign) -> None:
    """API -> foreign -> API: the hop back to the API carries no token either (the foreign
    host chose that URL), so the API answers 401; the client refreshes once, the same chain
    repeats, and the error names no secret."""
    target = {"url": f"{foreign.url}/bounce"}
    async with start_simulator(seed=3, players=3, plugins=[redirect_plugin(target)]) as sim:
        me = sim.world.players[0]
        foreign.bounce_to = (
            f"{sim.base_url}/{WAYPOINT_HOSTS['stats']}/hi/players/xuid({me.xuid})/matches/count"
        )
        provider = SimulatorTokens(sim, me.xuid)
        tokens = await provider.get()
        async with WaypointClient(
            tokens=provider, api_root=sim.base_url, cache=False, retry=RetryPolicy(attempts=1)
        ) as c:
            with pytest.raises(ApiError) as info:
                await c.stats.service_record("Moved302")
        log = sim.requests(50)
    assert info.value.status == 401
    assert conftest.CANARY not in f"{info.value} {info.value!r}"
    counts = [e for e in log if e["path"].endswith("/matches/count")]
    assert counts and all(e["status"] == 401 for e in counts)
    assert foreign.secrets_seen(tokens.spartan, tokens.clearance or "", conftest.CANARY) == []


def test_cli_record_through_a_redirect_sends_no_token_away(
    foreign: Foreign,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = {"url": f"{foreign.url}/cli"}
    with SimThread(seed=3, players=3, plugins=[redirect_plugin(target)]) as sim:
        tokens = point_cli_at(sim, tmp_path, monkeypatch)
        code = main(["--api", sim.base_url, "record", "Moved307", "--json"])
        out, err = capsys.readouterr()
    assert foreign.seen, "the redirect was not followed"
    assert foreign.secrets_seen(tokens.spartan, tokens.clearance or "") == []
    assert tokens.spartan not in out + err and conftest.CANARY not in out + err
    assert code in (0, 4)


async def test_simulator_clearance_carries_the_canary_as_every_match_does() -> None:
    """The clearance is the build's flight id; match answers repeat it as `ClearanceId`, so
    the session hunt sees any match JSON the store kept with it."""
    async with start_simulator(seed=3, players=3) as sim:
        tokens = sim.issue_tokens(sim.world.players[0].xuid)
        assert tokens.clearance is not None and conftest.CLEARANCE_CANARY in tokens.clearance
        xuid = sim.world.players[0].xuid
        headers = {"x-343-authorization-spartan": tokens.spartan}
        async with aiohttp.ClientSession(headers=headers) as s:
            base = f"{sim.base_url}/halostats.svc.halowaypoint.com/hi"
            async with s.get(f"{base}/players/xuid({xuid})/matches") as r:
                match_id = (await r.json())["Results"][0]["MatchId"]
            async with s.get(f"{base}/matches/{match_id}/stats") as r:
                assert (await r.json())["MatchInfo"]["ClearanceId"] == tokens.clearance


REAL = Path(__file__).parents[1] / "data" / "real"
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def test_stored_match_json_has_no_clearance(match_store: Store) -> None:
    """On every backend: the flight id (= clearance) is nulled in the stored match JSON,
    every other value kept as the API sent it."""
    names = sorted((REAL / "match-stats").glob("*.json"))
    for path in names:
        sent = path.read_bytes()
        stats = decode("match-stats", sent)
        flight = json.loads(sent)["MatchInfo"]["ClearanceId"]
        assert flight
        match_store.save_match(sm.match_rows(stats, None, fetched_at=NOW))
        kept = match_store.match_raw(stats.match_id)
        assert kept is not None
        with match_store.reader() as tx:
            text = tx.conn.execute(
                sa.select(sm.matches.c.raw_json).where(
                    sm.matches.c.match_id == stats.match_id.lower()
                )
            ).scalar_one()
        assert flight not in text
        expected = json.loads(sent)
        expected["MatchInfo"]["ClearanceId"] = None
        assert kept == expected
