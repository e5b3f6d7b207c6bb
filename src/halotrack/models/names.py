"""Names behind the API's numbers: game modes, medals, personal scores, CSR ranks.

Why: every screen (tables, diffs, the page) must name the same NameId the same way. Medal
names come from the medal metadata file the client fetched, never a hard-coded list;
personal-score names come from the bundled table merged with the user's own file. Nothing
here reads a file at import: loaders take paths from the caller (CLI, config).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from halotrack.errors import ConfigError
from halotrack.models.enums import GameVariantCategory
from halotrack.models.gamecms import Medal, MedalMetadata

VARIABLE_SCORE_ID = 4294967295
"""The personal-score NameId used for scripted awards of any value."""

PERSONAL_SCORES_FILE = "personal_scores.json"


def category_name(value: int | None) -> str:
    """`Slayer`, `Capture the Flag`, ..., `Unknown(57)` for a mode shipped after this code."""
    return GameVariantCategory.label(value)


# ----- medals


@dataclass(frozen=True, slots=True)
class MedalInfo:
    """What a screen shows for one medal."""

    name_id: int
    name: str
    description: str
    difficulty: str
    type: str
    sorting_weight: int
    sprite_index: int | None
    known: bool


class MedalBook:
    """Medal lookups by NameId from a decoded `MedalMetadata` (built once, then O(1))."""

    def __init__(self, metadata: MedalMetadata | None = None) -> None:
        self._metadata = metadata
        self._by_id: dict[int, Medal] = metadata.by_id() if metadata else {}

    def __contains__(self, name_id: object) -> bool:
        return name_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def name(self, name_id: int) -> str:
        """The medal's English name; `Medal <id>` when the metadata does not know it."""
        medal = self._by_id.get(name_id)
        return medal.name.value if medal and medal.name.value else f"Medal {name_id}"

    def difficulty(self, name_id: int) -> str:
        """`normal`, `heroic`, `legendary`, `mythic`; `unknown` for an unknown medal."""
        medal = self._by_id.get(name_id)
        if medal is None or medal.difficulty_index is None or self._metadata is None:
            return "unknown"
        return self._metadata.difficulty_name(medal.difficulty_index)

    def type(self, name_id: int) -> str:
        """`spree`, `mode`, `multikill`, `proficiency`, `skill`, `style`; `unknown` otherwise."""
        medal = self._by_id.get(name_id)
        if medal is None or medal.type_index is None or self._metadata is None:
            return "unknown"
        return self._metadata.type_name(medal.type_index)

    def info(self, name_id: int) -> MedalInfo:
        medal = self._by_id.get(name_id)
        return MedalInfo(
            name_id=name_id,
            name=self.name(name_id),
            description=medal.description.value if medal else "",
            difficulty=self.difficulty(name_id),
            type=self.type(name_id),
            sorting_weight=(medal.sorting_weight or 0) if medal else 0,
            sprite_index=medal.sprite_index if medal else None,
            known=medal is not None,
        )


# ----- personal scores


@dataclass(frozen=True, slots=True)
class ScoreInfo:
    """A personal-score award: its name and points per award (None when variable)."""

    name_id: int
    name: str
    points: int | None


class _ScoreRow(msgspec.Struct, frozen=True):
    name_id: int
    name: str
    points: int | None = None


class _ScoreFile(msgspec.Struct, frozen=True):
    scores: list[_ScoreRow] = msgspec.field(default_factory=list)
    source: str | None = None


_SCORE_FILE_DECODER = msgspec.json.Decoder(_ScoreFile)


class PersonalScoreBook:
    """Personal-score NameId -> name and points. Later sources override earlier ones."""

    def __init__(self, entries: Mapping[int, ScoreInfo] | None = None) -> None:
        self._by_id: dict[int, ScoreInfo] = dict(entries or {})

    def __contains__(self, name_id: object) -> bool:
        return name_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def items(self) -> Iterable[tuple[int, ScoreInfo]]:
        return self._by_id.items()

    def name(self, name_id: int) -> str:
        info = self._by_id.get(name_id)
        return info.name if info else f"Personal score {name_id}"

    def points(self, name_id: int) -> int | None:
        """Points per award; None when unknown or variable (the scripted 4294967295)."""
        if name_id == VARIABLE_SCORE_ID:
            return None
        info = self._by_id.get(name_id)
        return info.points if info else None

    def info(self, name_id: int) -> ScoreInfo:
        return self._by_id.get(name_id) or ScoreInfo(name_id, self.name(name_id), None)

    def merged(self, other: PersonalScoreBook) -> PersonalScoreBook:
        return PersonalScoreBook({**self._by_id, **other._by_id})

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "<bytes>") -> PersonalScoreBook:
        """Parse the `{"scores": [{"name_id", "name", "points"}]}` format."""
        try:
            parsed = _SCORE_FILE_DECODER.decode(data)
        except msgspec.MsgspecError as exc:
            raise ConfigError(
                f"bad personal scores file {source}: {exc}",
                hint='expected {"scores": [{"name_id": 1, "name": "...", "points": 10}]}',
            ) from exc
        return cls({r.name_id: ScoreInfo(r.name_id, r.name, r.points) for r in parsed.scores})


def bundled_personal_scores_path() -> Any:
    """The table shipped with halotrack (an importlib Traversable; reading is the caller's)."""
    return resources.files("halotrack.models").joinpath(PERSONAL_SCORES_FILE)


def load_personal_scores(*paths: Path | str | None, bundled: bool = True) -> PersonalScoreBook:
    """The bundled table merged with each existing file in `paths` (later ones win).

    Pass `config_dir() / "personal_scores.json"` for the user's own additions; a path that
    does not exist is skipped, a broken one raises ConfigError.
    """
    book = PersonalScoreBook()
    if bundled:
        data = bundled_personal_scores_path().read_bytes()
        book = PersonalScoreBook.from_bytes(data, source="bundled " + PERSONAL_SCORES_FILE)
    for path in paths:
        if path is None:
            continue
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot read {p}: {exc}") from exc
        book = book.merged(PersonalScoreBook.from_bytes(data, source=str(p)))
    return book
