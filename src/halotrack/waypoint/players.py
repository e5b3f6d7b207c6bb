"""Player, match and file arguments: validate what the user typed, then escape it for a path.

Why: a gamertag is free text that lands in a URL path. Validation turns typos into one clear
ConfigError before anything is sent; escaping makes sure `/`, `%`, `#`, `?`, spaces or `..`
in a name can never change which endpoint is asked.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from halotrack.errors import ConfigError
from halotrack.models.xuid import written_as_xuid

MAX_GAMERTAG = 15
"""Xbox gamertags have at most 15 characters; modern ones at most 12 plus `#` and a suffix."""
_BOT_RE = re.compile(r"^\s*bid\(.*\)\s*$", re.IGNORECASE)
_MODERN_RE = re.compile(r"^(.{1,12})#(\d{1,4})$", re.DOTALL)
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class Player:
    """A validated player: exactly one of `xuid` or `gamertag` is set."""

    xuid: int | None = None
    gamertag: str | None = None

    @property
    def segment(self) -> str:
        """The path segment the API wants: `xuid(N)` or the escaped gamertag."""
        if self.xuid is not None:
            return f"xuid({self.xuid})"
        assert self.gamertag is not None
        return escape_segment(self.gamertag)

    def __str__(self) -> str:
        return f"xuid({self.xuid})" if self.xuid is not None else str(self.gamertag)


def escape_segment(text: str) -> str:
    """Percent-encode one path segment so nothing in it is read as path syntax.

    `quote(safe="")` leaves dots alone, so a segment made only of dots (`.`, `..`) is
    encoded by hand: servers and URL libraries would otherwise resolve it as a step up.
    """
    escaped = quote(text, safe="")
    if escaped and escaped.strip(".") == "":
        return "%2E" * len(escaped)
    return escaped


def is_bot(value: int | str) -> bool:
    """Bots appear as `bid(19.0)`; the skill service fails the whole request if sent one."""
    return isinstance(value, str) and bool(_BOT_RE.match(value))


def validate_gamertag(text: str) -> str:
    """Return the gamertag unchanged if it could be an Xbox gamertag, else raise ConfigError.

    Classic gamertags are up to 15 characters, modern ones up to 12 plus a `#1234` suffix;
    we allow unicode and inner spaces and reject empty, control characters and over-long
    names rather than guess.
    """
    if not text or not text.strip():
        raise ConfigError("empty gamertag", hint="pass a gamertag or an XUID")
    for ch in text:
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            raise ConfigError(
                f"gamertag {text!r} contains a control character",
                hint="check the name; gamertags are printable text",
            )
    if text != text.strip():
        raise ConfigError(f"gamertag {text!r} has leading or trailing spaces", hint="remove them")
    if len(text) > MAX_GAMERTAG and not _MODERN_RE.match(text):
        raise ConfigError(
            f"gamertag {text[:20]!r}... is too long ({len(text)} characters)",
            hint=f"gamertags have at most {MAX_GAMERTAG} characters, or 12 plus a #suffix",
        )
    return text


def parse_player(value: int | str | Player) -> Player:
    """Turn what a caller passed into a Player; anything unusable is a ConfigError (an
    XUID out of range or malformed is an XuidError, which is one)."""
    if isinstance(value, Player):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"not a player: {value!r}", hint="pass a gamertag or an XUID")
    xuid = written_as_xuid(value)
    if xuid is not None:
        return Player(xuid=xuid)
    assert isinstance(value, str)
    return Player(gamertag=validate_gamertag(value))


def require_xuid(value: int | str | Player) -> int:
    """Endpoints keyed only by XUID (match history, CSR, economy) refuse gamertags early."""
    player = parse_player(value)
    if player.xuid is None:
        raise ConfigError(
            f"this endpoint needs an XUID, not the gamertag {player.gamertag!r}",
            hint="look it up first with client.profile.xuid_for(gamertag)",
        )
    return player.xuid


def parse_match_id(value: str | uuid.UUID, what: str = "match id") -> str:
    """Match, playlist and asset ids are GUIDs; anything else would only earn a 404 later."""
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip()))
    except ValueError:
        raise ConfigError(
            f"malformed {what} {value!r}", hint=f"a {what} is a GUID like 63391382-6b88-..."
        ) from None


def escape_file_path(path: str) -> str:
    """Escape a relative file path (`Seasons/Season5-Op1.json`) segment by segment.

    Slashes separate segments on purpose here, but `.`/`..` segments, empty segments and
    absolute paths are refused: they could only point outside the file tree asked for.
    """
    parts = path.strip().split("/")
    if not path.strip() or any(p in {"", ".", ".."} for p in parts):
        raise ConfigError(
            f"bad file path {path!r}", hint="use a relative path like Seasons/Season5-Op1.json"
        )
    for part in parts:
        if any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in part):
            raise ConfigError(f"bad file path {path!r}: control character")
    return "/".join(quote(p, safe="") for p in parts)
