"""XUIDs the store cannot hold (issue 11, item 3): 2^63 .. 2^64-1, and 0.

Real XUIDs fit in a signed 64-bit integer, which is what the BIGINT columns hold. Typed by a
user, a larger one is a one-line usage error before any request or database write; inside an
API answer, the participant is skipped with a warning and the rest of the match is stored, so
no later cycle trips over it.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import test_hostile_cli as hostile
from litestar.testing import TestClient
from test_hostile_cli import _dump, cli

from halotrack.cli import main
from halotrack.errors import ConfigError
from halotrack.models import MatchStats, decode, decode_as
from halotrack.models.xuid import bot_name, maybe_xuid, parse_xuid, written_as_xuid, xuid_id
from halotrack.simulator import Simulator
from halotrack.site import make_app
from halotrack.store import open_store
from halotrack.store.matches import match_rows

# The hostile-input suite's simulator and environment (a SQLite store under tmp_path).
sim, env = hostile.sim, hostile.env

SIGNED_MAX = 2**63 - 1  # the largest value a BIGINT column takes, on SQLite and PostgreSQL
TOO_BIG = [2**63, 2**63 + 12345, 2**64 - 1]
TYPED_TOO_BIG = [
    "9223372036854775808",
    "18446744073709551615",
    "xuid(18446744073709551615)",
    "9" * 400,
]


# ---------------------------------------------------------------------------- the reader


def test_the_range_is_1_to_signed_64_bit() -> None:
    assert parse_xuid(SIGNED_MAX) == SIGNED_MAX
    assert parse_xuid(f"xuid({SIGNED_MAX})") == SIGNED_MAX
    assert parse_xuid(" 1 ") == 1
    for bad in [0, -1, *TOO_BIG, *map(str, TOO_BIG), *TYPED_TOO_BIG, "xuid(0)"]:
        with pytest.raises(ConfigError, match="out of range"):
            parse_xuid(bad)  # type: ignore[arg-type]
        assert maybe_xuid(bad) is None


def test_malformed_ids_and_gamertags() -> None:
    for bad in ["bid(19.0)", "xuid(12a)", "xuid()", "", "١٢٣", "12 34"]:
        with pytest.raises(ConfigError, match="malformed"):
            parse_xuid(bad)
        assert maybe_xuid(bad) is None
    assert maybe_xuid(None) is None and maybe_xuid(True) is None and maybe_xuid(1.0) is None
    assert written_as_xuid("Frosty") is None and written_as_xuid("a 2535") is None
    assert written_as_xuid("xuid(2535445291321133)") == 2535445291321133
    with pytest.raises(ConfigError, match="out of range"):
        written_as_xuid("9223372036854775808")
    assert xuid_id("2535445291321133") == "xuid(2535445291321133)"


# ---------------------------------------------------------------------------- the CLI


def active_player(sim: Simulator) -> Any:
    return next(p for p in sim.world.players if p.activity != "idle" and p.gamertag.isascii())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracked") / "store.sqlite"


@pytest.fixture
def tracked_db(sim: Simulator, env: dict[str, str], template: Path) -> Path:
    """The env's SQLite store holding one watched player with snapshots and matches (made
    once per module, then copied for each test)."""
    db = Path(env["HALOTRACK_DB"])
    if template.exists():
        shutil.copyfile(template, db)
        return db
    assert main(["watch", "add", active_player(sim).gamertag, "--matches"]) == 0
    assert main(["track", "--once"]) == 0
    shutil.copyfile(db, template)
    return db


COMMANDS = [
    ["history", "{x}"],
    ["diff", "{x}"],
    ["export", "{x}"],
    ["page", "{x}", "-o", "{tmp}/page.html"],
    ["matches", "list", "{x}"],
    ["matches", "sync", "{x}"],
    ["medals", "{x}"],
    ["track", "--once", "{x}"],
    ["watch", "remove", "{x}"],
    ["watch", "add", "{x}"],
    ["record", "{x}"],
    ["csr", "{x}"],
]


@pytest.mark.slow
@pytest.mark.parametrize("typed", TYPED_TOO_BIG[:3])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_an_xuid_out_of_range_is_one_usage_line_and_changes_nothing(
    tracked_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    typed: str,
) -> None:
    before = _dump(tracked_db)
    assert before["match_players"] and before["service_records"]
    args = [a.format(x=typed, tmp=tmp_path) for a in command]
    code, out, err = cli(capsys, *args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    # `watch add` reports each refused player on its own line; with nobody added it exits
    # with the refusal's code, like every other command.
    one_of_many = command[:2] == ["watch", "add"]
    assert code == ConfigError.exit_code, out + err
    assert len(lines) == 1 and (one_of_many or lines[0].startswith("error: ")), err
    assert one_of_many or len(lines[0]) <= 80, lines[0]
    assert "out of range" in lines[0] and "Traceback" not in out + err
    assert _dump(tracked_db) == before
    assert not (tmp_path / "page.html").exists()


# ---------------------------------------------------------------------------- serve


@pytest.mark.parametrize("xuid", [*map(str, TOO_BIG), "0", "00000000000000000000"])
def test_serve_answers_404_not_500(tmp_path: Path, xuid: str) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        with TestClient(make_app(store)) as client:
            for url in (f"/player/{xuid}", f"/api/v1/players/{xuid}"):
                resp = client.get(url)
                assert resp.status_code == 404, resp.text
    finally:
        store.close()


# ---------------------------------------------------------------------------- API answers

POISON = 2**63 + 4242


def _poison_one_match(sim: Simulator, xuid: int) -> tuple[str, str, int]:
    """Play until a match has a human guest, give that guest an id past the signed range.
    Returns (match id, the poisoned player id, number of participants)."""
    world = sim.world
    for _ in range(40):
        (mid,) = world.play(xuid, 1)
        match = world.live_matches[mid]
        slots = world.roster(match)
        guest = next((s for s in slots if not s.bot and s.xuid not in world.by_xuid), None)
        if guest is not None:
            guest.xuid, guest.player_id = POISON, f"xuid({POISON})"
            return mid, guest.player_id, len(slots)
    raise AssertionError("no match with a human guest in 40 tries")


def stored_players(url: str, match_id: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            q = sa.text("SELECT player_id FROM match_players WHERE match_id = :m")
            return sorted(r[0] for r in conn.execute(q, {"m": match_id.lower()}))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_poisoned_match_is_stored_without_that_player_and_later_cycles_work(
    sim: Simulator,
    env: dict[str, str],
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HALOTRACK_DB", store_url)
    p = active_player(sim)
    assert cli(capsys, "watch", "add", p.gamertag, "--matches")[0] == 0
    code, out, err = cli(capsys, "track", "--once", "--json")
    assert code == 0, err

    # The simulator serves from its own thread; it is idle between CLI calls.
    mid, poisoned, size = _poison_one_match(sim, p.xuid)
    caplog.clear()
    code, out, err = cli(capsys, "track", "--once", "--json")
    assert code == 0 and json.loads(out)["failures"] == [], out + err
    warnings = [r for r in caplog.records if str(POISON) in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING", caplog.text
    assert mid.lower() in warnings[0].getMessage().lower()
    assert "Traceback" not in err
    kept = stored_players(store_url, mid)
    assert len(kept) == size - 1 and poisoned not in kept

    # The next cycle neither dies nor fails the player, and stores what was played since.
    (later,) = sim.world.play(p.xuid, 1)
    code, out, err = cli(capsys, "track", "--once", "--json")
    report = json.loads(out)
    assert code == 0 and report["failures"] == [] and report["played"] == 1, out + err
    assert p.player_id in stored_players(store_url, later)


_FIRST_ID = re.compile(rb'(?<=xuid\()\d+(?=\))|(?<="xuid": ")\d+(?=")')


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("match-stats/slayer-2025.json", "match-stats"),
        ("match-skill/match-skill-one-player.json", "match-skill"),
        ("csr/playlist-csrs-one-player.json", "playlist-csr"),
        ("profile/users.json", "users"),
    ],
)
def test_an_id_out_of_range_in_a_real_answer_reads_as_no_xuid(
    real_dir: Path, sample: str, kind: str
) -> None:
    """The models' readers (match players, skill and CSR entries, profiles) give None for the
    id, as for a bot; the store's match rows leave that participant out."""
    body = (real_dir / sample).read_bytes()
    first = _FIRST_ID.search(body)
    assert first is not None
    poisoned = body[: first.start()] + str(POISON).encode() + body[first.end() :]
    ids = {
        "match-stats": lambda m: [p.xuid for p in m.players if not p.is_bot],
        "match-skill": lambda m: [e.xuid for e in m.value],
        "playlist-csr": lambda m: [e.xuid for e in m.value],
        "users": lambda m: [u.xuid_int for u in m.users],
    }[kind]
    clean, bad = ids(decode(kind, body)), ids(decode(kind, poisoned))
    assert bad == [None, *clean[1:]] and clean[0] == int(first.group())
    if kind == "match-stats":
        stats = decode_as(MatchStats, poisoned)
        rows = match_rows(stats, fetched_at=datetime.now(UTC))
        assert [r["xuid"] for r in rows.players if not r["is_bot"]] == clean[1:]
        assert all(r["xuid"] != POISON for r in rows.medals + rows.personal_scores)


@pytest.mark.parametrize(
    ("player_id", "name"),
    [("bid(17.0)", "Bot 17"), ("BID( 3 )", "Bot 3"), ("bid(2.5)", "Bot 2.5"), ("xuid(17)", None)],
)
def test_bots_get_a_readable_name_and_humans_none(player_id: str, name: str | None) -> None:
    assert bot_name(player_id) == name
