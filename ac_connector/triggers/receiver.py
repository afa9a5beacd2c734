"""``POST /hooks/{trigger id}/{secret}``: where ActiveCampaign delivers a webhook trigger's events.

Answers fast and starts the run after the answer. Unknown trigger id: 410 (ActiveCampaign then
deactivates the stale hook). Wrong secret: 404, nothing recorded, nothing started. Bodies over
``MAX_BODY`` bytes: 413. A duplicate delivery (same type, object, date-time and content) is answered
200 and starts nothing: the event record in the run store decides, whichever process got it first.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .catalog import webhook_trigger_schema
from .dispatch import dispatch
from .store import TriggerStore, event_key, secret_hash
from .unflatten import PayloadError, read_delivery

MAX_BODY = 256 * 1024
log = logging.getLogger("ac_connector.triggers")


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message, "retryable": False}}, status_code=status)


async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def object_id(payload: dict[str, Any]) -> str:
    for part in ("deal", "contact", "campaign", "list"):
        value = payload.get(part)
        if isinstance(value, dict) and value.get("id"):
            return f"{part}:{value['id']}"
    return ""


def hook_route(context: Any) -> Route:
    """``context`` gives ``connector``, ``run_store``, ``triggers`` (TriggerStore) and ``authentications``."""

    async def receive(request: Request) -> JSONResponse:
        triggers: TriggerStore = context.triggers
        record = await run_in_threadpool(triggers.trigger, request.path_params["trigger_id"])
        if record is None or record.kind != "webhook" or not record.secret_hash:
            return _error(410, "gone", "no such trigger: it was disabled")
        supplied = secret_hash(request.path_params["secret"])
        if not hmac.compare_digest(supplied, record.secret_hash):
            return _error(404, "not_found", "Not Found")
        body = await _body(request)
        if body is None:
            return _error(413, "too_large", f"a delivery is at most {MAX_BODY} bytes")
        events = list(record.workflow["trigger"]["events"])
        try:
            payload = read_delivery(body, webhook_trigger_schema(events))
        except PayloadError as exc:
            return _error(400, "bad_request", str(exc))
        kind = payload.get("type")
        if kind not in events:
            return JSONResponse({"ok": True, "started": False, "reason": "event not listened to"})
        key = event_key(str(kind), object_id(payload), str(payload.get("date_time", "")), payload)
        event = await run_in_threadpool(triggers.record_event, record.id, key, str(kind), payload)
        if event is None:
            return JSONResponse({"ok": True, "started": False, "reason": "duplicate"})
        task = BackgroundTask(
            dispatch,
            context.connector,
            triggers,
            context.run_store,
            event,
            record.workflow,
            authentications=context.authentications,
        )
        return JSONResponse({"ok": True, "started": True, "run_id": event.run_id}, background=task)

    return Route("/hooks/{trigger_id}/{secret}", receive, methods=["POST"])
