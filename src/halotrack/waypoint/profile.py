"""profile: gamertag <-> XUID lookups, one at a time or in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from halotrack.errors import ConfigError
from halotrack.models import User, Users
from halotrack.models.xuid import parse_xuid
from halotrack.waypoint._base import Service, encode_query
from halotrack.waypoint.players import Player, escape_segment, parse_player

DEFAULT_USERS_BATCH = 100


class ProfileService(Service):
    """`profile.svc.halowaypoint.com`."""

    name = "profile"
    users_batch_size = DEFAULT_USERS_BATCH

    async def user(self, player: int | str | Player) -> User:
        """The profile (xuid, gamertag, gamerpic) of a gamertag or an XUID."""
        who = parse_player(player)
        if who.xuid is not None:
            path = f"/users/xuid({who.xuid})"
        else:
            assert who.gamertag is not None
            path = f"/users/gt({escape_segment(who.gamertag)})"
        return await self._get(path, model=User, not_found="no such gamertag or XUID")

    async def me(self) -> User:
        """The signed-in user's own profile."""
        return await self._get("/users/me", model=User)

    async def users(self, xuids: Iterable[int | str]) -> list[User]:
        """Profiles of many XUIDs, asked in batches; the answers in one list."""
        wanted = list(dict.fromkeys(parse_xuid(value) for value in xuids))
        size = self.users_batch_size
        pages = await asyncio.gather(
            *(
                self._get(
                    "/users",
                    encode_query(("xuids", str(x)) for x in wanted[i : i + size]),
                    model=Users,
                )
                for i in range(0, len(wanted), size)
            )
        )
        return [user for page in pages for user in page.users]

    async def xuid_for(self, gamertag: str) -> int:
        """Gamertag -> XUID (already an XUID: returned as is, no request)."""
        who = parse_player(gamertag)
        if who.xuid is not None:
            return who.xuid
        user = await self.user(who)
        xuid = user.xuid_int
        if xuid is None:
            raise ConfigError(f"the profile service gave no XUID for {gamertag!r}")
        return xuid

    async def gamertag_for(self, xuid: int | str) -> str:
        """XUID -> current gamertag."""
        return (await self.user(parse_player(xuid))).gamertag

    async def gamertags_for(self, xuids: Iterable[int | str]) -> dict[int, str]:
        """Many XUIDs -> gamertags (missing ones are simply absent)."""
        return {
            x: user.gamertag for user in await self.users(xuids) if (x := user.xuid_int) is not None
        }
