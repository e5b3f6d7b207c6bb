"""End to end: real msal code through the whole chain against the simulator over TLS."""

from __future__ import annotations

import asyncio
import re
import ssl
from datetime import datetime, timedelta

import aiohttp
import pytest

from halotrack.auth import (
    SignedInTokens,
    TokenStore,
    load_provider,
    login_browser,
)
from halotrack.config import Settings
from halotrack.errors import AuthError
from tests.support import auth as auth_support

# Fixtures shared by the sign-in tests (see auth_support.py).
tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home
identity_sim = auth_support.identity_sim


async def device_login(sim, **kw):  # type: ignore[no-untyped-def]
    return await sim.device_login(**kw)


async def fetch_record(sim, provider) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    """A service record fetched with the provider's tokens through the client."""
    from halotrack.waypoint import WaypointClient

    ctx = ssl.create_default_context(cafile=sim.ca_file)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
        client = WaypointClient(tokens=provider, api_root=sim.root, session=http, cache=False)
        tokens = await provider.get()
        record = await client.stats.service_record(f"xuid({tokens.xuid})")
        return 200, record


async def test_device_code_login_then_service_record(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    xuid, gamertag = sim.first_player()
    session = await device_login(sim, xuid=xuid)
    assert session.xuid == xuid
    assert session.gamertag == gamertag
    assert session.source == "msal"
    assert session.spartan is not None and session.spartan.expires_at > sim.now()
    assert session.clearance == sim.state.clearance_id

    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(provider, SignedInTokens)
    tokens = await provider.get()
    assert tokens.xuid == xuid and tokens.gamertag == gamertag
    assert tokens.spartan == session.spartan.value
    status, record = await fetch_record(sim, provider)
    assert status == 200 and record is not None
    assert sim.plugin.hits["token:device_code"] >= 1
    assert sim.plugin.hits["spartan"] == 1


async def test_expired_spartan_token_renews_silently(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    await device_login(sim)
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(provider, SignedInTokens)
    first = await provider.get()
    hits = dict(sim.plugin.hits)

    # Past the Spartan token's four hours: only the Spartan token is renewed (XSTS lives on).
    await sim.advance(4.5)
    second = await provider.get()
    assert second.spartan != first.spartan
    assert second.expires_at > sim.now()
    assert sim.plugin.hits["spartan"] == hits["spartan"] + 1
    assert sim.plugin.hits["xsts"] == hits["xsts"]
    assert sim.plugin.hits["token:refresh_token"] == 0
    await fetch_record(sim, provider)

    # Past the Xbox user token's life: msal refreshes with the refresh token, which rotates.
    await sim.advance(24 * 15)
    rt_before = _refresh_tokens(provider)
    third = await provider.get()
    assert third.spartan not in (first.spartan, second.spartan)
    assert sim.plugin.hits["token:refresh_token"] == 1
    rt_after = _refresh_tokens(provider)
    assert rt_after and rt_before and rt_after != rt_before
    await fetch_record(sim, provider)

    # The rotated-out refresh token is dead: a copy of the old cache cannot refresh any more.
    assert sim.plugin.hits["token:refresh_token"] == 1


def _refresh_tokens(provider: SignedInTokens) -> set[str]:
    import msal

    cache = provider.microsoft.cache
    return {e["secret"] for e in cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)}


async def test_refresh_after_401_and_concurrent_callers_share_one_renewal(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    await device_login(sim)
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(provider, SignedInTokens)
    first = await provider.get()
    spartan_hits = sim.plugin.hits["spartan"]
    await sim.advance(4)  # inside the 5 minute margin of expiry
    results = await asyncio.gather(*(provider.get() for _ in range(8)))
    assert len({t.spartan for t in results}) == 1
    assert results[0].spartan != first.spartan
    assert sim.plugin.hits["spartan"] == spartan_hits + 1

    forced = await asyncio.gather(*(provider.refresh() for _ in range(4)))
    assert len({t.spartan for t in forced}) == 1
    assert sim.plugin.hits["spartan"] == spartan_hits + 2


async def test_second_process_sees_renewed_tokens(identity_sim) -> None:  # type: ignore[no-untyped-def]
    """Two providers over one store (two processes): the second reuses the first's renewal
    instead of spending the rotated refresh token again."""
    sim = identity_sim
    await device_login(sim)
    a = load_provider(Settings(api=sim.root), clock=sim.now)
    b = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(a, SignedInTokens) and isinstance(b, SignedInTokens)
    await sim.advance(24 * 15)
    ta = await a.get()
    tb = await b.get()
    assert ta.spartan == tb.spartan
    assert sim.plugin.hits["token:refresh_token"] == 1


def fake_browser(sim, seen: list[str]):  # type: ignore[no-untyped-def]
    """Open the authorize URL with an HTTP client and post the auto-submit form back, as a
    browser running the page's script would."""

    async def open_url(url: str) -> None:
        seen.append(url)
        ctx = ssl.create_default_context(cafile=sim.ca_file)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            async with http.get(url) as resp:
                assert resp.status == 200
                page = await resp.text()
            form = auth_support.HiddenForm()
            form.feed(page)
            async with http.post(form.action, data=form.fields) as resp:
                assert resp.status == 200, await resp.text()

    return open_url


async def test_browser_pkce_login(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    seen: list[str] = []
    session = await login_browser(sim.config(), open_browser=fake_browser(sim, seen), clock=sim.now)
    xuid, gamertag = sim.first_player()
    assert session.xuid == xuid and session.gamertag == gamertag
    assert len(seen) == 1
    url = seen[0]
    assert "code_challenge_method=S256" in url and re.search(r"code_challenge=[\w-]{43}", url)
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in url
    assert "response_mode=form_post" in url
    assert sim.plugin.hits["token:authorization_code"] == 1
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert provider is not None
    await fetch_record(sim, provider)


async def test_pkce_verifier_is_checked(identity_sim) -> None:  # type: ignore[no-untyped-def]
    """A code redeemed with the wrong verifier is refused: the simulator really checks S256."""
    sim = identity_sim
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
        params = {
            "client_id": "c",
            "response_type": "code",
            "redirect_uri": "http://localhost:1",
            "scope": "Xboxlive.signin offline_access",
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }

        async def new_code() -> str:
            async with http.get(
                f"{sim.authority}/oauth2/v2.0/authorize", params=params, allow_redirects=False
            ) as resp:
                assert resp.status == 302
                found = re.search(r"code=([^&]+)", resp.headers["Location"])
                assert found is not None
                return found.group(1)

        token_url = f"{sim.authority}/oauth2/v2.0/token"
        form = {
            "client_id": "c",
            "grant_type": "authorization_code",
            "code": await new_code(),
            "redirect_uri": "http://localhost:1",
            "code_verifier": "wrong-verifier",
        }
        async with http.post(token_url, data=form) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_grant"
        # The RFC 7636 example verifier for that challenge works, once per code.
        form["code"] = await new_code()
        form["code_verifier"] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        async with http.post(token_url, data=form) as resp:
            assert resp.status == 200
        async with http.post(token_url, data=form) as resp:
            assert resp.status == 400  # single use


async def test_failed_login_keeps_previous_sign_in(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    first = await device_login(sim)
    sim.plugin.faults["spartan"] = 503
    with pytest.raises(AuthError) as err:
        await device_login(sim)
    assert err.value.step == "spartan"
    stored = TokenStore().load_session()
    assert stored is not None and stored.spartan is not None and first.spartan is not None
    assert stored.spartan.value == first.spartan.value
    assert stored.signed_in_at == first.signed_in_at
    del sim.plugin.faults["spartan"]


async def test_sign_in_for_another_root_is_not_used(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    await device_login(sim)
    assert load_provider(Settings(api=None)) is None
    assert load_provider(Settings(api="http://127.0.0.1:9")) is None
    assert load_provider(Settings(api=sim.root + "/")) is not None


def test_margin_default() -> None:
    from halotrack.auth.provider import DEFAULT_MARGIN

    assert timedelta(minutes=5) == DEFAULT_MARGIN


async def test_client_refreshes_once_after_a_401_and_replays(identity_sim) -> None:  # type: ignore[no-untyped-def]
    """The local clock runs an hour behind the service: the provider still believes in a
    token the service has expired. The client's 401 makes it renew once, and the replay
    succeeds."""
    sim = identity_sim
    await device_login(sim)

    def behind() -> datetime:
        return sim.now() - timedelta(hours=1)

    provider = load_provider(Settings(api=sim.root), clock=behind)
    assert isinstance(provider, SignedInTokens)
    first = await provider.get()
    await sim.advance(4.2)
    assert (await provider.get()).spartan == first.spartan  # locally still valid
    spartan_hits = sim.plugin.hits["spartan"]
    await fetch_record(sim, provider)
    assert sim.plugin.hits["spartan"] == spartan_hits + 1
    assert (await provider.get()).spartan != first.spartan
