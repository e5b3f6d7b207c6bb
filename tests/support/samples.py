"""The real recorded API samples under tests/data/real, and which decoder kind each one is."""

from __future__ import annotations

from pathlib import Path

REAL = Path(__file__).parents[1] / "data" / "real"

SAMPLES: dict[str, str] = {
    "csr/playlist-csrs-one-player.json": "playlist-csr",
    "discovery/map-mode-pair-version.json": "map-mode-pair",
    "discovery/map-version.json": "map",
    "discovery/playlist-version.json": "playlist",
    "discovery/ugc-game-variant-version.json": "game-variant",
    "gamecms/careerrank1.json": "career-rank-track",
    "gamecms/csr-season-calendar.json": "csr-season-calendar",
    "gamecms/medals-metadata.json": "medal-metadata",
    "gamecms/playlist-asset-ranked-arena.json": "playlist-asset",
    "gamecms/seasoncalendar.json": "season-calendar",
    "match-history/matches-page.json": "match-history",
    "match-skill/match-skill-one-player.json": "match-skill",
    "match-stats/ctf-2025.json": "match-stats",
    "match-stats/elimination-2024.json": "match-stats",
    "match-stats/extraction-2024.json": "match-stats",
    "match-stats/infection-2025.json": "match-stats",
    "match-stats/oddball-2025.json": "match-stats",
    "match-stats/pve-2024.json": "match-stats",
    "match-stats/slayer-2025.json": "match-stats",
    "match-stats/stockpile-2024.json": "match-stats",
    "match-stats/vip-2025.json": "match-stats",
    "match-stats/zones-2025.json": "match-stats",
    "profile/user.json": "user",
    "profile/users.json": "users",
    "servicerecord/matchmade-empty.json": "service-record",
    "servicerecord/matchmade-lifetime.json": "service-record",
    "stats-other/match-count.json": "match-count",
}
