"""Migrations on SQLite and PostgreSQL: from empty, idempotent, matching the code's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from halotrack.errors import StoreError
from halotrack.store import Scope, open_store
from halotrack.store import migrate as mig
from halotrack.store.engine import make_engine
from halotrack.store.schema import VIEWS, metadata

TABLES = {
    "players",
    "gamertags",
    "service_records",
    "csr_snapshots",
    "metadata_cache",
    "watch_list",
    "seasons_fetched",
    "matches",
    "match_players",
    "match_teams",
    "match_medals",
    "match_personal_scores",
    "match_assets",
    "match_sync",
}


@pytest.mark.slow
def test_migrates_from_empty(store_url: str) -> None:
    store = open_store(store_url)
    try:
        insp = sa.inspect(store.engine)
        assert set(insp.get_table_names()) >= TABLES
        assert set(VIEWS) <= set(insp.get_view_names())
        assert store.schema_status() == (mig.head_revision(), mig.head_revision())
        assert store.integrity_check() == []
    finally:
        store.close()


def test_migrations_are_idempotent_and_keep_data(store_url: str) -> None:
    from datetime import UTC, datetime

    first = open_store(store_url)
    first.save_service_record(1, "matchmade", Scope(), {"MatchesCompleted": 1}, datetime.now(UTC))
    first.close()
    engine = make_engine(store_url)
    try:
        head = mig.head_revision()
        assert mig.upgrade(engine, "test") == (head, head)
    finally:
        engine.dispose()
    second = open_store(store_url)
    try:
        latest = second.latest_record(1)
        assert latest is not None and latest.matches_completed == 1
    finally:
        second.close()


def test_migrated_schema_matches_the_code(store_url: str) -> None:
    """Both ways: every table, column, index and constraint of `schema.metadata` is in the
    migrated database, and the migrations create nothing the schema module lacks."""
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, metadata)
        assert diff == []
    finally:
        store.close()


def test_migrated_constraints_carry_the_schema_names(store_url: str) -> None:
    """The comparison above ignores constraint names; the migrations must still give every
    primary key, foreign key and unique constraint the name `schema.py` gives it (a later
    migration that alters one finds it by that name)."""
    store = open_store(store_url)
    try:
        insp = sa.inspect(store.engine)
        for table in metadata.sorted_tables:
            assert insp.get_pk_constraint(table.name)["name"] == table.primary_key.name
            fks = {fk["name"] for fk in insp.get_foreign_keys(table.name)}
            assert fks == {fk.name for fk in table.foreign_key_constraints}, table.name
            uqs = {uq["name"] for uq in insp.get_unique_constraints(table.name)}
            want = {c.name for c in table.constraints if isinstance(c, sa.UniqueConstraint)}
            assert uqs == want, table.name
    finally:
        store.close()


def test_every_table_is_declared_in_the_schema_module() -> None:
    """No table joins the MetaData as a side effect of importing some other module."""
    import halotrack.store.schema as schema

    declared = {v.name for v in vars(schema).values() if isinstance(v, sa.Table)}
    assert declared == set(metadata.tables)
    assert {t.name for t in schema.MATCH_TABLES} < declared


def _migration_modules() -> list[Path]:
    import halotrack.store.migrations as migrations

    root = Path(migrations.__file__).parent
    return sorted(root.rglob("*.py"))


def test_migrations_import_no_halotrack_code() -> None:
    """Frozen migrations: each revision declares what it creates, so it runs the same
    whatever the app's modules later become (and loading the tree runs no app code)."""
    import ast

    files = _migration_modules()
    assert any(f.parent.name == "versions" and f.name.startswith("0002") for f in files)
    offenders = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["." * node.level]
            else:
                continue
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("halotrack", ".")
            ]
    assert offenders == []


@pytest.mark.slow
def test_downgrade_to_base_and_back(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.engine.connect().execution_options(halotrack_write=True) as conn:
            with conn.begin():
                command.downgrade(mig.alembic_config(conn), "base")
            assert not (TABLES & set(sa.inspect(conn).get_table_names()))
    finally:
        store.close()
    again = open_store(store_url)
    try:
        assert set(sa.inspect(again.engine).get_table_names()) >= TABLES
    finally:
        again.close()


def test_database_newer_than_code_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'zz99_future'")
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this halotrack") as info:
        open_store(store_url)
    assert info.value.hint and "upgrade halotrack" in info.value.hint


def test_default_location_is_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from halotrack.config import Settings

    monkeypatch.setenv("HALOTRACK_DATA_DIR", str(tmp_path / "data"))
    url = Settings().database_url()
    store = open_store(url)
    try:
        assert (tmp_path / "data" / "halotrack.sqlite").exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        store.close()
