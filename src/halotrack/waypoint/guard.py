"""One guarded HTTP exchange: the only way halotrack sends a request that carries a secret.

Why: a credential must never reach a host it was not meant for, and no answer may exhaust
memory or hang a command. The data transport and every sign-in step (and the `auth paste`
check) send through `exchange`, which

- never lets aiohttp follow a redirect: each hop is checked against the caller's trusted
  base URLs, and once the chain leaves them the credential headers are dropped for good
  (or, for sign-in, the exchange stops there); a body (sign-in bodies hold tokens) is
  never re-sent to an untrusted hop;
- reads at most `max_body` bytes however the body arrives (Content-Length, chunked, or a
  stream that never ends);
- gives the whole exchange, redirects included, one time limit.

Callers turn the exceptions below into their own one-line errors naming the endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from halotrack.errors import ConfigError

if TYPE_CHECKING:
    from halotrack.config import Settings

log = logging.getLogger("halotrack.waypoint")

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DEFAULT_MAX_BODY = 16 * 1024 * 1024  # the largest real answer is well under 1 MB
DEFAULT_DEADLINE = 90.0  # one request with all its retries

_CHUNK = 64 * 1024

HINT_TOO_LARGE = "a proxy or server sent far more than any real answer; raise HALOTRACK_MAX_BODY"
HINT_DEADLINE = "the server answers too slowly; try again later or raise HALOTRACK_DEADLINE"


class Stopped(Exception):
    """The guard stopped an exchange; the text is one short line without URL or secret."""


class BodyTooLarge(Stopped):
    def __init__(self, limit: int) -> None:
        super().__init__(f"answer larger than {limit_text(limit)}")
        self.limit = limit


class RedirectRefused(Stopped):
    """Too many hops, or a hop that would re-send a body to an untrusted URL."""


def limit_text(size: int) -> str:
    """`16 MB`, `64 KB` or `900 bytes`: for error lines."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one request may cost: `timeout` seconds per attempt, `deadline` seconds with all
    its retries, `max_body` bytes of answer."""

    timeout: float = 30.0
    deadline: float = DEFAULT_DEADLINE
    max_body: int = DEFAULT_MAX_BODY

    def __post_init__(self) -> None:
        if not (self.timeout > 0 and self.deadline > 0 and self.max_body > 0):
            raise ConfigError(
                "the request timeout, deadline and answer size limit must be positive",
                hint="check HALOTRACK_TIMEOUT, HALOTRACK_DEADLINE and HALOTRACK_MAX_BODY",
            )

    @classmethod
    def of(cls, settings: Settings) -> Bounds:
        deadline, max_body = settings.deadline, settings.max_body
        return cls(
            timeout=settings.timeout,
            deadline=DEFAULT_DEADLINE if deadline is None else deadline,
            max_body=DEFAULT_MAX_BODY if max_body is None else max_body,
        )

    @property
    def once(self) -> float:
        """The time limit of a request that is not retried."""
        return min(self.timeout, self.deadline)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: CIMultiDictProxy[str]
    url: URL


async def read_capped(resp: aiohttp.ClientResponse, max_body: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `max_body` (counted after
    decompression, so a small gzip bomb is stopped too)."""
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_body and "Content-Encoding" not in resp.headers:
        raise BodyTooLarge(max_body)
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await resp.content.read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > max_body:
            raise BodyTooLarge(max_body)
        parts.append(chunk)


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    trusted: Callable[[str], bool],
    headers: Mapping[str, str],
    credentials: Mapping[str, str],
    body: bytes | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    seconds: float = 30.0,
    leave: bool = True,
) -> Answer:
    """Send `method url`, follow redirects by hand, return the final answer.

    `credentials` (headers) go only to URLs `trusted` accepts; `body` is sent as JSON and
    may carry secrets, so it follows only 307/308 hops that stay trusted (301/302/303 turn
    the request into a GET without body, as browsers do). With `leave` False a redirect
    off the trusted URLs is refused (sign-in has no business elsewhere, and an answer from
    a host that never saw the token proves nothing). The whole exchange must finish
    within `seconds` or TimeoutError is raised. aiohttp's own errors pass through.
    """
    if not trusted(str(url)):
        credentials = {}
    async with asyncio.timeout(seconds):
        for _ in range(MAX_REDIRECTS + 1):
            sent = {**headers, **credentials}
            if body is not None:
                sent.setdefault("Content-Type", "application/json")
            async with session.request(
                method,
                url,
                headers=sent,
                data=body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None),
            ) as resp:
                location = resp.headers.get("Location") if resp.status in REDIRECTS else None
                if location is None:
                    return Answer(resp.status, await read_capped(resp, max_body), resp.headers, url)
                status = resp.status
            url = url.join(URL(location))
            if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
            if not trusted(str(url)):
                if not leave:
                    raise RedirectRefused(
                        f"refused a redirect off the API to {url.host}:{url.port}"
                    )
                if body is not None:
                    raise RedirectRefused(f"refused to re-send the body to {url.host}:{url.port}")
                if credentials:
                    log.warning(
                        "redirect to a foreign host %s: following without credentials", url.host
                    )
                    credentials = {}
        raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects")
