"""The community site in Chromium: each page loads with no console error and no request to
another host, navigation home -> player -> match -> mate works, numbers equal the store,
hostile gamertags stay text, and axe-core finds no serious or critical violation.

Screenshots (desktop 1280 and phone 390) go to out/screenshots/site-*.png for a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_page_browser import SCREENSHOTS, browser, chromium, open_page, save_real_matches
from test_site_api import CLOCK, MATE, SAMPLES, line

from halotrack.store import Store, open_store
from tests.support.page import XSS_GAMERTAG, XUID, seed_store
from tests.support.site_server import running_site

__all__ = ["browser", "chromium"]  # fixtures shared with the stats page's browser tests
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SLAYER = SAMPLES["slayer-2025"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    path = tmp_path_factory.mktemp("site-browser") / "halotrack.sqlite"
    with open_store(f"sqlite:///{path}") as s:
        seed_store(s)
        save_real_matches(s)
        s.watch_add(MATE, gamertag=XSS_GAMERTAG, now=CLOCK)
        with running_site(s, lambda: CLOCK) as url:
            yield url, s


def pages(base: str) -> list[str]:
    return [
        f"{base}/",
        f"{base}/?period=all&sort=win_rate",
        f"{base}/player/{XUID}",
        f"{base}/match/{SLAYER['MatchId']}",
        f"{base}/vs?a={XUID}&b={MATE}",
        f"{base}/search?q=nobody",
    ]


async def test_every_page_loads_clean_and_stays_local(
    browser: Any, site: tuple[str, Store]
) -> None:
    base, _ = site
    for url in pages(base):
        w = await open_page(browser, url)
        if "search?q=nobody" in url:  # the 404 page: Chromium logs the status, nothing else
            assert [e for e in w.errors if "status of 404" not in e] == [], url
        else:
            assert w.errors == [], url
        assert w.dialogs == [], url
        assert all(u.startswith(base + "/") for u in w.requests), (url, w.requests)


async def test_home_player_match_mate_navigation(browser: Any, site: tuple[str, Store]) -> None:
    base, store = site
    w = await open_page(browser, base + "/?period=all")
    await w.page.locator(f"tr[data-xuid='{XUID}'] a.name").click()
    await w.page.wait_for_url(f"{base}/player/{XUID}")
    await w.page.locator(f"tr[data-match='{SLAYER['MatchId']}'] a").click()
    await w.page.wait_for_url(f"{base}/match/{SLAYER['MatchId']}")
    mine = line(SLAYER, XUID)
    assert mine is not None
    row = w.page.locator(f"tr[data-xuid='{XUID}']")
    assert await row.locator("[data-stat=kills]").inner_text() == str(mine["Kills"])
    assert await row.locator("[data-stat=deaths]").inner_text() == str(mine["Deaths"])
    mate = w.page.locator(f"tr[data-xuid='{MATE}'] a.name")
    assert await mate.inner_text() == XSS_GAMERTAG  # shown as text, never run
    await mate.click()
    await w.page.wait_for_url(f"{base}/player/{MATE}")
    assert w.errors == [] and w.dialogs == []
    assert await w.page.inner_text("#gamertag") == store.get_player(MATE).gamertag  # type: ignore[union-attr]


async def test_search_form_goes_to_the_player(browser: Any, site: tuple[str, Store]) -> None:
    base, _ = site
    w = await open_page(browser, base + "/")
    await w.page.fill("#q", "old tag")  # a past gamertag
    await w.page.click("nav.site button")
    await w.page.wait_for_url(f"{base}/player/{XUID}")
    assert w.errors == []


async def test_no_serious_accessibility_violation(browser: Any, site: tuple[str, Store]) -> None:
    from axe_playwright_python.async_playwright import Axe

    base, _ = site
    axe = Axe()
    for url in pages(base):
        w = await open_page(browser, url)
        result = await axe.run(w.page)
        bad = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], (url, bad)


@pytest.mark.parametrize(("label", "width"), [("desktop", 1280), ("phone", 390)])
async def test_screenshots_fit_the_screen(
    browser: Any, site: tuple[str, Store], label: str, width: int
) -> None:
    base, _ = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, url in zip(
        ("home", "all", "player", "match", "vs", "missing"), pages(base), strict=True
    ):
        w = await open_page(browser, url, width=width)
        png = await w.page.screenshot(
            path=str(SCREENSHOTS / f"site-{name}-{label}.png"), full_page=True
        )
        assert len(png) > 5_000
        overflow = await w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, overflow)
        # a table wider than its scrolling box hides columns off to the side
        hidden = await w.page.evaluate(
            "Array.from(document.querySelectorAll('.board > table'))"
            ".filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)"
            ".map(t => t.id)"
        )
        assert not hidden, (url, hidden)


async def test_player_page_links_each_mate(browser: Any, site: tuple[str, Store]) -> None:
    base, store = site
    w = await open_page(browser, f"{base}/player/{XUID}")
    mates = w.page.locator("#mates tr[data-mate]")
    assert await mates.count() > 0
    stored = [
        x
        for x in await mates.evaluate_all("rows => rows.map(r => r.dataset.mate)")
        if store.get_player(x) is not None
    ]
    assert MATE in stored
    for x in stored:  # every stored mate is a link to their page
        assert await w.page.locator(f"#mates tr[data-mate='{x}'] a.name").count() >= 1
    await w.page.locator(f"#mates tr[data-mate='{MATE}'] a.name").first.click()
    await w.page.wait_for_url(f"{base}/player/{MATE}")
    assert w.errors == [] and w.dialogs == []
