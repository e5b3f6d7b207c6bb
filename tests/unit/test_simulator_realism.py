"""Every simulated match obeys its mode's rules, as the match stats the API serves show them.

Checked over every match of several seeded worlds (history and live play): kills and deaths
add up across players and teams, no team passes its score limit and only the winner reaches
it, rounds agree within a team and with the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from halotrack.simulator import World
from halotrack.simulator.gen import SCORE_LIMITS
from halotrack.simulator.views import match_stats
from halotrack.simulator.world import Match

WIN, LOSS, TIE = 2, 3, 1
SEEDS = (1, 2, 3, 4, 5)


@cache
def _matches(seed: int) -> list[tuple[Match, dict[str, Any]]]:
    world = World(seed=seed, players=12, history_scale=0.2)
    world.advance(48)
    out: dict[str, tuple[Match, dict[str, Any]]] = {}
    for p in world.players:
        for m in world.matches_of(p):
            if m.match_id not in out:
                out[m.match_id] = (m, match_stats(world, m))
    return list(out.values())


def every_match(seed: int) -> Iterator[tuple[Match, dict[str, Any]]]:
    yield from _matches(seed)


def core(block: dict[str, Any]) -> dict[str, Any]:
    return block["Stats"]["CoreStats"]  # type: ignore[no-any-return]


def player_core(player: dict[str, Any]) -> dict[str, Any]:
    return core(player["PlayerTeamStats"][0])


@pytest.mark.slow
def test_kills_and_deaths_add_up_across_players_and_teams() -> None:
    checked = {"teams": 0, "ffa": 0}
    for seed in SEEDS:
        for m, doc in every_match(seed):
            players = [player_core(p) for p in doc["Players"]]
            for c in players:
                assert c["Deaths"] >= c["Suicides"], m.match_id
            if m.team_mode == "teams":
                teams = {t["TeamId"]: core(t) for t in doc["Teams"]}
                assert set(teams) == {0, 1}
                for t, c in teams.items():
                    other = teams[1 - t]
                    # a team dies to the other team, to itself, and to its own betrayals
                    assert c["Deaths"] == other["Kills"] + c["Suicides"] + c["Betrayals"], (
                        m.variant.key,
                        m.match_id,
                    )
                    members = [player_core(p) for p in doc["Players"] if p["LastTeamId"] == t]
                    assert c["Kills"] == sum(x["Kills"] for x in members)
                checked["teams"] += 1
            elif m.team_mode == "ffa":
                kills = sum(c["Kills"] for c in players)
                suicides = sum(c["Suicides"] for c in players)
                assert sum(c["Deaths"] for c in players) == kills + suicides, m.match_id
                checked["ffa"] += 1
    assert checked["teams"] > 500 and checked["ffa"] > 10, checked


def test_score_limits_outcomes_and_rounds() -> None:
    by_variant: dict[str, int] = {}
    for seed in SEEDS:
        for m, doc in every_match(seed):
            if m.team_mode != "teams":
                continue
            teams = {t["TeamId"]: t for t in doc["Teams"]}
            score = {t: core(x)["Score"] for t, x in teams.items()}
            outcome = {t: x["Outcome"] for t, x in teams.items()}
            limit = SCORE_LIMITS.get(m.variant.key)
            if limit is not None:
                assert max(score.values()) <= limit, (m.variant.key, score)
                assert min(score.values()) < limit, (m.variant.key, score)  # one winner
                if TIE in outcome.values():
                    assert score[0] == score[1]
                else:
                    won = next(t for t, o in outcome.items() if o == WIN)
                    assert score[won] > score[1 - won], (m.variant.key, score, outcome)
                by_variant[m.variant.key] = by_variant.get(m.variant.key, 0) + 1
            # Rounds are the team's: every member who stayed shows the same count.
            for t in (0, 1):
                rounds = {
                    (
                        player_core(p)["RoundsWon"],
                        player_core(p)["RoundsLost"],
                        player_core(p)["RoundsTied"],
                    )
                    for p in doc["Players"]
                    if p["LastTeamId"] == t and p["Outcome"] != 4
                }
                assert len(rounds) <= 1, (m.variant.key, rounds)
                if rounds and outcome[t] in (WIN, LOSS):
                    won, lost, _ = rounds.pop()
                    assert (won > lost) == (outcome[t] == WIN), (m.variant.key, won, lost)
    assert {"slayer", "ctf", "oddball", "strongholds"} <= set(by_variant), by_variant


def test_slayer_winner_reaches_the_limit_unless_the_clock_ran_out() -> None:
    at_limit = total = 0
    for seed in SEEDS:
        for m, doc in every_match(seed):
            if m.variant.key != "slayer" or m.winner < 0:
                continue
            kills = sorted(core(t)["Kills"] for t in doc["Teams"])
            total += 1
            at_limit += kills[1] == SCORE_LIMITS["slayer"]
    assert total > 50 and at_limit > total // 2, (at_limit, total)


@pytest.mark.slow
def test_ranked_matches_before_the_start_count_toward_placement() -> None:
    """At the simulated start, each player's placement in the current CSR season counts the
    ranked matches of their history in that season and playlist."""
    from halotrack.simulator.views import csr_entry
    from halotrack.simulator.world import PLACEMENT_MATCHES

    world = World(seed=11, players=25)
    season = world.season_at(world.clock.now_ms())
    placed = counted = 0
    for p in world.players:
        for pl in (x for x in world.playlists if x.ranked):
            played = sum(
                1 for s in world.history(p) if s.match.playlist is pl and s.match.season is season
            )
            current = csr_entry(world, p, pl, None)["Result"]["Current"]
            assert current["MeasurementMatchesRemaining"] == max(0, PLACEMENT_MATCHES - played), (
                p.gamertag,
                pl.spec.name,
                played,
            )
            counted += played > 0
            placed += played >= PLACEMENT_MATCHES
    assert counted > 10 and placed > 0, (counted, placed)
