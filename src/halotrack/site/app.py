"""The community site as an ASGI application (Litestar), served by uvicorn.

Why the server binds its own socket: a busy port becomes one line with a hint, and "serving
on" is printed only once the port is bound. It binds to 127.0.0.1 unless told otherwise: the
pages have no authentication.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import ResponseHeader, State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from halotrack.errors import ConfigError
from halotrack.site.api import router
from halotrack.site.data import BoardCache, InsightCache
from halotrack.site.http import SECURITY_HEADERS
from halotrack.site.opening import Enqueue, OpenSearch, TokenBucket
from halotrack.site.pages import PAGES
from halotrack.store import Store

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def make_app(
    store: Store,
    *,
    clock: Callable[[], datetime] | None = None,
    open_search: OpenSearch | None = None,
) -> Litestar:
    """The site; the caller owns the store and closes it. With `open_search`, searching an
    unknown player queues it for tracking (`serve --open`)."""
    return Litestar(
        route_handlers=[*PAGES, router()],
        state=_state(store, clock, open_search),
        openapi_config=OpenAPIConfig(
            title="halotrack",
            version="1",
            path="/api/v1",
            render_plugins=[JsonRenderPlugin()],
        ),
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        logging_config=None,
    )


def _state(
    store: Store, clock: Callable[[], datetime] | None, open_search: OpenSearch | None
) -> State:
    return State(
        {
            "store": store,
            "clock": clock or (lambda: datetime.now(UTC)),
            "boards": BoardCache(),
            "insights": InsightCache(),
            "open": open_search,
        }
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a ConfigError that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or stop whatever already uses it",
        ) from exc
    sock.set_inheritable(True)
    return sock


def trusted_proxies(values: Sequence[str]) -> list[str]:
    """Each `--trusted-proxy` as an address or a network, checked here: uvicorn would take
    a typo for a host name (and trust nothing) and `*` for everyone."""
    out = []
    for value in values:
        try:
            net = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"--trusted-proxy {value!r} is not an IP address or network",
                hint="give the reverse proxy's address, e.g. 127.0.0.1 or 10.0.0.0/24",
            ) from None
        out.append(str(net.network_address) if net.num_addresses == 1 else str(net))
    return out


def server_config(app: Litestar, *, proxies: Sequence[str] = ()) -> uvicorn.Config:
    """uvicorn's settings for the site. The client of a request (the key of the per-client
    limits: `--open` lookups, CSV exports) is the socket's peer; only when that peer is one
    of `proxies` is it the right-most address of X-Forwarded-For that is not a proxy
    (uvicorn's proxy-headers middleware). uvicorn would otherwise trust the header from
    127.0.0.1 or from FORWARDED_ALLOW_IPS, so both are set here."""
    import uvicorn

    trusted = trusted_proxies(proxies)
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
    )


def serve(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[], None] | None = None,
    enqueue: Enqueue | None = None,
    proxies: Sequence[str] = (),
) -> None:
    """Run until interrupted (the `halotrack serve` command). `enqueue` (from `--open`)
    resolves and watches a player a visitor searched for; `proxies` are the reverse
    proxies whose X-Forwarded-For names the client (`--trusted-proxy`)."""
    import uvicorn

    if host not in LOOPBACK:
        log.warning("serving on %s: anyone who can reach it can read these pages", host)
    app = make_app(
        store, open_search=None if enqueue is None else OpenSearch(enqueue, TokenBucket())
    )
    config = server_config(app, proxies=proxies)
    sock = bind(host, port)
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
