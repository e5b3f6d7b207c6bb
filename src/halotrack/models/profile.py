"""profile models: gamertag <-> XUID. Keys here are lowercase (`xuid`, `gamertag`)."""

# ruff: noqa: RUF012  (msgspec copies empty list/dict defaults per instance)

from __future__ import annotations

from halotrack.models._base import Leaf, Model, Response, _RawMixin
from halotrack.models.xuid import maybe_xuid


class Gamerpic(Leaf, rename=None, frozen=True):
    small: str | None = None
    medium: str | None = None
    large: str | None = None
    xlarge: str | None = None


class User(Model, _RawMixin, rename=None, dict=True, frozen=True):
    """`/users/gt({gamertag})`, `/users/xuid({xuid})`, `/users/me`."""

    xuid: str | int
    gamertag: str = ""
    gamerpic: Gamerpic | None = None

    @property
    def xuid_int(self) -> int | None:
        return maybe_xuid(self.xuid)


class Users(Response, frozen=True):
    """`/users?xuids=...`: the body is a bare JSON list; `users` holds it."""

    users: list[User] = []

    def by_xuid(self) -> dict[int, User]:
        return {x: u for u in self.users if (x := u.xuid_int) is not None}
