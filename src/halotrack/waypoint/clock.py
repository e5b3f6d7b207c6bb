"""What time it is according to the API: the `Date` of its latest answer, moved on since.

Why: snapshots, due checks and "the current season" must agree with the server the data came
from. Against the real API that is the real time (and it stays right on a machine whose
clock is off); against the simulator it is the simulated time, which starts in 2026-01 and
jumps with `/_sim/advance`, so `diff`, `history` and weekly charts read the same as in the
demo. Before any answer, the local clock stands in.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta


def _local() -> datetime:
    return datetime.now(UTC)


class ServerClock:
    """Aware UTC datetimes from the latest answer's `Date` (plus its `Age`, for a cached
    copy) and the monotonic time elapsed since it arrived; never earlier than a previous
    reading, since `Date` has whole seconds."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        fallback: Callable[[], datetime] = _local,
    ) -> None:
        self._monotonic = monotonic
        self._fallback = fallback
        self._base: datetime | None = None
        self._at = 0.0
        self._last: datetime | None = None

    @property
    def observed(self) -> bool:
        """Whether an answer has set the clock yet."""
        return self._base is not None

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Take the time from an answer's headers; a missing or unreadable `Date` is skipped."""
        text = headers.get("Date") if headers is not None else None
        if not text:
            return
        try:
            date = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        age = str(headers.get("Age") or "") if headers is not None else ""
        if age.isdigit():
            date += timedelta(seconds=int(age))
        if self._base is None:
            self._last = None  # local readings before the first answer do not bind
        self._base, self._at = date.astimezone(UTC), self._monotonic()

    def now(self) -> datetime:
        if self._base is None:
            value = self._fallback()
        else:
            value = self._base + timedelta(seconds=self._monotonic() - self._at)
        if self._last is not None and value < self._last:
            value = self._last
        self._last = value
        return value
