"""SPNKr, a public Python client of this API, reads every endpoint it has from the simulator.

Why: the simulator is what tool authors will test against; a client written by someone else
must work against it through base-URL rewriting alone (the module host constants), with the
Spartan token and clearance as it sends them, and every answer must parse with its models.
"""

from __future__ import annotations

import importlib

import aiohttp
import pytest
import spnkr

from halotrack.models.hosts import WAYPOINT_HOSTS

_MODULES = {
    "stats": "stats",
    "skill": "skill",
    "gamecms_hacs": "gamecms",
    "discovery_ugc": "discovery",
    "profile": "profile",
    "economy": "economy",
}


@pytest.fixture
def spnkr_at_simulator(simulator, monkeypatch):  # type: ignore[no-untyped-def]
    """Point each SPNKr service module at the simulator: its host constant, nothing else."""
    for module, service in _MODULES.items():
        mod = importlib.import_module(f"spnkr.services.{module}")
        monkeypatch.setattr(mod, "_HOST", f"{simulator.base_url}/{WAYPOINT_HOSTS[service]}")
    return simulator


async def test_every_spnkr_read_method_succeeds(spnkr_at_simulator) -> None:
    """Each read method of SPNKr 0.10.2's client, called as its users call it (lists as it
    sends them, its own headers), answers 200 and parses with SPNKr's own models."""
    sim = spnkr_at_simulator
    world = sim.world
    player = next(p for p in world.players if len(world.history(p)) >= 5)
    match = world.history(player)[-1].match
    pl = next(p for p in world.playlists if p.ranked)
    season = world.seasons[-1]
    pair, map_asset, variant = pl.pairs[0]
    tokens = sim.issue_tokens(player.xuid)
    xuid = player.xuid
    failures: list[str] = []
    async with aiohttp.ClientSession() as session:
        client = spnkr.HaloInfiniteClient(
            session=session,
            spartan_token=tokens.spartan,
            clearance_token=tokens.clearance,
            requests_per_second=1000,
        )
        calls = {
            "stats.get_challenge_decks": client.stats.get_challenge_decks(xuid),
            "stats.get_match_count": client.stats.get_match_count(xuid),
            "stats.get_service_record": client.stats.get_service_record(xuid),
            "stats.get_service_record(season)": client.stats.get_service_record(
                xuid, season_id=season.csr_path
            ),
            "stats.get_match_history": client.stats.get_match_history(xuid, 0, 25, "matchmaking"),
            "stats.get_match_stats": client.stats.get_match_stats(match.match_id),
            "skill.get_match_skill": client.skill.get_match_skill(match.match_id, [xuid]),
            "skill.get_playlist_csr": client.skill.get_playlist_csr(
                pl.asset.asset_id, [xuid, sim.world.players[1].xuid]
            ),
            "gamecms.get_progression_file": client.gamecms_hacs.get_progression_file(
                season.metadata_path
            ),
            "gamecms.get_medal_metadata": client.gamecms_hacs.get_medal_metadata(),
            "gamecms.get_csr_season_calendar": client.gamecms_hacs.get_csr_season_calendar(),
            "gamecms.get_season_calendar": client.gamecms_hacs.get_season_calendar(),
            "gamecms.get_career_reward_track": client.gamecms_hacs.get_career_reward_track(),
            "gamecms.get_operation_reward_track": client.gamecms_hacs.get_operation_reward_track(
                season.operation_track
            ),
            "gamecms.get_image": client.gamecms_hacs.get_image("medals/images/medal_sheet_sm.png"),
            "profile.get_current_user": client.profile.get_current_user(),
            "profile.get_user_by_gamertag": client.profile.get_user_by_gamertag(player.gamertag),
            "profile.get_user_by_id": client.profile.get_user_by_id(xuid),
            "profile.get_users_by_id": client.profile.get_users_by_id(
                [xuid, sim.world.players[1].xuid]
            ),
            "economy.get_player_reward_track_operations": (
                client.economy.get_player_reward_track_operations(xuid)
            ),
            "economy.get_player_career_rank": client.economy.get_player_career_rank(xuid),
            "economy.get_player_customization": client.economy.get_player_customization(xuid),
            "discovery.get_ugc_game_variant": client.discovery_ugc.get_ugc_game_variant(
                variant.asset_id, variant.version_id
            ),
            "discovery.get_map_mode_pair": client.discovery_ugc.get_map_mode_pair(
                pair.asset_id, pair.version_id
            ),
            "discovery.get_map": client.discovery_ugc.get_map(
                map_asset.asset_id, map_asset.version_id
            ),
            "discovery.get_playlist": client.discovery_ugc.get_playlist(
                pl.asset.asset_id, pl.asset.version_id
            ),
            "discovery.search_assets": client.discovery_ugc.search_assets(term="a"),
            "discovery.get_film_by_match_id": client.discovery_ugc.get_film_by_match_id(
                match.match_id
            ),
        }
        got: dict[str, object] = {}
        for name, call in calls.items():
            try:
                resp = await call
                if hasattr(resp, "parse"):
                    got[name] = await resp.parse()
                else:  # an image: a PNG, whole
                    assert (await resp.read()).startswith(b"\x89PNG\r\n\x1a\n")
            except Exception as exc:  # collect every failure, then report them all
                failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
    # Parsed by SPNKr, the numbers are the simulator's truth.
    record = got["stats.get_service_record"]
    assert record.matches_completed == world.expected_record(xuid)["MatchesCompleted"]  # type: ignore[attr-defined]
    stats = got["stats.get_match_stats"]
    assert str(stats.match_id) == match.match_id  # type: ignore[attr-defined]
    assert got["profile.get_current_user"].gamertag == player.gamertag  # type: ignore[attr-defined]
