"""Reads of what the store holds: `history`, `diff` and `export`.

Why here: which player a name means, which scope a season argument picks and how a diff
names personal scores are decisions the CLI, the page and a future site share; the
commands parse their arguments, call one function here and render what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from halotrack.models.names import PersonalScoreBook
from halotrack.store import Scope, Store, StoredPlayer
from halotrack.store import history as hist


@dataclass
class History:
    player: StoredPlayer
    scope: Scope
    rows: list[hist.HistoryRow]


def history(
    store: Store,
    player: str,
    *,
    kind: str,
    scope: str = "lifetime",
    season: str | None = None,
    since: datetime | None = None,
) -> History:
    """A player's stored snapshots in one scope, each with what changed since the last.

    `scope` is lifetime, season (with `season`), or a season id itself."""
    with store.reader() as tx:
        p = hist.resolve_player(tx, player)
        if scope not in ("lifetime", "season"):
            scope, season = "season", scope
        elif season:  # `history PLAYER CsrSeason5-1` means that season
            scope = "season"
        sc = hist.resolve_scope(tx, p.xuid, kind, scope, season)
        rows = hist.history_rows(tx, p.xuid, kind=kind, scope=sc, since=since)
    return History(p, sc, list(rows))


def diff(
    store: Store,
    player: str,
    *,
    kind: str,
    from_at: datetime | None,
    to_at: datetime | None,
    scores: PersonalScoreBook,
) -> tuple[StoredPlayer, hist.Diff]:
    """What changed for a player between two times, with personal scores named."""
    with store.reader() as tx:
        p = hist.resolve_player(tx, player)
        result = hist.compute_diff(
            tx,
            p,
            from_at=from_at,
            to_at=to_at,
            kind=kind,
            score_name=scores.name,
            score_points=scores.points,
        )
    return p, result


def export(store: Store, player: str) -> dict[str, Any]:
    """Every stored snapshot of a player, as plain data for `export_json`/`export_csv`."""
    with store.reader() as tx:
        return hist.export_data(tx, hist.resolve_player(tx, player))
