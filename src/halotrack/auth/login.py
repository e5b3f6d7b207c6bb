"""Signing in: device code (terminals), authorization code with PKCE (desktops), pasting.

Why: each flow ends the same way (the Xbox/Halo chain, then one atomic save), and a failed
attempt must leave the previous sign-in untouched, so the flows share `_complete`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from halotrack.auth.chain import XboxChain
from halotrack.auth.microsoft import MicrosoftAccount, SignInConfig, normalize_root
from halotrack.auth.provider import Clock, HttpFactory, SignedInTokens, http_factory
from halotrack.auth.store import Session, StoredToken, TokenStore
from halotrack.errors import AuthError, ConfigError
from halotrack.models import utcnow
from halotrack.waypoint.guard import Bounds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceCode:
    """What the user must do: open `verification_uri` and type `user_code`."""

    verification_uri: str
    user_code: str
    message: str
    expires_in: int


async def _complete(
    config: SignInConfig,
    store: TokenStore,
    microsoft: MicrosoftAccount,
    result: Mapping[str, Any],
    *,
    clock: Clock,
    http: HttpFactory | None,
) -> Session:
    """Run the chain from a fresh Microsoft token, then save msal's cache and the session."""
    now = clock()
    claims = result.get("id_token_claims") or {}
    session = Session(
        source="msal",
        api_root=normalize_root(config.api_root),
        client_id=config.client_id,
        authority=config.authority,
        ca_bundle=config.ca_bundle,
        account_id=await asyncio.to_thread(microsoft.account_id_for, result),
        username=claims.get("preferred_username"),
        signed_in_at=now,
        microsoft_expires_at=now + timedelta(seconds=int(result.get("expires_in") or 0)),
    )
    provider = SignedInTokens(
        store,
        session,
        clock=clock,
        http=http or http_factory(config.ca_bundle),
        microsoft=microsoft,
        bounds=config.bounds,
    )
    await provider.sign_in(str(result["access_token"]))
    async with store.locked():
        microsoft.persist()
        store.save_session(provider.session)
    log.info("signed in as %s", provider.session.gamertag)
    return provider.session


async def login_device_code(
    config: SignInConfig,
    *,
    show: Callable[[DeviceCode], object],
    store: TokenStore | None = None,
    clock: Clock = utcnow,
    http: HttpFactory | None = None,
    poll_interval: float | None = None,
) -> Session:
    """Device-code sign-in: `show` tells the user where to go; returns once they did.

    `poll_interval` overrides the server's interval (tests); otherwise it is respected,
    including `slow_down`.
    """
    store = store or TokenStore()
    microsoft = MicrosoftAccount(config, store, fresh=True, autosave=False)
    flow = await asyncio.to_thread(microsoft.start_device_flow)
    expires_in = int(flow.get("expires_in") or 900)
    show(
        DeviceCode(
            verification_uri=str(flow.get("verification_uri") or flow.get("verification_url")),
            user_code=str(flow["user_code"]),
            message=str(flow.get("message") or ""),
            expires_in=expires_in,
        )
    )
    deadline = time.monotonic() + expires_in
    while True:
        result = await asyncio.to_thread(microsoft.poll_device_flow, flow)
        if result is not None:
            break
        if time.monotonic() > deadline:
            raise AuthError(
                "msal: the sign-in code expired before it was used",
                step="msal",
                hint="run `halotrack auth login` again and finish within the time shown",
            )
        wait = poll_interval if poll_interval is not None else float(flow["interval"])
        await asyncio.sleep(wait)
    return await _complete(config, store, microsoft, result, clock=clock, http=http)


_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>halotrack</title>"
    "<p>{text}</p><p>You can close this tab and return to the terminal.</p>"
)


async def login_browser(
    config: SignInConfig,
    *,
    store: TokenStore | None = None,
    open_browser: Callable[[str], object] | None = None,
    announce: Callable[[str], object] | None = None,
    clock: Clock = utcnow,
    http: HttpFactory | None = None,
    port: int = 0,
    wait_seconds: float = 300.0,
) -> Session:
    """Authorization code + PKCE: a browser signs in, Microsoft posts the code back to a
    one-shot receiver on http://localhost:<port> (form_post, so the code stays out of URLs
    and logs), msal checks the state and redeems the code with the PKCE verifier.

    `open_browser(url)` defaults to the system browser; it may return an awaitable (tests
    drive the flow with an HTTP client). `announce(url)` shows the URL in case no browser
    opens.
    """
    store = store or TokenStore()
    microsoft = MicrosoftAccount(config, store, fresh=True, autosave=False)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[dict[str, str]] = loop.create_future()
    expected_state: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        if not expected_state or params.get("state") != expected_state[0]:
            return web.Response(status=400, text="unexpected sign-in answer")
        if not answer.done():
            answer.set_result(params)
        text = "Sign-in failed." if "error" in params else "Signed in to halotrack."
        return web.Response(text=_DONE_PAGE.format(text=text), content_type="text/html")

    app = web.Application()
    app.router.add_route("GET", "/", receive)
    app.router.add_route("POST", "/", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    background: set[asyncio.Future[Any]] = set()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on 127.0.0.1:{port} for the sign-in answer: {exc.strerror}",
                hint="pick another --port, or use the device-code flow (no --browser)",
            ) from None
        bound = runner.addresses[0][1]
        redirect_uri = f"http://localhost:{bound}"
        flow = await asyncio.to_thread(microsoft.start_auth_code_flow, redirect_uri)
        expected_state.append(str(flow["state"]))
        url = str(flow["auth_uri"])
        if announce is not None:
            announce(url)
        opened = (open_browser or _system_browser)(url)
        if inspect.isawaitable(opened):
            background.add(asyncio.ensure_future(opened))
        try:
            response = await asyncio.wait_for(answer, wait_seconds)
        except TimeoutError:
            raise AuthError(
                "msal: no answer from the browser sign-in",
                step="msal",
                hint="finish signing in within the time, or use the device-code flow",
            ) from None
        result = await asyncio.to_thread(microsoft.finish_auth_code_flow, flow, response)
    finally:
        await runner.cleanup()
        for pending in background:
            if not pending.done():
                pending.cancel()
        if background:
            await asyncio.gather(*background, return_exceptions=True)
    return await _complete(config, store, microsoft, result, clock=clock, http=http)


def _system_browser(url: str) -> object:
    """Open the default browser without blocking the event loop (text browsers block)."""
    return asyncio.get_running_loop().run_in_executor(None, webbrowser.open, url)


async def paste(
    spartan: str,
    clearance: str | None,
    *,
    api_root: str | None = None,
    ca_bundle: str | None = None,
    store: TokenStore | None = None,
    clock: Clock = utcnow,
    http: HttpFactory | None = None,
    bounds: Bounds | None = None,
) -> Session:
    """Store a Spartan token (and clearance) copied from a browser, after one check call.

    The check is GET profile /users/me, which also names the player. Without a clearance,
    one is fetched with the token (that call checks the token too).
    """
    spartan = _header_value(spartan, "x-343-authorization-spartan")
    clearance = _header_value(clearance, "343-clearance") if clearance else None
    if not spartan or any(ch.isspace() for ch in spartan):
        raise ConfigError(
            "that does not look like a Spartan token",
            hint="copy the value of the x-343-authorization-spartan request header",
        )
    store = store or TokenStore()
    make = http or http_factory(ca_bundle)
    async with make() as session:
        chain = XboxChain(session, api_root=normalize_root(api_root), bounds=bounds)
        status, data = await chain.profile_me(spartan, clearance)
        if status in (401, 403):
            raise AuthError(
                f"paste: Halo Waypoint refused the pasted token (HTTP {status})",
                step="paste",
                status=status,
                hint="copy a fresh x-343-authorization-spartan header from halowaypoint.com "
                "(tokens last about four hours)",
            )
        if status != 200:
            raise AuthError(
                f"paste: could not check the pasted token (HTTP {status})",
                step="paste",
                status=status,
                hint="retry later",
            )
        if not clearance:
            clearance = await chain.clearance(spartan)
    profile = data if isinstance(data, dict) else {}
    now = clock()
    record = Session(
        source="paste",
        api_root=normalize_root(api_root),
        ca_bundle=ca_bundle,
        xuid=str(profile["xuid"]) if profile.get("xuid") else None,
        gamertag=profile.get("gamertag") or None,
        spartan=StoredToken(spartan, None),
        clearance=clearance,
        clearance_at=now,
        signed_in_at=now,
    )
    async with store.locked():
        store.remove_msal_cache()  # a paste replaces any previous Microsoft sign-in
        store.save_session(record)
    return record


def _header_value(text: str, header: str) -> str:
    """Accept a bare value or a whole copied header line (`name: value`)."""
    text = text.strip()
    if text.lower().startswith(header + ":"):
        text = text[len(header) + 1 :].strip()
    return text


def logout(store: TokenStore | None = None) -> list[str]:
    """Remove every stored credential; returns the paths removed."""
    store = store or TokenStore()
    return [str(p) for p in store.clear()]
