"""`serve --trusted-proxy`: whose address the per-client limits count. The client is the
socket's peer; only when that peer is a trusted proxy is it the right-most address of
X-Forwarded-For that is not a proxy. The server runs as `serve` configures uvicorn
(`site.app.server_config`), on a loopback port, so the peer is 127.0.0.1."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from halotrack.errors import ConfigError
from halotrack.site import make_app
from halotrack.site.app import server_config, trusted_proxies
from halotrack.site.opening import OpenSearch, Queued, TokenBucket
from halotrack.store import open_store
from tests.support.site_server import serving


@contextmanager
def site(tmp_path: Path, proxies: Sequence[str]) -> Iterator[str]:
    """The site with `--open` (one new player per client) behind `proxies`."""

    def enqueue(query: str) -> Queued:
        return Queued(query, 2533274800000000 + len(query), query)

    with open_store(f"sqlite:///{tmp_path / 'proxy.sqlite'}") as store:
        opened = OpenSearch(enqueue, TokenBucket(capacity=1))
        config = server_config(make_app(store, open_search=opened), proxies=proxies)
        with serving(config) as base:
            yield base


def search(base: str, gamertag: str, forwarded: str | None) -> int:
    """The status of a search for a new player, sent with this X-Forwarded-For."""
    url = f"{base}/search?" + urllib.parse.urlencode({"q": gamertag})
    req = urllib.request.Request(url, headers={"X-Forwarded-For": forwarded} if forwarded else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_without_a_trusted_proxy_the_header_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visitor cannot buy more lookups by inventing addresses, even from 127.0.0.1 (which
    uvicorn trusts by default) and with FORWARDED_ALLOW_IPS saying everyone."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    with site(tmp_path, []) as base:
        assert search(base, "Alpha1", "203.0.113.1") == 202
        assert search(base, "Bravo2", "203.0.113.2") == 429
        assert search(base, "Charlie3", None) == 429


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    with site(tmp_path, ["10.9.9.9"]) as base:  # the peer, 127.0.0.1, is not it
        assert search(base, "Alpha1", "203.0.113.1") == 202
        assert search(base, "Bravo2", "203.0.113.2") == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    tmp_path: Path,
) -> None:
    with site(tmp_path, ["127.0.0.1", "10.0.0.0/8"]) as base:
        assert search(base, "Alpha1", "203.0.113.1") == 202
        assert search(base, "Bravo2", "203.0.113.1") == 429
        assert search(base, "Charlie3", "203.0.113.2") == 202
        # What the client wrote itself is left of what the proxies appended: the
        # right-most address that is no proxy is the client, whatever it claims.
        assert search(base, "Delta4", "198.51.100.7, 203.0.113.1") == 429
        assert search(base, "Echo5", "198.51.100.8, 203.0.113.3, 10.1.2.3") == 202
        assert search(base, "Foxtrot6", "203.0.113.3, 10.1.2.4") == 429


@pytest.mark.parametrize("value", ["*", "proxy.example", "10.0.0.300", ""])
def test_a_trusted_proxy_must_be_an_address_or_a_network(value: str) -> None:
    with pytest.raises(ConfigError, match="trusted-proxy"):
        trusted_proxies([value])


def test_trusted_proxies_are_written_as_addresses_and_networks() -> None:
    assert trusted_proxies(["127.0.0.1", " ::1 ", "10.0.0.0/8", "192.168.1.7/24"]) == [
        "127.0.0.1",
        "::1",
        "10.0.0.0/8",
        "192.168.1.0/24",
    ]


def test_serve_passes_each_trusted_proxy_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halotrack.cli import main
    from halotrack.cli import serve as serve_cmd

    db = tmp_path / "cli.sqlite"
    with open_store(f"sqlite:///{db}"):
        pass
    seen: dict[str, object] = {}
    monkeypatch.setattr(serve_cmd, "run_server", lambda store, **options: seen.update(options))
    monkeypatch.setenv("HALOTRACK_DB", str(db))
    assert main(["serve", "--trusted-proxy", "10.0.0.1", "--trusted-proxy", "10.1.0.0/16"]) == 0
    assert seen["proxies"] == ["10.0.0.1", "10.1.0.0/16"]
    assert main(["serve"]) == 0
    assert seen["proxies"] == []
