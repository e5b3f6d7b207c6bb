"""Fuzzing the store's column extraction and writes with mutated service records and CSR
results: extraction never raises; a save either stores the body (raw kept exactly, columns
in range) or raises a StoreError, and the database stays sound either way."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halotrack.errors import HaloTrackError, StoreError
from halotrack.models.summary import duration_seconds
from halotrack.store import Scope, Store, extract, schema
from tests.support.fuzz import (
    EXAMPLES,
    HOSTILE_VALUES,
    MUTATION,
    fuzz_settings,
    hang_guard,
    mutate,
    mutated_body,
    sample,
)

pytestmark = pytest.mark.slow

SR = "servicerecord/matchmade-lifetime.json"
CSR = "csr/playlist-csrs-one-player.json"
INT64 = 2**63


def _csr_entry() -> Any:
    return sample(CSR)["Value"][0]


@st.composite
def mutated_doc(draw: st.DrawFn, doc: Any) -> Any:
    for _ in range(draw(st.integers(1, 4))):
        path, op, new = draw(MUTATION)
        doc = mutate(doc, path, op, new)
    return doc


def _check_columns(cols: dict[str, Any]) -> None:
    for name, v in cols.items():
        assert v is None or isinstance(v, int | float | str), name
        if isinstance(v, int):
            assert -INT64 <= v < INT64, name
        if isinstance(v, float):
            assert not math.isnan(v), name


@fuzz_settings(4 * EXAMPLES)
@given(doc=st.one_of(mutated_doc(sample(SR)), HOSTILE_VALUES.filter(lambda v: isinstance(v, dict))))
def test_service_record_columns_never_raise(doc: Any) -> None:
    if isinstance(doc, dict):
        _check_columns(extract.service_record_columns(doc))


@fuzz_settings(4 * EXAMPLES)
@given(doc=mutated_doc(_csr_entry()))
def test_csr_columns_never_raise(doc: Any) -> None:
    if isinstance(doc, dict):
        _check_columns(extract.csr_columns(extract.unwrap_csr_entry(doc)))


@given(text=st.one_of(st.text(max_size=40), st.from_regex(r"-?P(\d{1,30}D)?(T\d{0,30}H)?")))
@fuzz_settings()
def test_duration_seconds_is_a_number_or_none(text: str) -> None:
    v = duration_seconds(text)
    assert v is None or isinstance(v, float)


_ids = itertools.count(1)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _save(store: Store, what: str, body: bytes) -> None:
    """One save with a fresh player and time; returns after checking what was stored."""
    n = next(_ids)
    xuid = 2533274800000000 + n
    when = T0 + timedelta(seconds=n)
    with hang_guard():
        try:
            if what == "record":
                result = store.save_service_record(xuid, "matchmade", Scope(), body, when)
            else:
                result = store.save_csr(xuid, "pl-fuzz", "CsrSeason1-1", body, when)
        except StoreError as exc:
            assert exc.message and exc.hint
            return
        except HaloTrackError as exc:  # pragma: no cover - shown with its type on failure
            raise AssertionError(f"{type(exc).__name__} instead of StoreError: {exc}") from exc
    assert result == "created"
    if what == "record":
        snap = store.latest_record(xuid)
        assert snap is not None and snap.raw_json == body.decode("utf-8")
    else:
        assert store.latest_csr(xuid, "pl-fuzz", "CsrSeason1-1") is not None


SNAPSHOT_TABLES = {"players", "gamertags", "service_records", "csr_snapshots"}


def _emptied(store: Store) -> Store:
    """The store without the previous examples' rows: the integrity check after each
    example then reads one example's rows, not all of them (quadratic over a run)."""
    with store.transaction() as tx:
        for table in reversed(schema.metadata.sorted_tables):
            if table.name in SNAPSHOT_TABLES:
                tx.conn.execute(table.delete())
    return store


@fuzz_settings()
@given(data=st.data())
def test_saving_a_mutated_service_record(store: Store, data: st.DataObject) -> None:
    _save(_emptied(store), "record", data.draw(mutated_body(sample(SR))))
    assert store.integrity_check() == []


@fuzz_settings()
@given(data=st.data())
def test_saving_a_mutated_csr_entry(store: Store, data: st.DataObject) -> None:
    _save(_emptied(store), "csr", data.draw(mutated_body(_csr_entry())))
    assert store.integrity_check() == []


HOSTILE_BODIES = [
    b"",
    b"[1]",
    b"{",
    b'{"a": "\xff"}',
    b'{"a": "\\ud800"}',
    b'{"Wins": NaN}',
    b'{"Wins": 1e400, "CoreStats": {"AverageKDA": -1e400}}',
    b'{"Wins": 100000000000000000000000000000}',
    b'{"Wins": 3000000000, "CoreStats": {"Score": 99999999999999999999}}',
    b'{"Current": {"Value": 100000000000000000000, "Tier": "\\u0000"}}',
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("what", ["record", "csr"])
def test_hostile_bodies_are_stored_or_a_store_error(store: Store, what: str) -> None:
    for body in HOSTILE_BODIES:
        _save(store, what, body)
    assert store.integrity_check() == []
