"""Render `PageData` to one self-contained HTML document.

Why inline everything: the page must open from `file://` with no network at all, so CSS, the
vendored uPlot, the page script and the chart data all live in the file. A Content Security
Policy with per-script hashes backs up Jinja's autoescaping: only our own scripts can run.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from halotrack.models.format import duration_words
from halotrack.report.data import Chart, Delta, PageData

_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> Markup:
    """JSON safe to place inside `<script type="application/json">`: `</script>`, `<!--` and
    the JavaScript line separators cannot appear, whatever a gamertag or name contains."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(text.translate(_JSON_ESCAPES))


# ----- number formatting (the page shows numbers the way the game does)


def fmt_int(value: float | None) -> str:
    return "–" if value is None else f"{round(value):,}"


def fmt_ratio(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}%"


def fmt_duration(value: timedelta | float | None) -> str:
    """`17d 10h 55m`, `2h 44m`, `1m 11s`, `32s`: the two largest units, floored."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    return duration_words(seconds, bare_seconds=True)


def fmt_stat(value: int | float | timedelta) -> str:
    if isinstance(value, timedelta):
        return fmt_duration(value)
    if isinstance(value, float) and not value.is_integer():
        return fmt_ratio(value)
    return fmt_int(value)


def fmt_when(value: datetime | None, zone: bool = True) -> str:
    """`2025-01-29 04:20 UTC`; without `zone` where a column's heading says UTC."""
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC" if zone else "%Y-%m-%d %H:%M")


def fmt_short(value: datetime | None, ref: datetime | None = None) -> str:
    """`Nov 29 09:00` within the year of `ref`, else `2025-01-29`."""
    if value is None:
        return "–"
    value = value.astimezone(UTC)
    if ref is not None and ref.astimezone(UTC).year != value.year:
        return value.strftime("%Y-%m-%d")
    return value.strftime("%b %d %H:%M")


def fmt_date(value: datetime | None) -> str:
    return "–" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d")


def fmt_signed(value: float, kind: str = "int") -> str:
    """`+12`, `−0.03`, `+1.2 pts`, `+2h 5m`; zero is `±0`."""
    if not value or abs(value) < 1e-9:
        return "±0"
    sign = "+" if value > 0 else "−"
    size = abs(value)
    if kind == "ratio":
        body = f"{size:.3f}"
    elif kind == "pct":
        body = f"{size:.1f} pts"
    elif kind == "duration":
        body = fmt_duration(size)
    else:
        body = f"{round(size):,}"
    if not any(ch in "123456789" for ch in body):
        return "±0"  # a change that rounds to nothing: never `−0.000`
    return sign + body


def delta_tone(delta: Delta) -> str:
    """good / bad / neutral, for colouring a change."""
    if not delta.change:
        return "neutral"
    if delta.key in ("kd", "win_rate") or delta.key.startswith("csr:"):
        return "good" if delta.change > 0 else "bad"
    return "neutral"


# ----- assets


@dataclass(frozen=True, slots=True)
class Assets:
    uplot_js: str
    uplot_css: str
    page_js: str
    page_css: str


def _read(folder: str, name: str) -> str:
    return resources.files("halotrack.report").joinpath(folder, name).read_text("utf-8")


@cache
def assets() -> Assets:
    return Assets(
        uplot_js=_read("vendor", "uPlot.iife.min.js"),
        uplot_css=_read("vendor", "uPlot.min.css"),
        page_js=_read("templates", "page.js"),
        page_css=_read("templates", "page.css"),
    )


def csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(*scripts: str, forms: bool = False) -> str:
    """Nothing may load from anywhere; only the listed inline scripts may run. `forms` lets
    a served page submit forms to its own origin (the site's search)."""
    hashes = " ".join(csp_hash(s) for s in scripts) or "'none'"
    form_action = "'self'" if forms else "'none'"
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {hashes}; base-uri 'none'; form-action {form_action}"
    )


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("halotrack.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        int=fmt_int,
        ratio=fmt_ratio,
        pct=fmt_pct,
        duration=fmt_duration,
        stat=fmt_stat,
        when=fmt_when,
        date=fmt_date,
        short=fmt_short,
        signed=fmt_signed,
        tone=delta_tone,
        script_json=script_json,
    )
    return env


def chart_payload(chart: Chart) -> dict[str, Any]:
    return {
        "id": chart.id,
        "title": chart.title,
        "leftUnit": chart.left_unit,
        "rightUnit": chart.right_unit,
        "x": [round(x) for x in chart.x],
        "series": [
            {
                "label": s.label,
                "unit": s.unit,
                "axis": s.axis,
                "style": s.style,
                "values": list(s.values),
            }
            for s in chart.series
        ],
    }


def page_payload(data: PageData) -> dict[str, Any]:
    """What the page script needs: the charts only; every number is also in the HTML."""
    charts = list(data.charts)
    if data.insights is not None:
        charts.append(data.insights.csr_chart)
    return {
        "xuid": data.player.xuid,
        "gamertag": data.player.gamertag,
        "charts": [chart_payload(c) for c in charts if not c.empty],
    }


def render_page(
    data: PageData, *, home_url: str | None = None, match_url: str | None = None
) -> str:
    """The stats page as one HTML string. `home_url` adds a link back and `match_url` (a
    prefix for the match id) links each match (the local server)."""
    a = assets()
    page_script = a.page_js
    return (
        environment()
        .get_template("page.html.j2")
        .render(
            d=data,
            home_url=home_url,
            match_url=match_url,
            csp=content_security_policy(a.uplot_js, page_script),
            uplot_js=Markup(a.uplot_js),
            uplot_css=Markup(a.uplot_css),
            page_js=Markup(page_script),
            page_css=Markup(a.page_css),
            payload=page_payload(data),
            charts=[c for c in data.charts],
        )
    )


def write_page(data: PageData, path: Path) -> int:
    """Write the page; returns its size in bytes."""
    html = render_page(data).encode("utf-8")
    path.write_bytes(html)
    return len(html)
