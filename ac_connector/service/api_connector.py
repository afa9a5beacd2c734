"""Routes for the connector itself: manifest, operations, their schemas, dropdown options, runs."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .body import read_json


def _state(request: Request) -> Any:
    return request.app.state.service


async def manifest(request: Request) -> JSONResponse:
    return JSONResponse(_state(request).connector.manifest())


async def operations(request: Request) -> JSONResponse:
    return JSONResponse(_state(request).connector.manifest()["operations"])


async def describe(request: Request) -> JSONResponse:
    return JSONResponse(_state(request).connector.describe(request.path_params["operation"]))


async def options(request: Request) -> JSONResponse:
    service = _state(request)
    name = request.path_params["operation"]
    body = await read_json(request, "OptionsRequest")
    service.connector.operation(name)  # 404 for an unknown operation before anything else
    auth = await run_in_threadpool(service.registry.get, body["authentication"])
    result = await service.connector.aoptions(
        name, body["field"], body.get("form") or {}, auth, search=body.get("search") or None, offset=body.get("offset") or None
    )
    return JSONResponse(result)


async def run(request: Request) -> JSONResponse:
    service = _state(request)
    name = request.path_params["operation"]
    body = await read_json(request, "RunRequest")
    data = body.get("input") or {}
    service.connector.validate_input(name, data)  # field errors first: nothing is looked up or sent
    auth = await run_in_threadpool(service.registry.get, body.get("authentication"))
    output = await service.connector.arun(name, data, auth)
    return JSONResponse({"output": output})


ROUTES = [
    Route("/api/connector", manifest, methods=["GET"]),
    Route("/api/operations", operations, methods=["GET"]),
    Route("/api/operations/{operation}", describe, methods=["GET"]),
    Route("/api/operations/{operation}/options", options, methods=["POST"]),
    Route("/api/operations/{operation}/run", run, methods=["POST"]),
]
