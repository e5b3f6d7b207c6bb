"""CSR tiers: turn a skill value into the label a player sees ("Diamond 6", "Onyx 1549").

Why: the API sends `Tier`/`SubTier` but the simulator must produce them from a value, and
the client must label and measure progress consistently with one table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from halotrack.models.summary import read_int

TIERS: tuple[tuple[str, int], ...] = (
    ("Bronze", 0),
    ("Silver", 300),
    ("Gold", 600),
    ("Platinum", 900),
    ("Diamond", 1200),
    ("Onyx", 1500),
)
SUBTIER_WIDTH = 50
ONYX_START = 1500


@dataclass(frozen=True, slots=True)
class TierPosition:
    """Where a CSR value sits: tier, 0-based sub-tier, and the next step up."""

    tier: str
    tier_start: int
    sub_tier: int
    next_tier: str
    next_tier_start: int
    next_sub_tier: int


def tier_for(value: int) -> TierPosition:
    """Place a CSR value (>= 0) on the tier ladder the way the skill service reports it."""
    if value >= ONYX_START:
        return TierPosition("Onyx", ONYX_START, 0, "Onyx", ONYX_START, 0)
    value = max(value, 0)
    name, start = TIERS[0]
    for tname, tstart in TIERS:
        if value >= tstart:
            name, start = tname, tstart
    sub = min((value - start) // SUBTIER_WIDTH, 5)
    sub_start = start + sub * SUBTIER_WIDTH
    if sub < 5:
        return TierPosition(name, sub_start, sub, name, sub_start + SUBTIER_WIDTH, sub + 1)
    idx = [t for t, _ in TIERS].index(name)
    nxt, nxt_start = TIERS[idx + 1]
    return TierPosition(name, sub_start, sub, nxt, nxt_start, 0)


def csr_block(value: int, remaining: int, *, placement: int) -> dict[str, object]:
    """One CSR block (`Current`, `SeasonMax`, `PreMatchCsr`, ...) as the skill service shapes
    it: unranked (value < 0) is `Value` -1 with empty tiers; `placement` is the number of
    measurement matches a playlist asks for."""
    if value < 0:
        value, pos = -1, TierPosition("", 0, 0, "", 0, 0)
    else:
        pos = tier_for(value)
    return {
        "Value": value,
        "MeasurementMatchesRemaining": remaining,
        "Tier": pos.tier,
        "TierStart": pos.tier_start,
        "SubTier": pos.sub_tier,
        "NextTier": pos.next_tier,
        "NextTierStart": pos.next_tier_start,
        "NextSubTier": pos.next_sub_tier,
        "InitialMeasurementMatches": placement,
    }


def csr_reading(value: int | None) -> int | None:
    """A stored CSR value as a reading: None where there is none (not stored, or -1 for
    unranked), so a list, a page and the API show the same matches' CSR."""
    return value if value is not None and value >= 0 else None


def csr_change(pre: int | None, post: int | None) -> int | None:
    """CSR gained in a match (negative: lost); None unless both sides are readings."""
    a, b = csr_reading(pre), csr_reading(post)
    return b - a if a is not None and b is not None else None


def is_ranked(value: int | None, tier: str | None) -> bool:
    """A CSR block names a rank: a value (unranked is -1 or absent) and a tier."""
    return value is not None and value >= 0 and bool(tier)


def rank_name(tier: str, sub_tier: int) -> str:
    """`Diamond 5` (the 0-based sub-tier shown from 1), or `Onyx`, which has no sub-tiers."""
    return "Onyx" if tier == "Onyx" else f"{tier} {sub_tier + 1}"


def next_step_label(tier: str, next_tier: str, next_sub_tier: int) -> str | None:
    """The next step up from a rank (`Diamond 1`, `Onyx`); None in Onyx or with none sent."""
    if tier == "Onyx" or not next_tier:
        return None
    return rank_name(next_tier, next_sub_tier)


def csr_label(
    value: int, tier: str, sub_tier: int, matches_remaining: int = 0, *, short: bool = False
) -> str:
    """`Diamond 6 (1487)`, `Onyx 1549`, `Unranked, 3 placement matches left`; with `short`,
    `Unranked (3 left)`, which fits a table column at 80 columns."""
    if not is_ranked(value, tier):
        left = matches_remaining
        if short:
            return f"Unranked ({left} left)" if left else "Unranked"
        noun = "match" if left == 1 else "matches"
        return f"Unranked, {left} placement {noun} left" if left else "Unranked"
    if tier == "Onyx":
        return f"Onyx {value}"
    return f"{rank_name(tier, sub_tier)} ({value})"


def progress_to_next(value: int, tier_start: int, next_tier_start: int) -> float | None:
    """Fraction (0..1) of the way from this sub-tier's start to the next; None when unranked
    or in Onyx, which has no next step."""
    if value < 0 or next_tier_start <= tier_start:
        return None
    return max(0.0, min(1.0, (value - tier_start) / (next_tier_start - tier_start)))


@dataclass(frozen=True, slots=True)
class CsrReadout:
    """One CSR block of a stored `Result` as sent; None where the block lacks a value."""

    value: int | None = None
    tier: str | None = None
    sub_tier: int | None = None
    matches_remaining: int | None = None
    tier_start: int | None = None
    next_tier: str | None = None
    next_tier_start: int | None = None
    next_sub_tier: int | None = None


def _str(block: Mapping[str, object], key: str) -> str | None:
    value = block.get(key)
    return value if isinstance(value, str) else None


def read_csr_block(result: object, name: str) -> CsrReadout:
    """`result[name]` (`Current`, `SeasonMax`, `AllTimeMax`) read tolerantly: the store's
    columns and the page's CSR cards both come from here; never raises."""
    block = result.get(name) if isinstance(result, Mapping) else None
    if not isinstance(block, Mapping):
        return CsrReadout()
    return CsrReadout(
        value=read_int(block, "Value"),
        tier=_str(block, "Tier"),
        sub_tier=read_int(block, "SubTier"),
        matches_remaining=read_int(block, "MeasurementMatchesRemaining"),
        tier_start=read_int(block, "TierStart"),
        next_tier=_str(block, "NextTier"),
        next_tier_start=read_int(block, "NextTierStart"),
        next_sub_tier=read_int(block, "NextSubTier"),
    )
