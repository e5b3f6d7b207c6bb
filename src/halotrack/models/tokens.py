"""What a request needs from sign-in: a Spartan token and clearance, and a way to refresh.

Why in models: the client sends these values, sign-in and the simulator produce them; the
value type and the provider protocol sit below all three so none imports another for them.
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
