"""The shared HTTP transport: base URLs, pacing, retries, token headers, ETag cache, errors.

Why: every service module asks for "GET this path on that service"; everything that makes
that safe and polite against an undocumented, rate-limited API lives here once:

- pacing waits *before* sending (a global rate, a per-service rate, a concurrency cap);
- 408, 429, 5xx, dropped connections, timeouts and cut-short bodies are retried with
  exponential backoff and full jitter, honouring `Retry-After`, within a bounded number of
  attempts and a total waiting budget;
- a 401 asks the token provider for a fresh token once and replays;
- secrets are only sent to URLs under the configured base URLs, checked on every hop since
  redirects are followed by hand (`halotrack.waypoint.guard`, shared with sign-in);
- no answer is read past `Limits.max_body`, and one request with all its retries ends
  within `RetryPolicy.deadline` seconds;
- gamecms/discovery files are revalidated with `If-None-Match` against an on-disk cache.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import email.utils
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC
from typing import Any, Generic, Protocol, TypedDict, TypeVar

import aiohttp
import msgspec
from multidict import CIMultiDictProxy
from yarl import URL

from halotrack import __version__
from halotrack.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    Forbidden,
    NotFound,
    ParseError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from halotrack.models.hosts import WAYPOINT_HOSTS, service_urls
from halotrack.waypoint.cache import EtagCache
from halotrack.waypoint.clock import ServerClock
from halotrack.waypoint.guard import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    HINT_DEADLINE,
    HINT_TOO_LARGE,
    BodyTooLarge,
    Bounds,
    RedirectRefused,
    exchange,
    limit_text,
)
from halotrack.waypoint.tokens import TokenProvider, Tokens

log = logging.getLogger("halotrack.waypoint")

T = TypeVar("T")

USER_AGENT = f"halotrack/{__version__} python-aiohttp/{aiohttp.__version__}"
SPARTAN_HEADER = "x-343-authorization-spartan"
CLEARANCE_HEADER = "343-clearance"
SERVICES = ("stats", "skill", "gamecms", "discovery", "profile", "economy")

_RETRY_STATUSES = frozenset({408, 429})  # and every 5xx
_SLOT_EPSILON = 1e-9  # seconds: float sums of intervals must not push a slot one more interval

HINT_404_PLAYER = "no such player or their match history is private"
HINT_403 = "clearance missing or stale: sign in again / launch the game once"
HINT_429 = "rate limited: lower --rate"
HINT_5XX = "the Halo API is failing; try again later"
HINT_UNREACHABLE_ROOT = (
    "check --api (or HALOTRACK_API) and that the simulator or proxy there is running"
)
HINT_UNREACHABLE = "check the internet connection, proxy and firewall; then try again"
HINT_401 = "the token was refused even after a refresh: run `halotrack auth login` again"

# The statuses that name their own error: (class, what the message says, hint). Others are
# ServerError (408, 5xx, no answer) or a plain ApiError (anything unexpected).
_STATUS_ERRORS: dict[int, tuple[type[ApiError], str, str]] = {
    400: (BadRequest, "the API refused the request (400)", "check the player, ids and filters"),
    401: (Unauthorized, "not signed in (401)", HINT_401),
    403: (Forbidden, "forbidden (403)", HINT_403),
    404: (NotFound, "not found (404)", "check the id; it may not exist"),
    429: (RateLimited, "still rate limited (429) after retrying", HINT_429),
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Pacing: requests per second per service and overall (None or 0: unpaced), and the
    number of requests in flight at once. Defaults follow public clients of this API.
    `max_body`: the most bytes read of one answer."""

    rate: float | None = 5.0
    global_rate: float | None = 10.0
    concurrency: int = 4
    per_service: Mapping[str, float | None] = field(default_factory=dict)
    max_body: int = DEFAULT_MAX_BODY

    @classmethod
    def unlimited(cls, concurrency: int = 64) -> Limits:
        """No pacing at all: for the simulator and benchmarks."""
        return cls(rate=None, global_rate=None, concurrency=concurrency)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to `attempts` tries per request; full-jitter backoff doubling from `base_delay`
    up to `max_delay`; never more than `budget` seconds spent waiting for one request, and
    the request with all its attempts and waits ends `deadline` seconds after it was sent."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 120.0
    deadline: float = DEFAULT_DEADLINE


@dataclass
class Counters:
    """What the transport did, for the tracker's report. Never holds URLs or tokens."""

    requests: int = 0
    retries: int = 0
    refreshes: int = 0
    not_modified: int = 0
    connection_errors: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_service: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_status"] = dict(sorted(self.by_status.items()))
        out["by_service"] = dict(sorted(self.by_service.items()))
        return out


@dataclass(slots=True)
class Fetched(Generic[T]):
    """A decoded response with the raw body kept beside it (the raw JSON is never behind)."""

    data: T
    raw: bytes
    url: str
    status: int
    from_cache: bool = False
    etag: str | None = None


class SharedPacer(Protocol):
    """Pacing shared with other processes (e.g. the workers' budget in PostgreSQL), used
    instead of the in-process pacer: `wait` returns when a request to `service` may go;
    `pause` holds every sharer's requests to it (the API answered 429 with Retry-After)."""

    async def wait(self, service: str) -> None: ...

    async def pause(self, service: str, seconds: float) -> None: ...


class _Pacer:
    """Reserves send slots at least `1/rate` apart; a reservation is taken synchronously so
    concurrent callers queue up without a lock. A caller takes the earliest free slot, even
    one before slots already reserved: the overall pacer's gaps between one service's slots
    go to other services' requests instead of idling behind that service's queue."""

    __slots__ = ("interval", "taken")

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.taken: list[float] = []  # sorted; none older than one interval before now

    def free_at(self, t: float) -> float:
        """The earliest time from `t` at least one interval away from every reservation."""
        gap = self.interval - _SLOT_EPSILON
        for r in self.taken:
            if r + gap <= t:
                continue
            if r - gap >= t:
                break
            t = r + self.interval
        return t

    def take(self, t: float, now: float) -> None:
        if self.interval:
            del self.taken[: bisect.bisect_left(self.taken, now - self.interval)]
            bisect.insort(self.taken, t)

    def give_back(self, t: float) -> None:
        """Forget a slot that was not used for a send."""
        i = bisect.bisect_left(self.taken, t)
        if i < len(self.taken) and self.taken[i] == t:
            del self.taken[i]


class _Service:
    __slots__ = ("base", "name", "pacer")

    def __init__(self, name: str, base: str, pacer: _Pacer) -> None:
        self.name = name
        self.base = base
        self.pacer = pacer


def _normalize_base(url: str) -> str:
    parsed = URL(url)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ConfigError(f"bad API base URL {url!r}", hint="use http(s)://host[:port][/path]")
    return str(parsed).rstrip("/")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def _looks_truncated(exc: Exception, body: bytes, headers: CIMultiDictProxy[str]) -> bool:
    """Whether a body failed to decode because it was cut short (worth asking again)."""
    if not body.strip():
        return True
    length = headers.get("Content-Length")
    if length and length.isdigit() and int(length) != len(body):
        return True
    # look at the decoder's own error, not at our prose (a ParseError hint may say "truncated")
    cause = exc.__cause__ if isinstance(exc, ParseError) else exc
    text = str(cause).lower() if cause is not None else ""
    return "truncated" in text or "unexpected end" in text


class _Transient(Exception):
    """An attempt that may succeed if repeated; carries the error to raise if it is not."""

    def __init__(self, error: ApiError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@dataclass(slots=True)
class _Call(Generic[T]):
    """One `Transport.get` across its attempts: what to ask, and what earlier attempts
    learned (when the deadline ends, whether the token was refreshed, the cached copy)."""

    svc: _Service
    url: str
    target: URL
    decode: Callable[[bytes, str], T] | None
    cacheable: bool
    not_found: str | None
    auth: bool
    accept: str | None
    cached: tuple[str, bytes] | None
    refreshed: bool = False
    ends_at: float | None = None


class TransportOptions(TypedDict, total=False):
    """What `WaypointClient` hands its transport unchanged (see `Transport` for defaults)."""

    base_urls: Mapping[str, str] | None
    api_root: str | None
    session: aiohttp.ClientSession | None
    limits: Limits | None
    retry: RetryPolicy | None
    timeout: float
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    rand: Callable[[], float]
    wall_clock: Callable[[], float]
    user_agent: str
    ca_bundle: str | None
    server_clock: ServerClock | None
    pacer: SharedPacer | None


class Transport:
    """One aiohttp session shared by all services. Build it through WaypointClient."""

    def __init__(
        self,
        *,
        tokens: TokenProvider,
        base_urls: Mapping[str, str] | None = None,
        api_root: str | None = None,
        session: aiohttp.ClientSession | None = None,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        cache: EtagCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        user_agent: str = USER_AGENT,
        ca_bundle: str | None = None,
        server_clock: ServerClock | None = None,
        pacer: SharedPacer | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self._shared = pacer
        self.retry = retry or RetryPolicy()
        if self.limits.concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if self.retry.attempts < 1:
            raise ConfigError("retry attempts must be at least 1")
        self.bounds = Bounds(timeout, self.retry.deadline, self.limits.max_body)
        self._api_root = api_root.rstrip("/") if api_root else None
        urls = service_urls(api_root)
        if base_urls:
            urls.update(base_urls)
        self._global = _Pacer(self.limits.global_rate)
        self._services: dict[str, _Service] = {}
        for name in (*SERVICES, *(n for n in urls if n not in SERVICES)):
            if name not in urls:
                continue
            rate = self.limits.per_service.get(name, self.limits.rate)
            self._services[name] = _Service(name, _normalize_base(urls[name]), _Pacer(rate))
        self._trusted = tuple(s.base + "/" for s in self._services.values() if self._is_api(s.name))
        self._tokens = tokens
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._cache = cache
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._wall_clock = wall_clock
        self._sem = asyncio.Semaphore(self.limits.concurrency)
        self._plain_headers = {"User-Agent": user_agent, "Accept": "application/json"}
        self._hdr_tokens: Tokens | None = None
        self._hdr: dict[str, str] = {}
        self.counters = Counters()
        self.server_clock = server_clock or ServerClock(monotonic=clock)
        self._ca_bundle = ca_bundle

    @staticmethod
    def _is_api(name: str) -> bool:
        return name in WAYPOINT_HOSTS

    def base_url(self, service: str) -> str:
        return self._services[service].base

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # no cookie jar: the API authenticates by header, and a jar only costs CPU and
            # could carry state between hosts
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=max(self.limits.concurrency, 10),
                    # a CA file trusted alone: a simulator's own, or a TLS-inspecting proxy's
                    ssl=ssl.create_default_context(cafile=self._ca_bundle)
                    if self._ca_bundle
                    else True,
                ),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def trusted(self, url: str) -> bool:
        """Whether secrets may go to `url`: it must sit under one of the configured bases."""
        return url.startswith(self._trusted)

    def _auth_headers(self, tokens: Tokens) -> dict[str, str]:
        """Only the credential headers: the guarded exchange adds them to the plain ones
        (and drops them alone on a foreign hop), so a per-call Accept is never overridden."""
        if tokens is not self._hdr_tokens:
            headers: dict[str, str] = {}
            headers[SPARTAN_HEADER] = tokens.spartan
            if tokens.clearance:
                headers[CLEARANCE_HEADER] = tokens.clearance
            self._hdr, self._hdr_tokens = headers, tokens
        return self._hdr

    async def _pace(self, service: _Service) -> float | None:
        """Wait for the earliest slot free in both the overall and the service's pacer;
        returns the slot (None when unpaced). A shared pacer (one budget for every worker,
        `workers.pacing`) replaces the in-process one."""
        if self._shared is not None:
            await self._shared.wait(service.name)
            return None
        g, s = self._global, service.pacer
        if not g.interval and not s.interval:
            return None
        now = self._clock()
        slot = now
        while (fits := s.free_at(g.free_at(slot))) != slot:
            slot = fits
        g.take(slot, now)
        s.take(slot, now)
        if slot > now:
            await self._sleep(slot - now)
        return slot

    @contextlib.asynccontextmanager
    async def _send_slot(self, service: _Service) -> AsyncIterator[None]:
        """A paced slot, then one of the `concurrency` permits. Waiting for a slot holds no
        permit, so requests queued behind one service's rate never keep another service's
        requests from being sent; a request that then had to wait for a permit gives its
        slot back and takes a new one, so sends stay paced however long answers take."""
        slot = await self._pace(service)
        waited = self._sem.locked()
        async with self._sem:
            if waited and slot is not None:
                self._global.give_back(slot)
                service.pacer.give_back(slot)
                await self._pace(service)
            yield

    def _error(
        self,
        status: int | None,
        service: str,
        url: str,
        *,
        not_found: str | None = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> ApiError:
        where = self._where(service, url)
        known = _STATUS_ERRORS.get(status) if status is not None else None
        if known is not None:
            cls, what, hint = known
            if status == 404 and not_found:
                hint = not_found
            error = cls(f"{what}: {where}", service=service, status=status, url=url, hint=hint)
            if isinstance(error, RateLimited):
                error.retry_after = retry_after
            return error
        if status is None or status == 408 or status >= 500:
            what = detail or (f"status {status}" if status else "no response")
            return ServerError(
                f"{what} after retrying: {where}",
                service=service, status=status, url=url, hint=HINT_5XX,
            )  # fmt: skip
        return ApiError(
            f"unexpected status {status}: {where}",
            service=service, status=status, url=url,
            hint="the API changed or a proxy interfered; retry with --debug",
        )  # fmt: skip

    def _where(self, service: str, url: str) -> str:
        svc = self._services.get(service)
        shown = url[len(svc.base) :] if svc and url.startswith(svc.base) else url
        return f"{service} {shown.split('?', 1)[0]}"

    def _too_large(self, service: str, url: str) -> ApiError:
        return ApiError(
            f"answer larger than {limit_text(self.bounds.max_body)}: {self._where(service, url)}",
            service=service, status=None, url=url, hint=HINT_TOO_LARGE,
        )  # fmt: skip

    def _late(self, service: str, url: str) -> ApiError:
        return ServerError(
            f"no complete answer within {self.bounds.deadline:g} s, retries included: "
            f"{self._where(service, url)}",
            service=service, status=None, url=url, hint=HINT_DEADLINE,
        )  # fmt: skip

    def _unreachable(self, service: str, url: str, exc: aiohttp.ClientConnectorError) -> ApiError:
        """No connection at all (refused, no route, DNS): name where we tried to connect and
        what to check, since "the API is failing" misleads when --api points at nothing."""
        svc = self._services.get(service)
        shown = url[len(svc.base) :] if svc and url.startswith(svc.base) else url
        why = "refused" if isinstance(exc.os_error, ConnectionRefusedError) else "failed"
        if self._api_root is not None:
            target, hint = self._api_root, HINT_UNREACHABLE_ROOT
        else:
            target, hint = (svc.base if svc else url), HINT_UNREACHABLE
        return ServerError(
            f"connection {why}: cannot reach the API at {target} (after retrying: "
            f"{service} {shown.split('?', 1)[0]})",
            service=service, status=None, url=url, hint=hint,
        )  # fmt: skip

    async def get(
        self,
        service: str,
        path: str,
        query: str = "",
        *,
        decode: Callable[[bytes, str], T] | None = None,
        cacheable: bool = False,
        not_found: str | None = None,
        auth: bool = True,
        accept: str | None = None,
    ) -> Fetched[T]:
        """GET `path` (already escaped) on a service; `query` is an encoded query string.

        `decode(body, url)` runs inside the retry loop so a body cut short is retried.
        Without `decode`, `data` is the raw bytes. `accept` replaces the JSON Accept header
        (the stats answers' XML form names enum values).
        """
        svc = self._services[service]
        url_s = f"{svc.base}{path}?{query}" if query else f"{svc.base}{path}"
        url = URL(url_s, encoded=True)
        if auth and not self.trusted(url_s):
            raise ConfigError(f"refusing to send credentials to {url.host}")
        cached = self._cache.get(url_s) if cacheable and self._cache is not None else None
        call = _Call(svc, url_s, url, decode, cacheable, not_found, auth, accept, cached)
        attempt = 1
        waited = 0.0
        while True:
            try:
                fetched = await self._attempt(call, attempt)
            except _Transient as transient:
                delay = self._backoff(transient, attempt, waited, call.ends_at)
                waited += delay
                attempt += 1
                self.counters.retries += 1
                log.info(
                    "%s: %s; retry %d/%d in %.2fs",
                    service, transient.error.message, attempt - 1, self.retry.attempts - 1, delay,
                )  # fmt: skip
                await self._sleep(delay)
                continue
            if fetched is not None:
                return fetched
            # None: ask again at once (a fresh token, or the cached copy was unreadable)

    def _backoff(
        self, transient: _Transient, attempt: int, waited: float, ends_at: float | None
    ) -> float:
        """Seconds to wait before the next attempt; raises the attempt's error when there
        is none left (attempts, waiting budget, or deadline spent)."""
        policy, error, retry_after = self.retry, transient.error, transient.retry_after
        if attempt >= policy.attempts:
            raise error from None
        delay = self._rand() * min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        if waited + delay > policy.budget:
            raise error from None
        if ends_at is not None and self._clock() + delay >= ends_at:
            raise error from None  # the last answer says more than the deadline
        return delay

    async def _attempt(self, call: _Call[T], attempt: int) -> Fetched[T] | None:
        """One request and what its answer means: the result, a `_Transient` to retry
        after a wait, a final error, or None to ask again at once."""
        status, body, headers = await self._send(call)
        counters, url = self.counters, call.url
        counters.by_status[status] = counters.by_status.get(status, 0) + 1
        self.server_clock.observe(headers)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("GET %s -> %d (%d bytes)", url, status, len(body or b""))
        if 200 <= status < 300:
            return self._success(
                call.svc, url, status, body, headers, call.decode, call.cacheable, attempt
            )
        service = call.svc.name
        if status == 304 and call.cached is not None:
            counters.not_modified += 1
            etag, kept = call.cached
            try:
                data = self._decode(call.decode, kept, url, service, 200, headers, 0)
            except ParseError:
                log.warning("cached copy of %s is unreadable: fetching it again", url)
                call.cached = None
                return None
            return Fetched(data, kept, url, 200, True, etag)
        if status == 401 and call.auth and not call.refreshed:
            call.refreshed = True
            counters.refreshes += 1
            log.info("%s answered 401: refreshing the token once and replaying", service)
            await self._tokens.refresh()
            return None
        retry_after = parse_retry_after(headers.get("Retry-After"), self._wall_clock())
        if status == 429 and retry_after and self._shared is not None:
            await self._shared.pause(service, retry_after)
        error = self._error(status, service, url, not_found=call.not_found, retry_after=retry_after)
        if status < 500 and status not in _RETRY_STATUSES:
            raise error
        raise _Transient(error, retry_after)

    async def _send(self, call: _Call[Any]) -> tuple[int, bytes, CIMultiDictProxy[str]]:
        """Send once, paced and within the concurrency cap and the deadline; a failure to
        get an answer is a `_Transient` (worth retrying) or a final error."""
        service, url_s, counters = call.svc.name, call.url, self.counters
        async with self._send_slot(call.svc):
            if call.ends_at is None:  # the deadline runs from the first send
                call.ends_at = self._clock() + self.bounds.deadline
            left = call.ends_at - self._clock()
            if left <= 0:
                raise self._late(service, url_s)
            credentials = self._auth_headers(await self._tokens.get()) if call.auth else {}
            headers = self._plain_headers
            if call.cached is not None:
                headers = {**headers, "If-None-Match": call.cached[0]}
            if call.accept is not None:
                headers = {**headers, "Accept": call.accept}
            counters.requests += 1
            counters.by_service[service] = counters.by_service.get(service, 0) + 1
            limit = min(self.bounds.timeout, left)
            try:
                answer = await exchange(
                    self.session,
                    "GET",
                    call.target,
                    trusted=self.trusted,
                    headers=headers,
                    credentials=credentials,
                    max_body=self.bounds.max_body,
                    seconds=limit,
                )
            except BodyTooLarge:
                raise self._too_large(service, url_s) from None
            except RedirectRefused as exc:
                raise self._error(None, service, url_s, detail=str(exc)) from None
            except aiohttp.ClientConnectorError as exc:
                counters.connection_errors += 1
                raise _Transient(self._unreachable(service, url_s, exc)) from None
            except (TimeoutError, aiohttp.ClientError) as exc:
                counters.connection_errors += 1
                if isinstance(exc, TimeoutError) and limit < self.bounds.timeout:
                    raise self._late(service, url_s) from None
                detail = (
                    "response cut short"
                    if isinstance(exc, aiohttp.ClientPayloadError)
                    else "timed out"
                    if isinstance(exc, TimeoutError)
                    else f"connection failed ({type(exc).__name__})"
                )
                raise _Transient(self._error(None, service, url_s, detail=detail)) from None
        return answer.status, answer.body, answer.headers

    def _decode(
        self,
        decode: Callable[[bytes, str], T] | None,
        body: bytes,
        url: str,
        service: str,
        status: int,
        headers: CIMultiDictProxy[str],
        retries_left: int,
    ) -> T:
        if decode is None:
            return body  # type: ignore[return-value]
        try:
            return decode(body, url)
        except (ParseError, msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            if retries_left > 0 and _looks_truncated(exc, body, headers):
                raise _Transient(
                    self._error(None, service, url, detail="response cut short")
                ) from None
            if isinstance(exc, ParseError):
                message, hint = exc.message, exc.hint
            else:
                message, hint = f"cannot decode the {service} response from {url}: {exc}", None
            raise ParseError(
                message,
                service=service,
                status=status,
                url=url,
                hint=hint or "the API may have changed shape; retry with --debug and report it",
            ) from None

    def _success(
        self,
        svc: _Service,
        url: str,
        status: int,
        body: bytes,
        headers: CIMultiDictProxy[str],
        decode: Callable[[bytes, str], T] | None,
        cacheable: bool,
        attempt: int,
    ) -> Fetched[T]:
        retries_left = self.retry.attempts - attempt
        length = headers.get("Content-Length")
        if (
            length is not None
            and length.isdigit()
            and int(length) != len(body)
            and "Content-Encoding" not in headers
            and retries_left > 0
        ):
            raise _Transient(self._error(None, svc.name, url, detail="response cut short"))
        data = self._decode(decode, body, url, svc.name, status, headers, retries_left)
        etag = headers.get("ETag")
        if cacheable and etag and self._cache is not None:
            self._cache.put(url, etag, body)
        return Fetched(data, body, url, status, False, etag)
