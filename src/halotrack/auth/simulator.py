"""`halotrack auth sim`: a stored sign-in as one player of a running simulator.

Why: the simulator's data endpoints want a Spartan token and a clearance like the real API.
Asking `/_sim/token` by hand (curl, jq, copying two values) is a dead end for a new user, and
a pasted token dies after four simulated hours. This sign-in stores both and renews them from
the simulator whenever it refuses the token, so every read command keeps working while
simulated time passes. It is bound to the simulator's root like any sign-in, so its token is
never sent anywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from halotrack.auth.microsoft import normalize_root
from halotrack.auth.provider import Clock, HttpFactory, http_factory, tokens_of
from halotrack.auth.store import Session, StoredToken, TokenStore
from halotrack.errors import AuthError, ConfigError
from halotrack.models import utcnow
from halotrack.waypoint.tokens import Tokens

SOURCE = "simulator"


def _hint(root: str) -> str:
    return f"start one with `halotrack simulator`, then `halotrack --api {root} auth sim`"


async def _ask(http: aiohttp.ClientSession, root: str, player: str | None) -> dict[str, Any]:
    """The simulator's token answer for `player` (an XUID or a gamertag; None: the first)."""
    try:
        if player is None:
            async with http.get(f"{root}/_sim/players") as resp:
                listed = await resp.json(content_type=None) if resp.status == 200 else None
            if not isinstance(listed, list) or not listed:
                raise ConfigError(f"{root} does not list simulated players", hint=_hint(root))
            player = str(listed[0]["xuid"])
        key = "xuid" if player.isdigit() else "gamertag"
        async with http.post(f"{root}/_sim/token", json={key: player}) as resp:
            status = resp.status
            data = await resp.json(content_type=None) if status in (200, 404) else None
    except (aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"no simulator answers at {root} ({type(exc).__name__})", hint=_hint(root)
        ) from exc
    if status == 404 and isinstance(data, dict) and data.get("error") == "unknown player":
        raise ConfigError(
            f"the simulator has no player {player!r}",
            hint=f"see the players at {root}/_sim/players",
        )
    if status != 200 or not isinstance(data, dict) or not data.get("SpartanToken"):
        raise ConfigError(f"{root} gave no simulator token (HTTP {status})", hint=_hint(root))
    return data


def _session(root: str, ca_bundle: str | None, data: dict[str, Any], now: datetime) -> Session:
    return Session(
        source=SOURCE,
        api_root=root,
        ca_bundle=ca_bundle,
        xuid=str(data.get("Xuid") or "") or None,
        gamertag=str(data.get("Gamertag") or "") or None,
        # The expiry is on the simulator's clock, not ours: renewal waits for a refusal.
        spartan=StoredToken(str(data["SpartanToken"]), None),
        clearance=str(data.get("Clearance") or "") or None,
        clearance_at=now,
        signed_in_at=now,
    )


async def sim_sign_in(
    api_root: str | None,
    player: str | None = None,
    *,
    ca_bundle: str | None = None,
    store: TokenStore | None = None,
    clock: Clock = utcnow,
    http: HttpFactory | None = None,
) -> Session:
    """Sign in to the simulator at `api_root` as `player` and store it (replacing any
    previous sign-in, as `auth login` and `auth paste` do)."""
    root = normalize_root(api_root)
    if root is None:
        raise ConfigError(
            "auth sim needs the simulator's address",
            hint="halotrack --api http://127.0.0.1:8765 auth sim",
        )
    make = http or http_factory(ca_bundle)
    async with make() as session:
        data = await _ask(session, root, player)
    record = _session(root, ca_bundle, data, clock())
    store = store or TokenStore()
    async with store.locked():
        store.remove_msal_cache()
        store.save_session(record)
    return record


class SimulatorSignIn:
    """TokenProvider for an `auth sim` sign-in: the stored token until the simulator refuses
    it, then a new one for the same player, saved for the next command."""

    def __init__(
        self, store: TokenStore, session: Session, *, http: HttpFactory | None = None
    ) -> None:
        self._store = store
        self.session = session
        self._http = http or http_factory(session.ca_bundle)

    def __repr__(self) -> str:
        return f"SimulatorSignIn(gamertag={self.session.gamertag!r}, xuid={self.session.xuid!r})"

    async def get(self) -> Tokens:
        return tokens_of(self.session)

    async def refresh(self) -> Tokens:
        root = self.session.api_root or ""
        try:
            async with self._http() as http:
                data = await _ask(http, root, self.session.xuid)
        except ConfigError as exc:
            raise AuthError(
                f"could not renew the simulator sign-in: {exc.message}",
                step="spartan",
                hint=_hint(root),
            ) from exc
        fresh = _session(root, self.session.ca_bundle, data, utcnow())
        self.session.spartan, self.session.clearance = fresh.spartan, fresh.clearance
        async with self._store.locked():
            self._store.save_session(self.session)
        return tokens_of(self.session)
