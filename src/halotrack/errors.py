"""The error tree every layer raises; the CLI turns each into one line and an exit code.

HaloTrackError
 ├── AuthError            (which sign-in step failed, and what to do)
 ├── ApiError             (service, status, url; never a token)
 │    ├── BadRequest      400: the request itself is wrong (malformed player, bad filter)
 │    ├── NotFound        404: unknown player, private history, unknown match
 │    ├── Unauthorized    401 after one refresh and replay
 │    ├── Forbidden       403: clearance or privacy
 │    ├── RateLimited     429 after the retry budget
 │    ├── ServerError     5xx, 408, timeouts and dropped connections after retries
 │    └── ParseError      a body that does not decode into the expected shape
 ├── StoreError           the database: unwritable, corrupt, full disk, locked
 ├── ConfigError          bad flags, environment or config file; bad user input
 └── Unknown              the player, match or season named does not exist (NotFound too)

Each class carries its exit code; `EXIT_CODES` is the table the README shows, one meaning
per code, and a test holds the two together.
"""

from __future__ import annotations

import re

EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "some of the players named could not be done (each is named on stderr)",
    2: "bad input: flags, arguments, environment or config file",
    3: "sign-in: missing, expired or refused; sign in again or supply a fresh token",
    4: "the API failed: refused, rate-limited, unreachable or an unreadable answer",
    5: "the database: unwritable, corrupt, locked or full",
    6: "not found: no such player, match or season (in the API or in the database)",
    130: "interrupted (Ctrl-C); everything committed so far is kept",
}

_SECRETISH = re.compile(r"(?i)(spartan[-_ ]?token|clearance|authorization|token)=([^&\s]+)")


def redact_url(url: str) -> str:
    """Drop query values that could carry a secret before a URL goes into a message."""
    return _SECRETISH.sub(r"\1=<redacted>", url)


class HaloTrackError(Exception):
    """Base of every error halotrack raises on purpose; `hint` says what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def first_line(text: str, limit: int = 200) -> str:
    """The first line of a library's message, shortened at a space so a URL or word in it is
    never cut in the middle (a cut URL sends the user to a page that does not exist)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) <= limit:
        return line
    end = line.find(" ", limit)  # the word or URL running over the limit stays whole
    return line if end < 0 else line[:end] + " ..."


class ConfigError(HaloTrackError):
    """Bad input from the user: flags, environment, config file, a malformed gamertag."""

    exit_code = 2


class AuthError(HaloTrackError):
    """A sign-in step failed. `step` names it (msal, xbox-user, xsts, spartan, clearance...)."""

    exit_code = 3

    def __init__(
        self, message: str, *, step: str, status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.step = step
        self.status = status


class StoreError(HaloTrackError):
    """The database failed: unwritable, corrupt, locked or out of space. Nothing half-written."""

    exit_code = 5


class Unknown(HaloTrackError):
    """The player, match or season named does not exist: unknown to the API or not stored.
    One code wherever we looked, so a script tells "no such player" from a failure."""

    exit_code = 6


class ApiError(HaloTrackError):
    """The Waypoint API answered with an error, or not at all, after the retry budget."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None,
        url: str,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.service = service
        self.status = status
        self.url = redact_url(url)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, status={self.status!r}, "
            f"url={self.url!r}, message={self.message!r})"
        )


class BadRequest(ApiError):
    """400: the API rejected the request as malformed."""


class NotFound(ApiError, Unknown):
    """404: unknown player or match, or a private match history."""

    exit_code = Unknown.exit_code


class Unauthorized(ApiError):
    """401 even after a fresh token: sign in again."""


class Forbidden(ApiError):
    """403: usually a missing or stale clearance, sometimes privacy settings."""


class RateLimited(ApiError):
    """429 that outlasted the retry budget."""

    def __init__(self, *args: object, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx, 408, a timeout or a dropped connection that outlasted the retry budget."""


class ParseError(ApiError):
    """A body that is not the JSON shape the endpoint promises (truncated, retyped, garbage)."""
