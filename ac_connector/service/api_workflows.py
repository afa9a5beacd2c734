"""Routes for workflows: check, run and resume (NDJSON event streams), run history, saved workflows.

A run is started as a task of the service's event loop and streamed to the client one event per line
(``application/x-ndjson``); it goes on, and is recorded, if the client goes away. Everything checkable
is checked before the stream starts, so a refused run is an ordinary JSON error (422) and sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from engine.errors import ConnectorError, ValidationError

from ..workflows import aresume_run, arun_workflow, check_workflow, prepare_run, workflow_schema
from ..workflows.document import WorkflowInvalid, parse_workflow, schema_errors
from .body import read_json
from .errors import status_for_type

NDJSON = "application/x-ndjson"
log = logging.getLogger("ac_connector.service")


def _service(request: Request) -> Any:
    return request.app.state.service


def _authentication_problems(service: Any, document: Any) -> list[dict[str, str]]:
    """Names this service cannot use: refused before the run rather than at step 3."""
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list):
        return []
    names = service.registry.names()
    problems = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        name = step.get("authentication")
        if name is None:
            problems.append(
                {
                    "pointer": f"/steps/{i}/authentication",
                    "keyword": "required",
                    "message": "choose an authentication for this step (see GET /api/authentications)",
                }
            )
        elif isinstance(name, str) and name not in names:
            problems.append(
                {
                    "pointer": f"/steps/{i}/authentication",
                    "keyword": "authentication",
                    "message": f"no authentication named {name!r} (see GET /api/authentications)",
                }
            )
    return problems


def _full_check(service: Any, document: Any) -> dict[str, Any]:
    result = check_workflow(service.connector, document)
    if result.ok:
        result.errors.extend(_authentication_problems(service, document))
    return result.to_dict()


async def check(request: Request) -> JSONResponse:
    body = await read_json(request, "CheckRequest")
    return JSONResponse(_full_check(_service(request), body["workflow"]))


async def schema(request: Request) -> JSONResponse:
    return JSONResponse(workflow_schema())


def _stream(service: Any, start: Callable[[Callable[[dict[str, Any]], None]], Coroutine[Any, Any, Any]]) -> Any:
    """Start the run as a task; return the first event (run_started) and an iterator of NDJSON lines."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def work() -> None:
        try:
            await start(queue.put_nowait)
        except ConnectorError as exc:  # refused before the first step (e.g. a resume): ends the stream
            queue.put_nowait({"event": "error", "error": exc.to_dict()})
        except Exception as exc:  # a bug: its class only, messages may hold data
            log.error("workflow run failed: %s", type(exc).__name__)
            queue.put_nowait(
                {
                    "event": "error",
                    "error": {"type": "internal", "retryable": False, "message": f"internal error ({type(exc).__name__})"},
                }
            )
        finally:
            queue.put_nowait(None)

    task = asyncio.get_running_loop().create_task(work())
    service.tasks.add(task)
    task.add_done_callback(service.tasks.discard)

    async def lines(first: dict[str, Any]) -> AsyncIterator[bytes]:
        yield _line(first)
        while (event := await queue.get()) is not None:
            yield _line(event)

    return queue, lines


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode()


async def _respond(service: Any, start: Callable[[Callable[[dict[str, Any]], None]], Coroutine[Any, Any, Any]]) -> Response:
    queue, lines = _stream(service, start)
    first = await queue.get()
    if first is None or first.get("event") == "error":
        error = (first or {}).get("error") or {"type": "internal", "message": "the run did not start", "retryable": False}
        return JSONResponse({"error": error}, status_code=status_for_type(error.get("type", "")))
    return StreamingResponse(
        lines(first),
        media_type=NDJSON,
        headers={"Location": f"/api/runs/{first['run_id']}", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def run(request: Request) -> Response:
    service = _service(request)
    body = await read_json(request, "RunWorkflowRequest")
    document = body.get("workflow")
    if document is None:
        if not body.get("name"):
            raise ValidationError(
                [
                    {
                        "pointer": "/workflow",
                        "keyword": "required",
                        "message": "send the workflow document, or the name of a saved one",
                    }
                ]
            )
        document = service.runs.get_workflow(body["name"])["document"]
    trigger = body.get("trigger") or {}
    checked = _full_check(service, document)
    if not checked["ok"]:
        raise WorkflowInvalid(checked["errors"], checked["warnings"])
    prepare_run(service.connector, document, trigger)  # the trigger's data, before any run exists
    return await _respond(
        service,
        lambda emit: arun_workflow(
            service.connector,
            document,
            authentications=service.registry.get,
            store=service.runs,
            trigger=trigger,
            on_event=emit,
        ),
    )


async def resume(request: Request) -> Response:
    service = _service(request)
    body = await read_json(request, "ResumeRequest")
    run_id = service.runs.get(request.path_params["run_id"]).id  # 404 before anything starts
    return await _respond(
        service,
        lambda emit: aresume_run(
            service.connector,
            run_id,
            store=service.runs,
            authentications=service.registry.get,
            retry_unknown=bool(body.get("retry_unknown")),
            on_event=emit,
        ),
    )


async def list_runs(request: Request) -> JSONResponse:
    query = request.query_params
    limit = query.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise ValidationError([{"pointer": "/limit", "keyword": "range", "message": "limit is 1 to 1000"}])
    runs = _service(request).runs.list(
        workflow=query.get("workflow") or None, limit=int(limit), status=query.get("status") or None
    )
    return JSONResponse({"runs": [r.summary() for r in runs]})


async def get_run(request: Request) -> JSONResponse:
    return JSONResponse(_service(request).runs.get(request.path_params["run_id"]).to_dict())


async def list_saved(request: Request) -> JSONResponse:
    return JSONResponse({"workflows": _service(request).runs.list_workflows()})


async def get_saved(request: Request) -> JSONResponse:
    return JSONResponse(_service(request).runs.get_workflow(request.path_params["name"]))


async def put_saved(request: Request) -> JSONResponse:
    service = _service(request)
    name = request.path_params["name"]
    document = await read_json(request, "WorkflowDocument")
    errors = schema_errors(document)
    if not errors and document.get("name") != name:
        errors.append(
            {"pointer": "/name", "keyword": "const", "message": f"the document's name must be the name in the URL ({name!r})"}
        )
    if errors:
        raise WorkflowInvalid(errors)
    parse_workflow(document)
    saved = service.runs.save_workflow(name, document)
    return JSONResponse({**saved, "check": _full_check(service, document)})


async def delete_saved(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    _service(request).runs.delete_workflow(name)
    return JSONResponse({"removed": name})


ROUTES = [
    Route("/api/workflows/check", check, methods=["POST"]),
    Route("/api/workflows/runs", run, methods=["POST"]),
    Route("/api/workflow-schema", schema, methods=["GET"]),
    Route("/api/workflows", list_saved, methods=["GET"]),
    Route("/api/workflows/{name}", get_saved, methods=["GET"]),
    Route("/api/workflows/{name}", put_saved, methods=["PUT"]),
    Route("/api/workflows/{name}", delete_saved, methods=["DELETE"]),
    Route("/api/runs", list_runs, methods=["GET"]),
    Route("/api/runs/{run_id}", get_run, methods=["GET"]),
    Route("/api/runs/{run_id}/resume", resume, methods=["POST"]),
]
