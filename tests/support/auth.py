"""Shared fixtures of the sign-in tests: the simulator over TLS with the identity plugin.

Kept here rather than in conftest.py so other helpers' edits to conftest cannot drop them;
each tests/*/test_auth_*.py imports what it uses.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest


class HiddenForm(HTMLParser):
    """The sign-in page's form as a browser would submit it: its action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a.get("name") or ""] = a.get("value") or ""


def make_tls_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """A throwaway certificate authority (trustme) and a server certificate for loopback.

    Returns (ca_file, server_ssl_context): msal and aiohttp trust only `ca_file`.
    """
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path), server_ctx


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return make_tls_ca(tmp_path_factory)


@pytest.fixture
def auth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private data/config/cache dirs so no test touches the user's real sign-in."""
    for name in ("DATA", "CONFIG", "CACHE"):
        monkeypatch.setenv(f"HALOTRACK_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "config" / "config.toml"))
    for name in (
        "HALOTRACK_API",
        "HALOTRACK_CLIENT_ID",
        "HALOTRACK_SPARTAN_TOKEN",
        "HALOTRACK_CLEARANCE",
        "HALOTRACK_AUTHORITY",
        "HALOTRACK_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


class IdentitySim:
    """What sign-in tests need from a running simulator with the identity plugin."""

    def __init__(self, sim: object, plugin: object, ca_file: str) -> None:
        self.sim = sim
        self.plugin = plugin
        self.ca_file = ca_file
        self.root: str = sim.base_url.rstrip("/")  # type: ignore[attr-defined]
        self.authority = f"{self.root}/login.microsoftonline.com/consumers"

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.sim.state  # type: ignore[attr-defined]

    def now(self):  # type: ignore[no-untyped-def]
        return self.plugin.now()  # type: ignore[attr-defined]

    async def advance(self, hours: float) -> None:
        """Move the simulated clock without making the world play (sign-in needs no matches)."""
        self.sim.clock.advance(hours)  # type: ignore[attr-defined]

    def first_player(self) -> tuple[str, str]:
        xuid = self.plugin.first_xuid()  # type: ignore[attr-defined]
        return xuid, self.plugin.gamertag(xuid)  # type: ignore[attr-defined]

    def config(self, client_id: str = "00000000-0000-0000-0000-00000000c1d0"):  # type: ignore[no-untyped-def]
        from halotrack.auth import SignInConfig

        return SignInConfig(
            client_id=client_id,
            authority=self.authority,
            api_root=self.root,
            ca_bundle=self.ca_file,
        )

    def http(self):  # type: ignore[no-untyped-def]
        """An aiohttp session trusting only the test CA."""
        import ssl

        import aiohttp

        ctx = ssl.create_default_context(cafile=self.ca_file)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx))

    async def approve(self, user_code: str, xuid: str | None = None, deny: bool = False) -> None:
        """Approve (or decline) a device code through the test hook, as the user would."""
        body: dict[str, object] = {"user_code": user_code, "deny": deny}
        if xuid:
            body["xuid"] = xuid
        url = f"{self.root}/_sim/identity/approve"
        async with self.http() as http, http.post(url, json=body) as resp:
            assert resp.status == 200, await resp.text()

    async def device_login(  # type: ignore[no-untyped-def]
        self, *, store=None, xuid: str | None = None, deny: bool = False, config=None
    ):
        """Run `login_device_code` in a task and approve its code when it shows one."""
        import asyncio

        from halotrack.auth import login_device_code

        codes: asyncio.Queue[object] = asyncio.Queue()
        task = asyncio.create_task(
            login_device_code(
                config or self.config(),
                show=codes.put_nowait,
                store=store,
                clock=self.now,
                poll_interval=0.02,
            )
        )
        getter = asyncio.create_task(codes.get())
        done, _ = await asyncio.wait(
            {task, getter}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if getter not in done:
            getter.cancel()
            return await task  # failed before showing a code: raise its error
        await self.approve(getter.result().user_code, xuid=xuid, deny=deny)  # type: ignore[attr-defined]
        return await asyncio.wait_for(task, 30)


@pytest.fixture
async def identity_sim(tls_ca, auth_home):  # type: ignore[no-untyped-def]
    """The simulator (small world) over TLS with a fresh IdentityPlugin."""
    from halotrack.simulator import start_simulator
    from halotrack.simulator.identity import IdentityPlugin

    ca_file, server_ctx = tls_ca
    plugin = IdentityPlugin()
    async with start_simulator(
        seed=7, players=20, port=0, ssl_context=server_ctx, plugins=(plugin,)
    ) as sim:
        yield IdentitySim(sim, plugin, ca_file)
