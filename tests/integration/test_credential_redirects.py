"""Sign-in never follows a redirect off the configured hosts: each step of the chain (Xbox
user token, XSTS, Spartan token, clearance) and `auth paste`, behind each redirect status,
to another port. The other port must see nothing at all, the canary-carrying token reached
only the API, and the error is one line naming the step.

The loopback servers here (`Loopback`) are shared with tests/integration/test_response_limits.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import conftest
from halotrack.auth import TokenStore, XboxChain
from halotrack.cli import main
from halotrack.errors import AuthError
from halotrack.models.hosts import HALO_RELYING_PARTY
from halotrack.simulator import start_simulator
from halotrack.simulator.identity import IdentityPlugin
from tests.support import auth as auth_support

REDIRECT_CODES = [301, 302, 303, 307, 308]

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def answer_json(handler: BaseHTTPRequestHandler, status: int = 200, body: bytes = b"{}") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(code: int, target: str) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        handler.send_header("Location", f"{target}/caught{handler.path}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return behave


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client giving up is fine
            super().handle_error(request, client_address)


class Loopback:
    """A loopback HTTP/1.1 server on its own port that records every request (method, path,
    headers, body) and answers with `behaviour` (a JSON `{}` unless set)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.behaviour: Behaviour = answer_json
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body.decode("utf-8", "replace"),
                    }
                )
                try:
                    outer.behaviour(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = handle_any

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def carrying(self, secret: str) -> list[str]:
        """Paths of the requests that carried `secret` anywhere (path, headers or body)."""
        return [e["path"] for e in self.seen if secret in json.dumps(e)]


@pytest.fixture
def loopback() -> Iterator[Callable[[], Loopback]]:
    """A factory of loopback servers, all stopped after the test."""
    started: list[Loopback] = []

    def start() -> Loopback:
        server = Loopback()
        server.thread.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.server.shutdown()
            server.server.server_close()


def secret(name: str) -> str:
    return f"{name}-{conftest.CANARY}-{time.monotonic_ns()}"


ACCESS, USER, XSTS, SPARTAN, CLEARANCE = (
    secret(n) for n in ("access", "user", "xsts", "spartan", "clearance")
)

STEPS: dict[str, Callable[[XboxChain], Awaitable[object]]] = {
    "xbox-user": lambda chain: chain.user_token(ACCESS),
    "xsts": lambda chain: chain.xsts(USER, HALO_RELYING_PARTY),
    "spartan": lambda chain: chain.spartan(XSTS, now=datetime.now(UTC)),
    "clearance": lambda chain: chain.clearance(SPARTAN),
    "paste": lambda chain: chain.profile_me(SPARTAN, CLEARANCE),
}


@pytest.mark.parametrize("code", REDIRECT_CODES)
@pytest.mark.parametrize("step", list(STEPS))
async def test_sign_in_step_never_follows_a_redirect_to_another_port(
    loopback: Callable[[], Loopback], step: str, code: int
) -> None:
    api, foreign = loopback(), loopback()
    api.behaviour = redirect_to(code, foreign.url)
    async with aiohttp.ClientSession() as http:
        chain = XboxChain(http, api_root=api.url)
        with pytest.raises(AuthError) as info:
            await STEPS[step](chain)
    assert info.value.step == step
    assert "redirect" in info.value.message and "\n" not in info.value.message
    assert api.carrying(conftest.CANARY), "the step did not send its credential to the API"
    assert foreign.seen == []


@pytest.mark.parametrize("code", [307, 308])
async def test_a_redirect_inside_the_api_keeps_the_sign_in_working(
    loopback: Callable[[], Loopback], code: int
) -> None:
    """Checking hops must not break a redirect that stays on the configured hosts: the body
    (it holds the token) follows a 307/308 there."""
    api = loopback()
    answer = json.dumps({"Token": "t", "DisplayClaims": {"xui": [{"uhs": "h"}]}}).encode()

    def behave(handler: BaseHTTPRequestHandler) -> None:
        if "/moved/" in handler.path:
            answer_json(handler, body=answer)
        else:
            redirect_to(code, f"{api.url}/user.auth.xboxlive.com/moved")(handler)

    api.behaviour = behave
    async with aiohttp.ClientSession() as http:
        token = await XboxChain(http, api_root=api.url).user_token(ACCESS)
    assert token.token == "t"
    assert [e["method"] for e in api.seen] == ["POST", "POST"]
    assert ACCESS in api.seen[1]["body"]


@pytest.mark.parametrize("code", REDIRECT_CODES)
def test_auth_paste_behind_a_redirect_sends_nothing_away(
    loopback: Callable[[], Loopback],
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api, foreign = loopback(), loopback()
    api.behaviour = redirect_to(code, foreign.url)
    for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
        monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "none.toml"))
    argv = ["--api", api.url, "auth", "paste", "--spartan-token", SPARTAN]
    code_paste = main([*argv, "--clearance", CLEARANCE])
    code_fetch = main(argv)  # without a clearance, one would be fetched after the check
    out, err = capsys.readouterr()
    assert (code_paste, code_fetch) == (AuthError.exit_code, AuthError.exit_code)
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("paste" in line and "redirect" in line for line in lines)
    assert conftest.CANARY not in out + err
    assert len(api.carrying(SPARTAN)) == 2
    assert foreign.seen == []
    assert TokenStore().load_session() is None


# -- msal's own HTTP (the Microsoft half of sign-in) -------------------------------------

tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home


@pytest.mark.parametrize("code", [302, 307, 308])
async def test_msal_token_request_never_follows_a_redirect(
    tls_ca: Any, auth_home: Path, loopback: Callable[[], Loopback], code: int
) -> None:
    """The device-code poll POSTs the device code to the token endpoint; a redirect there to
    another port (which a plain requests session follows, re-sending the body on 307/308)
    reaches nothing: the login fails with one line and nothing is stored."""
    foreign = loopback()
    ca_file, server_ctx = tls_ca

    def redirector(app: web.Application, state: object) -> None:
        async def moved(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=code, headers={"Location": f"{foreign.url}/caught"})

        app.router.add_post("/login.microsoftonline.com/{tenant}/oauth2/v2.0/token", moved)

    plugin = IdentityPlugin()
    async with start_simulator(
        seed=7, players=5, port=0, ssl_context=server_ctx, plugins=(redirector, plugin)
    ) as sim:
        ids = auth_support.IdentitySim(sim, plugin, ca_file)
        with pytest.raises(AuthError) as info:
            await ids.device_login()
    assert info.value.step == "msal" and "redirect" in info.value.message
    assert plugin.hits["devicecode"] == 1, "the login never reached the token request"
    assert foreign.seen == []
    assert TokenStore().load_session() is None
