"""Assemble the service: connector, authentication registry, sandbox offer, routes and middleware."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from engine.auth import UrlPolicy, cached_resolver
from engine.errors import ConnectorError

from .. import load
from ..builder import STATIC_DIR
from ..store import AuthStore
from ..triggers.receiver import hook_route
from ..triggers.runtime import TriggerContext
from ..workflows import RunStore
from . import api_authentications, api_connector, api_triggers, api_workflows, errors
from .access import AccessGuard
from .assets import IMMUTABLE, REVALIDATE, BuilderAssets, accepts_gzip, assets_version, compressed_response
from .headers import HardenedHeaders
from .offer import SandboxOffer
from .openapi import document
from .registry import Registry
from .settings import ServiceSettings


@dataclass
class Service:
    """Everything one running service holds; ``close()`` releases it."""

    settings: ServiceSettings
    connector: Any
    registry: Registry
    offer: SandboxOffer | None
    app: Starlette
    runs: RunStore
    owns_connector: bool = True
    tasks: set[Any] = field(default_factory=set)  # workflow runs in progress (kept referenced until done)
    triggers: Any = None  # ac_connector.triggers.runtime.TriggerContext (over the same run store)

    def close(self) -> None:
        if self.triggers:
            self.triggers.stop()
        if self.offer:
            self.offer.stop()
        self.registry.store.close()
        self.runs.close()
        if self.owns_connector:
            self.connector.close()


def build_service(
    settings: ServiceSettings, *, sandbox: Any | None = None, connector: Any | None = None, **connector_options: Any
) -> Service:
    """Load the connector and open the store; offer the in-memory sandbox unless told not to.

    ``sandbox`` (a ``sandbox.Sandbox``) is offered even with ``offer_sandbox=False``: tests use it to
    preload data. ``connector`` is an already loaded Connector (loaded with allow_loopback=True) that
    the caller keeps owning; else one is loaded with ``connector_options`` (e.g. a limiter).
    """
    owns_connector = connector is None
    if connector is None:
        # Loopback is allowed in the engine so the sandbox works; the service's URL policy decides what it accepts.
        connector = load(allow_loopback=True, **connector_options)
    spec = connector.spec.auth
    store = AuthStore(settings.home, secret_fields=spec.secret_fields, url_field=spec.url_field)
    offer = None
    # Offered at every start (not only while nothing is stored): workflows saved against "Sandbox" must keep
    # working after the user adds an account and the service restarts. `serve --no-sandbox` turns it off.
    if sandbox is not None or settings.offer_sandbox:
        offer = SandboxOffer(sandbox).start()
    registry = Registry(connector, store, service_url_policy(settings, offer), offer)
    runs = RunStore.open(home=settings.home)
    service = Service(
        settings,
        connector,
        registry,
        offer,
        app=None,
        runs=runs,  # type: ignore[arg-type]
        owns_connector=owns_connector,
    )
    service.triggers = TriggerContext(connector, runs, registry.get)
    service.app = create_app(service)
    return service


def service_url_policy(settings: ServiceSettings, offer: SandboxOffer | None) -> UrlPolicy:
    """Whoever can add an authentication chooses where the service sends requests (SSRF). Unless started with
    --allow-loopback, no account URL may name or resolve to a loopback, private, link-local or otherwise
    non-public address; the offered sandbox is the one exception. A name that does not resolve is accepted
    (nothing to reach; the run fails plainly). Answers are kept a minute, since the check runs at every use."""
    if settings.allow_loopback:
        return UrlPolicy(allow_loopback=True)
    return UrlPolicy.service(allowed_origins=[offer.url] if offer else [], allow_unresolved=True, resolver=cached_resolver())


def create_app(service: Service) -> Starlette:
    version = service.connector.spec.version
    openapi = document(version)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(openapi)

    async def service_info(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "version": version,
                "sandbox": service.offer.name if service.offer else None,
                "loopback_allowed": service.settings.allow_loopback,
                "token_required": bool(service.settings.token),
            }
        )

    version_prefix = f"/static/{assets_version(STATIC_DIR)}/"
    page_html = (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace('"/static/', f'"{version_prefix}')

    async def page(request: Request) -> Response:
        """The page links its assets by content version (cached for good); the page itself is never cached."""
        headers = {"cache-control": "no-store"}
        if accepts_gzip(request.headers):
            return compressed_response(page_html.encode(), "text/html", headers)
        return HTMLResponse(page_html, headers={**headers, "vary": "Accept-Encoding"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if service.triggers:  # events answered by a process that died before starting their runs; pollers
            await run_in_threadpool(service.triggers.recover)
            service.triggers.start_pollers()
        yield
        if service.tasks:  # let runs in progress finish their step and be recorded
            await asyncio.wait(list(service.tasks), timeout=10)
        await service.connector.aclose()

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/service", service_info, methods=["GET"]),
        hook_route(service.triggers),
        *api_connector.ROUTES,
        *api_authentications.ROUTES,
        *api_workflows.ROUTES,
        *api_triggers.ROUTES,
        Mount(version_prefix.rstrip("/"), BuilderAssets(directory=STATIC_DIR, cache_control=IMMUTABLE)),
        Mount("/static", BuilderAssets(directory=STATIC_DIR, cache_control=REVALIDATE), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(HardenedHeaders), Middleware(AccessGuard, token=service.settings.token)],
        exception_handlers={
            ConnectorError: errors.on_connector_error,
            HTTPException: errors.on_http_exception,
            Exception: errors.on_unexpected,
        },
    )
    app.state.service = service
    return app
