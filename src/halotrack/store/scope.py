"""Which slice of a service record a snapshot holds, as one stable string key.

Why: the same (player, kind) has many records: lifetime, one per season, and for matchmade
any mix of filters. A canonical key lets the database find "the previous snapshot of this
exact slice" with one equality, while the parts stay in their own columns for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from halotrack.models.enums import RECORD_KINDS

LIFETIME = "lifetime"
_ORDER = ("season", "category", "ranked", "playlist", "interaction")


@dataclass(frozen=True, slots=True)
class Scope:
    """Filters of a service record request; all None is the lifetime record."""

    season_id: str | None = None
    game_variant_category: int | None = None
    is_ranked: bool | None = None
    playlist_asset_id: str | None = None
    gameplay_interaction: int | None = None

    @classmethod
    def lifetime(cls) -> Scope:
        return cls()

    @classmethod
    def season(cls, season_id: str) -> Scope:
        return cls(season_id=season_id)

    @property
    def has_matchmade_filters(self) -> bool:
        return any(
            v is not None
            for v in (
                self.game_variant_category,
                self.is_ranked,
                self.playlist_asset_id,
                self.gameplay_interaction,
            )
        )

    def key(self) -> str:
        """`lifetime`, or `season=...;category=6;ranked=true;...` in a fixed order."""
        parts: list[str] = []
        if self.season_id is not None:
            parts.append(f"season={self.season_id}")
        if self.game_variant_category is not None:
            parts.append(f"category={int(self.game_variant_category)}")
        if self.is_ranked is not None:
            parts.append(f"ranked={'true' if self.is_ranked else 'false'}")
        if self.playlist_asset_id is not None:
            parts.append(f"playlist={self.playlist_asset_id.lower()}")
        if self.gameplay_interaction is not None:
            parts.append(f"interaction={int(self.gameplay_interaction)}")
        return ";".join(parts) if parts else LIFETIME

    @classmethod
    def parse(cls, key: str) -> Scope:
        """Inverse of `key()`; raises ValueError on anything else."""
        if key == LIFETIME:
            return cls()
        values: dict[str, str] = {}
        for part in key.split(";"):
            name, sep, value = part.partition("=")
            if not sep or name not in _ORDER or name in values:
                raise ValueError(f"not a scope key: {key!r}")
            values[name] = value
        ranked = values.get("ranked")
        if ranked not in (None, "true", "false"):
            raise ValueError(f"not a scope key: {key!r}")
        return cls(
            season_id=values.get("season"),
            game_variant_category=int(values["category"]) if "category" in values else None,
            is_ranked=None if ranked is None else ranked == "true",
            playlist_asset_id=values.get("playlist"),
            gameplay_interaction=(int(values["interaction"]) if "interaction" in values else None),
        )

    def describe(self) -> str:
        """Words for a table header: `lifetime`, `season Csr/Seasons/CsrSeason5-1.json`."""
        if self.season_id and not self.has_matchmade_filters:
            return f"season {self.season_id}"
        return self.key()


def check_kind(kind: str, scope: Scope) -> str:
    """Validate a record kind (matchmade/custom/local) against its scope; returns it."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}: one of {', '.join(RECORD_KINDS)}")
    if kind != "matchmade" and scope.has_matchmade_filters:
        raise ValueError(f"{kind} records take only a season filter")
    return kind
