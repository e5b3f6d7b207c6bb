"""Words for numbers shared by the CLI tables, history lines and the stats page. Pure, no I/O.

Why here: the same "two largest units" duration rule was written three times with small
differences in padding and in what under a minute looks like; each caller keeps its own look
through the keyword options.
"""

from __future__ import annotations


def duration_words(seconds: int, *, pad: bool = False, bare_seconds: bool = False) -> str:
    """`1d 9h 53m`, `2h 44m`, `1m 11s`: the two largest of days, hours, minutes, seconds.

    `pad` writes the smaller unit with two digits (`9h 05m`, `1m 07s`); `bare_seconds` writes
    under a minute as `32s` instead of `0m 32s`. A negative count gets a leading `-`.
    """
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    small = "{:02d}" if pad else "{}"
    if days:
        return f"{sign}{days}d {hours}h {small.format(minutes)}m"
    if hours:
        return f"{sign}{hours}h {small.format(minutes)}m"
    if minutes or not bare_seconds:
        return f"{sign}{minutes}m {small.format(secs)}s"
    return f"{sign}{secs}s"
