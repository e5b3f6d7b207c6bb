"""One reader per fact: the store's columns, history, the page and the models give the same
numbers for the same service record, and those numbers are the simulator's truth.

Where the readers used to disagree, the tests below pin the answer that is right for a
player: K/D of 0 kills and 0 deaths is 0.0 (the game's summary card), a null `AverageKDA`
falls back to `KDA` (as the typed model does), and time played is the model's duration.
"""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from halotrack.models import MODE_TABLE, ServiceRecord, decode, read_summary
from halotrack.report import data as D
from halotrack.report import render as R
from halotrack.simulator import Filters, World
from halotrack.simulator import views as sim_views
from halotrack.simulator.catalog import COL
from halotrack.store import Scope, Store
from halotrack.store.history import compute_diff, resolve_player
from tests.unit.test_page_render import parse

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)
XUID = 2533274800000001


def real_bytes(name: str) -> bytes:
    return (REAL / name).read_bytes()


def test_a_record_with_no_kills_and_no_deaths_has_kd_zero_everywhere(store: Store) -> None:
    body = real_bytes("servicerecord/matchmade-empty.json")
    record = decode("service-record", body)
    store.save_service_record(XUID, "matchmade", Scope(), record, T0)
    snap = store.latest_record(XUID)
    assert snap is not None
    page = D.assemble(
        D.PageInputs(xuid=str(XUID), gamertag="New", lifetime=D.RecordSnapshot(T0, record.raw)),
        now=T0,
    )
    assert page.summary is not None
    # The real empty record: 0 kills, 0 deaths. The game shows K/D 0.00, not a blank.
    assert (record.core.kills, record.core.deaths) == (0, 0)
    assert record.kd_ratio == snap.kd == page.summary.kd == 0.0
    assert parse(R.render_page(page)).stats["kd"] == "0.00"
    # No matches: there is no win rate to show (a different fact from K/D).
    assert page.summary.win_percent is None


def test_a_week_with_matches_but_no_kills_charts_kd_zero() -> None:
    week1 = D.HistoryPoint(T0, 10, 5, 5, 0, 30, 20, 5)
    week2 = D.HistoryPoint(T0 + timedelta(days=7), 12, 5, 7, 0, 30, 20, 5)
    chart = D.kd_winrate_chart(D.weekly([week1, week2]))
    kd_week = chart.series[0].values
    # Two matches lost with no kills and no deaths: the week's K/D is 0, not a gap.
    assert kd_week[-1] == 0.0


def test_a_null_average_kda_falls_back_to_kda_in_store_page_and_model(store: Store) -> None:
    body = {
        "MatchesCompleted": 3,
        "CoreStats": {"AverageKDA": None, "KDA": 1.5, "Kills": 9, "Deaths": 6},
    }
    store.save_service_record(XUID, "matchmade", Scope(), body, T0)
    snap = store.latest_record(XUID)
    assert snap is not None
    model = msgspec.convert(body, ServiceRecord)
    assert model.average_kda == 1.5
    assert snap.kda == read_summary(body).kda == 1.5


def test_a_decoded_record_is_stored_byte_for_byte(store: Store) -> None:
    body = real_bytes("servicerecord/matchmade-lifetime.json")
    record = decode("service-record", body)
    assert store.save_service_record(XUID, "matchmade", Scope(), record, T0) == "created"
    snap = store.latest_record(XUID)
    assert snap is not None
    assert snap.raw_json == body.decode("utf-8")
    # The same bytes as bytes are the same content: no second snapshot.
    assert store.save_service_record(XUID, "matchmade", Scope(), body, T0) == "unchanged"


def test_real_lifetime_record_reads_the_same_in_store_page_and_model(store: Store) -> None:
    body = real_bytes("servicerecord/matchmade-lifetime.json")
    record = decode("service-record", body)
    raw = json.loads(body)
    store.save_service_record(XUID, "matchmade", Scope(), record, T0)
    snap = store.latest_record(XUID)
    assert snap is not None
    summary = read_summary(raw)
    core = raw["CoreStats"]
    assert (snap.matches_completed, snap.kills, snap.deaths) == (
        raw["MatchesCompleted"],
        core["Kills"],
        core["Deaths"],
    )
    assert summary.kd == snap.kd == record.kd_ratio == core["Kills"] / core["Deaths"]
    assert summary.kda == snap.kda == record.average_kda == core["AverageKDA"]
    # Time played: the store's column is the model's duration (the page's too), where the
    # store's own regex used to keep 100 ns more than any timedelta can hold.
    assert summary.time_played == record.time_played
    assert snap.time_played_seconds == record.time_played.total_seconds()


@pytest.mark.parametrize("seed", [3, 8])
def test_readers_agree_with_the_simulator_truth(store: Store, seed: int) -> None:
    world = World(seed=seed, players=6, history_scale=0.3)
    for p in world.players[:4]:
        agg = world.aggregate(p, Filters())
        if agg is None:
            continue
        truth = agg[0]
        body = msgspec.json.encode(sim_views.service_record(world, p, Filters()))
        record = decode("service-record", body)
        store.save_service_record(p.xuid, "matchmade", Scope(), record, T0)
        snap = store.latest_record(p.xuid)
        assert snap is not None
        summary = read_summary(record.raw)
        kills, deaths = truth[COL["core.Kills"]], truth[COL["core.Deaths"]]
        want_kd = kills / deaths if deaths else float(kills)
        assert summary.matches == snap.matches_completed == truth[COL["_matches"]]
        assert summary.wins == snap.wins == truth[COL["_wins"]]
        assert summary.kills == snap.kills == kills
        assert summary.deaths == snap.deaths == deaths
        assert summary.kd == snap.kd == record.kd_ratio == pytest.approx(want_kd)
        seconds = truth[COL["_time"]] / 10_000_000  # the simulator counts 100 ns ticks
        assert snap.time_played_seconds == pytest.approx(seconds, abs=1e-6)
        assert summary.time_played == record.time_played


def test_history_diff_reads_medals_from_the_shared_reader(store: Store) -> None:
    before = json.loads(real_bytes("servicerecord/matchmade-lifetime.json"))
    after = json.loads(json.dumps(before))
    medal = after["CoreStats"]["Medals"][0]
    medal["Count"] += 2
    # The same medal listed twice counts once per listing, as the page and history read it.
    after["CoreStats"]["Medals"].append({"NameId": medal["NameId"], "Count": 1})
    store.save_service_record(XUID, "matchmade", Scope(), before, T0)
    store.save_service_record(XUID, "matchmade", Scope(), after, T0 + timedelta(days=1))
    with store.reader() as tx:
        diff = compute_diff(tx, resolve_player(tx, str(XUID)))
    gained = {m.name_id: m.count for m in diff.medals}
    assert gained == {medal["NameId"]: 3}


def test_mode_table_names_fields_the_models_decode() -> None:
    """Every field of the one mode table is a field of the matching typed block, under both
    its service-record and its match-stats name."""
    record_fields = {f.name: f.type for f in msgspec.structs.fields(ServiceRecord)}
    for mode in MODE_TABLE:
        cls = typing.get_args(record_fields[mode.attr])[0]
        wire = {f.encode_name for f in msgspec.structs.fields(cls)}
        for rec, match, _kind in mode.fields:
            assert rec in wire and match in wire, (mode.attr, rec, match)


def test_a_csr_block_without_a_value_is_unranked_in_store_and_page(store: Store) -> None:
    result = {
        "Current": {"Value": None, "Tier": "", "SubTier": 0, "MeasurementMatchesRemaining": 5},
        "SeasonMax": {"Value": 1210, "Tier": "Diamond", "SubTier": 0},
        "AllTimeMax": {"Value": 1549, "Tier": "Onyx", "SubTier": 0},
    }
    store.save_csr(XUID, "pl", "CsrSeason1", result, T0)
    snap = store.latest_csr(XUID, "pl", "CsrSeason1")
    assert snap is not None
    (card,) = D.playlist_csrs([D.CsrReading("pl", T0, snap.raw)], {})
    # No value is no rank (both readers), not a CSR of 0 (Bronze 1) on the page.
    assert snap.current_value is None and card.current.value == -1
    assert not card.current.ranked
    assert (snap.season_max_value, card.season_max.value) == (1210, 1210)
    assert (snap.all_time_max_tier, card.all_time_max.tier) == ("Onyx", "Onyx")


def test_history_and_export_list_exactly_the_columns_the_store_extracts() -> None:
    from halotrack.store import extract
    from halotrack.store.history import RECORD_COLUMNS

    columns = extract.service_record_columns({})
    assert tuple(columns) == extract.RECORD_NUMBERS
    assert [c for c in RECORD_COLUMNS if c in columns] == list(extract.RECORD_NUMBERS)
