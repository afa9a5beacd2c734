"""Bulk import (import/bulk_import) and its status (import/info).

- Limited to `sb.bulk_import_limit` imports (100) per `sb.bulk_import_window` seconds (60) per
  account, answered with the documented 400 {"success":0,"message":"Rate limit exceeded.",...}.
- A payload whose contacts lack an e-mail string fails JSON validation as a whole (400, documented
  shape, the import is not queued). Contacts whose e-mail is present but malformed are imported as
  per-contact failures, listed by e-mail in import/info.
- The import is applied at once (upsert by e-mail: names, phone, tags by name, fields, list
  subscriptions); import/info reports it after `sb.import_delay` seconds (0 by default), with
  `status: false` until then.
- `sb.interrupt_imports = N` marks the next N accepted imports "interrupted": nothing is applied and
  import/info answers {"status": "interrupted", "success": [], "failure": []}.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from ..router import Router
from ..wire import ApiError, Request
from .common import now, valid_email

if TYPE_CHECKING:
    from ..account import Sandbox

RATE_LIMITED = {
    "success": 0,
    "message": "Rate limit exceeded.",
    "failureReasons": [
        "Up to 100 imports may be requested per minute.Please batch contacts into larger requests, or retry this "
        "request in a minute."
    ],
}
INVALID = (
    "JSON payload did not pass validation. Please fix failure Reasons and retry. The import was not queued for processing."
)


def submit(sb: Sandbox, req: Request) -> tuple[int, Any]:
    decision = sb.import_limiter.check(int(sb.bulk_import_limit), float(sb.bulk_import_window))
    if not decision.allowed:
        raise ApiError(400, RATE_LIMITED)
    body = req.json()
    items = body.get("contacts") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiError(
            400,
            {
                "success": 0,
                "message": INVALID,
                "failureReasons": [{"contact": 0, "failureReason": "Field 'contacts' is required"}],
            },
        )
    reasons = [
        {"contact": i, "failureReason": "Field 'email' is required"}
        for i, item in enumerate(items)
        if not isinstance(item, dict) or not isinstance(item.get("email"), str) or not item["email"].strip()
    ]
    if reasons:
        raise ApiError(400, {"success": 0, "message": INVALID, "failureReasons": reasons})
    batch = str(uuid.uuid4())
    record: dict[str, Any] = {
        "ready_at": time.monotonic() + float(getattr(sb, "import_delay", 0.0)),
        "success": [],
        "failure": [],
        "status": "completed",
    }
    if getattr(sb, "interrupt_imports", 0) > 0:
        sb.interrupt_imports -= 1
        record["status"] = "interrupted"
    else:
        for item in items:
            if valid_email(item["email"]):
                record["success"].append(_apply(sb, item))
            else:
                record["failure"].append(item["email"])
    sb.store.extra.setdefault("imports", {})[batch] = record
    return 200, {"Success": 1, "queued_contacts": len(items), "batchId": batch, "message": "Contact import queued"}


def _apply(sb: Sandbox, item: dict) -> str:
    from . import contacts, fields

    store = sb.store
    email = item["email"].strip()
    row = contacts.by_email(store, email)
    names = {"firstName": item.get("first_name"), "lastName": item.get("last_name"), "phone": item.get("phone")}
    if row is None:
        row = contacts.add(
            store,
            contacts.new_row(email, str(names["firstName"] or ""), str(names["lastName"] or ""), str(names["phone"] or "")),
        )
    else:
        stamp, ts = now()
        store["contacts"].update(row, {**{k: str(v) for k, v in names.items() if v is not None}, "udate": stamp, "_u": ts})
    stamp = now()[0]
    for name in item.get("tags") or []:
        tag = next((t for t in store["tags"] if t["tag"].lower() == str(name).lower()), None)
        if tag is None:
            tag = store["tags"].insert({"tag": str(name), "tagType": "contact", "description": "", "cdate": stamp})
        if not any(t["tag"] == tag["id"] for t in store["contactTags"].where("contact", row["id"])):
            store["contactTags"].insert({"contact": row["id"], "tag": tag["id"], "cdate": stamp})
    for value in item.get("fields") or []:
        if isinstance(value, dict) and store["fields"].get(value.get("id")) is not None:
            fields.set_value(store, row, {"field": value["id"], "value": value.get("value")}, 0)
    for key, status in (("subscribe", "1"), ("unsubscribe", "2")):
        for entry in item.get(key) or []:
            list_id = entry.get("listid") if isinstance(entry, dict) else None
            if store["lists"].get(list_id) is None:
                continue
            existing = next((m for m in store["contactLists"].where("contact", row["id"]) if m["list"] == str(list_id)), None)
            if existing is None:
                store["contactLists"].insert(
                    {
                        "contact": row["id"],
                        "list": str(list_id),
                        "status": status,
                        "sdate": stamp,
                        "udate": None,
                        "sourceid": "0",
                        "_names": (row.get("firstName", ""), row.get("lastName", "")),
                    }
                )
            else:
                store["contactLists"].update(existing, {"status": status, "udate": stamp})
    return row["id"]


def info(sb: Sandbox, req: Request) -> tuple[int, Any]:
    batch = req.q("batchId")
    if not batch:
        raise ApiError(400, {"success": 0, "message": "'batchId' is a required field."})
    record = sb.store.extra.get("imports", {}).get(batch)
    if record is None:
        raise ApiError(404, {"success": 0, "message": f"No import found with batchId {batch}."})
    if time.monotonic() < record["ready_at"]:
        return 200, {"status": False, "success": [], "failure": []}
    return 200, {"status": record["status"], "success": list(record["success"]), "failure": list(record["failure"])}


def register(router: Router) -> None:
    router.add("POST", "/import/bulk_import", submit)
    router.add("GET", "/import/info", info)
