"""The test-control API under /__sandbox__/ for tests that drive a sandbox in another process.

Off by default (404 then). Never rate limited, never logged, no Api-Token: it is not part of
ActiveCampaign, only a remote control for the same switches the Python API offers.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .wire import Response, dumps

if TYPE_CHECKING:
    from .account import Sandbox

FAULT_KEYS = frozenset(
    {
        "statuses",
        "times",
        "delay_headers",
        "delay_body",
        "drop_after_write",
        "redirect",
        "redirect_status",
        "headers",
        "body",
        "echo_headers",
    }
)
FIXTURE_KEYS = frozenset({"contacts", "lists", "deals", "tags", "users"})


def _reply(status: int, payload: Any) -> Response:
    return Response(status, dumps(payload), [("Content-Type", "application/json")])


def handle(sb: Sandbox, method: str, path: str, query_string: str, body: bytes) -> Response:
    if not sb.control:
        return _reply(404, {"message": "Not Found"})
    name = path[len("/__sandbox__") :].strip("/")
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return _reply(400, {"error": "body must be JSON"})
    if not isinstance(data, dict):
        return _reply(400, {"error": "body must be a JSON object"})
    try:
        return _dispatch(sb, method, name, data)
    except (TypeError, ValueError) as exc:
        return _reply(400, {"error": str(exc)})


def _dispatch(sb: Sandbox, method: str, name: str, data: dict) -> Response:
    if name == "faults":
        if method == "POST":
            unknown = set(data) - FAULT_KEYS - {"route"}
            if unknown or "route" not in data:
                raise ValueError(f"need 'route'; unknown keys: {sorted(unknown)}")
            fault = sb.faults.add(data["route"], **{k: v for k, v in data.items() if k in FAULT_KEYS})
            return _reply(201, {"fault": fault.to_dict()})
        if method == "DELETE":
            sb.faults.clear()
            return _reply(200, {})
        if method == "GET":
            return _reply(200, {"faults": [f.to_dict() for f in sb.faults]})
    elif name == "log":
        if method == "GET":
            return _reply(200, {"log": [asdict(item) for item in sb.log]})
        if method == "DELETE":
            sb.log.clear()
            return _reply(200, {})
    elif name == "webhooks":
        if method == "PUT":
            sb.hooks.configure(duplicate=data.get("duplicate"), drop=data.get("drop"))
        if method == "POST":  # wait until every queued delivery was attempted
            return _reply(200, {"idle": sb.hooks.wait_idle(float(data.get("timeout", 10)))})
        if method in ("GET", "PUT"):
            return _reply(200, {"duplicate": sb.hooks.duplicate, "drop": sb.hooks.drop, "deliveries": sb.hooks.log()})
    elif name == "events" and method == "POST":
        # What a contact or a user did outside the API (a form, the app): the same event, another source.
        subject = {}
        for key, table in (("contact", "contacts"), ("deal", "deals"), ("tag", "tags")):
            if key in data:
                row = sb.store[table].get(data[key])
                if row is None:
                    raise ValueError(f"no {key} {data[key]}")
                subject[key] = row
        if data.get("source", "public") not in ("public", "admin", "api", "system"):
            raise ValueError("source must be public, admin, api or system")
        fired = sb.emit(str(data["event"]), list_id=str(data.get("list", "0")), source=data.get("source", "public"), **subject)
        return _reply(201, {"fired": fired})
    elif name == "reset" and method == "POST":
        sb.reset()
        return _reply(200, {})
    elif name == "config":
        if method == "PUT":
            if "rate_limit" in data:
                limit = data["rate_limit"]
                if limit is not None and (not isinstance(limit, int) or limit < 1):
                    raise ValueError("rate_limit must be a positive integer or null")
                sb.rate_limit = limit
            if "rate_window" in data:
                sb.rate_window = float(data["rate_window"])
            if "throttle_status" in data:
                if data["throttle_status"] not in (429, 503):
                    raise ValueError("throttle_status must be 429 or 503")
                sb.throttle_status = data["throttle_status"]
            if "bulk_import_limit" in data:
                sb.bulk_import_limit = int(data["bulk_import_limit"])
            sb.limiter.clear()
        if method in ("GET", "PUT"):
            return _reply(
                200,
                {
                    "rate_limit": sb.rate_limit,
                    "rate_window": sb.rate_window,
                    "throttle_status": sb.throttle_status,
                    "bulk_import_limit": sb.bulk_import_limit,
                },
            )
    elif name == "fixture" and method == "POST":
        unknown = set(data) - FIXTURE_KEYS
        if unknown:
            raise ValueError(f"unknown fixture keys: {sorted(unknown)}")
        added = sb.load_fixture(**{k: int(v) for k, v in data.items()})
        return _reply(201, {"added": added})
    else:
        return _reply(404, {"message": "Not Found"})
    return _reply(405, {"message": "Method Not Allowed"})
