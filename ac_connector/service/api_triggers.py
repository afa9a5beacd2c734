"""Routes for triggers: the catalogue a builder's trigger picker shows, enabling and disabling a workflow's
trigger, and what enabled triggers received. ActiveCampaign's deliveries go to /hooks/ (triggers/receiver.py)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..triggers.catalog import sources, webhook_events
from ..triggers.polling import poll_specs
from ..workflows import load_workflow
from .body import read_json


def _triggers(request: Request) -> Any:
    return request.app.state.service.triggers


async def catalog(request: Request) -> JSONResponse:
    connector = request.app.state.service.connector
    return JSONResponse(
        {
            "webhook_events": [e.public() for e in sorted(webhook_events().values(), key=lambda e: e.name)],
            "sources": [{"name": n, **s} for n, s in sources().items()],
            "poll_events": [p.public(connector) for p in poll_specs().values()],
        }
    )


async def list_triggers(request: Request) -> JSONResponse:
    context = _triggers(request)

    def collect() -> list[dict[str, Any]]:
        out = []
        for t in context.triggers.triggers():
            events = context.triggers.events(t.id)[-20:]
            out.append(
                {
                    "trigger_id": t.id,
                    "workflow": t.workflow_name,
                    "kind": t.kind,
                    "webhook_id": t.webhook_id,
                    "public_url": t.public_url,
                    "enabled": t.enabled,
                    "recent_events": [e.public() for e in events],
                }
            )
        return out

    return JSONResponse({"triggers": await run_in_threadpool(collect)})


async def enable_trigger(request: Request) -> JSONResponse:
    body = await read_json(request, "EnableTrigger")
    workflow = load_workflow(body["workflow"])
    result = await run_in_threadpool(_triggers(request).enable, workflow, body.get("public_url"))
    return JSONResponse(result)


async def disable_trigger(request: Request) -> JSONResponse:
    body = await read_json(request, "DisableTrigger")
    return JSONResponse(await run_in_threadpool(_triggers(request).disable, body["workflow"]))


ROUTES = [
    Route("/api/triggers/catalog", catalog, methods=["GET"]),
    Route("/api/triggers", list_triggers, methods=["GET"]),
    Route("/api/triggers/enable", enable_trigger, methods=["POST"]),
    Route("/api/triggers/disable", disable_trigger, methods=["POST"]),
]
