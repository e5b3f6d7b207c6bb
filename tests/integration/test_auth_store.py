"""The token store: owner-only from the first byte, repaired when loosened, atomic."""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from halotrack.auth import TokenStore, load_provider
from halotrack.auth.store import Session, StoredToken
from halotrack.config import Settings
from halotrack.errors import StoreError
from tests.support import auth as auth_support

tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home
identity_sim = auth_support.identity_sim

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

SECRET = "v4=STORE-CANARY-0123456789"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def session() -> Session:
    return Session(
        source="paste",
        xuid="2533274800000001",
        gamertag="Someone",
        spartan=StoredToken(SECRET, datetime(2026, 1, 1, tzinfo=UTC)),
        clearance="clearance-canary",
    )


def test_files_are_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "auth")
    old = os.umask(0)
    try:
        store.save_session(session())
        store.save_msal_cache("{}")
    finally:
        os.umask(old)
    assert mode(store.directory) == 0o700
    assert mode(store.session_path) == 0o600
    assert mode(store.msal_cache_path) == 0o600
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")] == []


def test_loosened_files_are_repaired_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = TokenStore(tmp_path / "auth")
    store.save_session(session())
    store.save_msal_cache("{}")
    os.chmod(store.directory, 0o755)
    os.chmod(store.session_path, 0o644)
    os.chmod(store.msal_cache_path, 0o664)
    with caplog.at_level(logging.WARNING, logger="halotrack.auth"):
        loaded = store.load_session()
        store.load_session()  # already repaired: no second warning
    assert loaded is not None and loaded.spartan is not None
    assert loaded.spartan.value == SECRET
    assert mode(store.directory) == 0o700
    assert mode(store.session_path) == 0o600
    assert mode(store.msal_cache_path) == 0o600
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 3, warnings
    assert all("readable by others" in w for w in warnings)
    os.chmod(store.session_path, 0o640)  # loosened again later: repaired, warned once only
    with caplog.at_level(logging.WARNING, logger="halotrack.auth"):
        store.load_session()
    assert mode(store.session_path) == 0o600
    assert len(caplog.records) == 3
    assert not any(SECRET in w for w in warnings)


async def test_signed_in_files_are_owner_only_and_repaired(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    await sim.device_login()
    store = TokenStore()
    assert mode(store.directory) == 0o700
    assert mode(store.session_path) == 0o600
    assert mode(store.msal_cache_path) == 0o600
    os.chmod(store.msal_cache_path, 0o644)
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert provider is not None
    await sim.advance(24 * 15)
    await provider.get()  # the renewal rewrites the msal cache (rotated refresh token)
    assert mode(store.msal_cache_path) == 0o600
    assert mode(store.session_path) == 0o600


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TokenStore(tmp_path / "auth")
    store.save_session(session())
    before = store.session_path.read_bytes()

    def broken(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    changed = session()
    changed.gamertag = "Other"
    with pytest.raises(StoreError) as err:
        store.save_session(changed)
    assert "No space left" in str(err.value)
    assert SECRET not in str(err.value)
    assert store.session_path.read_bytes() == before
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")] == []


def test_logout_removes_everything(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "auth")
    store.save_session(session())
    store.save_msal_cache("{}")
    removed = store.clear()
    assert {p.name for p in removed} >= {"session.json", "msal-cache.json"}
    assert not store.directory.exists()
    assert store.load_session() is None
    assert store.clear() == []


def test_unreadable_session_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = TokenStore(tmp_path / "auth")
    store.save_session(session())
    store.session_path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert store.load_session() is None
    assert "sign in again" in caplog.text


def test_reprs_carry_no_secret(tmp_path: Path) -> None:
    s = session()
    s.user_hash = "uhs-secret"
    s.xsts_halo = StoredToken("xsts-secret", None)
    text = repr(s) + repr(TokenStore(tmp_path)) + repr(s.spartan)
    for secret in (SECRET, "clearance-canary", "uhs-secret", "xsts-secret"):
        assert secret not in text


def test_session_round_trips(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "auth")
    original = session()
    original.signed_in_at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    store.save_session(original)
    assert store.load_session() == original
