"""Season display names: clients' types disagree on whether a season file's `Name` is a
string or gamecms's localized object; halotrack reads both (the simulator sends the object,
as the recorded gamecms files have it; a plugin answers one season with a plain string)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from halotrack.cli import main
from halotrack.models.hosts import WAYPOINT_HOSTS
from tests.support.sim import SimThread

PLAIN = "Plain String Season"


def _plain_name_plugin(app: web.Application, state: Any) -> None:
    async def season_two(request: web.Request) -> web.Response:
        return web.json_response({"Name": PLAIN, "Number": 2})

    host = WAYPOINT_HOSTS["gamecms"]
    app.router.add_get(f"/{host}/hi/Progression/file/Seasons/Season2.json", season_two)


def test_seasons_command_reads_string_and_localized_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SimThread(seed=7, players=5, plugins=[_plain_name_plugin]) as sim:
        tokens = sim.issue_tokens(sim.world.players[0].xuid)
        for var in ("CONFIG_DIR", "DATA_DIR", "CACHE_DIR"):
            monkeypatch.setenv(f"HALOTRACK_{var}", str(tmp_path / var.lower()))
        monkeypatch.setenv("HALOTRACK_API", sim.base_url)
        monkeypatch.setenv("HALOTRACK_SPARTAN_TOKEN", tokens.spartan)
        monkeypatch.setenv("HALOTRACK_RATE", "0")
        assert main(["seasons", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        by_meta = {r["metadata"]: r["name"] for r in rows}
        assert by_meta["Seasons/Season2.json"] == PLAIN
        for s in sim.world.seasons:
            if s.index != 2:
                assert by_meta[s.metadata_path] == s.name
