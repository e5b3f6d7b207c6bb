"""`halotrack auth ...` end to end, and no token anywhere a person or a log could see it.

The simulator runs on its own event loop in a thread; the CLI runs as it would for a user
(its own asyncio.run) in the test's thread, with stdout/stderr captured. A background thread
plays the user: it reads the device code from the CLI's output and approves it.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import ssl
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from halotrack.auth import TokenStore, load_provider, status
from halotrack.cli import main
from halotrack.config import Settings
from tests.support import auth as auth_support

tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home

MARKER = "CANARYq7"  # inside every identity token the simulator issues


class Tee(io.StringIO):
    """A stream the CLI writes to and another thread can read while it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, s: str) -> int:
        with self.lock:
            return super().write(s)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()

    def isatty(self) -> bool:
        return False


@dataclass
class ThreadedSim:
    root: str
    ca_file: str
    plugin: Any
    sim: Any
    loop: asyncio.AbstractEventLoop

    def approve(self, user_code: str) -> None:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        body = json.dumps({"user_code": user_code}).encode()
        req = urllib.request.Request(
            f"{self.root}/_sim/identity/approve",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            assert resp.status == 200

    def spartan_token(self) -> str:
        xuid = self.plugin.first_xuid()
        fut = asyncio.run_coroutine_threadsafe(self._issue(xuid), self.loop)
        return fut.result(10)

    async def _issue(self, xuid: str) -> str:
        token, _ = self.sim.state.issue_spartan_token(xuid)
        return str(token)


@pytest.fixture
def threaded_sim(tls_ca, auth_home) -> Iterator[ThreadedSim]:  # type: ignore[no-untyped-def]
    from halotrack.simulator import start_simulator
    from halotrack.simulator.identity import IdentityPlugin

    ca_file, server_ctx = tls_ca
    plugin = IdentityPlugin(token_marker=MARKER)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    cm = start_simulator(seed=7, players=20, port=0, ssl_context=server_ctx, plugins=(plugin,))
    sim = asyncio.run_coroutine_threadsafe(cm.__aenter__(), loop).result(30)
    try:
        yield ThreadedSim(sim.base_url, ca_file, plugin, sim, loop)
    finally:
        asyncio.run_coroutine_threadsafe(cm.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(
    monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = "", watcher: Any = None
) -> Result:
    out, err = Tee(), Tee()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdin", Tee())
    sys.stdin.write(stdin)
    sys.stdin.seek(0)
    thread = None
    if watcher is not None:
        thread = threading.Thread(target=watcher, args=(err,), daemon=True)
        thread.start()
    try:
        code = main(args)
    finally:
        monkeypatch.undo()
    if thread is not None:
        thread.join(10)
    return Result(code, out.text(), err.text())


def approver(sim: ThreadedSim):  # type: ignore[no-untyped-def]
    """Play the user: wait for the code in the CLI's output, then approve it."""

    def watch(err: Tee) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = re.search(r"enter the code (\w+)", err.text())
            if found:
                sim.approve(found.group(1))
                return
            time.sleep(0.02)

    return watch


def stored_secrets() -> list[str]:
    """Every secret the store holds right now (tokens, clearance, msal's cache entries)."""
    store = TokenStore()
    found: list[str] = []
    session = store.load_session()
    if session is not None:
        for token in (session.spartan, session.xsts_halo, session.xbox_user):
            if token is not None:
                found.append(token.value)
        if session.clearance:
            found.append(session.clearance)
        if session.user_hash:
            found.append(session.user_hash)
    cache = store.load_msal_cache()
    if cache:
        for section in ("AccessToken", "RefreshToken", "IdToken"):
            for entry in json.loads(cache).get(section, {}).values():
                found.append(entry["secret"])
    return found


def test_auth_commands_never_show_a_token(  # type: ignore[no-untyped-def]
    threaded_sim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sim = threaded_sim
    caplog.set_level(logging.DEBUG)
    base = ["--api", sim.root]
    seen: list[str] = []
    secrets_seen: set[str] = set()

    def record(r: Result) -> Result:
        seen.extend([r.out, r.err])
        secrets_seen.update(stored_secrets())
        return r

    r = record(cli(monkeypatch, [*base, "auth", "status", "--json"]))
    assert json.loads(r.out)["signed_in"] is False

    # No client id: the error says exactly how to get one.
    r = record(cli(monkeypatch, [*base, "auth", "login"]))
    assert r.code == 2
    flat = " ".join(r.err.split())
    for needle in ("App registrations", "Personal Microsoft accounts only", "http://localhost"):
        assert needle in flat
    assert "--client-id" in flat and "client_id =" in flat

    r = record(
        cli(
            monkeypatch,
            [*base, "auth", "login", "--client-id", "cid-1", "--ca-bundle", sim.ca_file],
            watcher=approver(sim),
        )
    )
    assert r.code == 0, r.err
    xuid = sim.plugin.first_xuid()
    gamertag = sim.plugin.gamertag(xuid)
    assert gamertag in r.out and xuid in r.out
    assert "enter the code" in r.err

    r = record(cli(monkeypatch, [*base, "auth", "status"]))
    assert r.code == 0
    assert gamertag in r.out and "Spartan token expires" in r.out
    r = record(cli(monkeypatch, [*base, "auth", "status", "--json"]))
    info = json.loads(r.out)
    assert info["signed_in"] is True and info["xuid"] == xuid
    assert info["files"]["session.json"]["mode"] == "600"
    assert info["tokens"]["microsoft_refresh_token"] is True
    assert info["tokens"]["clearance"] == "present"
    provider = load_provider(Settings(api=sim.root))
    seen.append(repr(provider))
    seen.append(repr(TokenStore().load_session()))
    seen.append(json.dumps(status()))

    # A pasted token (from stdin), then a refused one: neither is echoed.
    pasted = sim.spartan_token()
    secrets_seen.add(pasted)
    r = record(cli(monkeypatch, [*base, "auth", "paste", "--ca-bundle", sim.ca_file], stdin=pasted))
    assert r.code == 0, r.err
    assert gamertag in r.out
    bogus = f"v4={MARKER}-not-a-token"
    r = record(
        cli(
            monkeypatch,
            [*base, "auth", "paste", "--ca-bundle", sim.ca_file, "--spartan-token", bogus],
        )
    )
    assert r.code == 3 and "refused" in r.err
    secrets_seen.add(bogus)

    r = record(cli(monkeypatch, [*base, "auth", "logout"]))
    assert r.code == 0 and "removed" in r.out
    assert not TokenStore().files()
    r = record(cli(monkeypatch, [*base, "auth", "status", "--json"]))
    assert json.loads(r.out)["signed_in"] is False

    logs = [rec.getMessage() for rec in caplog.records]
    logs += [str(rec.args) for rec in caplog.records]
    haystack = "\n".join(seen + logs)
    assert secrets_seen, "the test must have seen real tokens"
    assert len(secrets_seen) >= 6
    assert MARKER not in haystack
    for secret in secrets_seen:
        assert secret not in haystack


def test_login_failure_message_has_no_token(  # type: ignore[no-untyped-def]
    threaded_sim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sim = threaded_sim
    caplog.set_level(logging.DEBUG)
    sim.plugin.faults["spartan"] = 503
    r = cli(
        monkeypatch,
        ["--api", sim.root, "auth", "login", "--client-id", "cid", "--ca-bundle", sim.ca_file],
        watcher=approver(sim),
    )
    assert r.code == 3
    assert "spartan" in r.err and "503" in r.err and "retry later" in r.err
    assert MARKER not in r.err + r.out + caplog.text
    assert TokenStore().load_session() is None


def test_browser_login_from_the_cli(  # type: ignore[no-untyped-def]
    threaded_sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`auth login --browser`: the system browser is replaced by an HTTP client that loads
    the authorize page and submits its form to the localhost receiver, like a browser."""
    from urllib.parse import urlencode

    import halotrack.auth.login as login_module

    sim = threaded_sim
    opened: list[str] = []

    def browse(url: str) -> None:
        opened.append(url)
        ctx = ssl.create_default_context(cafile=sim.ca_file)
        with urllib.request.urlopen(url, context=ctx, timeout=10) as resp:
            page = resp.read().decode()
        form = auth_support.HiddenForm()
        form.feed(page)
        data = urlencode(form.fields).encode()
        with urllib.request.urlopen(form.action, data=data, timeout=10) as resp:
            assert resp.status == 200

    def fake_system_browser(url: str) -> object:
        return asyncio.get_running_loop().run_in_executor(None, browse, url)

    monkeypatch.setattr(login_module, "_system_browser", fake_system_browser)
    args = ["--api", sim.root, "auth", "login", "--browser", "--client-id", "cid"]
    r = cli(monkeypatch, [*args, "--ca-bundle", sim.ca_file])
    assert r.code == 0, r.err
    assert len(opened) == 1 and opened[0] in " ".join(r.err.split())
    assert sim.plugin.gamertag(sim.plugin.first_xuid()) in r.out
    assert sim.plugin.hits["token:authorization_code"] == 1
