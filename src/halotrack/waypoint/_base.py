"""What every service module shares: the transport handle, decoders and query encoding.

Why: service modules should read like the API table (path, parameters, model kind) and
nothing else; decoding through `halotrack.models.decode` is looked up once per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from urllib.parse import quote

import msgspec

from halotrack.waypoint.transport import Fetched, Transport

Decoder = Callable[[bytes, str], Any]

_DECODERS: dict[str, Decoder] = {}


def _plain_json(body: bytes, url: str) -> Any:
    return msgspec.json.decode(body)


def decoder(kind: str) -> Decoder:
    """A `decode(body, url)` for one model kind, built once and reused for every request."""
    fn = _DECODERS.get(kind)
    if fn is not None:
        return fn
    if kind == "json":
        fn = _plain_json
    else:
        from halotrack import models

        decode = getattr(models, "decode", None)
        if decode is None:  # models not installed in this tree yet: plain JSON, not cached
            return _plain_json

        def fn(body: bytes, url: str, _kind: str = kind) -> Any:
            return decode(_kind, body, source=url)

    _DECODERS[kind] = fn
    return fn


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """`k=v&k=v` with values percent-encoded; repeated keys stay repeated (`players=...`)."""
    return "&".join(f"{k}={quote(v, safe='()')}" for k, v in pairs)


class Service:
    """Base of the per-service classes hanging off WaypointClient."""

    name: ClassVar[str]

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def base_url(self) -> str:
        return self._transport.base_url(self.name)

    async def _fetch(
        self,
        path: str,
        query: str = "",
        *,
        kind: str,
        cacheable: bool = False,
        not_found: str | None = None,
    ) -> Fetched[Any]:
        return await self._transport.get(
            self.name,
            path,
            query,
            decode=decoder(kind),
            cacheable=cacheable,
            not_found=not_found,
        )

    async def _get(
        self,
        path: str,
        query: str = "",
        *,
        kind: str,
        cacheable: bool = False,
        not_found: str | None = None,
    ) -> Any:
        fetched = await self._fetch(
            path, query, kind=kind, cacheable=cacheable, not_found=not_found
        )
        return fetched.data
