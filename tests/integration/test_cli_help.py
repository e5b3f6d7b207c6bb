"""--help text: environment variable names survive Rich markup, and command summaries in
the command list are whole sentences, not lines broken where the docstring wrapped."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from halotrack.cli import app


def help_text(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_env_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    root = help_text(monkeypatch)
    assert "HALOTRACK_API" in root and "HALOTRACK_DB" in root
    record = help_text(monkeypatch, "record")
    assert "HALOTRACK_SPARTAN_TOKEN" in record and "HALOTRACK_CLEARANCE" in record


@pytest.mark.parametrize(
    ("group", "command", "summary"),
    [
        ((), "medals", "List every medal the game knows; with PLAYER, that player's medals."),
        (("matches",), "sync", "Fetch the player's matches not stored yet (the first sync"),
        (("scores",), "infer", "Name each personal-score NameId in the stored matches, with"),
    ],
)
def test_command_list_summaries_are_one_line(
    monkeypatch: pytest.MonkeyPatch, group: tuple[str, ...], command: str, summary: str
) -> None:
    text = help_text(monkeypatch, *group)
    line = next(ln for ln in text.splitlines() if ln.startswith(f"│ {command} "))
    assert summary in line
