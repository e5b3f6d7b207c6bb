"""The stats page: a data contract, its builder from the store, HTML rendering.

data = build_page_data(store, xuid, now=...)   # halotrack.report.data.PageData
html = render_page(data)                        # one self-contained document
write_page(data, Path("stats.html"))
(served live by the community site: halotrack.site)
"""

from __future__ import annotations

from halotrack.report.build import build_page_data, find_xuid, read_inputs
from halotrack.report.data import PageData, PageInputs, assemble
from halotrack.report.render import render_page, write_page

__all__ = [
    "PageData",
    "PageInputs",
    "assemble",
    "build_page_data",
    "find_xuid",
    "read_inputs",
    "render_page",
    "write_page",
]
