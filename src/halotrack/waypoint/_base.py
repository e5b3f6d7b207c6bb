"""What every service module shares: the transport handle, decoders and query encoding.

Why: service modules should read like the API table (path, parameters, model) and nothing
else; decoding through `halotrack.models.decode` is set up once per model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar, cast
from urllib.parse import quote

from halotrack.models import KINDS, decode
from halotrack.waypoint.players import Player
from halotrack.waypoint.transport import HINT_404_PLAYER, Transport

T = TypeVar("T")
Decoder = Callable[[bytes, str], Any]

_KIND_OF: dict[type[Any], str] = {spec.model: name for name, spec in KINDS.items()}
_DECODERS: dict[type[Any], Decoder] = {}


def decoder(model: type[Any]) -> Decoder:
    """A `decode(body, url)` for one response model, built once."""
    fn = _DECODERS.get(model)
    if fn is None:
        kind = _KIND_OF[model]

        def fn(body: bytes, url: str) -> Any:
            return decode(kind, body, source=url)

        _DECODERS[model] = fn
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

    async def _get(
        self,
        path: str,
        query: str = "",
        *,
        model: type[T],
        cacheable: bool = False,
        not_found: str | None = None,
    ) -> T:
        """GET and decode into `model` (a response model of `halotrack.models`)."""
        fetched = await self._transport.get(
            self.name,
            path,
            query,
            decode=decoder(model),
            cacheable=cacheable,
            not_found=not_found,
        )
        return cast(T, fetched.data)

    async def _player_get(self, who: Player, path: str, query: str = "", *, model: type[T]) -> T:
        """GET `/hi/players/{who}/{path}`, where a 404 means no such player (or a private
        match history)."""
        url = f"/hi/players/{who.segment}/{path}"
        return await self._get(url, query, model=model, not_found=HINT_404_PLAYER)
