"""Player arguments: XUID forms, gamertag validation, and escaping that never moves the path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from halotrack.errors import ConfigError
from halotrack.waypoint import Limits, WaypointClient, parse_player
from halotrack.waypoint.players import (
    escape_file_path,
    escape_segment,
    is_bot,
    parse_match_id,
    require_xuid,
    validate_gamertag,
)
from tests.support.fake_api import MINIMAL, FakeApi, serve_fake_api


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeApi]:
    async with serve_fake_api() as api:
        yield api


XUID = 2535445291321133


@pytest.mark.parametrize(
    "value", [XUID, str(XUID), f"xuid({XUID})", f"XUID({XUID})", f" xuid( {XUID} ) "]
)
def test_xuid_forms(value: Any) -> None:
    player = parse_player(value)
    assert player.xuid == XUID
    assert player.segment == f"xuid({XUID})"


@pytest.mark.parametrize(
    "value", ["xuid(12a)", "xuid()", "xuid(-5)", "123456789012345678901234", 0, -4, 2**64, True]
)
def test_malformed_xuids_are_config_errors(value: Any) -> None:
    with pytest.raises(ConfigError):
        parse_player(value)


@pytest.mark.parametrize(
    "name",
    [
        "Frosty",
        "Space Name",
        "Ünïcødé Tag",
        "名前テスト",
        "A",
        "x" * 15,
        "Modern#1234",
        "Twelve Chars#12",
    ],
)
def test_valid_gamertags(name: str) -> None:
    assert parse_player(name).gamertag == name


@pytest.mark.parametrize(
    "name",
    ["", "   ", "tab\there", "new\nline", "nul\x00", "bell\x07", "x" * 17, " padded", "zw\u200bsp"],
)
def test_invalid_gamertags(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_player(name)
    assert "\n" not in str(info.value)


def test_bots_and_gamertags_where_an_xuid_is_needed() -> None:
    assert is_bot("bid(19.0)")
    assert not is_bot(f"xuid({XUID})")
    assert require_xuid(f"xuid({XUID})") == XUID
    with pytest.raises(ConfigError, match="needs an XUID"):
        require_xuid("Frosty")


def test_match_ids_and_file_paths() -> None:
    assert parse_match_id(" 63391382-6B88-43F9-9FF4-6313404C419C ") == (
        "63391382-6b88-43f9-9ff4-6313404c419c"
    )
    with pytest.raises(ConfigError):
        parse_match_id("../../etc")
    assert escape_file_path("Seasons/Season 5.json") == "Seasons/Season%205.json"
    for bad in ["", "/abs.json", "a/../b.json", "a//b", "./x", "a/\x00"]:
        with pytest.raises(ConfigError):
            escape_file_path(bad)


@pytest.mark.parametrize(
    "name", ["x" * 15, "Fifteen Chars15", "x" * 12 + "#1234", "Modern#7", "y" * 13 + "#1"]
)
def test_gamertags_up_to_15_characters_or_12_plus_a_suffix_are_accepted(name: str) -> None:
    assert validate_gamertag(name) == name


@pytest.mark.parametrize(
    "name", ["x" * 16, "Sixteen Chars 16", "x" * 13 + "#1234", "y" * 14 + "#1", "x" * 20]
)
def test_longer_gamertags_are_refused_with_the_rule(name: str) -> None:
    """Xbox gamertags: at most 15 characters; modern ones at most 12 plus `#` and a suffix
    of up to 4 digits. A 16-character name was accepted while the hint said 15."""
    with pytest.raises(ConfigError, match="too long") as info:
        validate_gamertag(name)
    assert "at most 15 characters" in str(info.value)


@given(st.text(min_size=1, max_size=16))
def test_escaped_segments_never_carry_path_syntax(text: str) -> None:
    try:
        name = validate_gamertag(text)
    except ConfigError:
        return
    segment = escape_segment(name)
    assert not set(segment) & set("/?#\\ ")
    assert segment.strip(".") != ""
    assert unquote(segment) == name


TRICKY = ["a/b", "..", ".", "%2F", "a%", "x?y=1", "x#1", "Space Name", "Ünï cødé", "../..", "a\\b"]


@pytest.mark.parametrize("name", TRICKY)
async def test_gamertags_never_change_the_requested_path(fake_api: Any, name: str) -> None:
    fake_api.handle = lambda request: web.json_response({**MINIMAL, "gamertag": name})
    async with WaypointClient(
        tokens="t", api_root=fake_api.root, limits=Limits.unlimited(), cache=False
    ) as c:
        await c.stats.service_record(name)
        await c.profile.user(name)
        await c.economy.career_rank_progress(name)
    host = "halostats.svc.halowaypoint.com"
    record, profile, economy = fake_api.seen
    escaped = escape_segment(name)
    assert record["raw_path"] == f"/{host}/hi/players/{escaped}/Matchmade/servicerecord"
    assert record["query"] == []
    assert profile["raw_path"] == f"/profile.svc.halowaypoint.com/users/gt({escaped})"
    assert economy["raw_path"].endswith(
        f"/hi/players/{escaped}/rewardtracks/careerranks/careerrank1"
    )
    # what the server decodes back is the name itself, in one segment
    segments = record["raw_path"].split("/")
    assert len(segments) == 7
    assert unquote(segments[4]) == name
    assert quote(name, safe="") == escaped or set(name) == {"."}
