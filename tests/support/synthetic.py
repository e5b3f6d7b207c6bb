"""Synthetic snapshot series and matches that end at a real record, for tests and benchmarks.

Why: a real player's history takes months to collect; the page's charts, deltas and size
limits must be exercised now. The series walk backwards from the real totals, so the last
point equals the record on the page. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from halotrack.models.csr import csr_block
from halotrack.models.summary import RecordSummary
from halotrack.report.data import CsrPoint, HistoryPoint, ListedMatch

MODES = ("Slayer", "Capture the Flag", "Oddball", "Strongholds", "King of the Hill")
MAPS = ("Live Fire", "Recharge", "Streets", "Aquarius", "Empyrean", "Solitude")
PLACEMENT_MATCHES = 5


def history(
    end: RecordSummary, *, count: int, until: datetime, step: timedelta, seed: int = 1
) -> list[HistoryPoint]:
    """`count` lifetime snapshots, `step` apart, ending at `end` captured at `until`."""
    rng = random.Random(seed)
    points = []
    cur = HistoryPoint(
        until,
        end.matches or 0,
        end.wins or 0,
        end.losses or 0,
        end.ties or 0,
        end.kills or 0,
        end.deaths or 0,
        end.assists or 0,
        end.time_played or timedelta(0),
    )
    for i in range(count):
        points.append(cur)
        played = rng.choice((0, 0, 1, 1, 2, 3, 4, 6))
        if cur.matches - played < 0:
            played = cur.matches
        wins = min(sum(rng.random() < 0.53 for _ in range(played)), cur.wins)
        losses = min(played - wins, cur.losses)
        kills = min(sum(rng.randint(8, 22) for _ in range(played)), cur.kills)
        deaths = min(sum(rng.randint(6, 16) for _ in range(played)), cur.deaths)
        assists = min(sum(rng.randint(2, 9) for _ in range(played)), cur.assists)
        cur = HistoryPoint(
            until - step * (i + 1),
            cur.matches - played,
            cur.wins - wins,
            cur.losses - losses,
            cur.ties,
            cur.kills - kills,
            cur.deaths - deaths,
            cur.assists - assists,
            max(cur.time_played - timedelta(minutes=11 * played), timedelta(0)),
        )
    points.reverse()
    return points


def csr_history(
    playlists: Sequence[tuple[str, int]],
    *,
    count: int,
    until: datetime,
    step: timedelta,
    seed: int = 2,
) -> list[CsrPoint]:
    """A random walk per playlist ending at the given current value (-1 stays unranked)."""
    rng = random.Random(seed)
    out: list[CsrPoint] = []
    for pid, final in playlists:
        value = final if final >= 0 else 1400
        walk = []
        for i in range(count):
            walk.append(CsrPoint(until - step * i, pid, value if final >= 0 or i else -1))
            value = max(0, value + rng.randint(-14, 13))
        out.extend(reversed(walk))
    return sorted(out, key=lambda p: p.captured_at)


def matches(count: int, *, until: datetime, seed: int = 3) -> list[ListedMatch]:
    """`count` matches, newest at `until`, roughly 25 minutes apart, some ranked."""
    rng = random.Random(seed)
    out = []
    csr = 1480
    for i in range(count):
        ranked = rng.random() < 0.5
        before = csr
        after = max(0, csr + rng.randint(-12, 12)) if ranked else None
        if after is not None:
            csr = after
        outcome = rng.choice(("Win", "Win", "Loss", "Loss", "Tie", "Did not finish"))
        out.append(
            ListedMatch(
                match_id=f"{rng.getrandbits(128):032x}",
                start_time=until - timedelta(minutes=25 * i),
                mode=rng.choice(MODES),
                map=rng.choice(MAPS),
                playlist="Ranked Arena" if ranked else "Quick Play",
                outcome=outcome,
                kills=rng.randint(3, 30),
                deaths=rng.randint(3, 22),
                assists=rng.randint(0, 15),
                csr_before=before if ranked else None,
                csr_after=after,
            )
        )
    return out


def csr_result(current: int, season_max: int, all_time_max: int) -> dict[str, object]:
    """A skill-service `Result` object for one player and playlist."""
    return {
        "Current": csr_block(current, 0, placement=PLACEMENT_MATCHES),
        "SeasonMax": csr_block(season_max, 0, placement=PLACEMENT_MATCHES),
        "AllTimeMax": csr_block(all_time_max, 0, placement=PLACEMENT_MATCHES),
    }
