"""The Microsoft account half of sign-in, done by msal as a public client.

Why: msal owns OAuth (device code, authorization code with PKCE, refresh-token rotation); this
module only wires it to halotrack's settings, its owner-only cache file and its errors. msal is
synchronous (requests), so callers run these methods in a worker thread. msal's HTTP goes
through `GuardedHttp`: like every other credential-carrying request (waypoint/guard.py), it
follows no redirect, reads a capped answer and ends within a time limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from halotrack.auth.store import TokenStore
from halotrack.config import Settings
from halotrack.errors import AuthError, ConfigError, first_line
from halotrack.waypoint.guard import HINT_DEADLINE, HINT_TOO_LARGE, REDIRECTS, Bounds, limit_text

if TYPE_CHECKING:
    import msal


def _msal() -> Any:
    """msal, imported when an account is used: it costs ~0.3 s, and only sign-in needs it."""
    import msal
    import msal.exceptions

    return msal


log = logging.getLogger(__name__)

SCOPES = ["Xboxlive.signin", "Xboxlive.offline_access"]
DEFAULT_AUTHORITY = "https://login.microsoftonline.com/consumers"
MICROSOFT_HOSTS = frozenset(
    {"login.microsoftonline.com", "login.microsoft.com", "login.live.com", "login.windows.net"}
)

REGISTER_HINT = (
    "halotrack signs in with your own Azure app registration. Register one (free): Azure "
    "portal (https://portal.azure.com) > App registrations > New registration; "
    'Supported account types: "Personal Microsoft accounts only"; Redirect URI: platform '
    '"Public client/native (mobile & desktop)", value http://localhost. Then under '
    'Authentication set "Allow public client flows" to Yes. Copy the Application (client) '
    "ID and pass it as `halotrack auth login --client-id <id>`, or set HALOTRACK_CLIENT_ID, "
    'or put client_id = "<id>" in config.toml'
)

# Retriable answers while the user has not finished the device-code sign-in yet.
DEVICE_PENDING = frozenset({"authorization_pending", "slow_down"})

_ERROR_HINTS: dict[str, str] = {
    "invalid_grant": "the Microsoft sign-in expired or was revoked: run `halotrack auth login`",
    "interaction_required": "Microsoft wants you to sign in again: run `halotrack auth login`",
    "expired_token": "the sign-in code expired before it was used: run `halotrack auth login` "
    "again and finish within the time shown",
    "authorization_declined": "the sign-in was declined: run `halotrack auth login` again",
    "access_denied": "the sign-in was declined: run `halotrack auth login` again",
    "bad_verification_code": "the sign-in code was not accepted: run `halotrack auth login`",
    "invalid_client": "the client id was refused: check your app registration ("
    + REGISTER_HINT
    + ")",
    "unauthorized_client": "your app registration must allow personal Microsoft accounts and "
    'public client flows ("Allow public client flows" = Yes under Authentication)',
    "invalid_scope": "your app registration must allow personal Microsoft accounts",
}


def _quiet_msal_logging() -> None:
    """msal's debug logs can echo request details; keep them at WARNING unless set."""
    for name in ("msal", "msal.oauth2cli", "msal.token_cache", "msal.application"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


_quiet_msal_logging()


@dataclass(frozen=True)
class SignInConfig:
    """Where and as what to sign in: the user's app registration and the endpoints."""

    client_id: str
    authority: str = DEFAULT_AUTHORITY
    api_root: str | None = None
    ca_bundle: str | None = None
    bounds: Bounds = field(default_factory=Bounds)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        client_id: str | None = None,
        authority: str | None = None,
        ca_bundle: str | None = None,
    ) -> SignInConfig:
        """Resolve flags > environment > config file; a missing client id says how to get one."""
        cid = client_id or settings.client_id
        if not cid:
            raise ConfigError("no client id for Microsoft sign-in", hint=REGISTER_HINT)
        root = normalize_root(settings.api)
        return cls(
            client_id=cid.strip(),
            authority=authority or authority_setting(settings) or default_authority(root),
            api_root=root,
            ca_bundle=ca_bundle or ca_bundle_setting(settings),
            bounds=Bounds.of(settings),
        )


def normalize_root(api: str | None) -> str | None:
    return api.rstrip("/") if api else None


def default_authority(api_root: str | None) -> str:
    """The real Microsoft authority, or the same path under a simulator/proxy root."""
    if api_root is None:
        return DEFAULT_AUTHORITY
    return f"{api_root}/login.microsoftonline.com/consumers"


def authority_setting(settings: Settings) -> str | None:
    import os

    value = os.environ.get("HALOTRACK_AUTHORITY") or settings.extra.get("authority")
    return str(value) if value else None


def ca_bundle_setting(settings: Settings) -> str | None:
    """A CA file to trust instead of the system's (a simulator's test CA, a corporate proxy)."""
    import os

    value = os.environ.get("HALOTRACK_CA_BUNDLE") or settings.extra.get("ca_bundle")
    return str(value) if value else None


def msal_error(result: Mapping[str, Any], *, doing: str) -> AuthError:
    """Turn an msal error answer into an AuthError; the description carries no secrets."""
    code = str(result.get("error") or "unknown_error")
    first = first_line(str(result.get("error_description") or ""))
    hint = _ERROR_HINTS.get(code, "retry; if it keeps failing, run `halotrack auth login`")
    message = f"msal: {doing} failed: {code}" + (f" ({first})" if first else "")
    return AuthError(message, step="msal", hint=hint)


def _requests_session(ca_bundle: str | None, timeout: float) -> Any:
    """A requests session for msal; with `ca_bundle`, verifying TLS against that file only.

    msal's own `verify=` sits on the session, where requests lets REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE override it; passing `verify` with every request cannot be overridden.
    """
    import functools

    import requests

    session = requests.Session()
    if ca_bundle:
        session.request = functools.partial(  # type: ignore[method-assign]
            session.request, timeout=timeout, verify=ca_bundle
        )
    adapter = requests.adapters.HTTPAdapter(max_retries=1)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class GuardedHttp:
    """msal's HTTP client. msal posts refresh tokens, device codes and authorization codes;
    plain requests would re-send such a body on a 307 to any host, read any answer whole
    and let a trickling server run on. Here a redirect is an error, an answer stops at
    `bounds.max_body` and each call ends within `bounds.once` seconds."""

    _CHUNK = 64 * 1024

    def __init__(self, session: Any, bounds: Bounds) -> None:
        self._session = session
        self._bounds = bounds

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._send("POST", url, **kwargs)

    def close(self) -> None:
        self._session.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        seconds = self._bounds.once
        ends_at = time.monotonic() + seconds
        kwargs.update(allow_redirects=False, stream=True, timeout=seconds)
        host = urlsplit(url).hostname
        resp = self._session.request(method, url, **kwargs)
        try:
            if resp.status_code in REDIRECTS:
                raise AuthError(
                    f"msal: the sign-in service at {host} answered a redirect "
                    f"(HTTP {resp.status_code}): refused",
                    step="msal",
                    hint="check the authority setting, the proxy and the network",
                )
            parts: list[bytes] = []
            size = 0
            while chunk := resp.raw.read1(self._CHUNK, decode_content=True):
                size += len(chunk)
                if size > self._bounds.max_body:
                    raise AuthError(
                        f"msal: the answer from {host} is larger than "
                        f"{limit_text(self._bounds.max_body)}",
                        step="msal",
                        hint=HINT_TOO_LARGE,
                    )
                if time.monotonic() > ends_at:
                    raise AuthError(
                        f"msal: no answer from {host} within {seconds:g} s",
                        step="msal",
                        hint=HINT_DEADLINE,
                    )
                parts.append(chunk)
            resp._content = b"".join(parts)
            resp._content_consumed = True
            return resp
        finally:
            resp.close()


class MicrosoftAccount:
    """msal's PublicClientApplication with its token cache persisted in the token store.

    Blocking: call every method from a worker thread (asyncio.to_thread).
    """

    def __init__(
        self,
        config: SignInConfig,
        store: TokenStore,
        *,
        http_client: Any | None = None,
        timeout: float = 30.0,
        fresh: bool = False,
        autosave: bool = True,
    ) -> None:
        """`fresh` starts from an empty cache (a new sign-in replaces the old one);
        `autosave` writes the cache after every change (refreshes: the rotated refresh token
        must survive even if a later step fails). A login saves only once it fully worked."""
        self.config = config
        self._store = store
        self._http_client = http_client
        self._timeout = timeout
        self._autosave = autosave
        self.cache = _msal().SerializableTokenCache()
        self._app: msal.PublicClientApplication | None = None
        if not fresh:
            self.reload()

    def __repr__(self) -> str:
        return f"MicrosoftAccount(client_id={self.config.client_id!r})"

    def reload(self) -> None:
        """Re-read the cache from disk (another process may have rotated the refresh token)."""
        text = self._store.load_msal_cache()
        cache = _msal().SerializableTokenCache()
        if text:
            try:
                cache.deserialize(text)
            except ValueError:
                log.warning("ignoring an unreadable msal cache; sign in again")
        self.cache = cache
        if self._app is not None:
            self._app.token_cache = cache

    def _autopersist(self) -> None:
        if self._autosave:
            self.persist()

    def persist(self) -> None:
        """Write the cache (atomically, 0600) whenever msal changed it: the RT rotates."""
        if self.cache.has_state_changed:
            self._store.save_msal_cache(self.cache.serialize())
            self.cache.has_state_changed = False

    def app(self) -> msal.PublicClientApplication:
        """Build the msal app on first use; that performs the authority's OpenID discovery."""
        if self._app is not None:
            return self._app
        host = (urlsplit(self.config.authority).hostname or "").lower()
        kwargs: dict[str, Any] = {
            "authority": self.config.authority,
            "token_cache": self.cache,
            "timeout": self._timeout,
            "enable_pii_log": False,
        }
        if host not in MICROSOFT_HOSTS:
            # A simulator or proxy authority: msal cannot ask Microsoft whether it knows
            # this host, so skip that lookup only. TLS is verified against the CA bundle.
            kwargs["instance_discovery"] = False
        kwargs["http_client"] = self._http_client or GuardedHttp(
            _requests_session(self.config.ca_bundle, self._timeout), self.config.bounds
        )
        try:
            self._app = _msal().PublicClientApplication(self.config.client_id, **kwargs)
        except AuthError:
            raise
        except ValueError as exc:
            raise AuthError(
                f"msal: the sign-in authority {self.config.authority} is not usable: "
                f"{first_line(str(exc))}",
                step="msal",
                hint="check the authority setting, or the network",
            ) from None
        except Exception as exc:  # requests' connection and TLS errors
            raise AuthError(
                f"msal: cannot reach {host or self.config.authority}: {type(exc).__name__}",
                step="msal",
                hint="check the network connection and retry",
            ) from None
        return self._app

    def _guard(self, doing: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one msal call; network exceptions become AuthError(step="msal")."""
        try:
            return call(*args, **kwargs)
        except AuthError:
            raise
        except _msal().exceptions.MsalServiceError as exc:
            raise AuthError(
                f"msal: {doing} failed: the Microsoft sign-in service answered "
                f"{first_line(str(exc), 120)}",
                step="msal",
                hint="the service is having trouble: retry later",
            ) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("requests", "urllib3", "ssl", "socket")) or (
                isinstance(exc, OSError)
            ):
                raise AuthError(
                    f"msal: {doing} failed: cannot reach the Microsoft sign-in service "
                    f"({type(exc).__name__})",
                    step="msal",
                    hint="check the network connection and retry",
                ) from None
            raise

    # -- device code ---------------------------------------------------------------------

    def start_device_flow(self) -> dict[str, Any]:
        flow: dict[str, Any] = self._guard(
            "starting device sign-in", self.app().initiate_device_flow, scopes=SCOPES
        )
        if "user_code" not in flow:
            raise msal_error(flow, doing="starting device sign-in")
        flow["interval"] = max(1, int(flow.get("interval") or 5))
        return flow

    def poll_device_flow(self, flow: dict[str, Any]) -> dict[str, Any] | None:
        """Poll once: the token answer, or None while the user has not finished."""
        result: dict[str, Any] = self._guard(
            "device sign-in",
            self.app().acquire_token_by_device_flow,
            flow,
            exit_condition=lambda _flow: True,
        )
        error = result.get("error")
        if error in DEVICE_PENDING:
            if error == "slow_down":
                flow["interval"] = int(flow.get("interval", 5)) + 5
            return None
        if "access_token" not in result:
            raise msal_error(result, doing="device sign-in")
        self._autopersist()
        return result

    # -- authorization code with PKCE ----------------------------------------------------

    def start_auth_code_flow(self, redirect_uri: str) -> dict[str, Any]:
        flow: dict[str, Any] = self._guard(
            "starting browser sign-in",
            self.app().initiate_auth_code_flow,
            SCOPES,
            redirect_uri=redirect_uri,
            response_mode="form_post",
        )
        if "auth_uri" not in flow:
            raise msal_error(flow, doing="starting browser sign-in")
        return flow

    def finish_auth_code_flow(
        self, flow: dict[str, Any], response: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._guard(
                "browser sign-in",
                self.app().acquire_token_by_auth_code_flow,
                flow,
                dict(response),
                scopes=SCOPES,
            )
        except ValueError:
            # msal raises this when the state does not match: a stale or forged redirect.
            raise AuthError(
                "msal: the browser answer does not belong to this sign-in (state mismatch)",
                step="msal",
                hint="run `halotrack auth login --browser` again",
            ) from None
        if "access_token" not in result:
            raise msal_error(result, doing="browser sign-in")
        self._autopersist()
        return result

    # -- silent refresh ----------------------------------------------------------------------

    def account_id_for(self, result: Mapping[str, Any]) -> str | None:
        """The msal account (home_account_id) the token answer belongs to."""
        claims = result.get("id_token_claims") or {}
        accounts = self.app().get_accounts()
        for account in accounts:
            if claims.get("oid") and account.get("local_account_id") == claims.get("oid"):
                return str(account["home_account_id"])
        return str(accounts[0]["home_account_id"]) if accounts else None

    def refresh(self, account_id: str | None, *, force: bool) -> dict[str, Any]:
        """A Microsoft access token for the signed-in account, via the refresh token.

        `force` skips msal's cached access token: halotrack only needs one when the Xbox user
        token lapsed, and then a cached access token is usually stale too.
        """
        app = self.app()
        account = None
        for candidate in app.get_accounts():
            if account_id is None or candidate.get("home_account_id") == account_id:
                account = candidate
                break
        if account is None:
            raise AuthError(
                "msal: no signed-in Microsoft account in the token cache",
                step="msal",
                hint="run `halotrack auth login`",
            )
        result = self._guard(
            "refreshing the Microsoft sign-in",
            app.acquire_token_silent_with_error,
            SCOPES,
            account,
            force_refresh=force,
        )
        self._autopersist()
        if not result:
            raise AuthError(
                "msal: the cached Microsoft sign-in cannot be refreshed",
                step="msal",
                hint="run `halotrack auth login`",
            )
        if "access_token" not in result:
            raise msal_error(result, doing="refreshing the Microsoft sign-in")
        return dict(result)
