"""ASGI adapter over the same core, so httpx.ASGITransport can drive a Sandbox in-process.

Supported: everything that does not need a socket. Status sequences, redirects, extra headers and
delay_headers (an asyncio sleep before the response) work. delay_body is applied as a pause
between the response start and its body. drop_after_write cannot close a socket here: the write
is applied, then the adapter raises ConnectionResetError, which httpx.ASGITransport propagates
(it does not become httpx.RemoteProtocolError as over the loopback server).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .account import Sandbox
from .wire import Headers


def asgi_app(sandbox: Sandbox):
    """Return an ASGI 3 application serving `sandbox`."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", []))
        server = scope.get("server") or ("127.0.0.1", 80)
        host = headers.get("host") or f"{server[0]}:{server[1]}"
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1").partition("?")[0] if raw_path else scope["path"]
        response = sandbox.handle(
            scope["method"],
            path,
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            b"".join(chunks),
            base_url=f"{scope.get('scheme', 'http')}://{host}",
        )
        if response.drop:
            raise ConnectionResetError("sandbox fault: connection dropped after the write was applied")
        if response.delay_headers:
            await asyncio.sleep(response.delay_headers)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
                + [(b"content-length", str(len(response.body)).encode())],
            }
        )
        if response.delay_body:
            await asyncio.sleep(response.delay_body)
        await send({"type": "http.response.body", "body": response.body})

    return app
