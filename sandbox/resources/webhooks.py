"""Webhooks: create, list with filters, get, update, delete, and the event catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import field_invalid, field_missing
from ..router import Router
from ..wire import Request
from .common import contains, flt, now, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox

EVENTS = (
    "bounce",
    "click",
    "contact_tag_added",
    "contact_tag_removed",
    "deal_add",
    "deal_note_add",
    "deal_pipeline_add",
    "deal_stage_add",
    "deal_task_add",
    "deal_task_complete",
    "deal_tasktype_add",
    "deal_update",
    "forward",
    "list_add",
    "open",
    "reply",
    "sent",
    "share",
    "sms_reply",
    "sms_sent",
    "sms_unsub",
    "subscribe",
    "subscriber_note",
    "unsubscribe",
    "update",
)
SOURCES = ("public", "admin", "api", "system")


def render(req: Request, row: dict) -> dict:
    return {
        "cdate": row["cdate"],
        "listid": row["listid"],
        "name": row["name"],
        "url": row["url"],
        "events": list(row["events"]),
        "sources": list(row["sources"]),
        "links": [],
        "id": row["id"],
    }


def _fields(data: dict, creating: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("name", "url", "events", "sources"):
        if creating and (data.get(key) in (None, "", [])):
            raise field_missing(key, f"The {key} field was not provided.")
    if data.get("name") not in (None, ""):
        changes["name"] = str(data["name"])
    if data.get("url") not in (None, ""):
        parts = urlsplit(str(data["url"]))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise field_invalid("url", "The url must be an http or https URL.")
        if parts.scheme == "https" and parts.port not in (None, 443):
            raise field_invalid("url", "HTTPS webhook URLs can only use port 443.")
        changes["url"] = str(data["url"])
    for key, allowed in (("events", EVENTS), ("sources", SOURCES)):
        if key in data and data[key] not in (None, ""):
            values = data[key]
            if not isinstance(values, list) or not values or any(v not in allowed for v in values):
                raise field_invalid(key, f"{key} must be a non-empty array of: {', '.join(allowed)}.")
            changes[key] = [str(v) for v in values]
    if data.get("listid") not in (None, ""):
        changes["listid"] = str(data["listid"])
    return changes


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _fields(req.wrapper("webhook"), True)
    row = sb.store["webhooks"].insert({"listid": "0", "cdate": now()[0], **changes})
    out = render(req, row)
    return 201, {"webhook": out}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["webhooks"])
    for key in ("name", "url"):
        wanted = flt(req, key)
        if wanted:
            rows = [r for r in rows if contains(r[key], wanted)]
    listid = flt(req, "listid")
    if listid not in (None, ""):
        rows = [r for r in rows if r["listid"] == listid]
    chosen, total = paginate(rows, req)
    return 200, {"webhooks": [render(req, r) for r in chosen], "meta": {"total": str(total)}}


def _hook(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["webhooks"].get(id_), "Webhook", id_)


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    out = render(req, _hook(sb, req.params["id"]))
    return 200, {"webhook": out}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _hook(sb, req.params["id"])
    sb.store["webhooks"].update(row, _fields(req.wrapper("webhook"), False))
    out = render(req, row)
    return 200, {"webhook": out}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _hook(sb, req.params["id"])
    sb.store["webhooks"].delete(row["id"])
    return 200, {}


def events(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"webhookEvents": list(EVENTS), "meta": {"total": len(EVENTS)}}


def register(router: Router) -> None:
    router.add("POST", "/webhooks", create)
    router.add("GET", "/webhooks", list_)
    router.add("GET", "/webhooks/{id}", get)
    router.add("PUT", "/webhooks/{id}", update)
    router.add("DELETE", "/webhooks/{id}", delete)
    router.add("GET", "/webhook/events", events)
