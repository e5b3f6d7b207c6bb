"""Chaos soak at CI size: 60 simulated players tracked with matches over two rounds while the
simulator injects 20% faults on every service (429 with Retry-After, 500, 503, dropped
connections, truncated bodies, 401s mid-run, added latency).

Promises checked: every cycle finishes; every due player is captured or reported failed with
a reason; the next cycle captures the rest; afterwards the database equals a fault-free run
of the same seed, table by table, and passes its integrity check. The engine is
bench/soak.py (500 players there); retries back off in milliseconds here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from halotrack.waypoint import RetryPolicy

pytestmark = pytest.mark.slow


def _soak_module() -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("halotrack_bench_soak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


soak = _soak_module()


async def test_chaos_soak_equals_the_fault_free_run(tmp_path: Path) -> None:
    lines: list[str] = []
    result = await soak.soak(
        players=60,
        rounds=2,
        fault_rate=0.2,
        seed=23,
        history_scale=0.02,
        latency_ms=1.0,
        retry_after=0,
        # Three tries per request: enough faults outlast the budget that the "reported
        # failed, captured by a later cycle" path runs, few enough that a cycle of only
        # quiet players usually gets through.
        retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01, budget=1.0),
        max_cycles=12,
        workdir=tmp_path,
        log=lines.append,
    )
    print("\n".join(lines))
    cycles = result.cycles
    assert cycles, "no cycle ran"
    # faults were really injected, of every kind, and the client really retried
    assert sum(c.faults for c in cycles) > 0.1 * sum(c.requests for c in cycles)
    assert sum(c.retries for c in cycles) > 0 and sum(c.refreshes for c in cycles) > 0
    for c in cycles:
        assert c.captured + c.failed == c.due
        assert len(c.failures) == c.failed
        assert all(": " in text and text.split(": ", 2)[-1].strip() for text in c.failures)
    assert any(c.failed for c in cycles), "the retry budget never ran out: nothing proven"
    for r in (1, 2):
        mine = [c for c in cycles if c.round == r]
        assert mine[-1].failed == 0, f"round {r} never captured everyone: {mine[-1].failures}"
    assert cycles[0].due == 60
    assert result.integrity == []
    assert result.differences == [], "\n".join(result.differences)
    assert result.never_captured == []
