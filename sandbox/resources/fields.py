"""Contact custom fields, their options (fieldOption/bulk), list relations (fieldRels) and values.

A second POST fieldValues for the same contact and field updates the existing value (the live
behaviour is unconfirmed; an upsert is the lenient reading). Datetime values are converted to
the account zone, as the docs say ActiveCampaign does. Not-found on fieldValues/{id} is a 403,
as documented.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..clock import normalise_datetime
from ..errors import duplicate, field_invalid, field_missing, not_found, related_missing
from ..router import Router
from ..store import Store
from ..wire import ApiError, Request
from .common import audit, flt, need, now, paginate, ref, require

if TYPE_CHECKING:
    from ..account import Sandbox

TYPES = ("text", "textarea", "date", "datetime", "dropdown", "listbox", "radio", "checkbox", "hidden", "number", "NULL")
BULK_ERROR = "Bulk operation failed. Request must contain an array of fieldOption objects."


def perstag_for(title: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", title.upper()).strip("_") or "FIELD"


def new_row(title: str, type_: str, stamp: str | None = None, **extra: Any) -> dict:
    stamp = stamp or now()[0]
    row = {
        "title": title,
        "type": type_,
        "descript": None,
        "perstag": perstag_for(title),
        "defval": None,
        "visible": "1",
        "ordernum": "1",
        "isrequired": "0",
        "cdate": stamp,
        "udate": stamp,
    }
    row.update(extra)
    return row


def render(req: Request, store: Store, row: dict) -> dict:
    fid = row["id"]
    return {
        "title": row["title"],
        "descript": row["descript"],
        "type": row["type"],
        "isrequired": row["isrequired"],
        "perstag": row["perstag"],
        "defval": row["defval"],
        "show_in_list": "0",
        "rows": "0",
        "cols": "0",
        "visible": row["visible"],
        "service": "",
        "ordernum": row["ordernum"],
        "cdate": row["cdate"],
        "udate": row["udate"],
        **audit(row["cdate"], row["udate"], row.get("created_by", "1")),
        "options": [o["id"] for o in store["fieldOptions"].where("field", fid)],
        "relations": [r["id"] for r in store["fieldRels"].where("field", fid)],
        "links": {k: f"{req.base_url}/api/3/fields/{fid}/{k}" for k in ("options", "relations")},
        "id": fid,
    }


def render_option(req: Request, row: dict) -> dict:
    return {
        "field": row["field"],
        "orderid": str(row["orderid"]),
        "value": row["value"],
        "label": row["label"],
        "isdefault": str(row["isdefault"]),
        "cdate": row["cdate"],
        "udate": row["udate"],
        "links": {"field": f"{req.base_url}/api/3/fieldOptions/{row['id']}/field"},
        "id": row["id"],
    }


def render_rel(req: Request, row: dict) -> dict:
    return {"field": row["field"], "relid": row["relid"], "dorder": "0", "cdate": row["cdate"], "links": [], "id": row["id"]}


def render_value(req: Request, row: dict) -> dict:
    return {
        "contact": row["contact"],
        "field": row["field"],
        "value": row["value"],
        "cdate": row["cdate"],
        "udate": row["udate"],
        "created_by": None,
        "updated_by": None,
        "links": {k: f"{req.base_url}/api/3/fieldValues/{row['id']}/{k}" for k in ("owner", "field")},
        "id": row["id"],
        "owner": row["contact"],
    }


def render_value_written(req: Request, row: dict) -> dict:
    """POST/PUT fieldValues echo contact, field and owner as numbers (SPEC examples)."""
    out = render_value(req, row)
    for key in ("contact", "field", "owner"):
        out[key] = int(out[key])
    del out["created_by"], out["updated_by"]
    return out


# -- values ---------------------------------------------------------------------------------
def _coerce(field: dict, value: Any, attribute: str) -> str:
    text = "" if value is None else str(value)
    if field["type"] == "datetime" and text:
        converted = normalise_datetime(text)
        if converted is None:
            raise field_invalid(
                attribute, f"The custom field value `{text}` could not be saved to the custom field of type `datetime`."
            )
        return converted
    return text


def set_value(store: Store, contact: dict, item: Any, index: int) -> dict:
    """Create or update one contact's value for one field (contact create/update/sync bodies)."""
    if not isinstance(item, dict) or item.get("field") in (None, ""):
        raise field_missing(f"fieldValues/{index}/field", "Each fieldValue needs a field id.")
    field = store["fields"].get(item["field"])
    if field is None:
        raise related_missing(f"fieldValues/{index}/field", f"No custom field with id {item['field']} exists.")
    return _upsert(store, contact, field, _coerce(field, item.get("value"), f"fieldValues/{index}/value"))


def _upsert(store: Store, contact: dict, field: dict, value: str) -> dict:
    table = store["fieldValues"]
    stamp = now()[0]
    existing = next((v for v in table.where("contact", contact["id"]) if v["field"] == field["id"]), None)
    if existing is not None:
        return table.update(existing, {"value": value, "udate": stamp})
    return table.insert({"contact": contact["id"], "field": field["id"], "value": value, "cdate": stamp, "udate": stamp})


def _value_body(sb: Sandbox, req: Request, existing: dict | None) -> tuple[dict, dict, str]:
    data = req.wrapper("fieldValue")
    contact = ref(sb.store["contacts"], data, "contact", "contact")
    field = ref(sb.store["fields"], data, "field", "field")
    if "value" not in data or data["value"] is None:
        raise field_missing("value", "The value field was not provided.")
    assert contact is not None and field is not None
    return contact, field, _coerce(field, data["value"], "value")


def create_value(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import contacts

    contact, field, value = _value_body(sb, req, None)
    row = _upsert(sb.store, contact, field, value)
    return 200, {"contacts": contacts.sideload(req, [contact]), "fieldValue": render_value_written(req, row)}


def _value_or_403(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["fieldValues"].get(id_), "FieldValue", id_, status=403)


def get_value(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"fieldValue": render_value(req, _value_or_403(sb, req.params["id"]))}


def update_value(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import contacts

    row = _value_or_403(sb, req.params["id"])
    contact, field, value = _value_body(sb, req, row)
    clash = next(
        (v for v in sb.store["fieldValues"].where("contact", contact["id"]) if v["field"] == field["id"] and v is not row), None
    )
    if clash is not None:
        raise duplicate("field", "This contact already has a value for this field.")
    sb.store["fieldValues"].update(row, {"contact": contact["id"], "field": field["id"], "value": value, "udate": now()[0]})
    return 200, {"contacts": contacts.sideload(req, [contact]), "fieldValue": render_value_written(req, row)}


def delete_value(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _value_or_403(sb, req.params["id"])
    sb.store["fieldValues"].delete(row["id"])
    return 200, {}


def list_values(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["fieldValues"])
    fieldid = flt(req, "fieldid")
    if fieldid is not None:
        rows = [r for r in rows if r["field"] == fieldid]
    val = flt(req, "val")
    if val is not None:
        rows = [r for r in rows if r["value"] == val]
    chosen, total = paginate(rows, req)
    return 200, {"fieldValues": [render_value(req, r) for r in chosen], "meta": {"total": str(total)}}


# -- fields ---------------------------------------------------------------------------------
def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("field")
    title = str(need(data, "title", "The field title was not provided."))
    type_ = need(data, "type", "The field type was not provided.")
    if type_ not in TYPES:
        raise field_invalid("type", f"The field type must be one of: {', '.join(TYPES[:-1])}.")
    if any(f["title"].lower() == title.lower() for f in sb.store["fields"]):
        raise ApiError(
            422,
            {
                "errors": [
                    {
                        "title": "There is already a field with this title",
                        "detail": f"There is already a field named '{title}' -- choose another name",
                        "code": "duplicate",
                    }
                ]
            },
        )
    table = sb.store["fields"]
    ordernum = data.get("ordernum") or (max((int(f["ordernum"]) for f in table), default=0) + 1)
    perstag = perstag_for(str(data.get("perstag") or title))
    row = table.insert(
        new_row(
            title,
            type_,
            descript=data.get("descript"),
            defval=data.get("defval"),
            perstag=perstag,
            visible=str(data.get("visible", 1)),
            ordernum=str(ordernum),
            isrequired=str(int(bool(data.get("isrequired", 0)))),
        )
    )
    out: dict[str, Any] = {
        "title": row["title"],
        "type": row["type"],
        "created_by": sb.user_id,
        "updated_by": sb.user_id,
        "cdate": row["cdate"],
        "udate": row["udate"],
        "perstag": row["perstag"],
        "ordernum": int(row["ordernum"]),
    }
    for key in ("descript", "defval"):
        if data.get(key) is not None:
            out[key] = row[key]
    if "visible" in data:
        out["visible"] = int(row["visible"])
    out["links"] = {k: f"{req.base_url}/api/3/fields/{row['id']}/{k}" for k in ("options", "relations")}
    out["id"] = row["id"]
    return 201, {"field": out}


def _sideloads(req: Request, store: Store, fields: list[dict]) -> tuple[list[dict], list[dict]]:
    options, rels = [], []
    for f in fields:
        options += [render_option(req, o) for o in store["fieldOptions"].where("field", f["id"])]
        rels += [render_rel(req, r) for r in store["fieldRels"].where("field", f["id"])]
    return options, rels


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    rows = list(store["fields"])
    perstag = flt(req, "perstag")
    if perstag is not None:
        rows = [r for r in rows if r["perstag"] == perstag.upper()]
    chosen, total = paginate(rows, req, default=100)
    options, rels = _sideloads(req, store, chosen)
    return 200, {
        "fieldOptions": options,
        "fieldRels": rels,
        "fields": [render(req, store, r) for r in chosen],
        "meta": {"total": str(total)},
    }


def _field(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["fields"].get(id_), "Field", id_)


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _field(sb, req.params["id"])
    options, rels = _sideloads(req, sb.store, [row])
    return 200, {"fieldOptions": options, "fieldRels": rels, "field": render(req, sb.store, row)}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _field(sb, req.params["id"])
    data = req.wrapper("field")
    changes = {k: str(data[k]) for k in ("title", "descript", "defval", "visible", "ordernum") if data.get(k) is not None}
    if "type" in data:
        if data["type"] not in TYPES:
            raise field_invalid("type", f"The field type must be one of: {', '.join(TYPES[:-1])}.")
        changes["type"] = data["type"]
    title = changes.get("title")
    if title and any(f["title"].lower() == title.lower() and f is not row for f in sb.store["fields"]):
        raise ApiError(
            422,
            {
                "errors": [
                    {
                        "title": "There is already a field with this title",
                        "detail": f"There is already a field named '{title}' -- choose another name",
                        "code": "duplicate",
                    }
                ]
            },
        )
    changes["udate"] = now()[0]
    sb.store["fields"].update(row, changes)
    return 200, {"field": render(req, sb.store, row)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = _field(sb, req.params["id"])
    store["fields"].delete(row["id"])
    for table in ("fieldOptions", "fieldRels", "fieldValues"):
        t = store[table]
        for item in t.where("field", row["id"]):
            t.delete(item["id"])
    return 200, {}


def bulk_options(sb: Sandbox, req: Request) -> tuple[int, Any]:
    body = req.json()
    items = body.get("fieldOptions") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ApiError(422, {"errors": BULK_ERROR})
    store = sb.store
    for item in items:
        if item.get("field") in (None, "") or item.get("value") in (None, ""):
            raise ApiError(422, {"errors": "Bulk operation failed. Each fieldOption requires field and value."})
        if store["fields"].get(item["field"]) is None:
            raise ApiError(422, {"errors": f"Bulk operation failed. Field {item['field']} does not exist."})
    stamp = now()[0]
    created = []
    for item in items:
        field = store["fields"].get(item["field"])
        assert field is not None
        existing = store["fieldOptions"].where("field", field["id"])
        orderid = int(item.get("orderid") or len(existing) + 1)
        row = store["fieldOptions"].insert(
            {
                "field": field["id"],
                "orderid": orderid,
                "value": str(item["value"]),
                "label": str(item.get("label") or item["value"]),
                "isdefault": int(bool(item.get("isdefault"))),
                "cdate": stamp,
                "udate": stamp,
            }
        )
        created.append(
            {
                "orderid": orderid,
                "value": row["value"],
                "label": row["label"],
                "isdefault": row["isdefault"],
                "field": field["id"],
                "cdate": stamp,
                "udate": stamp,
                "links": {"field": f"{req.base_url}/api/3/fieldOptions/{row['id']}/field"},
                "id": row["id"],
            }
        )
    return 201, {"fieldOptions": created}


def create_rel(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("fieldRel")
    field = ref(sb.store["fields"], data, "field", "field")
    relid = data.get("relid", 0)
    if str(relid) != "0" and sb.store["lists"].get(relid) is None:
        raise related_missing("relid", f"No list with id {relid} exists.")
    assert field is not None
    row = sb.store["fieldRels"].insert({"field": field["id"], "relid": str(relid), "cdate": now()[0]})
    return 201, {
        "fieldRel": {"relid": int(relid), "field": int(field["id"]), "cdate": row["cdate"], "links": [], "id": row["id"]}
    }


def delete_rel(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["fieldRels"].delete(req.params["id"])
    if row is None:
        raise not_found("FieldRel", req.params["id"])
    return 200, {}


def register(router: Router) -> None:
    router.add("POST", "/fields", create)
    router.add("GET", "/fields", list_)
    router.add("GET", "/fields/{id}", get)
    router.add("PUT", "/fields/{id}", update)
    router.add("DELETE", "/fields/{id}", delete)
    router.add("POST", "/fieldOption/bulk", bulk_options)
    router.add("POST", "/fieldRels", create_rel)
    router.add("DELETE", "/fieldRels/{id}", delete_rel)
    router.add("POST", "/fieldValues", create_value)
    router.add("GET", "/fieldValues", list_values)
    router.add("GET", "/fieldValues/{id}", get_value)
    router.add("PUT", "/fieldValues/{id}", update_value)
    router.add("DELETE", "/fieldValues/{id}", delete_value)
