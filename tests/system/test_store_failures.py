"""The store under failure: SIGKILL mid-write, corrupt or damaged file, unwritable path, full
disk, lock, a mistyped path."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import fill_disk
from halotrack.cli import main
from halotrack.errors import StoreError
from halotrack.store import Scope, Store, open_store
from halotrack.usecases import TrackerBusy, TrackerLock

REAL = Path(__file__).parents[1] / "data" / "real"
T0 = datetime(2026, 2, 1, tzinfo=UTC)

# A child that writes one player's record + CSR + watch row per transaction, printing the
# count after each commit. With MID=n it stops inside transaction n (after the record and
# CSR are written, before commit), says so, and waits to be killed.
WRITER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import UTC, datetime, timedelta
    from halotrack.store import Scope, open_store

    url, sample, mid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    record = json.load(open(sample))
    store = open_store(url)
    store.watch_add(7, now=datetime(2026, 1, 1, tzinfo=UTC))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(100000):
        record["MatchesCompleted"] = i
        csr = {"Current": {"Value": i, "Tier": "Gold", "SubTier": 0}}
        when = t0 + timedelta(seconds=i)
        with store.transaction() as tx:
            tx.save_service_record(7, "matchmade", Scope(), record, when)
            tx.save_csr(7, "pl", "s1", csr, when)
            if i == mid:
                print("mid", flush=True)
                time.sleep(120)
            tx.watch_update(7, last_match_count=i)
        print(i, flush=True)
    """
)


def _spawn(url: str, mid: int) -> subprocess.Popen[str]:
    sample = REAL / "servicerecord" / "matchmade-lifetime.json"
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(sample), str(mid)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen[str], want: str) -> list[str]:
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.strip() == want:
            return seen
    proc.wait()
    assert proc.stderr is not None
    pytest.fail(f"writer ended before {want!r}: {proc.stderr.read()[-2000:]}")


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _counts(store: Store) -> tuple[int, int, int | None]:
    records = store.records_history(7)
    csr = store.csr_history(7)
    watch = store.watch_get(7)
    assert watch is not None
    return len(records), len(csr), watch.last_match_count


@pytest.mark.slow
def test_sigkill_inside_a_transaction_leaves_nothing_of_it(store_url: str) -> None:
    proc = _spawn(store_url, mid=5)
    try:
        _wait_for(proc, "mid")
    finally:
        _kill(proc)
    store = open_store(store_url)
    try:
        assert _counts(store) == (5, 5, 4)
        assert store.integrity_check() == []
        # The store is usable afterwards: the killed writer's lock is gone.
        assert store.save_service_record(7, "matchmade", Scope(), {"x": 1}, T0) == "created"
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_at_a_random_moment_keeps_whole_units(store_url: str) -> None:
    proc = _spawn(store_url, mid=-1)
    try:
        committed = _wait_for(proc, "20")
    finally:
        _kill(proc)
    store = open_store(store_url)
    try:
        records, csrs, last = _counts(store)
        assert records == csrs, "a unit was half-written"
        assert records >= len(committed)
        assert last == records - 1
        assert [r.matches_completed for r in store.records_history(7)] == list(range(records))
        assert store.integrity_check() == []
    finally:
        store.close()


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_corrupt_file_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite"
    path.write_bytes(b"this is not a database, just some bytes\n" * 200)
    with pytest.raises(StoreError) as info:
        open_store(_sqlite_url(path))
    assert "corrupt or not a SQLite database" in info.value.message
    assert str(path) in info.value.message
    assert info.value.hint and "backup" in info.value.hint


def test_unwritable_path_is_a_clear_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        open_store(_sqlite_url(blocker / "sub" / "db.sqlite"))
    assert "cannot create the database folder" in info.value.message
    assert info.value.hint and "--db" in info.value.hint


def test_read_only_database_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite"
    open_store(_sqlite_url(path)).close()
    ro = open_store(f"sqlite:///file:{path}?mode=ro&uri=true", upgrade=False)
    try:
        with pytest.raises(StoreError) as info:
            ro.save_service_record(1, "matchmade", Scope(), {}, T0)
        assert "cannot open or write" in info.value.message
    finally:
        ro.close()


def test_full_disk_is_a_store_error_and_earlier_data_survives(tmp_path: Path) -> None:
    path = tmp_path / "small.sqlite"
    sample = json.loads((REAL / "servicerecord" / "matchmade-lifetime.json").read_text())
    store = open_store(_sqlite_url(path))
    store.save_service_record(1, "matchmade", Scope(), sample, T0)
    with store.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    store.close()

    capped = open_store(_sqlite_url(path), pragmas={"max_page_count": pages + 40})
    written = 1
    with pytest.raises(StoreError) as info:
        for i in range(1, 200):
            sample["MatchesCompleted"] = 2664 + i
            capped.save_service_record(1, "matchmade", Scope(), sample, T0 + timedelta(i))
            written += 1
    capped.close()
    assert "is full" in info.value.message
    assert info.value.hint and "free disk space" in info.value.hint
    assert written > 1  # some fitted before the cap was hit

    again = open_store(_sqlite_url(path))
    try:
        history = again.records_history(1)
        assert len(history) == written
        assert [r.matches_completed for r in history] == list(range(2664, 2664 + written))
        assert again.integrity_check() == []
    finally:
        again.close()


def test_locked_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    open_store(_sqlite_url(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = open_store(_sqlite_url(path), upgrade=False, pragmas={"busy_timeout": 50})
        try:
            with pytest.raises(StoreError) as info:
                store.save_service_record(1, "matchmade", Scope(), {}, T0)
            assert "locked by another process" in info.value.message
        finally:
            store.close()
    finally:
        holder.rollback()
        holder.close()


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError) as info:
        open_store(f"postgresql+psycopg://halo:s3cret-pw@127.0.0.1:{port}/nowhere")
    assert "cannot connect" in info.value.message
    assert "s3cret-pw" not in str(info.value)
    assert "***" in info.value.message


def test_opening_does_not_wait_for_a_busy_writer(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite"
    open_store(_sqlite_url(path)).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a tracker in the middle of a write
    try:
        store = open_store(_sqlite_url(path), pragmas={"busy_timeout": 50})
        try:
            assert store.records_history(1) == []  # reads go on beside the writer (WAL)
        finally:
            store.close()
    finally:
        writer.rollback()
        writer.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs with their own config and data folders and no sign-in."""
    for k in list(os.environ):
        if k.startswith("HALOTRACK_") and k not in ("HALOTRACK_SIM_TOKEN_PREFIX",):
            monkeypatch.delenv(k)
    for name in ("config", "data", "cache"):
        monkeypatch.setenv(f"HALOTRACK_{name.upper()}_DIR", str(tmp_path / name))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("COLUMNS", "80")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    """The one line an error must be: no traceback, nothing else on stderr."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_track_on_a_disk_already_full_is_one_line_and_the_storage_exit_code(
    tiny_fs: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tracker lock is the first thing `track` writes: on a full disk it must say so."""
    db = tiny_fs / "store.sqlite"
    with open_store(_sqlite_url(db)) as store:
        store.watch_add(7, gamertag="Seven")
    filler = fill_disk(tiny_fs)
    code, out, err = run_cli(capsys, "--db", str(db), "track", "--once", "--quiet")
    assert code == StoreError.exit_code, out + err
    line = error_line(err)
    assert "disk is full" in line and "free disk space" in line, line
    filler.unlink()
    with open_store(_sqlite_url(db)) as store:
        assert store.integrity_check() == []
        assert [w.xuid for w in store.watch_list()] == [7]
    # with room again the lock is taken (and the lock file left from the failure is reused)
    with TrackerLock(_sqlite_url(db)) as lock:
        assert lock.path is not None and lock.path.read_text() == str(os.getpid())


def test_every_spelling_of_one_sqlite_file_meets_the_same_tracker_lock(tmp_path: Path) -> None:
    """A symlink to the file, a symlinked folder and `..` all lead to one database, so a
    second tracker through any of them must find the first one running."""
    real = tmp_path / "real" / "store.sqlite"
    real.parent.mkdir()
    open_store(_sqlite_url(real)).close()
    (tmp_path / "link.sqlite").symlink_to(real)
    (tmp_path / "linked-dir").symlink_to(real.parent)
    spellings = [
        tmp_path / "link.sqlite",
        tmp_path / "linked-dir" / "store.sqlite",
        tmp_path / "real" / ".." / "real" / "store.sqlite",
    ]
    with TrackerLock(_sqlite_url(real)):
        for other in spellings:
            with pytest.raises(TrackerBusy):
                TrackerLock(_sqlite_url(other)).acquire()
    for first in spellings:  # and the other way round
        with TrackerLock(_sqlite_url(first)), pytest.raises(TrackerBusy):
            TrackerLock(_sqlite_url(real)).acquire()


# -- a damaged database: `db check` sees every missing piece, writers refuse it -------------


def _filled_db(path: Path, rows: int = 400) -> None:
    """A database of many pages, so that the middle of the file is table data."""
    record = json.loads((REAL / "servicerecord" / "matchmade-lifetime.json").read_bytes())
    with open_store(_sqlite_url(path)) as store, store.transaction() as tx:
        tx.watch_add(7, gamertag="Seven")
        for i in range(rows):
            record["MatchesCompleted"] = i
            tx.save_service_record(7, "matchmade", Scope(), record, T0 + timedelta(hours=i))


def _damage(path: Path, seed: int = 11) -> None:
    """Random bytes over a page in the middle of the file, as a bad disk or a stray write."""
    import random

    rng = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2 - size // 2 % 4096)
        f.write(rng.randbytes(4096))


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["track", "--once", "--quiet"],
        ["watch", "add", "Someone"],
        ["matches", "sync", "Seven"],
        ["db", "upgrade"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_writers_refuse_a_damaged_database_and_leave_it_as_it_was(
    argv: list[str], tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.sqlite"
    _filled_db(db)
    _damage(db)
    with sqlite3.connect(db) as raw:  # the premise: SQLite itself finds the damage
        assert raw.execute("PRAGMA quick_check").fetchall() != [("ok",)]
    before = db.read_bytes()
    code, out, err = run_cli(capsys, "--api", "http://127.0.0.1:9", "--db", str(db), *argv)
    assert code == StoreError.exit_code, out + err
    line = error_line(err)
    assert "damaged" in line and "db check" in line, line
    assert db.read_bytes() == before
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


@pytest.mark.slow
def test_db_check_names_the_damage(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.sqlite"
    _filled_db(db)
    _damage(db)
    with sqlite3.connect(db) as raw:
        found = raw.execute("PRAGMA integrity_check").fetchall()
    assert found != [("ok",)]
    code, out, err = run_cli(capsys, "--db", str(db), "db", "check", "--json")
    assert code == StoreError.exit_code, err
    problems = json.loads(out)["problems"]
    assert problems == [f"sqlite integrity_check: {msg}" for (msg,) in found]
    error_line(err)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    open_store(_sqlite_url(path)).close()
    return path


def _schema_objects(path: Path) -> list[tuple[str, str]]:
    """(type, name) of every table, index and view the migrations made, read from SQLite's
    own catalogue, not from halotrack's idea of the schema."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index', 'view') "
            "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY type, name"
        ).fetchall()
    return [(t, n) for t, n in rows]


def test_the_schema_has_tables_indexes_and_views(migrated_template: Path) -> None:
    kinds = {t for t, _ in _schema_objects(migrated_template)}
    assert kinds == {"table", "index", "view"}  # so the cases below cover each kind


def _drop_cases() -> list[tuple[str, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "store.sqlite"
        open_store(_sqlite_url(path)).close()
        return _schema_objects(path)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "name"), _drop_cases(), ids=lambda v: str(v))
def test_db_check_finds_every_missing_table_index_and_view(
    kind: str,
    name: str,
    migrated_template: Path,
    tmp_path: Path,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "store.sqlite"
    db.write_bytes(migrated_template.read_bytes())
    code, out, err = run_cli(capsys, "--db", str(db), "db", "check")
    assert code == 0, out + err
    with sqlite3.connect(db) as raw:  # foreign keys off: drop even what others refer to
        raw.execute(f'DROP {kind.upper()} "{name}"')
    code, out, err = run_cli(capsys, "--db", str(db), "db", "check", "--json")
    assert code == StoreError.exit_code, out + err
    report = json.loads(out)
    assert report["ok"] is False
    assert any(f"{kind} {name} " in p for p in report["problems"]), report["problems"]


# -- a mistyped --db: commands that only read never create a database or a folder -----------

GUID = "2a7e5c9e-0000-4000-8000-000000000001"
READERS = [
    ["history", "Seven"],
    ["diff", "Seven"],
    ["export", "Seven"],
    ["page", "Seven"],
    ["watch", "list"],
    ["watch", "remove", "Seven"],
    ["matches", "list", "Seven"],
    ["match", GUID],
    ["medals", "Seven"],
    ["scores", "infer"],
    ["serve", "--port", "9"],
    ["db", "check"],
]


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """`serve` returns at once instead of serving (a store it opened is all it needs)."""
    import halotrack.cli.serve as cli_serve

    served: list[object] = []
    monkeypatch.setattr(cli_serve, "run_server", lambda store, **_: served.append(store))
    return served


@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_reader_on_a_missing_database_creates_nothing_and_says_so(
    argv: list[str],
    tmp_path: Path,
    cli_env: None,
    no_server: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "typo" / "deeper" / "x.sqlite"
    code, out, err = run_cli(capsys, "--api", "http://127.0.0.1:9", "--db", str(db), *argv)
    assert code == StoreError.exit_code, out + err
    line = error_line(err)
    assert f"no halotrack database at {db}" in line and "watch add" in line, line
    assert not (tmp_path / "typo").exists()
    assert no_server == []


@pytest.mark.parametrize("argv", [["watch", "list"], ["history", "Seven"], ["db", "check"]])
def test_a_reader_on_an_empty_database_adds_no_tables(
    argv: list[str],
    store_url: str,
    tmp_path: Path,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An empty SQLite file or PostgreSQL schema has no halotrack data: same answer, and
    still no tables afterwards."""
    import sqlalchemy as sa

    if store_url.startswith("sqlite"):
        (tmp_path / "store.sqlite").touch()
    code, out, err = run_cli(capsys, "--db", store_url, *argv)
    assert code == StoreError.exit_code, out + err
    assert "no halotrack database at" in error_line(err)
    engine = sa.create_engine(store_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_db_upgrade_creates_the_database_a_reader_then_finds(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "new" / "x.sqlite"
    code, out, err = run_cli(capsys, "--db", str(db), "db", "upgrade")
    assert code == 0, out + err
    code, out, err = run_cli(capsys, "--db", str(db), "watch", "list")
    assert code == 0, out + err
    assert "nobody" in out


# -- CI: nothing skips when every service is required ---------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("require", ["1", ""])
def test_a_skip_fails_the_run_when_services_are_required(require: str, tmp_path: Path) -> None:
    """Whatever skips (a mark, a bare pytest.skip, importorskip), HALOTRACK_REQUIRE_SERVICES=1
    turns it into a failure; without it, a skip stays a skip."""
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n"
        "@pytest.mark.skip(reason='a mark')\n"
        "def test_marked(): pass\n"
        "def test_bare(): pytest.skip('no service here')\n"
        "def test_import(): pytest.importorskip('no_such_module_anywhere')\n"
        "def test_fine(): pass\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HALOTRACK_REQUIRE_SERVICES"}
    env["HALOTRACK_REQUIRE_SERVICES"] = require
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
         "-p", "no:randomly", "--rootdir", str(tmp_path), str(tmp_path)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    last = done.stdout.strip().splitlines()[-1]
    if require:  # a mark skips during setup, so that one is reported as an error
        assert done.returncode != 0 and "skipped" not in last, done.stdout[-3000:]
        assert "1 passed" in last
        for name in ("test_marked", "test_bare", "test_import"):
            assert f"{name} - skipped although" in done.stdout
    else:
        assert "1 passed, 3 skipped" in last, done.stdout[-3000:]
