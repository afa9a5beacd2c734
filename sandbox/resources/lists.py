"""Mailing lists and list memberships (contactLists).

Deleting a list removes its memberships and its field relations. POST contactLists is an
upsert on (contact, list): it subscribes (status 1) or unsubscribes (status 2) and answers 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import field_invalid, not_found
from ..router import Router
from ..wire import Request
from .common import apply_ops, audit, contains, flt, need, now, op_filter, order, paginate, ref

if TYPE_CHECKING:
    from ..account import Sandbox


API_SOURCE = "3"


def new_row(
    name: str, stringid: str, sender_url: str = "", sender_reminder: str = "", user: str = "1", stamp: str | None = None
) -> dict:
    stamp = stamp or now()[0]
    return {
        "name": name,
        "stringid": stringid,
        "sender_url": sender_url,
        "sender_reminder": sender_reminder,
        "userid": user,
        "cdate": stamp,
        "udate": None,
        "channel": "email",
        "send_last_broadcast": "0",
        "carboncopy": None,
        "subscription_notify": None,
        "unsubscription_notify": None,
        "description": "",
    }


def render(req: Request, row: dict, store: Any = None) -> dict:
    """The full list object of GET lists / GET lists/{id}, with the fields the live API adds today (LIVE
    list-lists): the audit stamps, description and the subscriber counts."""
    members = store["contactLists"].where("list", row["id"]) if store is not None else []
    return {
        "stringid": row["stringid"],
        "userid": row["userid"],
        "name": row["name"],
        "cdate": row["cdate"],
        "p_use_tracking": "1",
        "p_use_analytics_read": "0",
        "p_use_analytics_link": "0",
        "p_use_twitter": "0",
        "p_use_facebook": "0",
        "p_embed_image": "1",
        "p_use_captcha": "1",
        "send_last_broadcast": row["send_last_broadcast"],
        "private": "0",
        "analytics_domains": None,
        "analytics_source": "",
        "analytics_ua": "",
        "twitter_token": "",
        "twitter_token_secret": "",
        "facebook_session": None,
        "carboncopy": row["carboncopy"],
        "subscription_notify": row["subscription_notify"],
        "unsubscription_notify": row["unsubscription_notify"],
        "require_name": "0",
        "get_unsubscribe_reason": "0",
        "to_name": "Subscriber",
        "optinoptout": "1",
        "sender_name": "",
        "sender_addr1": "",
        "sender_addr2": "",
        "sender_city": "",
        "sender_state": "",
        "sender_zip": "",
        "sender_country": "",
        "sender_phone": "",
        "sender_url": row["sender_url"],
        "sender_reminder": row["sender_reminder"],
        "fulladdress": "",
        "optinmessageid": "0",
        "optoutconf": "0",
        "deletestamp": None,
        "udate": row["udate"],
        **audit(row["cdate"], row["udate"]),
        "channel": row["channel"],
        "description": row.get("description", ""),
        "non_deleted_subscribers": str(len(members)),
        "active_subscribers": str(sum(1 for m in members if str(m["status"]) == "1")),
        "links": {k: f"{req.base_url}/api/3/lists/{row['id']}/{k}" for k in ("contactGoalLists", "user", "addressLists")},
        "id": row["id"],
        "user": row["userid"],
    }


def render_created(req: Request, row: dict) -> dict:
    """POST lists answers with what was stored, userid/user as ints (LIVE create-list)."""
    return {
        "name": row["name"],
        "channel": row["channel"],
        "stringid": row["stringid"],
        "sender_url": row["sender_url"],
        "sender_reminder": row["sender_reminder"],
        "description": row["description"],
        "send_last_broadcast": int(row["send_last_broadcast"]),
        "carboncopy": row["carboncopy"] or "",
        "subscription_notify": row["subscription_notify"] or "",
        "unsubscription_notify": row["unsubscription_notify"] or "",
        "userid": int(row["userid"]),
        "cdate": row["cdate"],
        "udate": row["cdate"],
        "links": {k: f"{req.base_url}/api/3/lists/{row['id']}/{k}" for k in ("contactGoalLists", "user", "addressLists")},
        "id": row["id"],
        "user": int(row["userid"]),
    }


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("list")
    name = need(data, "name", "The list name was not provided.")
    stringid = need(data, "stringid", "The list stringid was not provided.")
    sender_url = need(data, "sender_url", "The list sender_url was not provided.")
    reminder = need(data, "sender_reminder", "The list sender_reminder was not provided.")
    channel = data.get("channel", "email")
    if channel not in ("email", "sms"):
        raise field_invalid("channel", "The channel must be one of: email, sms.")
    user = data.get("user", data.get("userid", sb.user_id))
    row = new_row(str(name), str(stringid), str(sender_url), str(reminder), str(user))
    row.update(
        channel=channel,
        send_last_broadcast=str(int(bool(data.get("send_last_broadcast", 0)))),
        carboncopy=data.get("carboncopy"),
        subscription_notify=data.get("subscription_notify"),
        unsubscription_notify=data.get("unsubscription_notify"),
    )
    sb.store["lists"].insert(row)
    return 201, {"list": render_created(req, row)}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["lists"])
    name = flt(req, "name")
    if name is not None:
        rows = [r for r in rows if contains(r["name"], name)]
    ops = [(op, v) for op, v in op_filter(req, "name") if op != "eq"]
    if ops:
        rows = [r for r in rows if apply_ops(r["name"], ops)]
    rows = order(
        rows, req, {"name": lambda r: r["name"].lower(), "id": lambda r: int(r["id"]), "weight": lambda r: r["name"].lower()}
    )
    chosen, total = paginate(rows, req)
    return 200, {"lists": [render(req, r, sb.store) for r in chosen], "meta": {"total": str(total)}}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["lists"].get(req.params["id"])
    if row is None:
        raise not_found("_List", req.params["id"])
    return 200, {"list": render(req, row, sb.store)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = store["lists"].get(req.params["id"])
    if row is None:
        raise not_found("_List", req.params["id"], status=403)  # documented as 403 (api-map §1.6)
    store["lists"].delete(row["id"])
    memberships = store["contactLists"]
    for link in memberships.where("list", row["id"]):
        memberships.delete(link["id"])
    rels = store["fieldRels"]
    for rel in [r for r in rels if r.get("relid") == row["id"]]:
        rels.delete(rel["id"])
    return 200, {}


def _plain(stamp: str | None) -> str | None:
    """'2026-05-28T03:05:55-05:00' -> '2026-05-28 03:05:55' (the *_timestamp form)."""
    return stamp[:19].replace("T", " ") if stamp else None


# -- memberships ----------------------------------------------------------------------------
def render_membership(req: Request, row: dict, int_status: bool = False) -> dict:
    cid = row["id"]
    contact = row.get("_names", ("", ""))
    return {
        "contact": row["contact"],
        "list": row["list"],
        "form": None,
        "seriesid": "0",
        "sdate": row["sdate"],
        "udate": row.get("udate"),
        "status": int(row["status"]) if int_status else str(row["status"]),
        "responder": "1",
        "sync": "0",
        "unsubreason": row.get("unsubreason", ""),
        "campaign": None,
        "message": None,
        "first_name": contact[0],
        "last_name": contact[1],
        "ip4Sub": "0",
        "sourceid": str(row.get("sourceid", "0")),
        "autosyncLog": None,
        "ip4_last": "0",
        "ip4Unsub": "0",
        "created_timestamp": _plain(row["sdate"]),
        "updated_timestamp": _plain(row.get("udate") or row["sdate"]),
        "created_by": None,
        "updated_by": None,
        "unsubscribeAutomation": None,
        "channel": "email",
        "links": {
            k: f"{req.base_url}/api/3/contactLists/{cid}/{k}"
            for k in ("automation", "list", "contact", "form", "autosyncLog", "campaign", "unsubscribeAutomation", "message")
        },
        "id": cid,
        "automation": None,
    }


def subscribe(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import contacts

    store = sb.store
    data = req.wrapper("contactList")
    contact = ref(store["contacts"], data, "contact", "contact")
    lst = ref(store["lists"], data, "list", "list")
    status = need(data, "status", "The status field was not provided.")
    if str(status) not in ("1", "2"):
        raise field_invalid("status", "The status must be 1 (subscribe) or 2 (unsubscribe).")
    assert contact is not None and lst is not None
    stamp = now()[0]
    existing = next((m for m in store["contactLists"].where("contact", contact["id"]) if m["list"] == lst["id"]), None)
    # A subscription made through the API records source 3 (the documented answer of update-list-status-for-
    # contact shows "sourceid": "3"); "Set to 4 when re-subscribing" (its request field).
    changes = {
        "status": str(status),
        "udate": stamp,
        "sourceid": str(data.get("sourceid") or API_SOURCE),
        "_names": (contact.get("firstName", ""), contact.get("lastName", "")),
    }
    if str(status) == "2":
        changes["unsubreason"] = ""
    if existing is None:
        row = store["contactLists"].insert({"contact": contact["id"], "list": lst["id"], "sdate": stamp, **changes})
        row["udate"] = None
    else:
        row = store["contactLists"].update(existing, changes)
    sb.emit("subscribe" if str(status) == "1" else "unsubscribe", contact=contact, list_id=lst["id"])
    return 200, {"contacts": contacts.sideload(req, [contact]), "contactList": render_membership(req, row, True)}


def register(router: Router) -> None:
    router.add("POST", "/lists", create)
    router.add("GET", "/lists", list_)
    router.add("GET", "/lists/{id}", get)
    router.add("DELETE", "/lists/{id}", delete)
    router.add("POST", "/contactLists", subscribe)
