"""What the CLI says and how it exits (issue 17): every `halotrack ...` the code and README
mention exists, one exit code per meaning, help that reads well, and the inputs a newcomer
types (`history PLAYER SEASON`, `diff --from`, `track --every`, `postgres://` URLs)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from test_history_cli import GT, T0, db, run  # noqa: F401  (db is a fixture)
from test_hostile_cli import env, sim  # noqa: F401  (fixtures: a simulator, env pointing at it)
from typer.testing import CliRunner

from halotrack import errors
from halotrack.cli import app, main
from halotrack.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
TREE = typer.main.get_command(app)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@cache
def parse(*args: str, columns: int = 80) -> tuple[int, str]:
    """Run the real app the way a shell would, for `--help` and usage errors (which click
    writes as bytes: `main`'s output tee in conftest takes text only). Remembered: many
    mentions and every help test ask for the same few dozen command lines."""
    got = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    return got.exit_code, got.output


def commands(
    group: Any = TREE, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the real app with its path, groups included."""
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from commands(sub, (*path, name))


# -- item 2: every command a user is told to type exists ---------------------------------

_SPANS = [
    re.compile(r"`(halotrack [^`\n]+)`"),
    re.compile(r"<code>(halotrack [^<\n]+)</code>"),
]
_README_LINE = re.compile(r"^(halotrack .*)$", re.M)
_FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
_ALTERNATIVES = re.compile(r"^[a-z-]+(?:[|/][a-z-]+)+$")


def mentions() -> list[tuple[str, str]]:
    """(where, command line) for each `halotrack ...` in backticks or <code> in src/ and
    the README, and each README line that starts with `halotrack` (its code blocks)."""
    found = []
    files = sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "src").rglob("*.j2"))
    files += [ROOT / "README.md"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        spans = [m.group(1) for rx in _SPANS for m in rx.finditer(text)]
        if path.name == "README.md":
            for block in _FENCED.finditer(text):
                spans += [m.group(1) for m in _README_LINE.finditer(block.group(1))]
        found += [(str(path.relative_to(ROOT)), s) for s in spans]
    return found


def words_of(mention: str) -> list[str]:
    """A mention as arguments: placeholders kept as words, shell syntax and `[...|...]`
    usage brackets dropped, comments and continuations cut. Alternatives (`add|remove`,
    `history/diff`) are checked one by one by `lines_of`."""
    text = re.sub(r"\{[^}]*\}", "X", mention)  # f-string fields
    text = re.split(r"\s#\s|\$\(|\\$", text)[0]
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    cleaned = [w.strip("[]()|,.") for w in words[1:]]
    return [w.removesuffix("...") for w in cleaned if w and w not in ("|", "...")]


def lines_of(mention: str) -> list[list[str]]:
    """The command lines a mention stands for: one per alternative of its first `a|b` word."""
    words = words_of(mention)
    for i, word in enumerate(words):
        if _ALTERNATIVES.match(word):
            return [[*words[:i], alt, *words[i + 1 :]] for alt in re.split(r"[|/]", word)]
    return [words]


MENTIONS = mentions()


def test_mentions_are_found() -> None:
    said = {m for _, m in MENTIONS}
    assert "halotrack auth login" in said and "halotrack track --once" in " ".join(said)
    assert len(MENTIONS) > 30


@pytest.mark.parametrize(("where", "mention"), MENTIONS, ids=[m for _, m in MENTIONS])
def test_every_mentioned_command_exists(where: str, mention: str) -> None:
    # The real parser decides: an unknown command or option fails before `--help` runs.
    for words in lines_of(mention):
        code, out = parse(*words, "--help")
        assert code == 0, f"{where}: `{mention}` is not a command halotrack has: {out}"
        assert "Usage:" in out


def test_hints_put_commands_in_backticks_where_the_check_finds_them() -> None:
    names = "|".join(map(re.escape, TREE.commands))
    bare = re.compile(rf'(?:hint=f?"|: |run )halotrack (?:{names}|sync)\b')
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if bare.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    "mention", ["halotrack sync", "halotrack watch GAMERTAG", "halotrack history X --season Y"]
)
def test_the_check_refuses_commands_that_do_not_exist(mention: str) -> None:
    assert parse(*words_of(mention), "--help")[0] != 0


# -- item 15: one exit code per meaning ---------------------------------------------------


def readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)
    return {int(code): meaning for code, meaning in rows}


def test_readme_exit_code_table_is_the_error_trees() -> None:
    assert readme_exit_codes() == errors.EXIT_CODES
    tree = [errors.HaloTrackError, *_subclasses(errors.HaloTrackError)]
    assert {cls.exit_code for cls in tree} <= set(errors.EXIT_CODES)
    assert errors.NotFound.exit_code == errors.Unknown.exit_code  # a 404 is "not found"
    assert len(set(errors.EXIT_CODES.values())) == len(errors.EXIT_CODES)


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def _takes_player(command: Any) -> bool:
    return any(
        p.param_type_name == "argument" and p.name in ("player", "players")
        for p in getattr(command, "params", [])
    )


PLAYER_COMMANDS = [" ".join(path) for path, c in commands() if _takes_player(c)]


def test_player_commands_are_all_covered() -> None:
    assert {"record", "history", "diff", "matches list", "page", "watch add"} <= set(
        PLAYER_COMMANDS
    )


@pytest.mark.parametrize("command", PLAYER_COMMANDS)
def test_an_unknown_player_exits_6_with_one_line_everywhere(
    sim: Simulator,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
) -> None:
    known = sim.world.players[0].gamertag
    assert cli(capsys, "watch", "add", known)[0] == 0  # a database that knows someone
    unknown = "NobodyKnowsMe"
    assert unknown not in {p.gamertag for p in sim.world.players}
    args = [*command.split(), unknown]
    if command == "page":
        args += ["-o", str(tmp_path / "page.html")]
    if command == "vs":  # PLAYER OTHER: the unknown one first
        args.append(known)
    code, out, err = cli(capsys, *args)
    assert code == errors.Unknown.exit_code == 6, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and unknown in lines[0] and "Traceback" not in err


def test_watch_add_with_some_players_unknown_exits_1(
    sim: Simulator,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    known = sim.world.players[1].gamertag
    code, out, err = cli(capsys, "watch", "add", known, "NobodyKnowsMe")
    assert code == 1 and known in out and "NobodyKnowsMe" in err


def test_a_usage_error_is_2_as_the_table_says() -> None:
    assert parse("history")[0] == 2
    assert parse("no-such-command")[0] == 2


# -- item 13: advice that fits who the user is, help that reads well ----------------------


def test_a_refused_token_from_the_environment_says_to_replace_it(
    env: dict[str, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", "v4=long-expired")
    code, out, err = cli(capsys, "seasons")
    assert code == errors.AuthError.exit_code == 3, out + err
    assert "HALOTRACK_SPARTAN_TOKEN" in err and "auth login` again" not in err
    code, out, err = cli(capsys, "seasons", "--spartan-token", "v4=long-expired")
    assert code == 3 and "--spartan-token" in err


def test_a_long_sign_in_message_keeps_its_url_whole() -> None:
    from halotrack.auth.microsoft import msal_error

    url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?x=1"
    description = "x" * 150 + " see " + url + " for more"
    message = str(msal_error({"error": "weird", "error_description": description}, doing="it"))
    assert url in message
    assert errors.first_line("a " * 10, 5).endswith("...")
    assert errors.first_line("word " + url, 10) == "word " + url


_TYPE_TAG = re.compile(r"<(bool|str|int|float|Path|datetime|list\[[^\]]*\]|[a-z]+ range)>")


def help_of(*path: str, columns: int = 80) -> str:
    code, out = parse(*path, "--help", columns=columns)
    assert code == 0, out
    return out


@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=lambda p: " ".join(p) or "-")
def test_help_shows_no_type_tags_and_whole_paragraphs(path: tuple[str, ...]) -> None:
    assert not _TYPE_TAG.search(help_of(*path))
    wide = help_of(*path, columns=1000)  # wide enough that no paragraph needs wrapping
    lines = [" ".join(line.strip(" │").split()) for line in wide.splitlines()]
    command = dict(commands())[path]
    for paragraph in re.split(r"\n\s*\n", command.help or ""):
        assert " ".join(paragraph.split()) in lines, f"broken across lines: {paragraph!r}"


def test_top_level_help_lists_each_command_in_at_most_two_lines() -> None:
    out = help_of()
    assert max(len(line) for line in out.splitlines()) <= 80
    listing = out.split("Commands")[1].splitlines()[1:-1]
    starts = [i for i, line in enumerate(listing) if re.match(r"│ [a-z]", line)]
    assert len(starts) == len(TREE.commands)
    spans = [b - a for a, b in zip(starts, [*starts[1:], len(listing)], strict=True)]
    assert max(spans) <= 2, listing


# -- items 6 and 14: history's season, diff's start ---------------------------------------


def test_history_with_a_season_shows_that_season(
    db: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, db, "history", GT, "CsrSeason5-1", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["scope"] == "season=Csr/Seasons/CsrSeason5-1.json"
    assert [s["captured_at"][:16] for s in got["snapshots"]] == [T0.isoformat()[:16]]
    code, out, err = run(capsys, db, "history", GT, "--scope", "season")
    assert code == 2 and "--season" not in err
    said = re.search(r"`halotrack (history PLAYER [^\s`]+)`", err)
    assert said is not None, err
    args = [GT if w == "PLAYER" else w for w in said.group(1).split()]
    code, out, err = run(capsys, db, *args, "--json")
    assert code == 0 and json.loads(out)["scope"].startswith("season=")


def test_diff_from_before_the_first_snapshot_starts_at_it(
    db: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    asked = (T0 - timedelta(days=4)).date().isoformat()
    code, out, err = run(capsys, db, "diff", GT, "--from", asked)
    assert code == 0, err
    head = out.splitlines()[0]
    assert f"{T0:%Y-%m-%d %H:%M} to" in head and asked not in head
    code, out, _ = run(capsys, db, "diff", GT, "--from", asked, "--json")
    assert out and json.loads(out)["from_at"].startswith(T0.isoformat()[:16])


# -- item 16: inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("every", ["5", "30", "1.5"])
def test_track_every_without_a_unit_is_refused_with_an_example(
    every: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(capsys, "--db", str(tmp_path / "x.sqlite"), "track", "--every", every)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"{every}m" in lines[0]


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_plain_postgres_urls_are_accepted(
    scheme: str, pg_schema_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sa.make_url(pg_schema_url).set(drivername=scheme).render_as_string(hide_password=False)
    assert url.startswith(f"{scheme}://")
    code, out, err = cli(capsys, "--db", url, "db", "upgrade")
    assert code == 0, err
    code, out, err = cli(capsys, "--db", url, "watch", "list", "--json")
    assert code == 0 and json.loads(out) == [], err
