"""Enumerations of the Waypoint API, tolerant of numbers that ship after this code.

Why: the API adds game modes and playlists without notice. A value we do not know must never
fail a response; it is kept as its number and named `Unknown(<n>)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import IntEnum
from typing import Literal, get_args

# Names learned at run time from the API's XML answers (see `models.xmlnames`), for numbers
# shipped after this code: (enum type name, number) -> the service's name for it.
_LEARNED: dict[tuple[str, int], str] = {}


def learn_names(names: Mapping[str, Mapping[int, str]]) -> int:
    """Remember names for numbers this code does not know; returns how many were new.
    Names of numbers it does know are ignored: the shipped table stays the reference."""
    added = 0
    for enum, value, name in unshipped(names):
        if _LEARNED.get((enum, value)) != name:
            _LEARNED[(enum, value)] = name
            added += 1
    return added


def unshipped(names: Mapping[str, Mapping[int, str]]) -> Iterator[tuple[str, int, str]]:
    """(enum, number, name) for each number the shipped enums do not know: the only names
    worth keeping."""
    for enum, values in names.items():
        cls = TOLERANT.get(enum)
        for value, name in values.items():
            if cls is None or not cls.known(value):
                yield enum, value, name


def forget_learned_names() -> None:
    _LEARNED.clear()


def _spaced(name: str) -> str:
    """`MultiplayerSnowballFight` -> `Snowball Fight` (the prefix every mode carries)."""
    bare = name.removeprefix("Multiplayer") or name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", bare)


class _Tolerant(IntEnum):
    """IntEnum whose `label(n)` names any int: known, learned from the API, or not."""

    @classmethod
    def label(cls, value: int | None) -> str:
        if value is None:
            return "Unknown"
        try:
            return cls(value).pretty
        except ValueError:
            name = _LEARNED.get((cls.__name__, value))
            return _spaced(name) if name else f"Unknown({value})"

    @classmethod
    def known(cls, value: int) -> bool:
        return value in cls._value2member_map_

    @classmethod
    def named(cls, value: int) -> bool:
        """Known to this code or learned since."""
        return cls.known(value) or (cls.__name__, value) in _LEARNED

    @property
    def pretty(self) -> str:
        return _PRETTY.get((type(self).__name__, int(self)), self.name)


class GameVariantCategory(_Tolerant):
    Unknown = -1
    None_ = 0
    Campaign = 1
    Forge = 2
    Academy = 3
    AcademyTutorial = 4
    AcademyPractice = 5
    MultiplayerSlayer = 6
    MultiplayerAttrition = 7
    MultiplayerElimination = 8
    MultiplayerFiesta = 9
    MultiplayerSwat = 10
    MultiplayerStrongholds = 11
    MultiplayerBastion = 12
    MultiplayerKingOfTheHill = 13
    MultiplayerTotalControl = 14
    MultiplayerCtf = 15
    MultiplayerAssault = 16
    MultiplayerExtraction = 17
    MultiplayerOddball = 18
    MultiplayerStockpile = 19
    MultiplayerJuggernaut = 20
    MultiplayerRegicide = 21
    MultiplayerInfection = 22
    MultiplayerEscort = 23
    MultiplayerGunGame = 24
    MultiplayerGrifball = 25
    MultiplayerRace = 26
    MultiplayerPrototype = 27
    Test28 = 28
    Test29 = 29
    Test30 = 30
    Test31 = 31
    Test32 = 32
    Test33 = 33
    Test34 = 34
    Test35 = 35
    Test36 = 36
    AcademyTraining = 37
    AcademyWeaponDrill = 38
    MultiplayerLandGrab = 39
    MultiplayerMinigame = 41
    MultiplayerFirefight = 42


class LifecycleMode(_Tolerant):
    Custom = 1
    Local = 2
    Matchmade = 3
    LocalAlt = 7


class Outcome(_Tolerant):
    Tie = 1
    Win = 2
    Loss = 3
    DidNotFinish = 4
    DidNotStart = 5


class PlayerType(_Tolerant):
    Human = 1
    Bot = 2


class GameplayInteraction(_Tolerant):
    PvP = 1
    PvE = 2
    PvPvE = 3


class PlaylistExperience(_Tolerant):
    Untracked = 1
    Arena = 2
    BTB = 3
    PveBots = 4
    Featured = 5
    PvE = 6


class MedalDifficulty(_Tolerant):
    normal = 0
    heroic = 1
    legendary = 2
    mythic = 3


class MedalType(_Tolerant):
    spree = 0
    mode = 1
    multikill = 2
    proficiency = 3
    skill = 4
    style = 5


class CsrResultCode(_Tolerant):
    Success = 0
    NotFound = 1
    ServiceFailure = 2
    ServiceUnavailable = 3
    Forbidden = 4


TOLERANT: dict[str, type[_Tolerant]] = {
    cls.__name__: cls
    for cls in (
        GameVariantCategory,
        LifecycleMode,
        Outcome,
        PlayerType,
        GameplayInteraction,
        PlaylistExperience,
    )
}
"""The enums that appear in stats answers, by the type name the XML form uses."""


RECORD_KINDS: dict[str, str] = {"matchmade": "Matchmade", "custom": "Custom", "local": "Local"}

HistoryType = Literal["all", "matchmaking", "custom", "local"]
HISTORY_TYPES: tuple[str, ...] = get_args(HistoryType)
"""The match history's `type`: matchmade games (LifecycleMode Matchmade), custom games
(Custom), local (LAN) games (any other LifecycleMode: Local, LocalAlt), or all of them."""


def history_type_of(lifecycle_mode: int | None) -> str:
    """The history `type` a match of this LifecycleMode is listed under (besides `all`)."""
    if lifecycle_mode == LifecycleMode.Matchmade:
        return "matchmaking"
    return "custom" if lifecycle_mode == LifecycleMode.Custom else "local"


_PRETTY: dict[tuple[str, int], str] = {
    ("GameVariantCategory", 0): "None",
    ("GameVariantCategory", 6): "Slayer",
    ("GameVariantCategory", 7): "Attrition",
    ("GameVariantCategory", 8): "Elimination",
    ("GameVariantCategory", 9): "Fiesta",
    ("GameVariantCategory", 10): "SWAT",
    ("GameVariantCategory", 11): "Strongholds",
    ("GameVariantCategory", 12): "King of the Hill",
    ("GameVariantCategory", 13): "King of the Hill",
    ("GameVariantCategory", 14): "Total Control",
    ("GameVariantCategory", 15): "Capture the Flag",
    ("GameVariantCategory", 16): "Assault",
    ("GameVariantCategory", 17): "Extraction",
    ("GameVariantCategory", 18): "Oddball",
    ("GameVariantCategory", 19): "Stockpile",
    ("GameVariantCategory", 20): "Juggernaut",
    ("GameVariantCategory", 21): "Regicide",
    ("GameVariantCategory", 22): "Infection",
    ("GameVariantCategory", 23): "VIP",
    ("GameVariantCategory", 24): "Escalation",
    ("GameVariantCategory", 25): "Grifball",
    ("GameVariantCategory", 26): "Race",
    ("GameVariantCategory", 27): "Prototype",
    ("GameVariantCategory", 37): "Academy Training",
    ("GameVariantCategory", 38): "Weapon Drill",
    ("GameVariantCategory", 39): "Land Grab",
    ("GameVariantCategory", 41): "Minigame",
    ("GameVariantCategory", 42): "Firefight",
    ("LifecycleMode", 7): "Local",
    ("Outcome", 4): "Did not finish",
    ("Outcome", 5): "Did not start",
}
