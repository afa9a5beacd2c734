"""Bind and run the service with uvicorn: in the foreground for ``ac-connector serve``, or in a
background thread (``running``) for tests and embedders.

The socket is bound here, before uvicorn starts, so that a busy port is a plain error message and
so that port 0 (any free port) can be used and reported.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from .app import Service, build_service
from .settings import ServiceSettings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(service: Service) -> uvicorn.Server:
    # No access log: the first page visit carries ?token=...; no proxy headers: we trust no proxy.
    config = uvicorn.Config(
        service.app,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def running(settings: ServiceSettings, **options: Any) -> Iterator[tuple[Service, str]]:
    """Run a service in a background thread; yields it and its base URL (port 0: any free port)."""
    settings.check()
    sock = bind(settings.host, settings.port)
    service = build_service(settings, **options)
    server = _server(service)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="ac-service")
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the service did not start")
            thread.join(0.01)
        host = sock.getsockname()[0]
        shown = f"[{host}]" if ":" in host else host
        yield service, f"http://{shown}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        service.close()


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    allow_loopback: bool = False,
    token: str | None = None,
    offer_sandbox: bool = True,
) -> int:
    """``ac-connector serve``: run until interrupted. Returns the exit code."""
    settings = ServiceSettings.from_cli(host, port, allow_loopback, token, offer_sandbox)
    try:
        settings.check()
        sock = bind(settings.host, settings.port)
    except (ValueError, OSError) as exc:
        sys.stderr.write(json.dumps({"error": {"type": "serve", "message": str(exc)}}) + "\n")
        return 2
    service = build_service(settings)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{shown}:{sock.getsockname()[1]}"
    out = sys.stdout
    out.write(f"Workflow builder: {base}/" + ("?token=<your token>" if settings.token else "") + "\n")
    out.write(f"JSON API:         {base}/api  (OpenAPI: {base}/api/openapi.json)\n")
    if service.offer:
        out.write(
            f"A local sandbox account is offered as {service.offer.name!r} (offline, its data in memory; "
            "--no-sandbox turns it off).\n"
        )
    out.write("Press Ctrl+C to stop.\n")
    out.flush()
    try:
        _server(service).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        service.close()
    return 0
