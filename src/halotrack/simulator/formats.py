"""Value formats of the real API: .NET ISO 8601 durations, trimmed UTC timestamps, 2-decimal
truncation, deterministic GUIDs.

Why: clients parse these strings; the simulator must write them exactly as the service does
(`PT9M9.4211615S`, `P17DT10H55M53.7685509S`, `2025-01-29T04:07:55.66Z`).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

TICKS_PER_SECOND = 10_000_000
TICKS_PER_MS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=8192)
def duration(ticks: int) -> str:
    """Format 100 ns ticks as .NET XmlConvert does: days for long spans, never years/months."""
    if ticks <= 0:
        return "PT0S"
    days, rest = divmod(ticks, 86_400 * TICKS_PER_SECOND)
    hours, rest = divmod(rest, 3_600 * TICKS_PER_SECOND)
    minutes, rest = divmod(rest, 60 * TICKS_PER_SECOND)
    seconds, frac = divmod(rest, TICKS_PER_SECOND)
    out = ["P"]
    if days:
        out.append(f"{days}D")
    if hours or minutes or seconds or frac:
        out.append("T")
        if hours:
            out.append(f"{hours}H")
        if minutes:
            out.append(f"{minutes}M")
        if seconds or frac:
            text = str(seconds)
            if frac:
                text += "." + f"{frac:07d}".rstrip("0")
            out.append(text + "S")
    return "".join(out)


def timestamp(ms: int) -> str:
    """Milliseconds since the epoch as `2025-01-29T04:07:55.66Z` (trailing zeros trimmed)."""
    dt = _EPOCH + timedelta(milliseconds=ms)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ms % 1000
    if frac:
        base += "." + f"{frac:03d}".rstrip("0")
    return base + "Z"


def cms_date(ms: int) -> str:
    """gamecms calendar dates keep three decimals: `2021-06-20T17:00:00.000Z`."""
    dt = _EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def to_ms(dt: datetime) -> int:
    return int((dt - _EPOCH) / timedelta(milliseconds=1))


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def trunc2(value: float) -> float:
    """Match-level KDA and accuracy: truncated (not rounded) to two decimals, as observed."""
    return math.trunc(value * 100 + (1e-9 if value >= 0 else -1e-9)) / 100


def guid(*parts: object) -> str:
    """A stable, random-looking GUID derived from the given parts."""
    h = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def canary_tail(canary: str) -> str:
    """Twelve hex digits standing for a test canary inside a GUID-shaped secret.

    Why: the flight id (clearance) is a GUID in every real answer, so a canary cannot be
    prefixed to it without changing its shape for other clients; its last group carries
    this instead, and the test suite hunts for both."""
    return hashlib.blake2b(canary.encode(), digest_size=6).hexdigest()


def flight_id(seed: int, canary: str = "") -> str:
    """The build's flight id: the clearance and every match's `ClearanceId`."""
    base = guid(seed, "clearance")
    return base[:-12] + canary_tail(canary) if canary else base
