"""Automations (seeded, read-only: the API cannot create them) and contactAutomations.

Adding a contact to an inactive automation (status "2") answers 403 "Could not create
SubscriberSeries", the documented error whose trigger is otherwise unconfirmed (api-map §6.9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import message, not_found
from ..router import Router
from ..wire import Request
from .common import contains, flt, now, paginate, ref

if TYPE_CHECKING:
    from ..account import Sandbox


def render(req: Request, row: dict) -> dict:
    return {
        "name": row["name"],
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "userid": "1",
        "status": row["status"],
        "entered": str(row.get("entered", 0)),
        "exited": str(row.get("exited", 0)),
        "hidden": "0",
        # The newer fields (LIVE get-automation, 2026-05-28); the documented example predates them.
        "entitlements_violation": "0",
        "source": str(row.get("source", "6")),
        "description": row.get("description", ""),
        "exit_on_unsubscribe": str(row.get("exit_on_unsubscribe", "0")),
        "exit_on_conversion": str(row.get("exit_on_conversion", "0")),
        "multientry": str(row.get("multientry", "0")),
        "defaultscreenshot": "http://img-us1.com/default-series.gif",
        "screenshot": "https://d226aj4ao1t61q.cloudfront.net/k0x4h0lr_default-automation.png",
        "links": {
            k: f"{req.base_url}/api/3/automations/{row['id']}/{k}"
            for k in ("campaigns", "contactGoals", "contactAutomations", "blocks", "goals", "sms", "sitemessages", "triggers")
        },
        "id": row["id"],
    }


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["automations"])
    name = flt(req, "name")
    if name is not None:
        rows = [r for r in rows if contains(r["name"], name)]
    status = flt(req, "status")
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    chosen, total = paginate(rows, req)
    starts = [{"id": str(i + 1), "series": r["id"], "type": "subscribe"} for i, r in enumerate(chosen)]
    return 200, {
        "automations": [render(req, r) for r in chosen],
        "meta": {"total": str(total), "starts": starts, "filtered": False, "smsLogs": []},
    }


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["automations"].get(req.params["id"])
    if row is None:
        raise not_found("Series", req.params["id"])
    return 200, {"automation": render(req, row)}


# -- contactAutomations ---------------------------------------------------------------------
def render_contact_automation(req: Request, row: dict, numbers: bool = False) -> dict:
    """contacts/{id}/contactAutomations documents the element counts as numbers, the rest as strings."""
    cid = row["id"]
    kind = int if numbers else str
    return {
        "contact": row["contact"],
        "seriesid": row["automation"],
        "startid": "0",
        "status": str(row["status"]),
        "batchid": None,
        "adddate": row["adddate"],
        "remdate": row.get("remdate"),
        "timespan": None,
        "lastblock": "0",
        "lastlogid": "0",
        "lastdate": row["adddate"],
        "in_als": "0",
        "completedElements": kind(0),
        "totalElements": kind(2),
        "completed": 0,
        "completeValue": 0,
        "links": {
            k: f"{req.base_url}/api/3/contactAutomations/{cid}/{k}"
            for k in ("automation", "contact", "contactGoals", "automationLogs")
        },
        "id": cid,
        "automation": row["automation"],
    }


def add_contact(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import contacts

    store = sb.store
    data = req.wrapper("contactAutomation")
    contact = ref(store["contacts"], data, "contact", "contact")
    automation = ref(store["automations"], data, "automation", "automation")
    assert contact is not None and automation is not None
    if automation["status"] != "1":
        raise message(403, "Could not create SubscriberSeries")
    row = store["contactAutomations"].insert(
        {"contact": contact["id"], "automation": automation["id"], "status": "1", "adddate": now()[0]}
    )
    automation["entered"] = automation.get("entered", 0) + 1
    out = {
        "contact": row["contact"],
        "seriesid": row["automation"],
        "startid": 0,
        "status": 1,
        "lastblock": "0",
        "completedElements": "0",
        "totalElements": "2",
        "completed": 0,
        "completeValue": 0,
        "links": render_contact_automation(req, row)["links"],
        "id": row["id"],
        "automation": row["automation"],
    }
    return 201, {"contacts": contacts.sideload(req, [contact]), "contactAutomation": out}


def list_links(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["contactAutomations"])
    for key in ("contact", "automation", "seriesid", "status"):
        wanted = flt(req, key)
        if wanted is not None:
            field = "automation" if key == "seriesid" else key
            rows = [r for r in rows if str(r.get(field)) == wanted]
    chosen, total = paginate(rows, req)
    return 200, {
        "contactAutomations": [render_contact_automation(req, r) for r in chosen],
        "meta": {"total": str(total), "showcase_stats": []},
    }


def get_link(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["contactAutomations"].get(req.params["id"])
    if row is None:
        raise not_found("SubscriberSeries", req.params["id"])
    return 200, {"contactAutomation": render_contact_automation(req, row)}


def remove_contact(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["contactAutomations"].delete(req.params["id"])
    if row is None:
        raise not_found("SubscriberSeries", req.params["id"], status=403)  # documented as 403
    return 200, {}


def register(router: Router) -> None:
    router.add("GET", "/automations", list_)
    router.add("GET", "/automations/{id}", get)
    router.add("POST", "/contactAutomations", add_contact)
    router.add("GET", "/contactAutomations", list_links)
    router.add("GET", "/contactAutomations/{id}", get_link)
    router.add("DELETE", "/contactAutomations/{id}", remove_contact)
