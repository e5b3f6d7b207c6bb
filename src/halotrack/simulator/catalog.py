"""The fixed vocabulary of the synthetic world: stat columns, mode blocks, game variants.

Why: one flat column layout lets a match be stored as a tuple of ints and a service record be
the column-wise sum of those tuples, so a record equals its matches by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from halotrack.models.modes import MODE_TABLE, ModeBlock
from halotrack.models.names import load_personal_scores

# Column kinds: "sum" ints, "dur" ticks summed, "max" ints maxed, "maxdur" ticks maxed.
CORE: tuple[str, ...] = (
    "Score",
    "PersonalScore",
    "RoundsWon",
    "RoundsLost",
    "RoundsTied",
    "Kills",
    "Deaths",
    "Assists",
    "Suicides",
    "Betrayals",
    "GrenadeKills",
    "HeadshotKills",
    "MeleeKills",
    "PowerWeaponKills",
    "ShotsFired",
    "ShotsHit",
    "DamageDealt",
    "DamageTaken",
    "CalloutAssists",
    "VehicleDestroys",
    "DriverAssists",
    "Hijacks",
    "EmpAssists",
    "MaxKillingSpree",
    "Spawns",
    "ObjectivesCompleted",
)

# Bookkeeping columns, one per match: outcome counts and time played.
META: tuple[str, ...] = ("_matches", "_wins", "_losses", "_ties", "_time")


# The per-mode blocks by the simulator's short name (`ctf`, `zones`, ...), from the models'
# table so the simulator writes exactly the fields the page and the models read.
MODES: dict[str, ModeBlock] = {m.slug: m for m in MODE_TABLE}

# Order of mode blocks in a service record (as in the real lifetime sample).
RECORD_MODE_ORDER: tuple[str, ...] = tuple(m.slug for m in MODE_TABLE if m.record_key)

# Personal scores the simulator awards, with the column each counts (None: worked out per
# variant by the generator); points per award come from the shared table
# (halotrack/models/personal_scores.json). 4294967295 "Custom" has variable points and gets
# a second column holding its awarded total.
CUSTOM_SCORE = 4294967295
PERSONAL_SCORE_SOURCES: tuple[tuple[int, str | None], ...] = (
    (1024030246, "core.Kills"),  # Killed Player
    (638246808, "core.Assists"),  # Kill Assist
    (152718958, "core.CalloutAssists"),  # Mark Assist
    (249491819, "core.Suicides"),  # Self-destruction
    (911992497, "core.Betrayals"),  # Betrayed Player
    (601966503, "ctf.FlagCaptures"),  # Flag Captured
    (555570945, "ctf.FlagCaptureAssists"),  # Flag Capture Assist
    (22113181, "ctf.FlagReturns"),  # Flag Returned
    (3002710045, "ctf.FlagSteals"),  # Flag Stolen
    (2387185397, "ctf.FlagGrabs"),  # Flag Taken
    (316828380, "ctf.FlagCarriersKilled"),  # Runner Stopped
    (1267013266, "ctf.FlagSecures"),  # Flag Secure
    (2408971842, "elimination.Eliminations"),  # Eliminated Player
    (3428202435, "elimination.AlliesRevived"),  # Revived Player
    (2130209372, "elimination.EnemyRevivesDenied"),  # Revive Denied
    (454168309, None),  # Ball Control <- SkullScoringTicks // 10
    (204144695, "oddball.SkullGrabs"),  # Ball Taken
    (746397417, "oddball.SkullCarriersKilled"),  # Carrier Stopped
    (3507884073, None),  # Zone Captured <- ZoneCaptures (Strongholds)
    (709346128, None),  # Zone Secured <- ZoneSecures (Strongholds)
    (1032565232, None),  # Hill Scored <- ZoneCaptures (King of the Hill)
    (340198991, None),  # Hill Control <- ZoneSecures (King of the Hill)
    (2801241965, "stockpile.PowerSeedsDeposited"),  # Stockpile Scored
    (3996338664, "stockpile.PowerSeedsStolen"),  # Power Seed Stolen
    (4128329646, "stockpile.PowerSeedCarriersKilled"),  # Carrier Killed
    (4130011565, "extraction.SuccessfulExtractions"),  # Extraction Completed
    (1117301492, "extraction.ExtractionConversionsCompleted"),  # Extraction Converted
    (1552628741, "extraction.ExtractionConversionsDenied"),  # Extraction Denied
    (1825517751, "extraction.ExtractionInitiationsCompleted"),  # Extraction Initiated
    (4247243561, "extraction.ExtractionInitiationsDenied"),  # Conversion Denied
    (963594075, "core.DriverAssists"),  # Driver Assist
    (221060588, "core.EmpAssists"),  # EMP Assist
    (4254982885, "core.VehicleDestroys"),  # Destroyed Ghost
    (1614285349, "core.Hijacks"),  # Hijacked Ghost
    (CUSTOM_SCORE, None),  # Custom (scripted): Infection and Firefight
)
_BOOK = load_personal_scores()
PERSONAL_SCORES: tuple[tuple[int, int], ...] = tuple(
    (name_id, _BOOK.points(name_id) or 0) for name_id, _src in PERSONAL_SCORE_SOURCES
)

# Medals the generator awards (NameIds from the real metadata file).
MEDALS: tuple[int, ...] = (
    622331684,  # Double Kill
    2063152177,  # Triple Kill
    835814121,  # Overkill
    2780740615,  # Killing Spree
    4261842076,  # Killing Frenzy
    3233952928,  # Killjoy
    1512363953,  # Perfect
    2123530881,  # Reversal
    548533137,  # Back Smack
    4229934157,  # Snipe
    3655682764,  # Stick
    1172766553,  # Gunslinger
    269174970,  # Boxer
    2648272972,  # Grenadier
    3334154676,  # Guardian Angel
    976049027,  # Flag Joust
    3227840152,  # Goal Line Stand
    580478179,  # Hill Guardian
    557309779,  # Zombie Slayer
    2477555653,  # Spotter
)


def _build_columns() -> tuple[list[str], list[str]]:
    names: list[str] = [f"core.{n}" for n in CORE]
    kinds: list[str] = ["max" if n == "MaxKillingSpree" else "sum" for n in CORE]
    names += list(META)
    kinds += ["sum"] * len(META)
    for mode, block in MODES.items():
        for rec, _m, kind in block.fields:
            names.append(f"{mode}.{rec}")
            kinds.append(kind)
    for name_id, _pts in PERSONAL_SCORES:
        names.append(f"ps.{name_id}")
        kinds.append("sum")
    names.append("ps_total.custom")
    kinds.append("sum")
    for medal in MEDALS:
        names.append(f"medal.{medal}")
        kinds.append("sum")
    return names, kinds


COLUMNS, KINDS = _build_columns()
COL: dict[str, int] = {name: i for i, name in enumerate(COLUMNS)}
WIDTH = len(COLUMNS)
MAX_COLUMNS: tuple[int, ...] = tuple(i for i, k in enumerate(KINDS) if k in ("max", "maxdur"))
PS_POINTS: dict[int, int] = dict(PERSONAL_SCORES)


@dataclass(frozen=True)
class Variant:
    """A UGC game variant: what the match is, which blocks it carries."""

    key: str
    name: str
    category: int
    modes: tuple[str, ...]
    description: str
    rounds: int = 1


VARIANTS: tuple[Variant, ...] = (
    Variant("slayer", "Arena:Slayer", 6, ("pvp",), "Slay the enemy team."),
    Variant("ctf", "Arena:Capture the Flag", 15, ("ctf", "pvp"), "Capture the enemy flag."),
    Variant("oddball", "Arena:Oddball", 18, ("oddball", "pvp"), "Hold the skull to score."),
    Variant("strongholds", "Arena:Strongholds", 11, ("zones", "pvp"), "Hold two of three zones."),
    Variant("koth", "Arena:King of the Hill", 12, ("zones", "pvp"), "Control the moving hill."),
    Variant("stockpile", "Stockpile", 19, ("stockpile", "pvp"), "Deliver power seeds."),
    Variant("extraction", "Extraction", 17, ("extraction", "pvp"), "Extract the sites."),
    Variant("elimination", "Elimination", 8, ("elimination", "pvp"), "Last team up.", 5),
    Variant("infection", "Infection", 22, ("infection", "pvp"), "Survive the infected.", 4),
    Variant("vip", "VIP", 23, ("vip", "pvp"), "Protect your VIP."),
    Variant("fiesta", "Fiesta:Slayer", 9, ("pvp",), "Spawn with random loadouts."),
    Variant("firefight", "Firefight:King of the Hill", 42, ("elimination", "pve"), "Hold out."),
)
VARIANT_BY_KEY: dict[str, Variant] = {v.key: v for v in VARIANTS}

MAPS: tuple[str, ...] = (
    "Live Fire",
    "Recharge",
    "Streets",
    "Aquarius",
    "Bazaar",
    "Catalyst",
    "Fragmentation",
    "Highpower",
    "Deadlock",
    "Behemoth",
    "Empyrean",
    "Solitude",
)


@dataclass(frozen=True)
class PlaylistSpec:
    """A matchmade playlist: ranked or not, its experience, variants, team size."""

    name: str
    ranked: bool
    experience: int  # PlaylistExperience (int in match stats)
    interaction: int  # GameplayInteraction
    variants: tuple[str, ...]
    team_size: int
    bots: bool = False
    description: str = ""


RANKED_NAMES = ("Ranked Arena", "Ranked Slayer", "Ranked Doubles", "Ranked Snipers")
RANKED_VARIANTS = (
    ("slayer", "ctf", "oddball", "strongholds", "koth"),
    ("slayer",),
    ("slayer", "strongholds"),
    ("slayer",),
)

UNRANKED: tuple[PlaylistSpec, ...] = (
    PlaylistSpec(
        "Quick Play",
        False,
        2,
        1,
        ("slayer", "ctf", "oddball", "strongholds", "koth", "stockpile", "extraction"),
        4,
        description="Casual Arena.",
    ),
    PlaylistSpec(
        "Big Team Battle",
        False,
        3,
        1,
        ("slayer", "ctf", "stockpile"),
        12,
        description="Large-scale battles with vehicles.",
    ),
    PlaylistSpec("Fiesta", False, 5, 1, ("fiesta",), 4, description="Random loadouts."),
    PlaylistSpec("Infection", False, 5, 1, ("infection",), 12, description="Infection."),
    PlaylistSpec("Squad Battle", False, 2, 1, ("elimination", "vip"), 4, description="Squads."),
    PlaylistSpec("Firefight", False, 6, 2, ("firefight",), 4, description="Co-op against AI."),
    PlaylistSpec(
        "Bot Bootcamp",
        False,
        4,
        3,
        ("slayer", "strongholds"),
        4,
        bots=True,
        description="Practise against bots.",
    ),
)


def ranked_specs(count: int) -> list[PlaylistSpec]:
    out = []
    for i in range(count):
        name = RANKED_NAMES[i] if i < len(RANKED_NAMES) else f"Ranked Playlist {i + 1}"
        variants = RANKED_VARIANTS[i] if i < len(RANKED_VARIANTS) else ("slayer",)
        size = 2 if name == "Ranked Doubles" else 4
        desc = "Competitive settings. Earn or progress your rank."
        out.append(PlaylistSpec(name, True, 2, 1, variants, size, description=desc))
    return out
