"""The notifications outbox: events written with the change that caused them, and deliveries."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notify_events",
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("xuid", sa.BigInteger, nullable=True),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("data_json", sa.Text, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("seq", name="pk_notify_events"),
        sa.UniqueConstraint("event_id", name="uq_notify_events_event_id"),
    )
    op.create_index("ix_notify_events_xuid_seq", "notify_events", ["xuid", "seq"])
    op.create_table(
        "notify_deliveries",
        sa.Column("event_seq", sa.Integer, nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("event_seq", "target", name="pk_notify_deliveries"),
        sa.ForeignKeyConstraint(
            ["event_seq"],
            ["notify_events.seq"],
            name="fk_notify_deliveries_event_seq_notify_events",
        ),
    )
    op.create_index(
        "ix_notify_deliveries_target_status_event_seq",
        "notify_deliveries",
        ["target", "status", "event_seq"],
    )


def downgrade() -> None:
    op.drop_index("ix_notify_deliveries_target_status_event_seq", "notify_deliveries")
    op.drop_table("notify_deliveries")
    op.drop_index("ix_notify_events_xuid_seq", "notify_events")
    op.drop_table("notify_events")
