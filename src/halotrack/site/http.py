"""Cross-cutting HTTP behaviour: security headers on every answer, ETags on the API.

Why an ASGI middleware for ETags: every API route gets validators the same way, from the
bytes actually sent, without each handler computing one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.types import ASGIApp, Receive

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def etag_middleware(app: ASGIApp) -> ASGIApp:
    """Adds a strong ETag to each complete 200 answer to GET; answers 304 when the client's
    If-None-Match already names it."""

    async def middleware(scope: Any, receive: Receive, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        inm = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None
        )
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                if message["status"] != 200:
                    await send(message)
                return
            if message["type"] != "http.response.body" or start.get("status") != 200:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            etag = etag_of(body)
            headers = [(k, v) for k, v in start["headers"]]
            if inm is not None and _matches(inm, etag):
                keep = [(k, v) for k, v in headers if k.lower() not in (b"content-length",)]
                keep.append((b"etag", etag.encode()))
                await send({"type": "http.response.start", "status": 304, "headers": keep})
                await send({"type": "http.response.body", "body": b""})
                return
            headers.append((b"etag", etag.encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, capture)

    return middleware
