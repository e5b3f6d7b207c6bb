"""A simulated player's career in a store: the matches the world generated for them, with
every player's skill answer, saved through the store's own `match_rows`/`save_match` (no
HTTP), and the asset names and gamertags the insights show. Used by `bench/insights.py`
and the page's insight tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from halotrack.models import MatchSkill, MatchStats, decode_as
from halotrack.simulator.views import guest_tag, match_stats, skill_result
from halotrack.simulator.world import SimPlayer, Slot, World
from halotrack.store import Store
from halotrack.store import matches as sm


def save_career(
    store: Store, world: World, p: SimPlayer, slots: Sequence[Slot], now: datetime
) -> None:
    tags = {p.xuid: p.gamertag}
    with store.transaction() as tx:
        for s in slots:
            m = s.match
            humans = [x for x in world.roster(m) if not x.bot]
            skill = {"Value": [skill_result(world, x) for x in humans]}
            tags.update((x.xuid, guest_tag(x.xuid)) for x in humans if x.xuid and x.xuid != p.xuid)
            stats = decode_as(MatchStats, json.dumps(match_stats(world, m)).encode())
            rows = sm.match_rows(
                stats, decode_as(MatchSkill, json.dumps(skill).encode()), fetched_at=now
            )
            tx.save_match(rows)
        for a in world.maps:
            tx.save_asset("map", a.asset_id, a.version_id, name=a.name, fetched_at=now)
        for a in world.variant_assets.values():
            tx.save_asset("mode", a.asset_id, a.version_id, name=a.name, fetched_at=now)
        for pl in world.playlists:
            a = pl.asset
            tx.save_asset("playlist", a.asset_id, a.version_id, name=a.name, fetched_at=now)
    store.upsert_player(p.xuid, p.gamertag, seen_at=now)
    store.put_gamertags(tags, now=now)
