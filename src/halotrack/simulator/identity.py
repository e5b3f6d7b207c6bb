"""The simulator's identity side: a Microsoft-style authority, Xbox user/XSTS and Spartan tokens.

Why: sign-in is the part of halotrack most likely to break and the hardest to test against
the real services. This plugin lets real msal code run the whole chain offline:

- an OpenID authority under `/login.microsoftonline.com/consumers` (discovery document,
  device code, authorization with PKCE S256, token endpoint with device_code,
  authorization_code and refresh_token grants; refresh tokens ROTATE: each use returns a new
  one and the old one stops working), id_tokens msal can read, client_info;
- `POST /user.auth.xboxlive.com/user/authenticate` and `POST /xsts.auth.xboxlive.com/xsts/authorize`
  with the real services' body checks and answer shapes (401 + XErr for configured accounts);
- `POST /settings.svc.halowaypoint.com/spartan-token`, issuing tokens through
  `state.issue_spartan_token(xuid)` so the data endpoints accept them;
- a test hook `POST /_sim/identity/approve {"user_code", "xuid"}` that approves a pending
  device code as a user would (`"deny": true` declines it).

msal wants an https authority: run the simulator with an ssl_context (tests use trustme) and
hand msal the CA file. Every lifetime runs on the simulator's clock.

    plugin = IdentityPlugin()
    async with start_simulator(ssl_context=ctx, plugins=(plugin,)) as sim: ...
    plugin.hits["token"], plugin.faults["xsts"] = 503, plugin.bad_accounts[xuid] = 2148916233
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from aiohttp import web

from halotrack.models.hosts import (
    HALO_RELYING_PARTY,
    IDENTITY_HOSTS,
    WAYPOINT_HOSTS,
    XBOX_RELYING_PARTY,
    XBOX_USER_RELYING_PARTY,
)
from halotrack.simulator.app import ENDPOINT

AUTHORITY_HOST = "login.microsoftonline.com"
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REQUIRED_SCOPE = "xboxlive.signin"

XERR_NO_PROFILE = 2148916233
XERR_CHILD = 2148916238
_XERR_REDIRECT = {
    XERR_NO_PROFILE: "https://start.ui.xboxlive.com/CreateAccount",
    XERR_CHILD: "https://start.ui.xboxlive.com/AddChildToFamily",
}


CLEARANCE_ROUTE = (
    f"/{WAYPOINT_HOSTS['settings']}/oban/flight-configurations/titles/hi/audiences/RETAIL/active"
)


def xbox_time(value: datetime) -> str:
    """The Xbox services' timestamp style: seven fractional digits and a Z."""
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0Z"


def net_duration(delta: timedelta) -> str:
    """.NET-style ISO duration, `PT3H59M49.4904271S`."""
    total = delta.total_seconds()
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if seconds or out == "PT":
        text = f"{seconds:.7f}".rstrip("0").rstrip(".")
        out += f"{text}S"
    return out


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _s256(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass
class _Grant:
    """What a token stands for: whose it is and until when (on the simulated clock)."""

    xuid: str
    expires_at: datetime
    client_id: str = ""
    kind: str = ""
    scope: str = ""
    relying_party: str = ""


@dataclass
class _DeviceCode:
    client_id: str
    scope: str
    user_code: str
    expires_at: datetime
    xuid: str | None = None
    denied: bool = False


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    nonce: str | None
    xuid: str
    expires_at: datetime


@dataclass
class IdentityPlugin:
    """A simulator plugin (`plugin(app, state)`) serving every sign-in endpoint.

    `default_xuid` is who the browser (PKCE) flow auto-approves as; None means the world's
    first player. `bad_accounts` maps an XUID to the XErr XSTS answers it with.
    `faults` maps an endpoint name (token, devicecode, xbox_user, xsts, spartan) to an HTTP
    status it answers with until removed. `hits` counts requests per endpoint name.
    `auto_approve` approves each device code at once as `default_xuid`: the standalone
    simulator has no page to type the code into.
    `token_marker` goes into every token issued here, so a test can look for leaks.
    """

    default_xuid: str | None = None
    auto_approve: bool = False
    bad_accounts: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    device_interval: int = 1
    device_ttl: timedelta = timedelta(minutes=15)
    access_ttl: timedelta = timedelta(hours=1)
    refresh_ttl: timedelta = timedelta(days=90)
    user_token_ttl: timedelta = timedelta(days=14)
    xsts_ttl: timedelta = timedelta(hours=16)
    clock: Callable[[], datetime] | None = None
    token_marker: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    state: Any = field(default=None, repr=False)
    _signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _devices: dict[str, _DeviceCode] = field(default_factory=dict, repr=False)
    _codes: dict[str, _AuthCode] = field(default_factory=dict, repr=False)
    _tokens: dict[str, _Grant] = field(default_factory=dict, repr=False)
    _user_codes: dict[str, str] = field(default_factory=dict, repr=False)

    def __call__(self, app: web.Application, state: Any) -> None:
        self.state = state
        base = f"/{AUTHORITY_HOST}/{{tenant}}"
        app.router.add_get(f"{base}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_get(f"{base}/discovery/v2.0/keys", self._keys)
        app.router.add_post(f"{base}/oauth2/v2.0/devicecode", self._devicecode)
        app.router.add_post(f"{base}/oauth2/v2.0/token", self._token)
        app.router.add_get(f"{base}/oauth2/v2.0/authorize", self._authorize)
        app.router.add_post(f"/{IDENTITY_HOSTS['xbox_user']}/user/authenticate", self._xbox_user)
        app.router.add_post(f"/{IDENTITY_HOSTS['xsts']}/xsts/authorize", self._xsts)
        app.router.add_post(f"/{WAYPOINT_HOSTS['settings']}/spartan-token", self._spartan)
        app.router.add_post("/_sim/identity/approve", self._approve)
        # Clearance is served by the simulator core; this middleware only lets tests make it
        # fail (403 before the game was launched, 5xx outages) and counts it.
        app.middlewares.append(self._clearance_faults)

    @web.middleware
    async def _clearance_faults(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path == CLEARANCE_ROUTE and (
            (fault := self._fault("clearance", request)) is not None
        ):
            return fault
        return await handler(request)

    def revoke_all(self) -> None:
        """Forget every Microsoft access and refresh token (the user revoked the app)."""
        for token in [t for t, g in self._tokens.items() if g.kind in ("access", "refresh")]:
            del self._tokens[token]

    # -- the world ---------------------------------------------------------------------

    def now(self) -> datetime:
        if self.clock is not None:
            return self.clock()
        for owner in (self.state, getattr(self.state, "world", None)):
            clock = getattr(owner, "clock", None)
            if clock is not None and hasattr(clock, "now"):
                value = clock.now()
                if isinstance(value, datetime):
                    return value
        return datetime.now(UTC)

    def _world(self) -> Any:
        return getattr(self.state, "world", None) or self.state

    def gamertag(self, xuid: str) -> str:
        world = self._world()
        finder = getattr(world, "player", None)
        player = finder(f"xuid({xuid})") if callable(finder) else None
        return str(getattr(player, "gamertag", None) or f"Spartan{xuid[-4:]}")

    def known(self, xuid: str) -> bool:
        world = self._world()
        finder = getattr(world, "player", None)
        if not callable(finder):
            return True
        return finder(f"xuid({xuid})") is not None

    def first_xuid(self) -> str:
        if self.default_xuid:
            return self.default_xuid
        players = getattr(self._world(), "players", None) or []
        if players:
            return str(players[0].xuid)
        return "2533274800000001"

    def _issue(self, kind: str, grant: _Grant, prefix: str) -> str:
        token = f"{prefix}{self.token_marker}{secrets.token_urlsafe(32)}"
        grant.kind = kind
        self._tokens[token] = grant
        return token

    def _lookup(self, token: str | None, kind: str) -> _Grant | None:
        grant = self._tokens.get(token or "")
        if grant is None or grant.kind != kind or grant.expires_at <= self.now():
            return None
        return grant

    def _fault(self, name: str, request: web.Request) -> web.Response | None:
        """Count a hit, name the endpoint for the simulator's stats, apply a set fault."""
        self.hits[name] += 1
        request[ENDPOINT] = name if name == "clearance" else f"identity.{name}"
        status = self.faults.get(name)
        if status is None:
            return None
        return web.json_response({"error": "simulated_fault"}, status=status)

    # -- the Microsoft authority ---------------------------------------------------------

    @staticmethod
    def _authority(request: web.Request) -> str:
        tenant = request.match_info["tenant"]
        return f"{request.scheme}://{request.host}/{AUTHORITY_HOST}/{tenant}"

    def _issuer(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}/{AUTHORITY_HOST}/{CONSUMERS_TENANT_ID}/v2.0"

    async def _openid(self, request: web.Request) -> web.Response:
        self.hits["openid"] += 1
        authority = self._authority(request)
        return web.json_response(
            {
                "token_endpoint": f"{authority}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
                "jwks_uri": f"{authority}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "response_types_supported": ["code", "id_token", "code id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": self._issuer(request),
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{authority}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{authority}/oauth2/v2.0/logout",
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "nonce",
                    "preferred_username",
                    "name",
                    "tid",
                    "ver",
                    "oid",
                ],
                "code_challenge_methods_supported": ["S256"],
                "tenant_region_scope": None,
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": []})

    @staticmethod
    def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
        return web.json_response(
            {
                "error": error,
                "error_description": description,
                "error_codes": [70000],
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
                "trace_id": str(uuid.uuid4()),
                "correlation_id": str(uuid.uuid4()),
            },
            status=status,
        )

    @staticmethod
    def _scope_ok(scope: str) -> bool:
        return REQUIRED_SCOPE in {s.lower() for s in scope.split()}

    async def _devicecode(self, request: web.Request) -> web.Response:
        if (fault := self._fault("devicecode", request)) is not None:
            return fault
        form = await request.post()
        client_id = str(form.get("client_id") or "")
        scope = str(form.get("scope") or "")
        if not client_id:
            return self._oauth_error("invalid_request", "AADSTS900144: client_id is missing.")
        if not self._scope_ok(scope):
            return self._oauth_error("invalid_scope", "AADSTS70011: the scope is not valid.")
        device_code = self.token_marker + secrets.token_urlsafe(48)
        alphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"
        user_code = "".join(secrets.choice(alphabet) for _ in range(9))
        self._devices[device_code] = _DeviceCode(
            client_id=client_id,
            scope=scope,
            user_code=user_code,
            expires_at=self.now() + self.device_ttl,
        )
        self._user_codes[user_code] = device_code
        link = f"{request.scheme}://{request.host}/{AUTHORITY_HOST}/link"
        message = (
            f"To sign in, use a web browser to open the page {link} and "
            f"enter the code {user_code} to authenticate."
        )
        if self.auto_approve:
            xuid = self.first_xuid()
            self._devices[device_code].xuid = xuid
            message = f"The simulator signs you in as {self.gamertag(xuid)} (code {user_code})."
        return web.json_response(
            {
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": link,
                "expires_in": int(self.device_ttl.total_seconds()),
                "interval": self.device_interval,
                "message": message,
            }
        )

    async def _approve(self, request: web.Request) -> web.Response:
        """Test hook: the user typed the code and signed in (or declined)."""
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "bad json"}, status=400)
        device_code = self._user_codes.get(str(body.get("user_code") or ""))
        pending = self._devices.get(device_code or "")
        if pending is None:
            return web.json_response({"error": "unknown user_code"}, status=404)
        if body.get("deny"):
            pending.denied = True
            return web.json_response({"ok": True, "denied": True})
        xuid = str(body.get("xuid") or self.first_xuid())
        if not self.known(xuid):
            return web.json_response({"error": "unknown xuid"}, status=404)
        pending.xuid = xuid
        return web.json_response({"ok": True, "xuid": xuid})

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        """Authorization endpoint: auto-approves as `default_xuid` and answers the redirect
        URI with code and state (form_post page, or a 302 for query mode)."""
        self.hits["authorize"] += 1
        q = request.query
        redirect_uri = q.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if target.scheme != "http" or target.hostname not in ("localhost", "127.0.0.1"):
            return web.Response(status=400, text="AADSTS50011: redirect URI not registered")
        if not q.get("client_id"):
            return web.Response(status=400, text="AADSTS900144: client_id is missing")
        state = q.get("state", "")
        params: dict[str, str]
        if q.get("response_type") != "code":
            params = {"error": "unsupported_response_type", "state": state}
        elif q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            params = {
                "error": "invalid_request",
                "error_description": "AADSTS9002325: PKCE with S256 is required.",
                "state": state,
            }
        elif not self._scope_ok(q.get("scope", "")):
            params = {"error": "invalid_scope", "state": state}
        else:
            xuid = self.first_xuid()
            code = self.token_marker + secrets.token_urlsafe(32)
            self._codes[code] = _AuthCode(
                client_id=q["client_id"],
                redirect_uri=redirect_uri,
                challenge=q["code_challenge"],
                scope=q.get("scope", ""),
                nonce=q.get("nonce"),
                xuid=xuid,
                expires_at=self.now() + timedelta(minutes=10),
            )
            params = {"code": code, "state": state, "client_info": self._client_info(xuid)}
        if q.get("response_mode") == "form_post":
            inputs = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
                for k, v in params.items()
            )
            page = (
                "<html><head><title>Working...</title></head><body>"
                f'<form method="POST" name="hiddenform" action="{html.escape(redirect_uri)}">'
                f'{inputs}<noscript><input type="submit" value="Continue"/></noscript>'
                "</form><script>document.forms[0].submit()</script></body></html>"
            )
            return web.Response(text=page, content_type="text/html")
        sep = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{sep}{urlencode(params)}")

    @staticmethod
    def _oid(xuid: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"halotrack-sim:{xuid}"))

    def _client_info(self, xuid: str) -> str:
        info = {"uid": self._oid(xuid), "utid": CONSUMERS_TENANT_ID}
        return _b64url(json.dumps(info).encode())

    def _token_answer(
        self,
        request: web.Request,
        *,
        xuid: str,
        client_id: str,
        scope: str,
        nonce: str | None = None,
    ) -> web.Response:
        now = self.now()
        access = self._issue(
            "access",
            _Grant(xuid=xuid, expires_at=now + self.access_ttl, client_id=client_id),
            "EwA",
        )
        refresh = self._issue(
            "refresh",
            _Grant(xuid=xuid, expires_at=now + self.refresh_ttl, client_id=client_id, scope=scope),
            "M.C5",
        )
        tag = self.gamertag(xuid)
        claims: dict[str, Any] = {
            "ver": "2.0",
            "iss": self._issuer(request),
            "sub": _b64url(hashlib.sha256(f"{xuid}:{client_id}".encode()).digest()[:24]),
            "aud": client_id,
            "exp": int((now + self.access_ttl).timestamp()),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "name": tag,
            "preferred_username": f"{tag.replace(' ', '.').lower()}@outlook.com",
            "oid": self._oid(xuid),
            "tid": CONSUMERS_TENANT_ID,
        }
        if nonce:
            claims["nonce"] = nonce
        id_token = jwt.encode(claims, self._signing_key, algorithm="HS256")
        granted = " ".join(s for s in scope.split() if s.lower() not in ("openid", "profile"))
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": granted,
                "expires_in": int(self.access_ttl.total_seconds()),
                "ext_expires_in": int(self.access_ttl.total_seconds()),
                "access_token": access,
                "refresh_token": refresh,
                "user_id": self._oid(xuid).replace("-", "")[-16:],
                "id_token": id_token,
                "client_info": self._client_info(xuid),
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        if (fault := self._fault("token", request)) is not None:
            return fault
        form = {k: str(v) for k, v in (await request.post()).items()}
        grant = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        if not client_id:
            return self._oauth_error("invalid_request", "AADSTS900144: client_id is missing.")
        now = self.now()
        if grant == DEVICE_GRANT:
            self.hits["token:device_code"] += 1
            device_code = form.get("device_code") or form.get("code") or ""
            pending = self._devices.get(device_code)
            if pending is None or pending.client_id != client_id:
                return self._oauth_error("bad_verification_code", "AADSTS70019: unknown code.")
            if pending.expires_at <= now:
                self._forget_device(device_code)
                return self._oauth_error("expired_token", "AADSTS70020: the code expired.")
            if pending.denied:
                self._forget_device(device_code)
                return self._oauth_error(
                    "authorization_declined", "AADSTS70000: the user declined."
                )
            if pending.xuid is None:
                return self._oauth_error(
                    "authorization_pending", "AADSTS70016: waiting for the user."
                )
            self._forget_device(device_code)
            return self._token_answer(
                request, xuid=pending.xuid, client_id=client_id, scope=pending.scope
            )
        if grant == "authorization_code":
            self.hits["token:authorization_code"] += 1
            code = self._codes.pop(form.get("code", ""), None)  # single use
            if code is None or code.expires_at <= now or code.client_id != client_id:
                return self._oauth_error("invalid_grant", "AADSTS70000: the code is not valid.")
            if form.get("redirect_uri") != code.redirect_uri:
                return self._oauth_error("invalid_grant", "AADSTS70000: redirect_uri differs.")
            verifier = form.get("code_verifier", "")
            if not verifier or _s256(verifier) != code.challenge:
                return self._oauth_error(
                    "invalid_grant", "AADSTS501481: the code_verifier does not match."
                )
            return self._token_answer(
                request,
                xuid=code.xuid,
                client_id=client_id,
                scope=code.scope,
                nonce=code.nonce,
            )
        if grant == "refresh_token":
            self.hits["token:refresh_token"] += 1
            old = form.get("refresh_token", "")
            held = self._lookup(old, "refresh")
            if held is None or held.client_id != client_id:
                return self._oauth_error(
                    "invalid_grant",
                    "AADSTS70000: the refresh token is expired, revoked or already used.",
                )
            del self._tokens[old]  # rotation: the old refresh token stops working now
            return self._token_answer(
                request,
                xuid=held.xuid,
                client_id=client_id,
                scope=form.get("scope") or held.scope,
            )
        return self._oauth_error("unsupported_grant_type", f"AADSTS70003: {grant!r}.")

    def _forget_device(self, device_code: str) -> None:
        pending = self._devices.pop(device_code, None)
        if pending is not None:
            self._user_codes.pop(pending.user_code, None)

    # -- Xbox Live -----------------------------------------------------------------------

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _xbox_answer(
        self, token: str, now: datetime, expires: datetime, claims: Mapping[str, str]
    ) -> web.Response:
        return web.json_response(
            {
                "IssueInstant": xbox_time(now),
                "NotAfter": xbox_time(expires),
                "Token": token,
                "DisplayClaims": {"xui": [dict(claims)]},
            }
        )

    @staticmethod
    def _uhs(xuid: str) -> str:
        return str(int(hashlib.sha256(f"uhs:{xuid}".encode()).hexdigest()[:15], 16))

    async def _xbox_request(
        self, step: str, request: web.Request
    ) -> tuple[web.Response | None, dict[str, Any], dict[str, Any]]:
        """What both Xbox token steps check first: a scripted fault, the contract version and
        a JSON body asking for a JWT. (refusal or None, body, its `Properties`)."""
        if (fault := self._fault(step, request)) is not None:
            return fault, {}, {}
        versioned = request.headers.get("x-xbl-contract-version") == "1"
        body = await self._json_body(request) if versioned else None
        if body is None or body.get("TokenType") != "JWT":
            return web.Response(status=400), {}, {}
        return None, body, body.get("Properties") or {}

    async def _xbox_user(self, request: web.Request) -> web.Response:
        refused, body, props = await self._xbox_request("xbox_user", request)
        if refused is not None:
            return refused
        if (
            body.get("RelyingParty") != XBOX_USER_RELYING_PARTY
            or props.get("AuthMethod") != "RPS"
            or props.get("SiteName") != "user.auth.xboxlive.com"
            or not str(props.get("RpsTicket") or "").startswith("d=")
        ):
            return web.Response(status=400)
        access = self._lookup(str(props["RpsTicket"])[2:], "access")
        if access is None:
            return web.Response(status=401)
        now = self.now()
        expires = now + self.user_token_ttl
        token = self._issue("xbox_user", _Grant(xuid=access.xuid, expires_at=expires), "eyJ")
        return self._xbox_answer(token, now, expires, {"uhs": self._uhs(access.xuid)})

    async def _xsts(self, request: web.Request) -> web.Response:
        refused, body, props = await self._xbox_request("xsts", request)
        if refused is not None:
            return refused
        tokens = props.get("UserTokens")
        rp = body.get("RelyingParty")
        if (
            rp not in (HALO_RELYING_PARTY, XBOX_RELYING_PARTY)
            or props.get("SandboxId") != "RETAIL"
            or not isinstance(tokens, list)
            or len(tokens) != 1
        ):
            return web.Response(status=400)
        user = self._lookup(str(tokens[0]), "xbox_user")
        if user is None:
            return web.Response(status=401)
        xerr = self.bad_accounts.get(user.xuid)
        if xerr is not None:
            return web.json_response(
                {
                    "Identity": "0",
                    "XErr": xerr,
                    "Message": "",
                    "Redirect": _XERR_REDIRECT.get(xerr, "https://www.xbox.com"),
                },
                status=401,
            )
        now = self.now()
        expires = now + self.xsts_ttl
        token = self._issue(
            "xsts", _Grant(xuid=user.xuid, expires_at=expires, relying_party=str(rp)), "eyJ"
        )
        claims = {
            "gtg": self.gamertag(user.xuid),
            "xid": user.xuid,
            "uhs": self._uhs(user.xuid),
            "agg": "Adult",
            "usr": "",
            "utr": "",
            "prv": "",
        }
        return self._xbox_answer(token, now, expires, claims)

    # -- Halo Waypoint -------------------------------------------------------------------

    async def _spartan(self, request: web.Request) -> web.Response:
        if (fault := self._fault("spartan", request)) is not None:
            return fault
        body = await self._json_body(request)
        proof = (body or {}).get("Proof")
        if (
            body is None
            or body.get("Audience") != "urn:343:s3:services"
            or str(body.get("MinVersion")) != "4"
            or not isinstance(proof, list)
            or len(proof) != 1
            or not isinstance(proof[0], dict)
            or proof[0].get("TokenType") != "Xbox_XSTSv3"
        ):
            return web.Response(status=400)
        xsts = self._lookup(str(proof[0].get("Token") or ""), "xsts")
        if xsts is None or xsts.relying_party != HALO_RELYING_PARTY:
            return web.Response(status=401)
        token, expires_at = self.state.issue_spartan_token(xsts.xuid)
        if isinstance(expires_at, int | float):
            expires_at = datetime.fromtimestamp(expires_at, UTC)
        return web.json_response(
            {
                "ExpiresUtc": {"ISO8601Date": f"{expires_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"},
                "SpartanToken": token,
                "TokenDuration": net_duration(expires_at - self.now()),
            }
        )
