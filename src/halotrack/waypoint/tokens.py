"""What the client needs from sign-in: a Spartan token and clearance, and a way to refresh.

Why: the client must not know how tokens are obtained (msal chain, pasted from a browser,
issued by the simulator); it asks a provider before each request and once more after a 401.
The value type and the protocol live in `models.tokens`; user-given tokens are here.
"""

from __future__ import annotations

from halotrack.errors import AuthError
from halotrack.models.tokens import TokenProvider, Tokens

__all__ = ["StaticTokens", "TokenProvider", "Tokens"]


class StaticTokens:
    """Tokens handed in by the user (flags, environment, pasted): cannot refresh."""

    def __init__(self, tokens: Tokens, *, source: str | None = None) -> None:
        self._tokens = tokens
        self._source = source  # where the user put the token, to say what to renew

    def __repr__(self) -> str:
        return "StaticTokens(<redacted>)"

    async def get(self) -> Tokens:
        return self._tokens

    async def refresh(self) -> Tokens:
        if self._source is None:
            return self._tokens
        # Signing in again would not help: the refused token still comes from `source`.
        raise AuthError(
            f"the Spartan token from {self._source} was refused (401): expired or wrong",
            step="spartan",
            status=401,
            hint=f"put a fresh token and clearance in {self._source}, or remove it to use "
            "the stored sign-in (`halotrack auth login`)",
        )
