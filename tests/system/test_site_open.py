"""`halotrack serve --open` as users start it, against the simulator: a searched gamertag is
looked up once and watched, its page says it is being fetched until `track` has run, and
each client gets three lookups an hour."""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request

import pytest
from test_cli_watch_track import ThreadedSim, env, tsim

from halotrack.cli import main
from halotrack.store import open_store
from tests.support.site_server import served

__all__ = ["env", "tsim"]  # the simulator and environment of the watch/track tests


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8"), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8"), {k.lower(): v for k, v in e.headers.items()}


@pytest.mark.slow
def test_serve_open_queues_a_searched_player_for_tracking(
    tsim: ThreadedSim, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim = tsim.sim
    p = next(q for q in sim.world.players if q.activity != "idle" and q.gamertag.isascii())
    with served("serve", "--open", env=os.environ.copy()) as server:
        base = server.base

        def search(q: str) -> tuple[int, str, dict[str, str]]:
            return get(f"{base}/search?" + urllib.parse.urlencode({"q": q}))

        status, page, _ = search(p.gamertag)
        assert status == 202 and 'data-stat="queued"' in page
        with open_store(f"sqlite:///{env['HALOTRACK_DB']}") as store:
            watched = store.watch_list()
        assert [(w.xuid, w.gamertag, w.matches_opt_in) for w in watched] == [
            (p.xuid, p.gamertag, True)
        ]
        status, page, _ = search(p.gamertag.upper())  # stored now: no lookup spent
        assert status == 200 and 'data-stat="queued"' in page
        for name in ("NoSuchPlayer42", "NoSuchPlayer43"):
            status, page, _ = search(name)
            assert status == 404 and "found no player" in page
        status, _, headers = search("NoSuchPlayer44")
        assert status == 429 and int(headers["retry-after"]) > 0

        assert main(["track", "--once"]) == 0, capsys.readouterr().err
        status, page, _ = get(f"{base}/player/{p.xuid}")
        assert status == 200 and 'data-stat="queued"' not in page and 'id="gamertag"' in page
