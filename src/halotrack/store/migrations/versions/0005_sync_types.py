"""Match sync state per match history type (all, matchmaking, custom, local).

Why: a custom-games backfill and a matchmade one page different histories; with one state per
player, each would stop the other early. Existing rows are the `all` history's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


_TS = sa.DateTime(timezone=True)
_COPIED = "xuid, newest_match_id, newest_start_time, frontier, complete, updated_at"


def upgrade() -> None:
    column = sa.Column("history_type", sa.String(16), nullable=False, server_default="all")
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot change a primary key: the table is rebuilt with both columns as key.
        op.create_table(
            "match_sync_new",
            sa.Column("xuid", sa.BigInteger, nullable=False),
            column,
            sa.Column("newest_match_id", sa.String(64), nullable=True),
            sa.Column("newest_start_time", _TS, nullable=True),
            sa.Column("frontier", sa.Integer, nullable=False, server_default="0"),
            sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("updated_at", _TS, nullable=False),
            sa.PrimaryKeyConstraint("xuid", "history_type", name="pk_match_sync"),
            sa.ForeignKeyConstraint(["xuid"], ["players.xuid"], name="fk_match_sync_xuid_players"),
        )
        op.execute(f"INSERT INTO match_sync_new ({_COPIED}) SELECT {_COPIED} FROM match_sync")
        op.drop_table("match_sync")
        op.rename_table("match_sync_new", "match_sync")
        return
    op.add_column("match_sync", column)
    op.drop_constraint("pk_match_sync", "match_sync", type_="primary")
    op.create_primary_key("pk_match_sync", "match_sync", ["xuid", "history_type"])


def downgrade() -> None:
    op.execute("DELETE FROM match_sync WHERE history_type <> 'all'")
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("match_sync", recreate="always") as batch:
            batch.drop_column("history_type")
        return
    op.drop_constraint("pk_match_sync", "match_sync", type_="primary")
    op.drop_column("match_sync", "history_type")
    op.create_primary_key("pk_match_sync", "match_sync", ["xuid"])
