"""What `halotrack auth status` reports: who is signed in, until when, and where it is kept.

Why: a user debugging sign-in needs every expiry and the file locations, never a token.
"""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from typing import Any

from halotrack.auth.store import Session, StoredToken, TokenStore


def _expiry(token: StoredToken | None) -> str | None:
    if token is None:
        return None
    return token.expires_at.isoformat() if token.expires_at else "unknown"


def _msal_summary(store: TokenStore) -> dict[str, Any]:
    """Expiry of msal's access token and whether a refresh token exists (values omitted)."""
    import msal  # only now: `auth status` is the one reader of the msal cache here

    text = store.load_msal_cache()
    cache = msal.SerializableTokenCache()
    if text:
        try:
            cache.deserialize(text)
        except ValueError:
            return {"readable": False}
    expiries = []
    for entry in cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN):
        try:
            expiries.append(float(entry.get("expires_on", 0)))
        except (TypeError, ValueError):
            continue
    has_refresh = any(True for _ in cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN))
    return {
        "access_token_expires": (
            datetime.fromtimestamp(max(expiries), UTC).isoformat() if expiries else None
        ),
        "refresh_token": has_refresh,
    }


TOKEN_OVERRIDE = (
    "a Spartan token from --spartan-token, HALOTRACK_SPARTAN_TOKEN or config.toml: "
    "commands use it instead of any stored sign-in, and it cannot renew itself"
)


def status(store: TokenStore | None = None, *, token_override: bool = False) -> dict[str, Any]:
    """A JSON-able summary of the stored sign-in. Contains no token or clearance value.

    `token_override`: Settings carry a Spartan token, which every command prefers to the
    stored sign-in; without saying so, status reads "not signed in" while commands work."""
    store = store or TokenStore()
    session: Session | None = store.load_session()
    files = {}
    for path in store.files():
        files[path.name] = {
            "path": str(path),
            "mode": f"{stat.S_IMODE(path.stat().st_mode):o}",
        }
    out: dict[str, Any] = {
        "signed_in": session is not None and session.spartan is not None,
        "directory": str(store.directory),
        "files": files,
    }
    if token_override:
        out["token_override"] = TOKEN_OVERRIDE
    if session is None:
        return out
    out.update(
        {
            "source": session.source,
            "gamertag": session.gamertag,
            "xuid": session.xuid,
            "microsoft_account": session.username,
            "api_root": session.api_root or "https://*.svc.halowaypoint.com (real API)",
            "signed_in_at": session.signed_in_at.isoformat() if session.signed_in_at else None,
            "tokens": {
                "spartan_expires": _expiry(session.spartan),
                "clearance": "present" if session.clearance else None,
                "clearance_fetched": (
                    session.clearance_at.isoformat() if session.clearance_at else None
                ),
            },
        }
    )
    if session.source == "msal":
        out["client_id"] = session.client_id
        out["authority"] = session.authority
        out["tokens"].update(
            {
                "xsts_expires": _expiry(session.xsts_halo),
                "xbox_user_expires": _expiry(session.xbox_user),
                "microsoft_access_expires": (
                    session.microsoft_expires_at.isoformat()
                    if session.microsoft_expires_at
                    else None
                ),
                "microsoft_refresh_token": _msal_summary(store).get("refresh_token", False),
            }
        )
    return out
