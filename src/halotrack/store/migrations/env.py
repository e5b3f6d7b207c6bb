"""Alembic environment: always handed a live connection by `halotrack.store.migrate`.

Imports nothing from halotrack: each revision declares what it creates, frozen, so an old
revision runs the same whatever the code's schema has become. No autogenerate here;
tests/test_store_migrations.py compares a migrated database with `schema.metadata`.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through halotrack.store.migrate (or `halotrack db upgrade`)")

context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
