"""Tags and contact tags (contactTags).

POST contactTags answers 200 as LIVE saw it (the doc says 201), with the doc's own error shapes:
404 `{"errors":[{"status":404,"title":"Not Found","detail":"Contact not found"}]}` and 422
"Missing attribute". Re-adding a tag a contact already has returns the existing link with 200
(the live behaviour is unconfirmed; idempotent is the lenient reading). GET tags takes what retrieve-all-tags
documents (search, filters[search][<op>], orders[search]); it documents no filter on tagType, so none is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import duplicate, field_invalid, not_found, status_error
from ..router import Router
from ..wire import Request
from .common import apply_ops, audit, contains, need, now, op_filter, order, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox


def render(req: Request, row: dict, store: Any = None) -> dict:
    """A tag as GET tags returns it today (LIVE list-tags): subscriber_count, the audit stamps, deleted."""
    out = {"tagType": row["tagType"], "tag": row["tag"], "description": row["description"]}
    if store is not None:
        out["subscriber_count"] = str(len(store["contactTags"].where("tag", row["id"])))
    out.update(
        {
            "cdate": row["cdate"],
            **audit(row["cdate"], row.get("udate")),
            "deleted": "0",
            "links": {k: f"{req.base_url}/api/3/tags/{row['id']}/{k}" for k in ("contactGoalTags", "templateTags")},
            "id": row["id"],
        }
    )
    return out


def render_link(req: Request, row: dict) -> dict:
    return {
        "contact": row["contact"],
        "tag": row["tag"],
        "cdate": row["cdate"],
        **audit(row["cdate"]),
        "links": {k: f"{req.base_url}/api/3/contactTags/{row['id']}/{k}" for k in ("tag", "contact")},
        "id": row["id"],
    }


def _fields(sb: Sandbox, data: dict, current: dict | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if current is None or "tag" in data:
        name = str(need(data, "tag", "The tag name was not provided."))
        if any(t["tag"].lower() == name.lower() and t is not current for t in sb.store["tags"]):
            raise duplicate("tag", "A tag with this name already exists")
        changes["tag"] = name
    if "tagType" in data or current is None:
        kind = data.get("tagType") or "contact"
        if kind not in ("contact", "template"):
            raise field_invalid("tagType", "tagType must be 'contact' or 'template'.")
        changes["tagType"] = kind
    if "description" in data:
        changes["description"] = str(data["description"] or "")
    return changes


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _fields(sb, req.wrapper("tag"), None)
    row = sb.store["tags"].insert({"description": "", "cdate": now()[0], **changes})
    out = render(req, row)
    return 201, {"tag": {k: out[k] for k in ("tag", "description", "tagType", "cdate", "links", "id")}}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["tags"])
    search = req.q("search") or req.q("filters[search]")
    if search:
        rows = [r for r in rows if contains(r["tag"], search)]
    ops = op_filter(req, "search")
    if ops:
        rows = [r for r in rows if apply_ops(r["tag"], ops)]
    rows = order(
        rows, req, {"search": lambda r: r["tag"].lower(), "weight": lambda r: r["tag"].lower(), "id": lambda r: int(r["id"])}
    )
    chosen, total = paginate(rows, req)
    return 200, {"tags": [render(req, r, sb.store) for r in chosen], "meta": {"total": str(total)}}


def _tag(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["tags"].get(id_), "Tag", id_)


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"tag": render(req, _tag(sb, req.params["id"]), sb.store)}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _tag(sb, req.params["id"])
    sb.store["tags"].update(row, {**_fields(sb, req.wrapper("tag"), row), "udate": now()[0]})
    return 200, {"tag": render(req, row, sb.store)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _tag(sb, req.params["id"])
    sb.store["tags"].delete(row["id"])
    links = sb.store["contactTags"]
    for link in links.where("tag", row["id"]):
        links.delete(link["id"])
    return 200, {}


def tag_contact(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    data = req.wrapper("contactTag")
    for key in ("contact", "tag"):
        if data.get(key) in (None, ""):
            raise status_error(422, "Missing attribute", attribute=key)
    contact = store["contacts"].get(data["contact"])
    if contact is None:
        raise status_error(404, "Not Found", "Contact not found")
    tag = store["tags"].get(data["tag"])
    if tag is None:
        raise status_error(404, "Not Found", "Tag not found")
    row = next((t for t in store["contactTags"].where("contact", contact["id"]) if t["tag"] == tag["id"]), None)
    if row is None:
        row = store["contactTags"].insert({"contact": contact["id"], "tag": tag["id"], "cdate": now()[0]})
        sb.emit("contact_tag_added", contact=contact, tag=tag)
    return 200, {"contactTag": render_link(req, row)}


def untag_contact(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["contactTags"].delete(req.params["id"])
    if row is None:
        raise not_found("SubscriberTag", req.params["id"])
    sb.emit("contact_tag_removed", contact=sb.store["contacts"].get(row["contact"]), tag=sb.store["tags"].get(row["tag"]))
    return 200, {}


def register(router: Router) -> None:
    router.add("POST", "/tags", create)
    router.add("GET", "/tags", list_)
    router.add("GET", "/tags/{id}", get)
    router.add("PUT", "/tags/{id}", update)
    router.add("DELETE", "/tags/{id}", delete)
    router.add("POST", "/contactTags", tag_contact)
    router.add("DELETE", "/contactTags/{id}", untag_contact)
