"""`auth sim`: a stored simulator sign-in that every read command uses and that renews
itself when simulated time outlives its token."""

from __future__ import annotations

from pathlib import Path

import pytest

from halotrack.auth import TokenStore, load_provider
from halotrack.auth.simulator import sim_sign_in
from halotrack.config import Settings
from halotrack.errors import ConfigError
from halotrack.wiring.client import client_from_settings
from tests.support import auth as auth_support

auth_home = auth_support.auth_home


async def test_sim_sign_in_renews_after_simulated_time_passes(simulator, auth_home: Path) -> None:  # type: ignore[no-untyped-def]
    player = simulator.world.players[3]
    session = await sim_sign_in(simulator.base_url, player.gamertag)
    assert (session.xuid, session.gamertag) == (str(player.xuid), player.gamertag)
    assert session.clearance == simulator.state.clearance_id
    settings = Settings(api=simulator.base_url)
    first = TokenStore().load_session()
    assert first is not None and first.spartan is not None
    await simulator.advance(24)  # far past the 4 h token lifetime
    async with client_from_settings(settings, cache=False) as client:
        record = await client.stats.service_record(player.gamertag)
        # clearance-gated: the stored clearance goes along
        csr = await client.skill.playlist_csr(
            simulator.world.playlists[0].asset.asset_id, [player.xuid]
        )
    truth = simulator.world.expected_record(player.xuid)
    assert record.matches_completed == truth["MatchesCompleted"]
    assert csr is not None
    renewed = TokenStore().load_session()
    assert renewed is not None and renewed.spartan is not None
    assert renewed.spartan.value != first.spartan.value  # saved for the next command


async def test_sim_sign_in_is_only_used_against_its_simulator(simulator, auth_home: Path) -> None:  # type: ignore[no-untyped-def]
    await sim_sign_in(simulator.base_url)
    assert load_provider(Settings(api=simulator.base_url)) is not None
    assert load_provider(Settings(api=None)) is None  # never sent to the real API


async def test_sim_sign_in_names_an_unknown_player(simulator, auth_home: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="no player"):
        await sim_sign_in(simulator.base_url, "Nobody Here 404")
    assert TokenStore().load_session() is None
