"""Enum names from the XML form of the stats answers: the simulator serves it, halotrack
learns the names of numbers it was not shipped with, once, and keeps them in the database."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from halotrack.cli import main
from halotrack.errors import ParseError, ServerError
from halotrack.models.enums import (
    GameVariantCategory,
    LifecycleMode,
    Outcome,
    PlayerType,
    forget_learned_names,
)
from halotrack.models.xmlnames import enum_names, parse_xml
from halotrack.simulator import Simulator, datacontract, start_simulator
from halotrack.store import Store, open_store
from halotrack.usecases import Tracker
from halotrack.usecases.names import NAMES_KEY, load_book
from halotrack.waypoint import Limits, WaypointClient
from halotrack.wiring.simtokens import SimulatorTokens
from tests.support.sim import SimThread

NEW_MODE = 43  # a category this version does not know
NEW_NAME = "MultiplayerSnowballFight"


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    forget_learned_names()
    yield
    forget_learned_names()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with start_simulator(seed=11, players=12, seasons=6, history_scale=0.3) as s:
        yield s


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'names.sqlite'}") as s:
        yield s


@asynccontextmanager
async def client_for(sim: Simulator) -> AsyncIterator[WaypointClient]:
    async with WaypointClient(
        tokens=SimulatorTokens(sim, sim.world.players[0].xuid),
        api_root=sim.base_url,
        limits=Limits.unlimited(),
        cache=False,
    ) as c:
        yield c


def ship_new_mode(sim: Simulator, xuid: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """The API ships mode 43: the player's Fiesta matches become it, and the service names
    it in its XML. Returns how many matches changed."""
    monkeypatch.setitem(datacontract.ENUM_NAMES["GameVariantCategory"], NEW_MODE, NEW_NAME)
    p = sim.world.by_xuid[xuid]
    changed = 0
    for slot in sim.world.slots(p):
        m = slot.match
        if m.variant.key == "fiesta" and m.variant.category != NEW_MODE:
            m.variant = dataclasses.replace(m.variant, category=NEW_MODE)
            changed += 1
    p.cache.clear()
    sim.state.match_cache.clear()
    return changed


def fiesta_player(sim: Simulator) -> int:
    for p in sim.world.players:
        if sum(s.match.variant.key == "fiesta" for s in sim.world.slots(p)) >= 2:
            return p.xuid
    raise AssertionError("no player with Fiesta matches")


def xml_requests(sim: Simulator) -> int:
    return sum(n for k, n in sim.stats()["by_endpoint"].items() if k.endswith(".xml"))


# ------------------------------------------------------------------ the XML form itself


async def test_xml_names_every_enum_value_of_record_and_match(sim: Simulator) -> None:
    x = fiesta_player(sim)
    async with client_for(sim) as client:
        record = await client.stats.service_record(x)
        names = enum_names(record.raw, await client.stats.service_record_xml(x))
        cats = record.subqueries.game_variant_categories if record.subqueries else None
        assert cats and names["GameVariantCategory"] == {
            c: GameVariantCategory(c).name for c in cats
        }
        m = sim.world.slots(sim.world.by_xuid[x])[-1].match
        stats = await client.stats.match_stats(m.match_id)
        got = enum_names(stats.raw, await client.stats.match_stats_xml(m.match_id))
    info = stats.match_info
    assert got["GameVariantCategory"] == {
        info.game_variant_category: GameVariantCategory(info.game_variant_category).name
    }
    assert got["LifecycleMode"] == {info.lifecycle_mode: LifecycleMode(info.lifecycle_mode).name}
    assert got["PlayerType"] == {
        p.player_type: PlayerType(p.player_type).name for p in stats.players
    }
    outcomes = {p.outcome for p in stats.players} | {t.outcome for t in stats.teams}
    assert got["Outcome"] == {o: Outcome(o).name for o in outcomes}


async def test_xml_form_has_the_seed_shape(sim: Simulator) -> None:
    x = fiesta_player(sim)
    async with client_for(sim) as client:
        body = await client.stats.service_record_xml(x)
    root = parse_xml(body)
    ns = "{http://schemas.datacontract.org/2004/07/Halo.Infinite.Enums}"
    items = root.findall(f".//{ns}GameVariantCategory")
    assert items and all(not (i.text or "").isdigit() for i in items)
    assert b"<d3p1:GameVariantCategory>MultiplayerSlayer</d3p1:GameVariantCategory>" in body


def test_parse_refuses_doctype_and_garbage() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ParseError, match="DOCTYPE"):
        parse_xml(bomb)
    with pytest.raises(ParseError, match="not XML"):
        parse_xml(b"{not xml")


def test_lists_of_different_length_pair_nothing() -> None:
    """JSON and XML fetched apart (the player played between): never guess a pairing."""
    ns = 'xmlns:d="http://schemas.datacontract.org/2004/07/Halo.Infinite.Enums"'
    xml = (
        f"<R><Subqueries><GameVariantCategories {ns}><d:GameVariantCategory>A</d:GameVariant"
        "Category></GameVariantCategories></Subqueries><Outcome>Win</Outcome></R>"
    ).encode()
    doc = {"Subqueries": {"GameVariantCategories": [43, 44]}, "Outcome": 2}
    assert enum_names(doc, xml) == {"Outcome": {2: "Win"}}


# ------------------------------------------------------------------ learning while tracking


async def test_tracking_learns_a_new_mode_once_and_keeps_it(
    sim: Simulator, lite: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lite_url = f"sqlite:///{tmp_path / 'names.sqlite'}"
    x = fiesta_player(sim)
    assert ship_new_mode(sim, x, monkeypatch) >= 2
    assert GameVariantCategory.label(NEW_MODE) == f"Unknown({NEW_MODE})"
    lite.watch_add(x, gamertag=sim.world.by_xuid[x].gamertag, now=sim.clock.now())
    async with client_for(sim) as client:
        tracker = Tracker(client, lite, clock=sim.clock.now, sync_matches=False)
        sim.reset_stats()
        report = await tracker.run_cycle()
        assert report.failures == []
        assert xml_requests(sim) == 1
        assert GameVariantCategory.label(NEW_MODE) == "Snowball Fight"
        # Later cycles, and a new tracker on the same database, never ask again.
        sim.play(x, 2)
        await tracker.run_cycle()
        await Tracker(client, lite, clock=sim.clock.now, sync_matches=False).run_cycle()
        assert xml_requests(sim) == 1
    # Another process: opening the database is enough for every screen to name the mode.
    forget_learned_names()
    assert GameVariantCategory.label(NEW_MODE) == f"Unknown({NEW_MODE})"
    with open_store(lite_url):
        assert GameVariantCategory.label(NEW_MODE) == "Snowball Fight"
    assert load_book(lite).names == {"GameVariantCategory": {NEW_MODE: NEW_NAME}}


async def test_a_value_the_xml_does_not_name_is_asked_once(
    sim: Simulator, lite: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = fiesta_player(sim)
    ship_new_mode(sim, x, monkeypatch)
    monkeypatch.delitem(datacontract.ENUM_NAMES["GameVariantCategory"], NEW_MODE)
    lite.watch_add(x, gamertag=None, now=sim.clock.now())
    async with client_for(sim) as client:
        for _ in range(3):
            await Tracker(client, lite, clock=sim.clock.now, sync_matches=False).run_cycle()
    assert xml_requests(sim) == 1
    assert GameVariantCategory.label(NEW_MODE) == f"Unknown({NEW_MODE})"
    doc = lite.get_metadata(*NAMES_KEY)
    assert doc is not None and doc.json()["asked"] == {"GameVariantCategory": [NEW_MODE]}


@pytest.mark.slow
async def test_match_sync_learns_from_match_stats(
    sim: Simulator, lite: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halotrack.usecases.matches import sync_player_matches

    x = fiesta_player(sim)
    ship_new_mode(sim, x, monkeypatch)
    async with client_for(sim) as client:
        sim.reset_stats()
        await sync_player_matches(client, lite, x, full=True, now=sim.clock.now)
    assert xml_requests(sim) == 1
    assert GameVariantCategory.label(NEW_MODE) == "Snowball Fight"


# ------------------------------------------------------------------ the command


def test_names_refresh_and_list_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SimThread(seed=11, players=12, seasons=6, history_scale=0.3) as s:
        x = fiesta_player(s)
        ship_new_mode(s, x, monkeypatch)
        tokens = s.issue_tokens(x)
        for k, v in {
            "HALOTRACK_API": s.base_url,
            "HALOTRACK_DB": str(tmp_path / "cli.sqlite"),
            "HALOTRACK_SPARTAN_TOKEN": tokens.spartan,
            "HALOTRACK_CLEARANCE": tokens.clearance or "",
            "HALOTRACK_CONFIG_DIR": str(tmp_path / "config"),
            "HALOTRACK_CACHE_DIR": str(tmp_path / "cache"),
            "HALOTRACK_RATE": "0",
        }.items():
            monkeypatch.setenv(k, v)
        assert main(["names", "list", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["names"] == []
        assert main(["names", "refresh", f"xuid({x})", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["new"] == 1
        assert out["names"] == [
            {
                "enum": "GameVariantCategory",
                "value": NEW_MODE,
                "name": NEW_NAME,
                "label": "Snowball Fight",
            }
        ]
        assert xml_requests(s) == 1
    forget_learned_names()
    assert main(["names", "list"]) == 0
    text = capsys.readouterr().out
    assert NEW_NAME in text and "Snowball Fight" in text
    assert max(len(line) for line in text.splitlines()) <= 80


async def test_a_failed_xml_request_never_fails_the_cycle(
    sim: Simulator, lite: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = fiesta_player(sim)
    ship_new_mode(sim, x, monkeypatch)
    lite.watch_add(x, gamertag=None, now=sim.clock.now())
    calls = 0

    async def broken(*args: object, **kw: object) -> bytes:
        nonlocal calls
        calls += 1
        raise ServerError("boom", service="stats", status=503, url="http://x/")

    async with client_for(sim) as client:
        monkeypatch.setattr(client.stats, "service_record_xml", broken)
        for _ in range(2):
            report = await Tracker(
                client, lite, clock=sim.clock.now, sync_matches=False
            ).run_cycle()
            assert report.failures == [] and report.records_created >= 1
            sim.play(x, 1)
    assert calls == 1  # asked once, within budget; `names refresh` asks again on demand
    assert GameVariantCategory.label(NEW_MODE) == f"Unknown({NEW_MODE})"
