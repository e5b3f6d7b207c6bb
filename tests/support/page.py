"""Shared builders for the stats-page tests of every tier (the page, its store, the browser).

The page's inputs are the real recorded samples (service record, CSR, medal metadata, season
calendars) plus synthetic snapshot series that end exactly at the real record.
"""

from __future__ import annotations

import copy
import json
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from halotrack.models.decoding import decode_as
from halotrack.models.gamecms import CsrSeasonCalendar, MedalMetadata, SeasonCalendar
from halotrack.models.summary import read_summary
from halotrack.report import data as D
from halotrack.report.build import (
    METADATA_CAREER_TRACK,
    METADATA_CSR_CALENDAR,
    METADATA_MEDALS,
    METADATA_SEASON_CALENDAR,
    dumps_sprite,
)
from halotrack.store import Scope, Store
from tests.support import synthetic
from tests.support.samples import REAL

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
XUID = "2535445291321133"
RANKED_ARENA = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
RANKED_DOUBLES = "fa5aa2a3-2428-4912-a023-e1eeea7b877c"
XSS_GAMERTAG = "<script>alert(1)</script>"
XSS_GAMERTAG_2 = '"><img src=x onerror=alert(1)>'


def real(name: str) -> Any:
    return json.loads((REAL / name).read_text("utf-8"))


def lifetime() -> dict[str, Any]:
    return dict(real("servicerecord/matchmade-lifetime.json"))


def csr_result() -> dict[str, Any]:
    return dict(real("csr/playlist-csrs-one-player.json")["Value"][0]["Result"])


def medals_metadata() -> dict[str, Any]:
    return dict(real("gamecms/medals-metadata.json"))


def medals(meta: dict[str, Any] | None = None) -> MedalMetadata:
    """The medal metadata (the real sample, or `meta` as edited by a test) through its model,
    as the page is given it."""
    return decode_as(MedalMetadata, json.dumps(meta if meta is not None else medals_metadata()))


def season_calendar() -> SeasonCalendar:
    return decode_as(SeasonCalendar, (REAL / "gamecms/seasoncalendar.json").read_bytes())


def csr_calendar() -> CsrSeasonCalendar:
    return decode_as(CsrSeasonCalendar, (REAL / "gamecms/csr-season-calendar.json").read_bytes())


def sprite_png(columns: int = 16, size: int = 72, count: int | None = None) -> bytes:
    """A small RGB sprite sheet covering every medal's `spriteIndex`: each cell a coloured
    square with a dark margin, so cut-out icons are visible in screenshots."""
    if count is None:
        count = max(m["spriteIndex"] for m in medals_metadata()["medals"]) + 1
    rows = -(-count // columns)
    width, height = columns * size, rows * size
    margin = 12
    lines = []
    for r in range(rows):
        inner = bytearray([0])
        for c in range(columns):
            cell = r * columns + c
            rgb = bytes(((cell * 53) % 200 + 40, (cell * 97) % 200 + 40, (cell * 31) % 200 + 40))
            inner += b"\0\0\0" * margin + rgb * (size - 2 * margin) + b"\0\0\0" * margin
        blank = b"\0" + b"\0\0\0" * width
        lines += [blank] * margin + [bytes(inner)] * (size - 2 * margin) + [blank] * margin

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(lines), 9))
        + chunk(b"IEND", b"")
    )


def history(count: int = 120, step: timedelta = timedelta(hours=14)) -> list[D.HistoryPoint]:
    end = read_summary(lifetime())
    return synthetic.history(end, count=count, until=NOW, step=step)


def csr_points(count: int = 120, step: timedelta = timedelta(hours=14)) -> list[D.CsrPoint]:
    return synthetic.csr_history(
        [(RANKED_ARENA, -1), (RANKED_DOUBLES, 1487)], count=count, until=NOW, step=step
    )


def sample_inputs(
    gamertag: str = "Sample Spartan", *, matches: int = 0, sprite: bool = False
) -> D.PageInputs:
    """PageInputs from the real samples plus synthetic series (no store involved)."""
    return D.PageInputs(
        xuid=XUID,
        gamertag=gamertag,
        previous_gamertags=("Old Tag",),
        career_rank="Cadet Bronze 1",
        lifetime=D.RecordSnapshot(NOW, lifetime()),
        seasons={"Csr/Seasons/CsrSeason5-1.json": D.RecordSnapshot(NOW, season_record())},
        csr=[
            D.CsrReading(RANKED_ARENA, NOW, csr_result()),
            D.CsrReading(RANKED_DOUBLES, NOW, synthetic.csr_result(1487, 1510, 1549)),
        ],
        history=history(),
        csr_history=csr_points(),
        matches=synthetic.matches(matches, until=NOW) if matches else (),
        medals_metadata=medals(),
        medal_sprite_png=sprite_png() if sprite else None,
        season_calendar=season_calendar(),
        csr_calendar=csr_calendar(),
        playlist_names={RANKED_ARENA: "Ranked Arena"},
    )


def season_record() -> dict[str, Any]:
    """A season-scoped record: the lifetime sample with smaller numbers."""
    rec = copy.deepcopy(lifetime())
    rec["MatchesCompleted"], rec["Wins"], rec["Losses"], rec["Ties"] = 212, 118, 92, 2
    rec["CoreStats"].update(Kills=3400, Deaths=2500, Assists=1300, Accuracy=49.5)
    rec["TimePlayed"] = "P1DT9H12M5.5S"
    return rec


def record_at(point: D.HistoryPoint) -> dict[str, Any]:
    """The real lifetime record with its headline numbers moved to a history point."""
    rec = copy.deepcopy(lifetime())
    rec["MatchesCompleted"], rec["Wins"] = point.matches, point.wins
    rec["Losses"], rec["Ties"] = point.losses, point.ties
    rec["CoreStats"].update(Kills=point.kills, Deaths=point.deaths, Assists=point.assists)
    secs = point.time_played.total_seconds()
    rec["TimePlayed"] = f"PT{secs:.1f}S"
    return rec


def seed_store(store: Store, gamertag: str = "Sample Spartan", *, snapshots: int = 40) -> None:
    """A player in the store: gamertag history, lifetime snapshots (the last one is the real
    sample byte for byte), a season record, CSR readings, and cached metadata."""
    points = history(count=snapshots, step=timedelta(hours=14))
    store.upsert_player(XUID, "Old Tag", seen_at=NOW - timedelta(days=400))
    store.upsert_player(XUID, gamertag, seen_at=NOW)
    store.watch_add(XUID, now=NOW)
    with store.transaction() as tx:
        for point in points[:-1]:
            tx.save_service_record(XUID, "matchmade", Scope(), record_at(point), point.captured_at)
        tx.save_service_record(XUID, "matchmade", Scope(), lifetime(), NOW)
        tx.save_service_record(
            XUID, "matchmade", Scope.season("Csr/Seasons/CsrSeason5-1.json"), season_record(), NOW
        )
        for p in csr_points(count=snapshots):
            if p.playlist_id == RANKED_DOUBLES:
                raw = synthetic.csr_result(p.value, max(p.value, 1510), 1549)
            elif p.captured_at == NOW:
                raw = csr_result()
            else:
                raw = synthetic.csr_result(p.value, p.value, 1549)
            tx.save_csr(XUID, p.playlist_id, "CsrSeason9-1", raw, p.captured_at)
        tx.put_metadata(*METADATA_MEDALS, json.dumps(medals_metadata()), fetched_at=NOW)
        tx.put_metadata(
            *METADATA_SEASON_CALENDAR,
            json.dumps(real("gamecms/seasoncalendar.json")),
            fetched_at=NOW,
        )
        tx.put_metadata(
            *METADATA_CSR_CALENDAR,
            json.dumps(real("gamecms/csr-season-calendar.json")),
            fetched_at=NOW,
        )
        tx.put_metadata(
            *METADATA_CAREER_TRACK, json.dumps(real("gamecms/careerrank1.json")), fetched_at=NOW
        )
        tx.put_metadata(
            "career_rank", XUID, json.dumps({"CurrentProgress": {"Rank": 2}}), fetched_at=NOW
        )
        tx.put_metadata(
            "playlist",
            RANKED_ARENA,
            json.dumps(real("discovery/playlist-version.json")),
            fetched_at=NOW,
        )
        tx.put_metadata(
            "image", "medals/images/medal_sheet_sm.png", dumps_sprite(sprite_png()), fetched_at=NOW
        )
