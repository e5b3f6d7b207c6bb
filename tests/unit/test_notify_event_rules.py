"""The pure rules of notification events: rank changes, personal bests, ids and wording.

Expected values come from the tier table of `models.csr` (what the skill service reports)
and from match lists written out here, never from the code under test.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from halotrack.models.csr import csr_label, rank_name, tier_for
from halotrack.models.enums import Outcome
from halotrack.usecases.events import (
    BestWalk,
    RankReading,
    event_id,
    find_bests,
    rank_change,
)

LONGEST_TAG = "WWWWWWWWWWWW#1234"  # 12 characters and a suffix: the longest a gamertag gets
TITLE_WIDTH = 48  # one line of a phone's notification


def reading(value: int, remaining: int = 0) -> RankReading:
    if value < 0:
        return RankReading(-1, "", 0, remaining)
    pos = tier_for(value)
    return RankReading(value, pos.tier, pos.sub_tier, remaining)


def test_a_sub_tier_up_names_both_steps_and_the_new_value() -> None:
    got = rank_change("Cortana Sniper", "Ranked Arena", reading(1440), reading(1487))
    assert got == (
        "up",
        "Cortana Sniper ranked up: Diamond 6",
        "Cortana Sniper ranked up in Ranked Arena: Diamond 5 -> Diamond 6 (1487)",
    )


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (1210, 1240, None),  # same sub-tier
        (1249, 1250, "up"),
        (1250, 1249, "down"),
        (1199, 1200, "up"),  # Platinum 6 -> Diamond 1
        (1499, 1500, "up"),  # into Onyx
        (1500, 1700, None),  # Onyx has no sub-tiers
        (1501, 1499, "down"),
        (-1, 900, "placed"),
        (-1, -1, None),  # still placing
        (900, -1, None),  # a reading without a rank is no change to tell
    ],
)
def test_which_csr_moves_are_rank_changes(before: int, after: int, change: str | None) -> None:
    got = rank_change("A", "Ranked Arena", reading(before, 0 if before >= 0 else 1), reading(after))
    assert (got[0] if got else None) == change


def test_titles_fit_one_phone_line_even_with_the_longest_gamertag() -> None:
    for before, after in ((1440, 1487), (1501, 1499), (-1, 1250), (1450, 1510)):
        got = rank_change(LONGEST_TAG, "Ranked Tactical Slayer", reading(before), reading(after))
        assert got is not None
        assert len(got[1]) <= TITLE_WIDTH, got[1]
        assert "\n" not in got[1] + got[2]


def test_ids_come_from_the_cause_only_and_fit_the_column() -> None:
    when = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    a = event_id("rank", 2533274800000001, "pl", "CsrSeason5-1", when)
    assert a == event_id("rank", 2533274800000001, "pl", "CsrSeason5-1", when)
    assert a != event_id("rank", 2533274800000001, "pl", "CsrSeason5-1", when + timedelta(1))
    assert a != event_id("best", 2533274800000001, "pl", "CsrSeason5-1", when)
    kinds = ("rank", "session", "best", "season", "gamertag", "ops")  # the `--on` words
    assert all(len(event_id(k, "x")) <= 64 for k in kinds)


T0 = datetime(2026, 1, 1, tzinfo=UTC)
WIN, LOSS = int(Outcome.Win), int(Outcome.Loss)


def matches(rows: list[tuple[int, int]]) -> list[dict[str, object]]:
    """(kills, outcome) per match, an hour apart."""
    return [
        {"match_id": f"m{n}", "start_time": T0 + timedelta(hours=n), "kills": k, "outcome": o}
        for n, (k, o) in enumerate(rows)
    ]


def test_a_best_beats_every_earlier_match_and_only_new_matches_count() -> None:
    rows = matches([(10, LOSS), (20, LOSS), (5, LOSS), (25, LOSS), (21, LOSS), (26, LOSS)])
    since = rows[3]["start_time"]
    assert isinstance(since, datetime)
    got = find_bests(rows, {}, since, min_earlier=2)
    # m1's 20 beat m0 but is older than `since`; m4's 21 beats m1 but not m3's 25.
    assert [(b.what, b.match_id, b.value, b.previous) for b in got] == [
        ("kills", "m3", 25, 20),
        ("kills", "m5", 26, 25),
    ]
    assert find_bests(rows, {}, since, min_earlier=4) == [got[1]]


def test_a_win_streak_is_told_once_when_it_passes_the_longest_earlier_run() -> None:
    o = [WIN, WIN, LOSS, WIN, WIN, WIN, WIN, LOSS, WIN, WIN]
    rows = matches([(0, x) for x in o])
    got = find_bests(rows, {}, T0, min_earlier=0)
    # runs: 2 (m0-m1), then 4 (m3-m6): told at m1 (2 > 0) and at m5 (3 > 2) only.
    assert [(b.match_id, b.value, b.previous) for b in got if b.what == "win_streak"] == [
        ("m1", 2, 0),
        ("m5", 3, 2),
    ]


def test_a_performance_best_needs_earlier_matches_with_an_index() -> None:
    rows = matches([(0, LOSS)] * 4)
    indexes = {"m0": 0.5, "m2": 0.4, "m3": 0.9}  # m1 has no skill answer
    got = find_bests(rows, indexes, T0, min_earlier=1)
    assert [(b.what, b.match_id, b.value, b.previous) for b in got] == [
        ("performance", "m3", 0.9, 0.5)
    ]


def test_a_walk_resumed_from_its_saved_state_finds_what_one_walk_finds() -> None:
    kills = [3, 9, 4, 12, 7, 12, 15, 2, 16, 16, 20, 1]
    wins = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    rows = matches([(k, WIN if w else LOSS) for k, w in zip(kills, wins, strict=True)])
    indexes = {"m0": 0.1, "m2": 0.5, "m4": 0.3, "m6": 0.9, "m8": 0.2, "m10": 1.4}
    since = T0 + timedelta(hours=2)
    whole = find_bests(rows, indexes, since, min_earlier=2)
    assert {b.what for b in whole} == {"kills", "performance", "win_streak"}
    for cut in range(len(rows) + 1):
        first = BestWalk()
        got = first.walk(rows[:cut], indexes, since, min_earlier=2)
        resumed = BestWalk.load(json.dumps(asdict(first)))
        assert resumed == first
        after = resumed.after()
        rest = [m for m in rows if after is None or (m["start_time"], m["match_id"]) > after]
        got += resumed.walk(rest, indexes, since, min_earlier=2)
        assert got == whole, cut


def test_session_and_best_messages_name_the_player_and_fit_a_phone_line() -> None:
    from halotrack.usecases import events as ev
    from halotrack.usecases.insights import BestMatch, Session, SessionPlaylist, Totals

    ranked = Totals(matches=22, wins=10, losses=10, ties=2, kills=300, deaths=200, assists=90)
    best = BestMatch("m9", T0, "Aquarius", "Slayer", 31, 9, 4, 2.5)
    session = Session(
        T0,
        T0 + timedelta(hours=3, minutes=5),
        [SessionPlaylist("Ranked Arena", False, ranked, 34)],
        ranked,
        Totals(),
        best,
        0.8,
        22,
    )
    xuid = 2533274800000001
    told = ev._session_event(xuid, LONGEST_TAG, session)
    assert told.title == f"Session: {LONGEST_TAG}, 10W 10L 2T"
    assert len(told.title) <= TITLE_WIDTH
    assert told.body == (
        f"{LONGEST_TAG} played 22 matches in 3h 5m: 10W 10L 2T, K/D 1.50, "
        "CSR +34 in Ranked Arena. Best: 31-9-4 on Aquarius (Slayer)."
    )
    assert (told.data["matches"], told.data["csr_change"]) == (22, {"Ranked Arena": 34})
    row = {"kills": 31, "deaths": 9, "assists": 4}
    for what, value in (("kills", 31.0), ("performance", 2.468), ("win_streak", 12.0)):
        b = ev.Best(what, "m9", T0, value, value - 1)
        e = ev._best_event(xuid, LONGEST_TAG, b, row, "Aquarius")
        assert e.title.startswith(LONGEST_TAG) and len(e.title) <= TITLE_WIDTH, e.title
        assert str(xuid) not in e.title + e.body


def test_a_session_message_says_in_one_line_which_games_were_kept_apart() -> None:
    from halotrack.usecases import events as ev
    from halotrack.usecases.insights import Session, SessionPlaylist, Totals

    pvp = Totals(matches=4, wins=3, losses=1, kills=60, deaths=40)
    pve = Totals(matches=2, wins=2, kills=150, deaths=3)
    custom, local = Totals(matches=1, wins=1), Totals(matches=3, losses=3)
    parts = [SessionPlaylist("Quick Play", False, pvp, None)]
    parts.append(SessionPlaylist("Firefight", True, pve, None))
    session = Session(T0, T0 + timedelta(hours=2), parts, pvp, pve, None, None, 0, custom, local)
    body = ev._session_event(2533274800000001, LONGEST_TAG, session).body
    assert body.splitlines()[-1] == (
        "PvE: 2 games, not in the K/D or best; apart: 1 custom game and 3 local (LAN) games."
    )
    only_pvp = Session(T0, T0 + timedelta(hours=2), parts[:1], pvp, Totals(), None, None, 0)
    assert "\n" not in ev._session_event(2533274800000001, LONGEST_TAG, only_pvp).body


@pytest.mark.parametrize(
    ("value", "name"),
    [(0, "Bronze 1"), (299, "Bronze 6"), (1487, "Diamond 6"), (1200, "Diamond 1"), (1549, "Onyx")],
)
def test_a_rank_is_named_as_the_game_names_it(value: int, name: str) -> None:
    """Rank-up notices, the page's next step and CSR labels name a rank one way."""
    pos = tier_for(value)
    assert rank_name(pos.tier, pos.sub_tier) == name
    assert reading(value).short() == name
    assert csr_label(value, pos.tier, pos.sub_tier).startswith(name)
