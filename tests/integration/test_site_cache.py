"""The site's insight cache (site/data.py InsightCache): an answer is reused while the
player's matches are unchanged and within its time to live, and what has expired is let
go rather than held until the size limit (a player page's sections are ~85 KB each)."""

from __future__ import annotations

from pathlib import Path

from halotrack.site.data import InsightCache
from halotrack.store import open_store


def test_answers_are_reused_then_expired_ones_let_go(tmp_path: Path) -> None:
    now = [0.0]
    cache = InsightCache(ttl=60.0, size=10, clock=lambda: now[0])
    computed: list[str] = []

    def compute(name: str):  # type: ignore[no-untyped-def]
        def run(tx: object) -> str:
            computed.append(name)
            return name

        return run

    with open_store(f"sqlite:///{tmp_path / 'c.sqlite'}") as store:
        assert cache.get(store, 1, ("a",), compute("a")) == "a"
        now[0] = 30.0
        assert cache.get(store, 1, ("a",), compute("a")) == "a"  # reused
        assert cache.get(store, 2, ("b",), compute("b")) == "b"
        assert computed == ["a", "b"] and len(cache) == 2
        now[0] = 61.0  # "a" has expired, "b" has not
        assert cache.get(store, 3, ("c",), compute("c")) == "c"
        assert len(cache) == 2
        assert cache.get(store, 2, ("b",), compute("b")) == "b"
        assert computed == ["a", "b", "c"]
        for i in range(20):  # the size still bounds it
            cache.get(store, 100 + i, ("d",), compute("d"))
        assert len(cache) == 10
