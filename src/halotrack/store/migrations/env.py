"""Alembic environment: always handed a live connection by `halotrack.store.migrate`.

Imports nothing from halotrack: each revision declares what it creates, frozen, so an old
revision runs the same whatever the code's schema has become. That includes the names
`op.create_table` gives constraints, which come from the naming convention below (a frozen
copy of the one `schema.py` had when 0001 was written). No autogenerate here;
tests/test_store_migrations.py compares a migrated database with `schema.metadata`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through halotrack.store.migrate (or `halotrack db upgrade`)")

context.configure(
    connection=connection,
    target_metadata=sa.MetaData(naming_convention=NAMING),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
