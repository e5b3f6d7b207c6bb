"""The Xbox and Halo half of sign-in: Microsoft access token -> Xbox user token -> XSTS ->
Spartan token -> clearance.

Why: each hop is one small POST/GET, but each fails in its own way and the user needs to know
which hop failed and what to do about it. Every failure becomes an AuthError naming the step
and the HTTP status; no message carries a token or a response body that could hold one.
Every hop goes through `halotrack.waypoint.guard.exchange`, like data calls: tokens (in
headers or in the body) never follow a redirect off the configured hosts, answers are
capped in size and each call has a time limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from yarl import URL

from halotrack import __version__
from halotrack.errors import AuthError
from halotrack.models.hosts import (
    HALO_RELYING_PARTY,
    XBOX_RELYING_PARTY,
    XBOX_USER_RELYING_PARTY,
    service_urls,
)
from halotrack.models.summary import duration
from halotrack.waypoint import guard

log = logging.getLogger(__name__)

USER_AGENT = f"halotrack/{__version__}"
SPARTAN_HEADER = "x-343-authorization-spartan"
CLEARANCE_HEADER = "343-clearance"
CLEARANCE_PATH = "/oban/flight-configurations/titles/hi/audiences/RETAIL/active"
PROFILE_ME_PATH = "/users/me"

# XSTS refuses some accounts with a 401 and an `XErr` code; these say what to do.
XERR_HINTS: dict[int, str] = {
    2148916233: "this Microsoft account has no Xbox profile yet: create one by signing in at "
    "https://www.xbox.com/ once, then sign in here again",
    2148916238: "this is a child account: an adult must add it to a Microsoft family at "
    "https://account.microsoft.com/family and allow it to use Xbox Live",
    2148916235: "Xbox Live is not available in this account's country or region",
    2148916236: "the account needs adult verification on xbox.com before it can sign in",
    2148916237: "the account needs adult verification on xbox.com before it can sign in",
    2148916227: "this account is banned from Xbox Live",
    2148916229: "an adult must give this account permission to play online "
    "(https://account.microsoft.com/family)",
}

RETRY_LATER = (
    "the service is having trouble: retry later (cached tokens are still used while valid)"
)
NETWORK_HINT = "check the network connection and retry"


def _parse_time(value: Any) -> datetime | None:
    """Xbox timestamps carry 7 fractional digits; keep microseconds, stay UTC-aware."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, _, tail = text.partition(".")
    if tail:
        digits = ""
        rest = tail
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class XboxToken:
    """An Xbox user or XSTS token with its claims. The token never reaches a repr."""

    token: str = field(repr=False)
    not_after: datetime | None
    user_hash: str | None = field(default=None, repr=False)
    xuid: str | None = None
    gamertag: str | None = None


@dataclass(frozen=True)
class SpartanToken:
    token: str = field(repr=False)
    expires_at: datetime | None


class XboxChain:
    """The HTTP hops after Microsoft sign-in, against the real hosts or a simulator root."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_root: str | None = None,
        urls: Mapping[str, str] | None = None,
        bounds: guard.Bounds | None = None,
    ) -> None:
        self._session = session
        self._urls = dict(urls) if urls is not None else service_urls(api_root)
        self._trusted = tuple(base.rstrip("/") + "/" for base in self._urls.values())
        bounds = bounds or guard.Bounds()
        self._seconds = bounds.once  # the chain does not retry
        self._max_body = bounds.max_body

    def __repr__(self) -> str:
        return f"XboxChain(settings={self._urls['settings']!r})"

    def _unanswered(self, step: str, host: str | None, exc: Exception) -> AuthError:
        """The one-line error for a hop that got no usable answer: what happened, what to do."""
        hint = NETWORK_HINT
        if isinstance(exc, guard.BodyTooLarge):
            why = f"the answer from {host} is larger than {guard.limit_text(self._max_body)}"
            hint = guard.HINT_TOO_LARGE
        elif isinstance(exc, guard.RedirectRefused):
            why = str(exc)
        elif isinstance(exc, TimeoutError):
            why = f"no answer from {host} within {self._seconds:g} s"
            hint = guard.HINT_DEADLINE
        else:
            why = f"could not reach {host}: {type(exc).__name__}"
        return AuthError(f"{step}: {why}", step=step, hint=hint)

    async def _call(
        self,
        step: str,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        credentials: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """One request; returns (status, decoded JSON or None). Network failures raise.

        `credentials` (headers) and `body` carry tokens: the guard sends them only to the
        configured hosts, whatever redirects say.
        """
        host = URL(url).host
        try:
            answer = await guard.exchange(
                self._session,
                method,
                URL(url),
                trusted=self.trusted,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT, **headers},
                credentials=credentials or {},
                body=json.dumps(body).encode() if body is not None else None,
                max_body=self._max_body,
                seconds=self._seconds,
                leave=False,
            )
        except (
            guard.BodyTooLarge,
            guard.RedirectRefused,
            TimeoutError,
            aiohttp.ClientError,
        ) as exc:
            raise self._unanswered(step, host, exc) from None
        try:
            data = json.loads(answer.body) if answer.body.strip() else None
        except ValueError:
            data = None
        return answer.status, data

    def trusted(self, url: str) -> bool:
        """Whether tokens may go to `url`: it must sit under one of the chain's hosts."""
        return url.startswith(self._trusted)

    @staticmethod
    def _status_error(step: str, what: str, status: int, hint: str) -> AuthError:
        return AuthError(
            f"{step}: {what} failed with HTTP {status}", step=step, status=status, hint=hint
        )

    @classmethod
    def _check_status(cls, step: str, what: str, status: int, refused_hint: str) -> None:
        """A 5xx is the service's trouble (try later); any other non-200 is a refusal."""
        if status >= 500:
            raise cls._status_error(step, what, status, RETRY_LATER)
        if status != 200:
            raise cls._status_error(step, what, status, refused_hint)

    @staticmethod
    def _no_answer(step: str, what: str) -> AuthError:
        """A 200 whose body lacks what this step is for."""
        return AuthError(
            f"{step}: the answer has no {what}", step=step, status=200, hint=RETRY_LATER
        )

    async def _xbox_post(
        self, step: str, url: str, relying_party: str, properties: Mapping[str, Any]
    ) -> tuple[int, Any]:
        """The request both Xbox token steps send: a JWT for `relying_party`."""
        body = {"RelyingParty": relying_party, "TokenType": "JWT", "Properties": properties}
        return await self._call(
            step, "POST", url, headers={"x-xbl-contract-version": "1"}, body=body
        )

    async def user_token(self, access_token: str) -> XboxToken:
        """Step 2: trade the Microsoft access token for an Xbox user token."""
        status, data = await self._xbox_post(
            "xbox-user",
            f"{self._urls['xbox_user']}/user/authenticate",
            XBOX_USER_RELYING_PARTY,
            {
                "AuthMethod": "RPS",
                "SiteName": "user.auth.xboxlive.com",
                "RpsTicket": f"d={access_token}",
            },
        )
        self._check_status(
            "xbox-user",
            "Xbox user sign-in",
            status,
            "Xbox Live refused the Microsoft sign-in: run `halotrack auth login` again",
        )
        return self._xbox_token("xbox-user", data)

    async def xsts(self, user_token: str, relying_party: str) -> XboxToken:
        """Step 3: an XSTS token for one relying party (Halo, or Xbox Live for the XUID)."""
        status, data = await self._xbox_post(
            "xsts",
            f"{self._urls['xsts']}/xsts/authorize",
            relying_party,
            {"UserTokens": [user_token], "SandboxId": "RETAIL"},
        )
        if status >= 500:
            raise self._status_error("xsts", "Xbox authorization", status, RETRY_LATER)
        if status != 200:
            xerr = data.get("XErr") if isinstance(data, dict) else None
            try:
                code = int(xerr) if xerr is not None else None
            except (TypeError, ValueError):
                code = None
            hint = XERR_HINTS.get(code or 0) or (
                "Xbox Live refused this account for Halo Waypoint: run `halotrack auth login` again"
            )
            detail = f" (XErr {code})" if code else ""
            raise AuthError(
                f"xsts: Xbox authorization failed with HTTP {status}{detail}",
                step="xsts",
                status=status,
                hint=hint,
            )
        return self._xbox_token("xsts", data)

    @staticmethod
    def _xbox_token(step: str, data: Any) -> XboxToken:
        if not isinstance(data, dict) or not isinstance(data.get("Token"), str):
            raise XboxChain._no_answer(step, "token")
        claims: dict[str, Any] = {}
        xui = (data.get("DisplayClaims") or {}).get("xui")
        if isinstance(xui, list) and xui and isinstance(xui[0], dict):
            claims = xui[0]
        return XboxToken(
            token=data["Token"],
            not_after=_parse_time(data.get("NotAfter")),
            user_hash=claims.get("uhs"),
            xuid=str(claims["xid"]) if claims.get("xid") else None,
            gamertag=claims.get("gtg") or None,
        )

    async def spartan(self, halo_xsts: str, *, now: datetime) -> SpartanToken:
        """Step 4: the Spartan token Halo Waypoint wants on every call (about 4 hours)."""
        status, data = await self._call(
            "spartan",
            "POST",
            f"{self._urls['settings']}/spartan-token",
            headers={},
            body={
                "Audience": "urn:343:s3:services",
                "MinVersion": "4",
                "Proof": [{"Token": halo_xsts, "TokenType": "Xbox_XSTSv3"}],
            },
        )
        self._check_status(
            "spartan",
            "Spartan token request",
            status,
            "Halo Waypoint refused the Xbox token: run `halotrack auth login` again",
        )
        if not isinstance(data, dict) or not isinstance(data.get("SpartanToken"), str):
            raise self._no_answer("spartan", "token")
        expires = _parse_time((data.get("ExpiresUtc") or {}).get("ISO8601Date"))
        if expires is None:
            lasts = duration(data.get("TokenDuration"))
            expires = now + lasts if lasts else None
        return SpartanToken(token=data["SpartanToken"], expires_at=expires)

    async def clearance(self, spartan: str) -> str:
        """Step 5: the flight (clearance) id most hosts want beside the Spartan token."""
        status, data = await self._call(
            "clearance",
            "GET",
            f"{self._urls['settings']}{CLEARANCE_PATH}",
            headers={},
            credentials={SPARTAN_HEADER: spartan},
        )
        if status == 403:
            raise self._status_error(
                "clearance",
                "the clearance (flight) request",
                status,
                "Halo Waypoint gives clearance only to accounts that launched Halo Infinite "
                "once on the current build: start the game once, then retry",
            )
        self._check_status(
            "clearance",
            "the clearance (flight) request",
            status,
            "the Spartan token was refused: sign in again with `halotrack auth login`",
        )
        flight = data.get("FlightConfigurationId") if isinstance(data, dict) else None
        if not isinstance(flight, str) or not flight:
            raise self._no_answer("clearance", "FlightConfigurationId")
        return flight

    async def profile_me(self, spartan: str, clearance: str | None) -> tuple[int, Any]:
        """GET the signed-in player's profile: the one-call check of a pasted token."""
        headers = {SPARTAN_HEADER: spartan}
        if clearance:
            headers[CLEARANCE_HEADER] = clearance
        return await self._call(
            "paste",
            "GET",
            f"{self._urls['profile']}{PROFILE_ME_PATH}",
            headers={},
            credentials=headers,
        )


__all__ = [
    "CLEARANCE_HEADER",
    "HALO_RELYING_PARTY",
    "SPARTAN_HEADER",
    "XBOX_RELYING_PARTY",
    "SpartanToken",
    "XboxChain",
    "XboxToken",
]
