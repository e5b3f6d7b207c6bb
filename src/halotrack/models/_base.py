"""Struct bases shared by every model, the raw-JSON handle, and a few small value helpers.

Why: one place fixes the conventions (PascalCase keys, snake_case attributes, frozen, tolerant
defaults) and how a decoded response keeps its original bytes without parsing them twice.
Missing fields take defaults on decode, but `omit_defaults` is deliberately off: encoding a
model (the simulator does) must give the API's full shape, zeros and nulls included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec

ZERO = timedelta(0)


class Model(msgspec.Struct, rename="pascal", frozen=True, kw_only=True):
    """Base of every nested model: PascalCase on the wire, snake_case in Python, immutable.

    `__enums__` maps an int attribute to the tolerant enum that names it; the JSON export
    and `enum_name()` use it. The attribute stays a plain int so unknown numbers survive.
    """

    __enums__: ClassVar[dict[str, Any]] = {}

    def enum_name(self, attr: str) -> str:
        """Name of the enum value held by `attr` (`Unknown(<n>)` for a number we do not know)."""
        enum = type(self).__enums__[attr]
        label: str = enum.label(getattr(self, attr))
        return label


class Leaf(Model, gc=False, frozen=True):
    """A model holding only scalars and lists of scalars or leaves: untracked by the GC."""


class _RawMixin:
    """Access to the response body a model was decoded from, parsed only when asked for."""

    __slots__ = ()
    __dict__: dict[str, Any]

    @property
    def raw_bytes(self) -> bytes:
        """The exact body this object was decoded from (re-encoded if built in code)."""
        data = self.__dict__.get("_raw_bytes")
        if data is None:
            data = msgspec.json.encode(self)
            self.__dict__["_raw_bytes"] = data
        return bytes(data)

    @property
    def raw(self) -> Any:
        """The body as plain JSON values, unknown fields included; parsed on first access."""
        try:
            return self.__dict__["_raw_obj"]
        except KeyError:
            value = msgspec.json.decode(self.raw_bytes)
            self.__dict__["_raw_obj"] = value
            return value


class Response(Model, _RawMixin, dict=True, frozen=True):
    """A whole API response: a model that also keeps the bytes it came from (`raw`)."""


def attach_raw(obj: Any, data: bytes) -> None:
    """Remember the body `obj` was decoded from; cheap (no copy, no parse)."""
    obj.__dict__["_raw_bytes"] = data


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the one clock default every layer uses."""
    return datetime.now(UTC)


def iso_duration(value: timedelta) -> str:
    """A timedelta as an ISO 8601 duration in the API's own style (`P17DT10H55M53.768551S`)."""
    total_us = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    days, rest = divmod(total_us, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    secs, micros = divmod(rest, 1_000_000)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if micros:
        time += f"{secs}.{micros:06d}".rstrip("0") + "S"
    elif secs or not (days or hours or minutes):
        time += f"{secs}S"
    if time:
        out += "T" + time
    return out


def iso_datetime(value: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with `Z` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    frac = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return value.replace(microsecond=0, tzinfo=None).isoformat() + frac + "Z"
