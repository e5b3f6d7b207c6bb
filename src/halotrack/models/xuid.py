"""XUIDs: the one reader of a player id, and the one range every layer agrees on.

Why a range at all: the store keeps XUIDs in signed 64-bit columns (BIGINT on SQLite and
PostgreSQL), and real XUIDs are 16-digit numbers well inside that. A number the store cannot
hold is refused here, where it enters (a CLI argument, a field of an API answer), instead of
failing deep inside a transaction. 0 is never a player.

    parse_xuid("xuid(2535445291321133)")  # 2535445291321133, or XuidError
    maybe_xuid("bid(19.0)")               # None: bots, junk and out-of-range ids
    written_as_xuid("Frosty")             # None: a gamertag, not an XUID
    xuid_id(2535445291321133)             # "xuid(2535445291321133)"
"""

from __future__ import annotations

import re

from halotrack.errors import ConfigError

XUID_MIN = 1
XUID_MAX = 2**63 - 1

# ASCII digits only (`\d` would take Arabic-Indic digits too); any length, so that a long
# number is reported as out of range rather than malformed.
_XUID_RE = re.compile(r"^\s*(?:xuid\(\s*(\d+)\s*\)|(\d+))\s*$", re.IGNORECASE | re.ASCII)
_HINT = "like 2535445291321133"


class XuidError(ConfigError, ValueError):
    """Not an XUID, or one the store cannot hold. A ConfigError, so the CLI prints one line
    with the usage exit code; a ValueError, for code that only asks "is this usable"."""


def _in_range(number: int, shown: object) -> int:
    if not XUID_MIN <= number <= XUID_MAX:
        raise XuidError(f"XUID {shown} is out of range", hint="XUIDs are 1 to 2^63-1")
    return number


def parse_xuid(value: int | str) -> int:
    """`2535...`, `"2535..."` or `"xuid(2535...)"` -> the XUID; anything else raises."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _in_range(value, value)
    if not isinstance(value, str):
        raise XuidError(f"not an XUID: {value!r:.20}", hint=_HINT)
    match = _XUID_RE.match(value)
    if not match:
        raise XuidError(f"malformed XUID {value[:20]!r}", hint=_HINT)
    digits = match.group(1) or match.group(2)
    if len(digits.lstrip("0")) > 2 * len(str(XUID_MAX)):  # no int() of a megabyte of digits
        return _in_range(XUID_MAX + 1, digits[:20] + "...")
    return _in_range(int(digits), digits)


def maybe_xuid(value: object) -> int | None:
    """The XUID, or None for bots (`bid(19.0)`), None, junk and out-of-range numbers: for
    ids inside API answers, where an unusable one is skipped, not fatal."""
    if not isinstance(value, int | str):
        return None
    try:
        return parse_xuid(value)
    except XuidError:
        return None


def written_as_xuid(value: int | str) -> int | None:
    """What the user passed, read as an XUID: None when it is not written as one (a gamertag);
    XuidError when it is written as one but unusable (`xuid(abc)`, a number out of range)."""
    if not isinstance(value, str):
        return parse_xuid(value)
    stripped = value.strip()
    if not stripped.isdigit() and not stripped.lower().startswith("xuid("):
        return None
    return parse_xuid(stripped)


def xuid_id(value: int | str) -> str:
    """The `xuid(N)` form the API uses in player ids and query parameters."""
    return f"xuid({parse_xuid(value)})"


_BOT_ID_RE = re.compile(r"^\s*bid\(\s*(\d+(?:\.\d+)?)\s*\)\s*$", re.IGNORECASE | re.ASCII)


def bot_name(player_id: str) -> str | None:
    """`Bot 17` for the API's `bid(17.0)`, None for anything else: the API gives bots no name,
    and the raw id reads like an error on a scoreboard."""
    m = _BOT_ID_RE.match(player_id)
    if m is None:
        return None
    number = float(m.group(1))
    return f"Bot {int(number)}" if number.is_integer() else f"Bot {m.group(1)}"
