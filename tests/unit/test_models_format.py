"""The shared duration words, in each of the three looks its callers use."""

from __future__ import annotations

import pytest

from halotrack.models.format import duration_words


@pytest.mark.parametrize(
    ("seconds", "plain", "padded", "bare"),
    [
        (1 * 86400 + 9 * 3600 + 53 * 60 + 7, "1d 9h 53m", "1d 9h 53m", "1d 9h 53m"),
        (1 * 86400 + 5 * 60, "1d 0h 5m", "1d 0h 05m", "1d 0h 5m"),
        (2 * 3600 + 44 * 60 + 8, "2h 44m", "2h 44m", "2h 44m"),
        (9 * 3600 + 5 * 60, "9h 5m", "9h 05m", "9h 5m"),
        (71, "1m 11s", "1m 11s", "1m 11s"),
        (67, "1m 7s", "1m 07s", "1m 7s"),
        (32, "0m 32s", "0m 32s", "32s"),
        (0, "0m 0s", "0m 00s", "0s"),
        (-75, "-1m 15s", "-1m 15s", "-1m 15s"),
    ],
)
def test_duration_words(seconds: int, plain: str, padded: str, bare: str) -> None:
    assert duration_words(seconds) == plain
    assert duration_words(seconds, pad=True) == padded
    assert duration_words(seconds, bare_seconds=True) == bare
