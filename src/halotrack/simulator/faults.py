"""Fault injection per service, seeded so that a run can be replayed exactly.

Why: the client's retry, back-off, refresh and parse-error paths must be exercised without a
flaky network. The same seed and the same request sequence give the same faults.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, fields
from typing import Any

KINDS = ("rate_429", "rate_500", "rate_503", "rate_drop", "rate_truncate", "rate_401")

MIX = {
    "rate_429": 0.25,
    "rate_500": 0.2,
    "rate_503": 0.15,
    "rate_drop": 0.15,
    "rate_truncate": 0.15,
    "rate_401": 0.1,
}
"""Share of each fault kind in "the fault mix" (sums to 1): the soak and the distributed
tests inject `mix(0.2, ...)`, "the 20% mix"."""


def mix(rate: float, seed: int, latency_ms: float, retry_after: int) -> dict[str, Any]:
    """A `/_sim/faults` configuration: `rate` of every service's answers faulty, by `MIX`."""
    rule: dict[str, Any] = {k: rate * share for k, share in MIX.items()}
    rule["latency_ms"] = latency_ms
    rule["retry_after"] = retry_after
    return {"seed": seed, "*": rule}


@dataclass
class FaultRule:
    """Probabilities (0..1) per fault kind, plus added latency, the 429 Retry-After, and
    `require_clearance`: answer 403 to calls without the current `343-clearance` (the real API
    reads with the Spartan header alone; this forces the clearance path for tests)."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    rate_truncate: float = 0.0
    rate_401: float = 0.0
    latency_ms: float = 0.0
    retry_after: int = 1
    require_clearance: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        rule = cls(**data)
        if not isinstance(rule.require_clearance, bool):
            raise ValueError("require_clearance must be true or false")
        for k in KINDS:
            if not 0.0 <= float(getattr(rule, k)) <= 1.0:
                raise ValueError(f"{k} must be between 0 and 1")
        return rule


class Faults:
    """Rules by service name (`stats`, `skill`, ... or `*` for all) and one RNG per service."""

    def __init__(self) -> None:
        self.seed = 0
        self.rules: dict[str, FaultRule] = {}
        self._rngs: dict[str, random.Random] = {}

    def configure(self, data: dict[str, Any]) -> None:
        """`{"seed": 1, "stats": {"rate_429": 0.2}, "*": {"latency_ms": 5}}`; also accepts
        the rules nested under `"services"`."""
        seed = int(data.get("seed", 0))
        services = data.get("services", {k: v for k, v in data.items() if k != "seed"})
        rules = {name: FaultRule.from_json(rule) for name, rule in services.items()}
        self.seed = seed
        self.rules = rules
        self._rngs = {}

    def clear(self) -> None:
        self.rules = {}
        self._rngs = {}

    def rule_for(self, service: str) -> FaultRule | None:
        return self.rules.get(service) or self.rules.get("*")

    def decide(self, service: str) -> tuple[str | None, FaultRule | None]:
        """The fault for the next request to `service` (or None), and the rule in force."""
        rule = self.rule_for(service)
        if rule is None:
            return None, None
        rng = self._rngs.get(service)
        if rng is None:
            digest = hashlib.blake2b(f"{self.seed}|{service}".encode(), digest_size=8).digest()
            rng = self._rngs[service] = random.Random(int.from_bytes(digest, "big"))
        roll = rng.random()
        acc = 0.0
        for kind in KINDS:
            acc += float(getattr(rule, kind))
            if roll < acc:
                return kind, rule
        return None, rule

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "services": {k: asdict(v) for k, v in self.rules.items()}}
