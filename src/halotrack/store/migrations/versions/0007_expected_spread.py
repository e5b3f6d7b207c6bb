"""The spread (StdDev) of the skill service's expected kills and deaths on match_players.

Why: the performance index divides by these spreads; with only the expectations stored,
every index meant decoding the match's whole skill answer. Existing rows are filled from
the stored skill answers (plain JSON: the entry whose `Id` names the row's XUID, the last
one if repeated, as the match writer reads it); rows without an answer stay NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 500
_XUID = re.compile(r"^\s*(?:xuid\()?([0-9]+)\)?\s*$", re.IGNORECASE)


def _spreads(skill_json: str) -> dict[int, tuple[float | None, float | None]]:
    """XUID -> (kills spread, deaths spread) of one skill answer."""
    try:
        answer = json.loads(skill_json)
    except ValueError:
        return {}
    out: dict[int, tuple[float | None, float | None]] = {}
    entries = answer.get("Value") if isinstance(answer, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("ResultCode", 0) != 0:
            continue
        found = _XUID.match(str(entry.get("Id", "")))
        result = entry.get("Result")
        perf = result.get("StatPerformances") if isinstance(result, dict) else None
        if found is None or not isinstance(perf, dict):
            continue
        out[int(found.group(1))] = (_sd(perf.get("Kills")), _sd(perf.get("Deaths")))
    return out


def _sd(block: Any) -> float | None:
    if not isinstance(block, dict):
        return None
    value = block.get("StdDev", 0.0)
    return float(value) if isinstance(value, (int, float)) else None


def _backfill() -> None:
    conn = op.get_bind()
    matches = sa.table("matches", sa.column("match_id"), sa.column("skill_json"))
    players = sa.table(
        "match_players",
        sa.column("match_id"),
        sa.column("xuid"),
        sa.column("expected_kills"),
        sa.column("expected_deaths"),
        sa.column("expected_kills_sd"),
        sa.column("expected_deaths_sd"),
    )
    update = (
        players.update()
        .where(players.c.match_id == sa.bindparam("m"), players.c.xuid == sa.bindparam("x"))
        .values(
            expected_kills_sd=sa.case(
                (players.c.expected_kills.is_not(None), sa.bindparam("k", type_=sa.Float)),
                else_=None,
            ),
            expected_deaths_sd=sa.case(
                (players.c.expected_deaths.is_not(None), sa.bindparam("d", type_=sa.Float)),
                else_=None,
            ),
        )
    )
    after = ""
    while True:
        batch = conn.execute(
            sa.select(matches.c.match_id, matches.c.skill_json)
            .where(matches.c.skill_json.is_not(None), matches.c.match_id > after)
            .order_by(matches.c.match_id)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        params = [
            {"m": mid, "x": xuid, "k": k, "d": d}
            for mid, text in batch
            for xuid, (k, d) in _spreads(text).items()
        ]
        if params:
            conn.execute(update, params)
        after = batch[-1][0]


def upgrade() -> None:
    op.add_column("match_players", sa.Column("expected_kills_sd", sa.Float, nullable=True))
    op.add_column("match_players", sa.Column("expected_deaths_sd", sa.Float, nullable=True))
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("match_players") as batch:
        batch.drop_column("expected_deaths_sd")
        batch.drop_column("expected_kills_sd")
