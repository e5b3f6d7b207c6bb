"""No answer is read past the size cap, however it arrives (Content-Length, chunked, or a
stream that never ends), and one request with its retries ends at the deadline: for data
calls (Transport) and sign-in (XboxChain), settable through HALOTRACK_MAX_BODY and
HALOTRACK_DEADLINE, each failure one line naming the endpoint or step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import aiohttp
import pytest
from test_credential_redirects import Loopback, answer_json, loopback

import conftest
from halotrack.auth import XboxChain, load_provider
from halotrack.auth.microsoft import GuardedHttp
from halotrack.cli import main
from halotrack.config import Settings, resolve
from halotrack.errors import ApiError, AuthError, ConfigError, ServerError
from halotrack.waypoint import Limits, RetryPolicy, Tokens, WaypointClient
from halotrack.waypoint.guard import DEFAULT_DEADLINE, DEFAULT_MAX_BODY, Bounds
from halotrack.wiring.client import client_from_settings
from tests.support import auth as auth_support
from tests.support.sim import SimThread, point_cli_at

__all__ = ["loopback"]

CAP = 64 * 1024
TOKEN = f"spartan-{conftest.CANARY}"
Behaviour = Callable[[BaseHTTPRequestHandler], None]


def stream(chunks: int | None, size: int = 16 * 1024, pause: float = 0.0) -> Behaviour:
    """A chunked answer of `chunks` chunks (None: it never ends)."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        while chunks is None or sent < chunks:
            handler.wfile.write(b"%x\r\n%s\r\n" % (size, b" " * size))
            handler.wfile.flush()
            sent += 1
            if pause:
                time.sleep(pause)
        handler.wfile.write(b"0\r\n\r\n")

    return behave


def declared(size: int) -> Behaviour:
    """An answer announced with Content-Length and then sent whole."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        answer_json(handler, body=b" " * (size - 2) + b"{}")

    return behave


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte a second of a 100-byte body."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(1.0)


BIG = {
    "content-length": declared(4 * CAP),
    "chunked": stream(8),
    # slow enough that the old read-it-all code could not eat the memory before its timeout
    "endless": stream(None, pause=0.01),
}


def client(api: Loopback, *, timeout: float = 30.0, **retry: float) -> WaypointClient:
    return WaypointClient(
        tokens=Tokens(spartan=TOKEN),
        base_urls={"stats": f"{api.url}/stats"},
        cache=False,
        limits=Limits(rate=None, global_rate=None, max_body=CAP),
        retry=RetryPolicy(**retry),  # type: ignore[arg-type]
        timeout=timeout,
    )


@pytest.mark.parametrize("how", list(BIG))
async def test_transport_stops_reading_at_the_cap(
    loopback: Callable[[], Loopback], how: str
) -> None:
    api = loopback()
    api.behaviour = BIG[how]
    async with client(api, timeout=5, attempts=3) as c:
        with pytest.raises(ApiError) as info:
            await c.transport.get("stats", "/hi/big", "secret=1")
    assert info.value.message == "answer larger than 64 KB: stats /hi/big"
    assert len(api.seen) == 1, "an oversized answer is not worth asking for again"


async def test_an_answer_just_under_the_cap_is_read(loopback: Callable[[], Loopback]) -> None:
    api = loopback()
    api.behaviour = declared(CAP)
    async with client(api) as c:
        fetched = await c.transport.get("stats", "/hi/fits")
    assert len(fetched.raw) == CAP


@pytest.mark.parametrize("how", list(BIG))
async def test_sign_in_stops_reading_at_the_cap(loopback: Callable[[], Loopback], how: str) -> None:
    api = loopback()
    api.behaviour = BIG[how]
    async with aiohttp.ClientSession() as http:
        chain = XboxChain(http, api_root=api.url, bounds=Bounds(timeout=5, max_body=CAP))
        with pytest.raises(AuthError) as info:
            await chain.spartan(f"xsts-{conftest.CANARY}", now=datetime.now(UTC))
    assert info.value.step == "spartan"
    assert info.value.message == "spartan: the answer from 127.0.0.1 is larger than 64 KB"


async def test_a_trickling_server_is_given_up_at_the_deadline(
    loopback: Callable[[], Loopback],
) -> None:
    """1 byte/s: each attempt would run into the 30 s timeout; the deadline ends it all."""
    api = loopback()
    api.behaviour = trickle
    async with client(api, attempts=3, deadline=1.5) as c:
        with pytest.raises(ServerError) as info:
            await c.transport.get("stats", "/hi/slow")
    assert info.value.message == (
        "no complete answer within 1.5 s, retries included: stats /hi/slow"
    )
    assert "HALOTRACK_DEADLINE" in (info.value.hint or "")


async def test_sign_in_gives_up_on_a_trickling_server_at_the_deadline(
    loopback: Callable[[], Loopback],
) -> None:
    api = loopback()
    api.behaviour = trickle
    async with aiohttp.ClientSession() as http:
        chain = XboxChain(http, api_root=api.url, bounds=Bounds(deadline=1.5))
        with pytest.raises(AuthError) as info:
            await chain.clearance(TOKEN)
    assert info.value.message == "clearance: no answer from 127.0.0.1 within 1.5 s"


async def test_retries_stop_at_the_deadline(loopback: Callable[[], Loopback]) -> None:
    """Backoff waits count against the deadline (simulated clock: no real waiting). Each
    wait is exactly one second, so a 10 s deadline leaves room for 10 attempts of 50."""
    api = loopback()
    api.behaviour = lambda h: answer_json(h, status=503)
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    policy = RetryPolicy(attempts=50, base_delay=1.0, max_delay=1.0, budget=1000, deadline=10)
    async with WaypointClient(
        tokens=Tokens(spartan=TOKEN),
        base_urls={"stats": f"{api.url}/stats"},
        cache=False,
        limits=Limits(rate=None, global_rate=None),
        retry=policy,
        clock=lambda: now[0],
        sleep=sleep,
        rand=lambda: 1.0,
    ) as c:
        with pytest.raises(ServerError) as info:
            await c.transport.get("stats", "/hi/down")
    assert info.value.status is None or info.value.status == 503
    assert "stats /hi/down" in info.value.message
    assert len(api.seen) == int(policy.deadline / policy.max_delay)


def test_settings_reach_the_transport_and_the_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALOTRACK_CONFIG", "/nonexistent/halotrack.toml")
    assert Bounds.of(resolve()) == Bounds(30.0, DEFAULT_DEADLINE, DEFAULT_MAX_BODY)
    monkeypatch.setenv("HALOTRACK_MAX_BODY", "12345")
    monkeypatch.setenv("HALOTRACK_DEADLINE", "7.5")
    monkeypatch.setenv("HALOTRACK_TIMEOUT", "3")
    settings = resolve()
    assert Bounds.of(settings) == Bounds(timeout=3.0, deadline=7.5, max_body=12345)
    client = client_from_settings(resolve(spartan_token=TOKEN), cache=False)
    assert client.transport.bounds == Bounds(timeout=3.0, deadline=7.5, max_body=12345)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_non_positive_limit_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HALOTRACK_CONFIG", "/nonexistent/halotrack.toml")
    monkeypatch.setenv("HALOTRACK_MAX_BODY", value)
    with pytest.raises(ConfigError):
        Bounds.of(resolve())


def test_cli_names_the_endpoint_when_an_answer_is_too_big(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end through the settings: a tiny HALOTRACK_MAX_BODY against the simulator."""
    with SimThread(seed=3, players=3) as sim:
        player = sim.world.players[0]
        point_cli_at(sim, tmp_path, monkeypatch, player.xuid)
        monkeypatch.setenv("HALOTRACK_MAX_BODY", "100")
        code = main(["--api", sim.base_url, "record", f"xuid({player.xuid})"])
        out, err = capsys.readouterr()
    assert code == ApiError.exit_code
    assert conftest.CANARY not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "answer larger than 100 bytes: stats /hi/players/" in lines[0]
    assert "HALOTRACK_MAX_BODY" in lines[0]


@pytest.mark.parametrize("how", [*BIG, "trickle"])
def test_msal_http_stops_at_the_cap_and_the_deadline(
    loopback: Callable[[], Loopback], how: str
) -> None:
    """msal's HTTP client (blocking, requests) has the same bounds as the rest."""
    import requests

    api = loopback()
    api.behaviour = trickle if how == "trickle" else BIG[how]
    http = GuardedHttp(requests.Session(), Bounds(deadline=1.5, max_body=CAP))
    with pytest.raises(AuthError) as info:
        http.post(f"{api.url}/consumers/oauth2/v2.0/token", data={"refresh_token": TOKEN})
    http.close()
    assert info.value.step == "msal"
    if how == "trickle":
        assert info.value.message == "msal: no answer from 127.0.0.1 within 1.5 s"
    else:
        assert info.value.message == "msal: the answer from 127.0.0.1 is larger than 64 KB"


def test_auth_paste_takes_the_deadline_from_the_settings(
    loopback: Callable[[], Loopback],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = loopback()
    api.behaviour = trickle
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HALOTRACK_DEADLINE", "1")
    code = main(["--api", api.url, "auth", "paste", "--spartan-token", TOKEN])
    out, err = capsys.readouterr()
    assert code == AuthError.exit_code
    assert conftest.CANARY not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "paste: no answer from 127.0.0.1 within 1 s" in lines[0]


tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home
identity_sim = auth_support.identity_sim


async def test_login_and_renewal_take_the_cap_from_the_settings(  # type: ignore[no-untyped-def]
    identity_sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bounds reach msal through SignInConfig and the renewal chain through
    load_provider: a 100-byte cap stops each at its first answer."""
    sim = identity_sim
    tiny = replace(sim.config(), bounds=Bounds(max_body=100))
    with pytest.raises(AuthError) as login:
        await sim.device_login(config=tiny)
    assert login.value.step == "msal" and "larger than 100 bytes" in login.value.message

    await sim.device_login()
    await sim.advance(4.5)  # the Spartan token has expired: the next get() renews it
    provider = load_provider(Settings(api=sim.root, max_body=100), clock=sim.now)
    assert provider is not None
    with pytest.raises(AuthError) as renewal:
        await provider.get()
    assert renewal.value.step == "spartan"
    assert renewal.value.message.endswith("is larger than 100 bytes")
