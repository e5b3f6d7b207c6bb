"""Secrets in notification URLs: a canary token in a webhook URL never appears in what any
`halotrack notify` command prints (failures included, with --debug too), in log records at
DEBUG, in any database table, in exception text or reprs, or in any file but the owner-only
targets file. The canary is this module's own (not the session's token canary), since the
targets file holds it on purpose.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from halotrack.cli import main
from halotrack.errors import HaloTrackError
from halotrack.store import open_store
from halotrack.usecases.notify import DeliveryFailed, TargetsFile, send_test
from halotrack.wiring.notify import AppriseSender
from tests.support.notify import insert_events, make_events, receiver

HOOK_CANARY = f"HoOkCaNaRy{uuid.uuid4().hex[:12]}"


def test_a_webhook_token_never_leaks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HALOTRACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HALOTRACK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text("notify_timeout = 1\n")
    db = tmp_path / "n.sqlite"
    monkeypatch.setenv("HALOTRACK_DB", str(db))
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    codes: dict[str, int] = {}

    def run(*args: str) -> None:
        try:
            codes[" ".join(args)] = main(list(args))
        except HaloTrackError as exc:  # --debug lets it through, to show its traceback
            codes[" ".join(args)] = exc.exit_code
            outputs.append("".join(traceback.format_exception(exc)))
        out, err = capsys.readouterr()
        outputs.append(out + err)

    secret = f"{HOOK_CANARY}/{HOOK_CANARY}x?token={HOOK_CANARY}y"
    with receiver(lambda n: "500" if n % 3 else "ok") as rec, receiver(lambda n: "close") as dead:
        good, bad = f"{rec.url()}/{secret}", f"{dead.url()}/{secret}"
        for debug in ((), ("--debug",)):
            run(*debug, "notify", "add", good)
            run(*debug, "notify", "add", bad, "--on", "rank")
            run(*debug, "notify", "add", f"nosuchscheme://{HOOK_CANARY}/x")
            run(*debug, "notify", "add", good, "--player", "Nobody Here")
            run(*debug, "notify", "test", good)
            run(*debug, "notify", "test", bad)
            run(*debug, "notify", "test", f"tgram://{HOOK_CANARY}:AAA/1")
        ids = [t.id for t in TargetsFile().load()]
        with open_store(f"sqlite:///{db}") as store:
            insert_events(store, make_events([1, 2], 3))
        for debug in ((), ("--debug",)):
            run(*debug, "notify", "send")
            run(*debug, "notify", "send", "--json")
            run(*debug, "notify", "list")
            run(*debug, "notify", "list", "--failed", "--json")
            run(*debug, "notify", "test", ids[0])
        run("notify", "remove", ids[-1])
        with pytest.raises(DeliveryFailed) as caught:
            send_test(AppriseSender(timeout=1), bad)
    # the URL was really used: the canary reached both receivers in the request path
    assert any(HOOK_CANARY in p for p in rec.paths) and any(HOOK_CANARY in p for p in dead.paths)
    assert codes["notify add nosuchscheme://" + HOOK_CANARY + "/x"] != 0
    assert codes[f"notify test {bad}"] != 0
    assert HOOK_CANARY in TargetsFile().path.read_text()  # kept, owner-only, on purpose

    leaks = [o for o in outputs if HOOK_CANARY in o]
    assert leaks == [], leaks[0][:300] if leaks else ""
    records = [f"{r.name} {r.getMessage()} {r.exc_info!r}" for r in caplog.records]
    assert records, "nothing was logged: the log check would prove nothing"
    assert [r for r in records if HOOK_CANARY in r] == []
    error = caught.value
    assert isinstance(error, HaloTrackError)
    assert HOOK_CANARY not in f"{error} {error!r} {error.__cause__!r}"
    assert all(HOOK_CANARY not in repr(t) for t in TargetsFile().load())

    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                assert HOOK_CANARY not in repr(tuple(row)), table
    engine.dispose()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != TargetsFile().path:
            assert HOOK_CANARY.encode() not in path.read_bytes(), path
