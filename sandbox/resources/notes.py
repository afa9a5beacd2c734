"""Notes on contacts (reltype Subscriber), deals, tasks, accounts and activities.

Not-found on PUT/DELETE notes/{id} is a 403, as documented (api-map §5.7, §5.8); GET is a 404.
meta.total of GET notes is an integer (LIVE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import field_invalid, not_found, related_missing
from ..router import Router
from ..wire import Request
from .common import contains, flt, need, now, paginate

if TYPE_CHECKING:
    from ..account import Sandbox

RELTYPES = {
    "Subscriber": ("contacts", "contact"),
    "Deal": ("deals", "deal"),
    "DealTask": ("dealTasks", "dealtask"),
    "CustomerAccount": ("accounts", "customeraccount"),
    "Activity": (None, "activity"),
}


def render(req: Request, row: dict) -> dict:
    nid = row["id"]
    return {
        "relid": row["relid"],
        "reltype": row["reltype"],
        "userid": row["userid"],
        "is_draft": "0",
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "note": row["note"],
        "links": {k: f"{req.base_url}/api/3/notes/{nid}/{k}" for k in ("activities", "mentions", "notes", "owner", "user")},
        "id": nid,
        "user": row["userid"],
        "owner": {"type": RELTYPES[row["reltype"]][1], "id": row["relid"]},
    }


def _target(sb: Sandbox, data: dict) -> tuple[str, str, dict | None]:
    reltype = str(need(data, "reltype", "The reltype field was not provided."))
    if reltype not in RELTYPES:
        raise field_invalid("reltype", f"reltype must be one of: {', '.join(RELTYPES)}.")
    relid = need(data, "relid", "The relid field was not provided.")
    table = RELTYPES[reltype][0]
    target = None
    if table is not None:
        target = sb.store[table].get(relid)
        if target is None:
            raise related_missing("relid", f"No {reltype} with id {relid} exists.")
    return reltype, str(relid), target


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import contacts, deals

    data = req.wrapper("note")
    text = str(need(data, "note", "The note field was not provided."))
    reltype, relid, target = _target(sb, data)
    stamp = now()[0]
    row = sb.store["notes"].insert(
        {"note": text, "relid": relid, "reltype": reltype, "userid": sb.user_id, "cdate": stamp, "mdate": stamp}
    )
    body: dict[str, Any] = {}
    if reltype == "Subscriber" and target is not None:
        sb.emit("subscriber_note", contact=target, note=row)
    elif target is not None:
        sb.emit("deal_note_add", deal=target, note=row)
    if reltype == "Subscriber" and target is not None:
        body["contacts"] = contacts.sideload(req, [target])
    elif reltype == "Deal" and target is not None:
        body["deals"] = [deals.render(req, target)]
    note = render(req, row)
    note["relid"] = int(relid)
    note["owner"]["id"] = int(relid)
    body["note"] = note
    return 201, body


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["notes"])
    for key in ("reltype", "relid", "userid"):
        wanted = flt(req, key)
        if wanted not in (None, ""):
            rows = [r for r in rows if str(r.get(key)) == wanted]
    text = flt(req, "note")
    if text:
        rows = [r for r in rows if contains(r["note"], text)]
    chosen, total = paginate(rows, req)
    return 200, {"notes": [render(req, r) for r in chosen], "meta": {"total": total}}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["notes"].get(req.params["id"])
    if row is None:
        raise not_found("Note", req.params["id"])
    return 200, {"note": render(req, row)}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["notes"].get(req.params["id"])
    if row is None:
        raise not_found("Note", req.params["id"], status=403)
    data = req.wrapper("note")
    changes: dict[str, Any] = {"note": str(need(data, "note", "The note field was not provided."))}
    if "reltype" in data or "relid" in data:
        merged = {"reltype": row["reltype"], "relid": row["relid"], **data}
        changes["reltype"], changes["relid"], _ = _target(sb, merged)
    changes["mdate"] = now()[0]
    sb.store["notes"].update(row, changes)
    return 200, {"note": render(req, row)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["notes"].delete(req.params["id"])
    if row is None:
        raise not_found("Note", req.params["id"], status=403)
    return 200, {}


def register(router: Router) -> None:
    router.add("POST", "/notes", create)
    router.add("GET", "/notes", list_)
    router.add("GET", "/notes/{id}", get)
    router.add("PUT", "/notes/{id}", update)
    router.add("DELETE", "/notes/{id}", delete)
