"""Alembic migration tree, run programmatically by `halotrack.store.migrate`."""
