"""Token providers backed by the stored sign-in, and the factory the CLI and client call.

Why: a Spartan token lives about four hours, an XSTS token about sixteen, an Xbox user token
about two weeks and the Microsoft refresh token much longer. The provider renews only the
links that lapsed, a margin before they do, silently, for as long as the refresh token lives;
concurrent callers share one renewal, and processes take turns through a lock file.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp

from halotrack.auth.chain import XboxChain, XboxToken
from halotrack.auth.microsoft import MicrosoftAccount, SignInConfig, normalize_root
from halotrack.auth.store import Session, StoredToken, TokenStore
from halotrack.config import Settings
from halotrack.errors import AuthError
from halotrack.models._base import utcnow
from halotrack.models.hosts import HALO_RELYING_PARTY, XBOX_RELYING_PARTY
from halotrack.waypoint.guard import Bounds
from halotrack.waypoint.tokens import StaticTokens, TokenProvider, Tokens

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
HttpFactory = Callable[[], aiohttp.ClientSession]

DEFAULT_MARGIN = timedelta(minutes=5)


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """Verify TLS against the system store, or only against a given CA file."""
    if not ca_bundle:
        return True
    return ssl.create_default_context(cafile=ca_bundle)


def http_factory(ca_bundle: str | None) -> HttpFactory:
    """A new short-lived aiohttp session per renewal: renewals are hours apart."""
    verify = ssl_context(ca_bundle)

    def make() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=verify))

    return make


def _valid(token: StoredToken | None, now: datetime, margin: timedelta) -> str | None:
    if token is None or token.expires_at is None:
        return None
    return token.value if token.expires_at - margin > now else None


def tokens_of(session: Session) -> Tokens:
    if session.spartan is None:
        raise AuthError(
            "no Spartan token is stored", step="spartan", hint="run `halotrack auth login`"
        )
    return Tokens(
        spartan=session.spartan.value,
        clearance=session.clearance,
        expires_at=session.spartan.expires_at,
        xuid=session.xuid,
        gamertag=session.gamertag,
    )


class SignedInTokens:
    """TokenProvider for a Microsoft sign-in: renews ahead of expiry and after a 401.

    `get` renews when the Spartan token is within `margin` of expiry (and, if renewal fails
    while the old token still works, keeps using it); `refresh` renews now. Renewal reuses
    every link of the chain still valid, refreshes through msal only when the Xbox user token
    lapsed, and persists each new link (and msal's rotated refresh token) at once.
    """

    def __init__(
        self,
        store: TokenStore,
        session: Session,
        *,
        clock: Clock = utcnow,
        margin: timedelta = DEFAULT_MARGIN,
        http: HttpFactory | None = None,
        microsoft: MicrosoftAccount | None = None,
        bounds: Bounds | None = None,
    ) -> None:
        if session.source != "msal" or not session.client_id:
            raise ValueError("SignedInTokens needs a Microsoft sign-in session")
        self._store = store
        self.session = session
        self._clock = clock
        self._margin = margin
        self._http = http or http_factory(session.ca_bundle)
        self._microsoft = microsoft
        self._bounds = bounds or Bounds()
        self._lock = asyncio.Lock()
        self._fresh_access: str | None = None
        self._persist = True

    def __repr__(self) -> str:
        return (
            f"SignedInTokens(gamertag={self.session.gamertag!r}, xuid={self.session.xuid!r}, "
            f"store={str(self._store.directory)!r})"
        )

    @property
    def microsoft(self) -> MicrosoftAccount:
        if self._microsoft is None:
            s = self.session
            config = SignInConfig(
                client_id=s.client_id or "",
                authority=s.authority or "",
                api_root=s.api_root,
                ca_bundle=s.ca_bundle,
            )
            self._microsoft = MicrosoftAccount(config, self._store)
        return self._microsoft

    # -- TokenProvider -------------------------------------------------------------------

    async def get(self) -> Tokens:
        current = self.session.spartan
        if _valid(current, self._clock(), self._margin):
            return tokens_of(self.session)
        async with self._lock:
            if _valid(self.session.spartan, self._clock(), self._margin):
                return tokens_of(self.session)  # another caller renewed while we waited
            try:
                return await self._renew(stale=None)
            except AuthError as exc:
                still = _valid(self.session.spartan, self._clock(), timedelta(0))
                if still is None:
                    raise
                log.warning(
                    "could not renew the Spartan token yet, using it until it expires: %s", exc
                )
                return tokens_of(self.session)

    async def refresh(self) -> Tokens:
        stale = self.session.spartan.value if self.session.spartan else None
        async with self._lock:
            now = self._clock()
            current = self.session.spartan
            if current and current.value != stale and _valid(current, now, self._margin):
                return tokens_of(self.session)  # renewed by another caller meanwhile
            return await self._renew(stale=stale)

    # -- renewal -----------------------------------------------------------------------------

    async def sign_in(self, access_token: str) -> Tokens:
        """Run the whole chain from a Microsoft access token just obtained by a login.

        Nothing is written: the caller saves the session once every step worked, so a failed
        login leaves the previous sign-in untouched.
        """
        async with self._lock:
            self._fresh_access, self._persist = access_token, False
            try:
                return await self._renew(stale=None, reload=False)
            finally:
                self._fresh_access, self._persist = None, True

    def _save(self) -> None:
        if self._persist:
            self._store.save_session(self.session)

    async def _renew(self, *, stale: str | None, reload: bool = True) -> Tokens:
        async with self._store.locked():
            if reload:
                disk = self._store.load_session()
                if disk is None or disk.source != "msal":
                    raise AuthError(
                        "the stored sign-in was removed or replaced (logout or paste)",
                        step="msal",
                        hint="run `halotrack auth login`",
                    )
                self.session = disk
                if self._microsoft is not None:
                    await asyncio.to_thread(self._microsoft.reload)
                current = disk.spartan
                if (
                    current
                    and current.value != stale
                    and _valid(current, self._clock(), self._margin)
                ):
                    return tokens_of(disk)  # another process renewed it
            async with self._http() as http:
                chain = XboxChain(http, api_root=self.session.api_root, bounds=self._bounds)
                await self._renew_spartan(chain)
                await self._renew_clearance(chain)
            self._save()
            return tokens_of(self.session)

    async def _renew_spartan(self, chain: XboxChain) -> None:
        now = self._clock()
        cached = _valid(self.session.xsts_halo, now, self._margin)
        xsts = cached or await self._new_xsts(chain, fresh=False)
        try:
            spartan = await chain.spartan(xsts, now=now)
        except AuthError as exc:
            if cached is None or exc.status not in (400, 401, 403):
                raise
            # The cached XSTS token was refused (revoked, or the service rolled keys).
            xsts = await self._new_xsts(chain, fresh=True)
            spartan = await chain.spartan(xsts, now=now)
        self.session.spartan = StoredToken(spartan.token, spartan.expires_at)

    async def _new_xsts(self, chain: XboxChain, *, fresh: bool) -> str:
        now = self._clock()
        s = self.session
        user = None if fresh else _valid(s.xbox_user, now, self._margin)
        if user is None:
            user_token = await self._new_user_token(chain, fresh=fresh)
            s.xbox_user = StoredToken(user_token.token, user_token.not_after)
            self._save()
            user = user_token.token
        halo = await chain.xsts(user, HALO_RELYING_PARTY)
        xbl = await chain.xsts(user, XBOX_RELYING_PARTY)
        s.xsts_halo = StoredToken(halo.token, halo.not_after)
        s.xuid = xbl.xuid or halo.xuid or s.xuid
        s.gamertag = xbl.gamertag or halo.gamertag or s.gamertag
        s.user_hash = xbl.user_hash or halo.user_hash
        self._save()
        return halo.token

    async def _new_user_token(self, chain: XboxChain, *, fresh: bool) -> XboxToken:
        if self._fresh_access is not None:
            return await chain.user_token(self._fresh_access)
        access = await self._access_token(force=fresh)
        try:
            return await chain.user_token(access)
        except AuthError as exc:
            if exc.status not in (400, 401, 403) or fresh:
                raise
            access = await self._access_token(force=True)
            return await chain.user_token(access)

    async def _access_token(self, *, force: bool) -> str:
        now = self._clock()
        s = self.session
        expires = s.microsoft_expires_at
        force = force or expires is None or expires - self._margin <= now
        result = await asyncio.to_thread(self.microsoft.refresh, s.account_id, force=force)
        try:
            lifetime = int(result.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0
        s.microsoft_expires_at = now + timedelta(seconds=max(lifetime, 0))
        return str(result["access_token"])

    async def _renew_clearance(self, chain: XboxChain) -> None:
        assert self.session.spartan is not None
        try:
            flight = await chain.clearance(self.session.spartan.value)
        except AuthError as exc:
            if not self.session.clearance:
                raise
            log.warning("keeping the cached clearance: %s", exc)
            return
        self.session.clearance = flight
        self.session.clearance_at = self._clock()


class PastedTokens:
    """A Spartan token (and clearance) pasted from a browser: used as is, never renewed."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self.session = session
        self._clock = clock

    def __repr__(self) -> str:
        return f"PastedTokens(gamertag={self.session.gamertag!r}, xuid={self.session.xuid!r})"

    async def get(self) -> Tokens:
        spartan = self.session.spartan
        if spartan and spartan.expires_at and spartan.expires_at <= self._clock():
            raise AuthError(
                "the pasted Spartan token has expired",
                step="paste",
                hint="paste a fresh one with `halotrack auth paste`, or sign in with "
                "`halotrack auth login` so tokens renew by themselves",
            )
        return tokens_of(self.session)

    async def refresh(self) -> Tokens:
        raise AuthError(
            "the pasted Spartan token was refused and cannot be renewed",
            step="paste",
            hint="paste a fresh one with `halotrack auth paste`, or sign in with "
            "`halotrack auth login` so tokens renew by themselves",
        )


def load_provider(
    settings: Settings,
    *,
    store: TokenStore | None = None,
    clock: Clock = utcnow,
    http: HttpFactory | None = None,
) -> TokenProvider | None:
    """The token provider for these settings, or None when nobody signed in.

    Order: an explicit Spartan token (flag or HALOTRACK_SPARTAN_TOKEN) > the stored sign-in.
    A stored sign-in made against another API root is not used (and says so), so a real
    token is never sent to a simulator or proxy, nor a simulator's token to the real API.
    """
    if settings.spartan_token:
        return StaticTokens(Tokens(spartan=settings.spartan_token, clearance=settings.clearance))
    store = store or TokenStore()
    session = store.load_session()
    if session is None or session.spartan is None:
        return None
    root = normalize_root(settings.api)
    if normalize_root(session.api_root) != root:
        log.warning(
            "the stored sign-in is for %s, not %s: not using it (sign in again for this API)",
            session.api_root or "the real API",
            root or "the real API",
        )
        return None
    if session.source == "paste":
        return PastedTokens(session, clock=clock)
    if session.source == "simulator":
        from halotrack.auth.simulator import SimulatorSignIn

        return SimulatorSignIn(store, session, http=http)
    return SignedInTokens(store, session, clock=clock, http=http, bounds=Bounds.of(settings))
