"""`halotrack db upgrade|check`: bring the database schema to this version; check integrity.

Why: every command opens the store and migrates on the way, but an operator upgrading a
shared PostgreSQL database, or worried after a crash, wants to do it (or verify) on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from halotrack.cli.common import JsonOpt, console, open_db, print_json, run, state
from halotrack.errors import StoreError

if TYPE_CHECKING:
    pass

app = typer.Typer(help="Database maintenance: schema upgrade and integrity check.")


@app.command("upgrade", help="Create the database or migrate it to this version's schema.")
def upgrade_cmd(ctx: typer.Context) -> None:
    from halotrack.store.engine import parse_url
    from halotrack.store.migrate import upgrade_url

    database = state(ctx).settings().database_url()
    where, before, after = upgrade_url(database)
    if before == after:
        console.print(f"{where}: schema already at revision {after}", highlight=False)
    else:
        console.print(
            f"{where}: schema upgraded from {before or 'empty'} to {after}", highlight=False
        )
    url = parse_url(database)
    if url.get_backend_name() == "postgresql":
        _queue_schema(url.render_as_string(hide_password=False), where)


def _queue_schema(url: str, where: str) -> None:
    """The workers' job queue (procrastinate's tables), when the workers extra is there."""
    try:
        from halotrack.workers.run import install_queue_schema
    except ImportError:
        return  # single-process use needs no queue; `pip install 'halotrack[workers]'` adds it
    installed = run(install_queue_schema(url))
    what = "installed" if installed else "already there"
    console.print(f"{where}: job queue schema {what}", highlight=False)


@app.command("check", help="Check the database: schema, SQLite integrity, foreign keys, snapshots.")
def check_cmd(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    from halotrack.store.migrate import store_schema_problems

    store = open_db(ctx, upgrade=False, write=False)
    try:
        current, head = store.schema_status()
        problems = store_schema_problems(store) if current == head else []
        try:
            problems += store.integrity_check()
        except StoreError as exc:
            if not problems:
                raise
            # the queries need the tables the schema check found missing
            problems.append(f"further checks stopped: {exc.message}")
    finally:
        store.close()
    if as_json:
        print_json(
            {
                "database": store.where,
                "revision": current,
                "head": head,
                "ok": not problems,
                "problems": problems,
            }
        )
    else:
        for p in problems:
            console.print(f"problem: {p}", highlight=False, markup=False)
        if current != head:
            console.print(
                f"schema at {current or 'empty'}, this halotrack wants {head}: "
                "run `halotrack db upgrade`",
                highlight=False,
            )
        if not problems:
            console.print(f"{store.where}: ok ({current or 'empty'})", highlight=False)
    if problems:
        raise StoreError(
            f"{len(problems)} integrity problem(s) in {store.where}",
            hint="restore from a backup, or export what is readable with `halotrack export`",
        )
