"""The stats-page builders in tests/support/page.py agree with the real samples they start
from."""

from __future__ import annotations

import itertools
import struct

from tests.support.page import NOW, history, lifetime, medals_metadata, sprite_png

# ----- the builders agree with the samples


def test_history_ends_at_the_real_record() -> None:
    points = history()
    rec = lifetime()
    assert points[-1].captured_at == NOW
    assert points[-1].matches == rec["MatchesCompleted"]
    assert points[-1].kills == rec["CoreStats"]["Kills"]
    assert all(a.captured_at < b.captured_at for a, b in itertools.pairwise(points))
    assert all(a.matches <= b.matches for a, b in itertools.pairwise(points))


def test_sprite_png_is_a_png_of_the_metadata_geometry() -> None:
    png = sprite_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    sheet = medals_metadata()["sprites"]["small"]
    assert width == sheet["columns"] * sheet["size"]
    top = max(m["spriteIndex"] for m in medals_metadata()["medals"])
    assert height >= (top // sheet["columns"] + 1) * sheet["size"]
