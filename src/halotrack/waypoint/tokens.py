"""What the client needs from sign-in: a Spartan token and clearance, and a way to refresh.

Why: the client must not know how tokens are obtained (msal chain, pasted from a browser,
issued by the simulator); it asks a provider before each request and once more after a 401.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Tokens:
    """A Spartan token and the clearance (FlightConfigurationId) that goes with it.

    The secrets are excluded from repr so they never reach a log or traceback by accident.
    """

    spartan: str = field(repr=False)
    clearance: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    xuid: str | None = None
    gamertag: str | None = None


@runtime_checkable
class TokenProvider(Protocol):
    """Gives valid tokens. `get` may refresh ahead of expiry; `refresh` forces a new token
    (called once after a 401, then the request is replayed)."""

    async def get(self) -> Tokens: ...

    async def refresh(self) -> Tokens: ...


class StaticTokens:
    """Tokens handed in by the user (flags, environment, pasted): cannot refresh."""

    def __init__(self, tokens: Tokens) -> None:
        self._tokens = tokens

    def __repr__(self) -> str:
        return "StaticTokens(<redacted>)"

    async def get(self) -> Tokens:
        return self._tokens

    async def refresh(self) -> Tokens:
        return self._tokens
