"""Routes for authentications: add, list, test, remove. Keys go in, never out."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..authtest import aexplain
from .body import read_json


def _registry(request: Request) -> Any:
    return request.app.state.service.registry


async def list_authentications(request: Request) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(_registry(request).list))


async def add_authentication(request: Request) -> JSONResponse:
    body = await read_json(request, "NewAuthentication")
    stored = await run_in_threadpool(
        _registry(request).add, body["name"], body["type"], body["api_url"], body["api_key"], replace=bool(body.get("replace"))
    )
    return JSONResponse(stored, status_code=201)


async def edit_authentication(request: Request) -> JSONResponse:
    body = await read_json(request, "AuthenticationChange")
    stored = await run_in_threadpool(
        _registry(request).edit,
        request.path_params["name"],
        new_name=body.get("name"),
        type=body.get("type"),
        api_url=body.get("api_url"),
        api_key=body.get("api_key"),
    )
    return JSONResponse(stored)


async def remove_authentication(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    await run_in_threadpool(_registry(request).remove, name)
    return JSONResponse({"removed": name})


async def test_authentication(request: Request) -> JSONResponse:
    registry = _registry(request)
    auth = await run_in_threadpool(registry.get, request.path_params["name"])
    # async all the way: a slow upstream holds no worker thread, so the service's other routes still answer
    return JSONResponse(await aexplain(registry.connector, auth))


ROUTES = [
    Route("/api/authentications", list_authentications, methods=["GET"]),
    Route("/api/authentications", add_authentication, methods=["POST"]),
    Route("/api/authentications/{name}", remove_authentication, methods=["DELETE"]),
    Route("/api/authentications/{name}", edit_authentication, methods=["PATCH"]),
    Route("/api/authentications/{name}/test", test_authentication, methods=["POST"]),
]
