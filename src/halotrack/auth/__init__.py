"""Sign-in: Microsoft account (msal) -> Xbox user token -> XSTS -> Spartan token -> clearance.

Public API:

    load_provider(settings) -> TokenProvider | None   what the CLI and the client call
    SignInConfig.from_settings(settings, client_id=...) where to sign in (ConfigError if no id)
    login_device_code(config, show=...) / login_browser(config) / paste(...) / logout()
    status() -> dict                                   who, until when, where; never a token
    SignedInTokens, PastedTokens                       the providers behind load_provider
    TokenStore                                         `<data dir>/auth`, owner-only files

Settings: `client_id` (flag --client-id, HALOTRACK_CLIENT_ID, config `client_id`);
`authority` (HALOTRACK_AUTHORITY or config `authority`; default the consumers authority, or
`<api>/login.microsoftonline.com/consumers` when `api` points at a simulator); `ca_bundle`
(HALOTRACK_CA_BUNDLE or config `ca_bundle`: trust only that CA, e.g. a simulator's).

Every failure is an AuthError whose `step` is one of msal, xbox-user, xsts, spartan,
clearance, paste, and whose hint says what to do.
"""

from __future__ import annotations

from halotrack.auth.chain import XboxChain
from halotrack.auth.login import DeviceCode, login_browser, login_device_code, logout, paste
from halotrack.auth.microsoft import REGISTER_HINT, SCOPES, MicrosoftAccount, SignInConfig
from halotrack.auth.provider import PastedTokens, SignedInTokens, load_provider
from halotrack.auth.status import status
from halotrack.auth.store import Session, TokenStore

__all__ = [
    "REGISTER_HINT",
    "SCOPES",
    "DeviceCode",
    "MicrosoftAccount",
    "PastedTokens",
    "Session",
    "SignInConfig",
    "SignedInTokens",
    "TokenStore",
    "XboxChain",
    "load_provider",
    "login_browser",
    "login_device_code",
    "logout",
    "paste",
    "status",
]
