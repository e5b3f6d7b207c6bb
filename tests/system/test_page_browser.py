"""The stats page in a real browser (Debian's Chromium via Playwright): offline from a file,
charts drawn, numbers equal to the store, hostile gamertags inert, and the local server.

Screenshots of the full page (desktop 1280 and phone 390, light and dark) are written to
out/screenshots/ for a person to look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from halotrack.report import build_page_data, write_page
from halotrack.report.render import fmt_duration, fmt_int, fmt_pct, fmt_ratio
from halotrack.store import Scope, Store, open_store
from tests.support.page import NOW, XSS_GAMERTAG, XSS_GAMERTAG_2, XUID, seed_store
from tests.support.site_server import running_site

# One browser and one seeded store per module (read-only use); each test opens contexts.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
CHARTS = ("csr", "kd-winrate", "matches-week")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium(chromium_path: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=chromium_path, headless=True, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture(loop_scope="module")
async def browser(chromium: Any) -> AsyncIterator[Any]:
    """The shared browser; contexts opened by a test are closed after it."""
    before = set(chromium.contexts)
    yield chromium
    for context in set(chromium.contexts) - before:
        await context.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("page-browser") / "halotrack.sqlite"
    with open_store(f"sqlite:///{path}") as s:
        seed_store(s)
        save_real_matches(s)
        yield s


def save_real_matches(store: Store) -> None:
    """The real slayer (with skill: a CSR change) and CTF matches, so the section shows."""
    from halotrack.models import MatchSkill, MatchStats, decode_as
    from halotrack.store.matches import match_rows

    real = Path(__file__).parents[1] / "data" / "real"
    skill = decode_as(MatchSkill, (real / "match-skill/match-skill-one-player.json").read_bytes())
    with store.transaction() as tx:
        for name in ("slayer-2025", "ctf-2025", "oddball-2025", "zones-2025"):
            stats = decode_as(MatchStats, (real / f"match-stats/{name}.json").read_bytes())
            answer = skill if name == "slayer-2025" else None
            tx.save_match(match_rows(stats, answer, fetched_at=NOW))


@dataclass
class Watched:
    """What a page did while loading: console errors, requests, dialogs."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


async def open_page(browser: Any, url: str, *, width: int = 1280, scheme: str = "light") -> Watched:
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    page = await context.new_page()
    w = Watched(page)

    def on_console(m: Any) -> None:
        if m.type in ("error", "warning"):
            w.errors.append(m.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("request", lambda r: w.requests.append(r.url))

    async def on_dialog(d: Any) -> None:
        w.dialogs.append(d.message)
        await d.dismiss()

    page.on("dialog", on_dialog)
    await page.goto(url)
    await page.wait_for_load_state("load")
    return w


def file_page(store: Store, tmp_path: Path, name: str = "stats.html") -> Path:
    path = tmp_path / name
    write_page(build_page_data(store, XUID, now=NOW), path)
    return path


# Count pixels of a chart's first series colour (the --c1 custom property) on its canvas.
COUNT_SERIES_PIXELS = """
(id) => {
  const host = document.getElementById('chart-' + id);
  const canvas = host && host.querySelector('canvas');
  if (!canvas) return -1;
  const probe = document.createElement('div');
  probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--c1');
  document.body.appendChild(probe);
  const [r, g, b] = getComputedStyle(probe).color.match(/\\d+/g).map(Number);
  probe.remove();
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < img.length; i += 4) {
    if (img[i + 3] > 60 && Math.abs(img[i] - r) < 40 && Math.abs(img[i + 1] - g) < 40
        && Math.abs(img[i + 2] - b) < 40) n++;
  }
  return n;
}
"""


async def test_file_page_loads_offline_and_draws_every_chart(
    browser: Any, store: Store, tmp_path: Path
) -> None:
    path = file_page(store, tmp_path)
    w = await open_page(browser, path.as_uri())
    assert w.errors == []
    assert w.requests == [path.as_uri()]
    for chart in CHARTS:
        assert await w.page.get_attribute(f"#chart-{chart}", "data-drawn") == "1"
        pixels = await w.page.evaluate(COUNT_SERIES_PIXELS, chart)
        assert pixels > 150, (chart, pixels)


async def test_numbers_on_the_page_equal_the_store(
    browser: Any, store: Store, tmp_path: Path
) -> None:
    w = await open_page(browser, file_page(store, tmp_path).as_uri())
    shown = await w.page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-stat]')]"
        ".map(e => [e.dataset.stat, e.textContent.trim()]))"
    )
    rec = store.latest_record(XUID, "matchmade", Scope())
    assert rec is not None and rec.matches_completed and rec.deaths
    assert shown["matches"] == fmt_int(rec.matches_completed)
    assert shown["wins"] == fmt_int(rec.wins)
    assert shown["losses"] == fmt_int(rec.losses)
    assert shown["kills"] == fmt_int(rec.kills)
    assert shown["deaths"] == fmt_int(rec.deaths)
    assert shown["assists"] == fmt_int(rec.assists)
    assert shown["damage_dealt"] == fmt_int(rec.damage_dealt)
    assert shown["kda"] == fmt_ratio(rec.kda)
    assert shown["accuracy"] == fmt_pct(rec.accuracy, 2)
    assert shown["time_played"] == fmt_duration(rec.time_played_seconds)
    assert shown["kd"] == fmt_ratio((rec.kills or 0) / rec.deaths)
    assert shown["win_rate"] == fmt_pct(100 * (rec.wins or 0) / rec.matches_completed)
    assert shown["gamertag"] == "Sample Spartan"
    assert shown["xuid"] == XUID
    csr_labels = await w.page.locator("[data-stat=csr_all_time_max]").all_text_contents()
    assert "Onyx 1549" in csr_labels


@pytest.mark.parametrize("tag", [XSS_GAMERTAG, XSS_GAMERTAG_2])
async def test_hostile_gamertags_render_as_text(browser: Any, tmp_path: Path, tag: str) -> None:
    with open_store(f"sqlite:///{tmp_path / 'x.sqlite'}") as s:
        seed_store(s, tag, snapshots=6)
        path = file_page(s, tmp_path)
    w = await open_page(browser, path.as_uri())
    await w.page.wait_for_timeout(100)
    assert w.dialogs == []
    assert await w.page.inner_text("#gamertag") == tag
    assert await w.page.evaluate("document.querySelectorAll('img').length") == 0
    assert tag in await w.page.title()
    assert w.errors == []


async def test_phone_layout_fits_the_screen(browser: Any, store: Store, tmp_path: Path) -> None:
    w = await open_page(browser, file_page(store, tmp_path).as_uri(), width=390, scheme="dark")
    width = await w.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    for chart in CHARTS:
        assert await w.page.evaluate(COUNT_SERIES_PIXELS, chart) > 100


async def test_screenshots_light_and_dark(browser: Any, store: Store, tmp_path: Path) -> None:
    path = file_page(store, tmp_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    backgrounds = {}
    for width, label in ((1280, "desktop"), (390, "phone")):
        w = await open_page(browser, path.as_uri(), width=width, scheme="light")
        for scheme in ("light", "dark"):
            await w.page.emulate_media(color_scheme=scheme)
            # The page redraws its charts on the scheme change; let that frame happen.
            await w.page.evaluate("new Promise(r => requestAnimationFrame(() => r(null)))")
            backgrounds[scheme] = await w.page.evaluate(
                "getComputedStyle(document.body).backgroundColor"
            )
            shot = SCREENSHOTS / f"page-{label}-{scheme}.png"
            await w.page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        assert w.errors == []
    assert backgrounds["light"] != backgrounds["dark"]


@pytest.fixture(scope="module")
def server(store: Store) -> Iterator[str]:
    with running_site(store, lambda: NOW) as url:
        yield url


async def test_served_pages_work_the_same(browser: Any, server: str) -> None:
    w = await open_page(browser, server + "/")
    assert w.errors == []
    link = w.page.locator(f"tr[data-xuid='{XUID}'] a.name")
    assert await link.inner_text() != ""
    await link.click()
    await w.page.wait_for_url(f"{server}/player/{XUID}")
    await w.page.wait_for_load_state("load")
    assert w.errors == []
    assert all(u.startswith(server + "/") for u in w.requests), w.requests
    assert await w.page.inner_text("[data-stat=matches]") == "2,664"
    assert await w.page.locator("#matches tbody tr").count() >= 1
    for chart in CHARTS:
        assert await w.page.evaluate(COUNT_SERIES_PIXELS, chart) > 150
    missing = await w.page.goto(f"{server}/player/1234567890123456")
    assert missing is not None and missing.status == 404
    bad = await w.page.goto(f"{server}/player/not-a-xuid")
    assert bad is not None and bad.status == 404


async def test_served_index_escapes_gamertags(browser: Any, tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'x.sqlite'}") as s:
        seed_store(s, XSS_GAMERTAG_2, snapshots=4)
        with running_site(s, lambda: NOW) as base:
            w = await open_page(browser, base + "/")
            assert w.dialogs == []
            assert await w.page.inner_text(f"tr[data-xuid='{XUID}'] .name") == XSS_GAMERTAG_2
            assert await w.page.evaluate("document.querySelectorAll('img').length") == 0
            response = await w.page.goto(f"{base}/player/{XUID}")
            assert response is not None
            assert "script-src" in (response.headers.get("content-security-policy") or "")
            assert w.dialogs == []


async def test_numbers_are_readable_without_script(
    browser: Any, store: Store, tmp_path: Path
) -> None:
    path = file_page(store, tmp_path, "noscript.html")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(path.as_uri())
    assert await page.inner_text("[data-stat=matches]") == "2,664"
    assert await page.inner_text("[data-stat=kills]") == "42,197"
    assert await page.locator("#medals li").count() > 100
    assert await page.locator("canvas").count() == 0  # charts need script; numbers do not
    assert "Charts need JavaScript" in await page.inner_text("#charts")


# Elements that scroll sideways (an overflow-x box wider inside than out), by section.
SIDEWAYS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      const section = el.closest('section, nav');
      out.push((section ? section.id || section.tagName : '?') + ' ' + el.className);
    }
  }
  return out;
}"""
STAT_ORDER = """() => [...document.querySelectorAll('#summary [data-stat]')]
  .map(e => [e.getBoundingClientRect().top, e.getBoundingClientRect().left, e.dataset.stat])
  .sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(x => x[2])"""
STAT_GROUPS = {
    "results": {"wins", "losses", "ties"},
    "combat": {"kills", "deaths", "assists", "headshot_kills", "melee_kills", "grenade_kills"}
    | {"power_weapon_kills", "max_killing_spree", "betrayals", "suicides"},
    "damage": {"damage_dealt", "damage_taken", "shots", "callout_assists", "vehicle_destroys"},
}


async def test_demo_page_fits_a_phone_without_sideways_scrolling(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halotrack.cli import main

    monkeypatch.setenv("HALOTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HALOTRACK_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--players", "2", "--weeks", "2", "--world", "12"]
    code = await asyncio.to_thread(main, args)  # the CLI runs its own event loop
    assert code == 0
    page = next(p for p in sorted(out.glob("*.html")) if p.name != "index.html")
    w = await open_page(browser, page.as_uri(), width=390)
    for section in ("matches", "seasons"):  # the wide tables are on the page
        assert await w.page.query_selector(f"#{section} table")
    assert await w.page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert await w.page.evaluate(SIDEWAYS) == []
    # Stacked on the phone, the totals come group by group, never Wins, Kills, Losses...
    order = await w.page.evaluate(STAT_ORDER)
    groups = [g for stat in order for g, keys in STAT_GROUPS.items() if stat in keys]
    runs = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    assert sorted(runs) == sorted(STAT_GROUPS), runs
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await w.page.screenshot(path=str(SCREENSHOTS / "demo-phone.png"), full_page=True)
    assert w.errors == []


# ----- the insight sections (issue 13): a simulated career long enough for CSR after placement


@pytest.fixture(scope="module")
def career(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    """One simulated player's 280 matches; the most frequent teammate and opponent carry
    hostile gamertags (cached names, as the profile service would give them)."""
    from halotrack.report.insights import read_insights
    from halotrack.simulator.world import World
    from tests.support.career import save_career

    world = World(seed=5, players=8, history_scale=1.0)
    p = max(world.players, key=lambda q: sum(s.match.ranked for s in world.slots(q)))
    path = tmp_path_factory.mktemp("page-career") / "halotrack.sqlite"
    with open_store(f"sqlite:///{path}") as s:
        save_career(s, world, p, world.slots(p), NOW)
        shown = read_insights(s, p.xuid)
        assert shown is not None
        hostile = {
            shown.mates.teammates[0].xuid: XSS_GAMERTAG,
            shown.mates.opponents[0].xuid: XSS_GAMERTAG_2,
        }
        s.put_gamertags(hostile, now=NOW + timedelta(days=1))
        yield s, p.xuid


INSIGHT_SECTIONS = ("session", "breakdown", "csr-seasons", "streaks", "mates")


def career_page(career: tuple[Store, int], tmp_path: Path) -> Path:
    store, xuid = career
    path = tmp_path / "career.html"
    write_page(build_page_data(store, xuid, now=NOW), path)
    return path


async def test_insight_sections_render_offline_and_draw_the_csr_chart(
    browser: Any, career: tuple[Store, int], tmp_path: Path
) -> None:
    path = career_page(career, tmp_path)
    w = await open_page(browser, path.as_uri())
    assert w.errors == [] and w.dialogs == []
    assert w.requests == [path.as_uri()]
    tops = [
        await w.page.evaluate(f"document.getElementById('{s}').offsetTop") for s in INSIGHT_SECTIONS
    ]
    summary = await w.page.evaluate("document.getElementById('summary').offsetTop")
    assert tops == sorted(tops) and tops[-1] < summary  # in this order, at the top
    assert await w.page.get_attribute("#chart-csr-matches", "data-drawn") == "1"
    assert await w.page.evaluate(COUNT_SERIES_PIXELS, "csr-matches") > 100
    assert await w.page.locator("#breakdown tbody tr").count() > 10


async def test_insight_sections_fit_a_phone(
    browser: Any, career: tuple[Store, int], tmp_path: Path
) -> None:
    path = career_page(career, tmp_path)
    for scheme in ("light", "dark"):
        w = await open_page(browser, path.as_uri(), width=390, scheme=scheme)
        assert await w.page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        assert await w.page.evaluate(SIDEWAYS) == []
        assert await w.page.evaluate(COUNT_SERIES_PIXELS, "csr-matches") > 50
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for section in INSIGHT_SECTIONS:
            shot = SCREENSHOTS / f"page-insights-{section}-phone-{scheme}.png"
            await w.page.locator(f"#{section}").screenshot(path=str(shot))
            assert shot.stat().st_size > 2_000
        assert w.errors == []


async def test_hostile_mate_names_are_inert_text(
    browser: Any, career: tuple[Store, int], tmp_path: Path
) -> None:
    w = await open_page(browser, career_page(career, tmp_path).as_uri())
    await w.page.wait_for_timeout(100)
    assert w.dialogs == []
    assert await w.page.evaluate("document.querySelectorAll('img, script[src]').length") == 0
    names = await w.page.locator("#mates [data-insight=name]").all_inner_texts()
    assert XSS_GAMERTAG in names and XSS_GAMERTAG_2 in names
    assert w.errors == []
