"""Deals: create (with contacts/dealGroups/dealStages sideloads), get, update, delete, list with
filters and orders, and deal notes (deals/{id}/notes).

Values are integer cents; filters[minimum_value|maximum_value] are in dollars (api-map §5.5).
Deleting a deal deletes its notes and tasks. meta.total is an integer here, as observed live.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import field_invalid, field_missing, not_found, related_missing
from ..router import Router
from ..store import Store
from ..wire import ApiError, Request
from .common import contains, date_window, flt, int_field, now, order, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox

LINK_NAMES = (
    "dealActivities",
    "contact",
    "contactDeals",
    "group",
    "nextTask",
    "notes",
    "account",
    "customerAccount",
    "organization",
    "owner",
    "scoreValues",
    "stage",
    "tasks",
    "dealCustomFieldData",
)
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")


def new_row(
    title: str,
    value: int,
    currency: str,
    contact: str | None,
    group: str,
    stage: str,
    owner: str,
    stamp: str | None = None,
    ts: float | None = None,
    **extra: Any,
) -> dict:
    if stamp is None or ts is None:
        stamp, ts = now()
    row = {
        "title": title,
        "value": int(value),
        "currency": currency.lower(),
        "contact": contact,
        "account": None,
        "group": group,
        "stage": stage,
        "owner": owner,
        "status": 0,
        "description": "",
        "percent": "0",
        "cdate": stamp,
        "mdate": stamp,
        "_c": ts,
        "_u": ts,
        "fields": [],
        "hash": hashlib.md5(f"{title}{ts}".encode()).hexdigest()[:8],
    }
    row.update(extra)
    return row


def _links(req: Request, id_: str) -> dict[str, str]:
    return {k: f"{req.base_url}/api/3/deals/{id_}/{k}" for k in LINK_NAMES}


def counters(store: Store | None, row: dict) -> dict[str, Any]:
    """The task and activity counters of a deal (LIVE get-contact deals: nexttaskid null without a task,
    activitycount "2" after a create and an update). How ActiveCampaign counts activities is a guess: the
    creation, each update, each note and each task."""
    if store is None:
        return {"nextdate": None, "nexttaskid": None, "activitycount": str(row.get("_activity", 1))}
    tasks = [t for t in store["dealTasks"].where("relid", row["id"]) if t.get("reltype") == "Deal"]
    notes = [n for n in store["notes"].where("relid", row["id"]) if n.get("reltype") == "Deal"]
    open_ = sorted((t for t in tasks if int(t["status"]) == 0), key=lambda t: (t.get("_due", 0), int(t["id"])))
    return {
        "nextdate": open_[0]["duedate"] if open_ else None,
        "nexttaskid": open_[0]["id"] if open_ else None,
        "activitycount": str(row.get("_activity", 1) + len(tasks) + len(notes)),
    }


def render(req: Request, row: dict, store: Store | None = None) -> dict:
    """A deal as GET deals and GET deals/{id} return it: every number a string."""
    did = row["id"]
    count = counters(store, row)
    return {
        "hash": row["hash"],
        "owner": row["owner"],
        "contact": row["contact"],
        "organization": row["account"],
        "group": row["group"],
        "stage": row["stage"],
        "title": row["title"],
        "description": row["description"],
        "percent": row["percent"],
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "nextdate": count["nextdate"],
        "nexttaskid": count["nexttaskid"],
        "value": str(row["value"]),
        "currency": row["currency"],
        "winProbability": None,
        "winProbabilityMdate": None,
        "status": str(row["status"]),
        "activitycount": count["activitycount"],
        "nextdealid": did,
        "edate": None,
        "links": _links(req, did),
        "id": did,
        "isDisabled": False,
        "account": row["account"],
        "customerAccount": row["account"],
        "nextTask": None,
    }


def render_written(req: Request, row: dict) -> dict:
    """The deal object POST/PUT deals return: value and status as numbers (LIVE create-deal)."""
    did = row["id"]
    return {
        "title": row["title"],
        "value": row["value"],
        "currency": row["currency"],
        "contact": row["contact"],
        "owner": row["owner"],
        "group": row["group"],
        "stage": row["stage"],
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "description": row["description"],
        "organization": row["account"],
        "status": row["status"],
        "nextdate": None,
        "nextdealid": "0",
        "hash": row["hash"],
        "winProbability": None,
        "winProbabilityMdate": None,
        "links": _links(req, did),
        "fields": [{**f, "dealId": did} for f in row["fields"]],
        "customFieldSaveStatus": {"status": "success"},
        "id": did,
        "isDisabled": False,
        "account": row["account"],
        "customerAccount": row["account"],
    }


def _require(store: Store, id_: str) -> dict:
    return require(store["deals"].get(id_), "Deal", id_)


def _custom_fields(store: Store, items: Any) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise field_invalid("fields", "fields must be an array of {customFieldId, fieldValue} objects.")
    out = []
    for item in items:
        if not isinstance(item, dict) or item.get("customFieldId") in (None, "") or "fieldValue" not in item:
            raise field_missing("fields", "Each custom field needs customFieldId and fieldValue.")
        meta = store["dealCustomFieldMeta"].get(item["customFieldId"])
        if meta is None:
            raise ApiError(422, {"errors": [{"detail": f"No custom field with id `{item['customFieldId']}` exists."}]})
        value = item["fieldValue"]
        if meta["fieldType"] == "date":
            try:
                date.fromisoformat(str(value))
            except ValueError:
                raise ApiError(
                    422,
                    {
                        "errors": [
                            {
                                "detail": f"The custom field value `{value}` could not be saved to "
                                f"the custom field of type `date`."
                            }
                        ]
                    },
                ) from None
        entry = {"customFieldId": int(item["customFieldId"]), "fieldValue": value}
        if item.get("fieldCurrency"):
            entry["fieldCurrency"] = item["fieldCurrency"]
        out.append(entry)
    return out


def _placement(store: Store, data: dict, current: dict | None) -> tuple[dict, dict]:
    """Resolve (pipeline, stage) from group and/or stage; the stage must sit in the pipeline.

    Create (create-a-deal-new): a stage alone implies its pipeline, a pipeline alone its first stage.
    Update (update-a-deal-new): "Deal's stage or deal.stage should belong to deal.group" and "deal.stage
    should belong to Deal's pipeline or deal.group": nothing is picked, a mismatch is refused (422; the
    live error body is a guess)."""
    groups, stages = store["dealGroups"], store["dealStages"]
    group = stage = None
    if data.get("group") not in (None, ""):
        group = groups.get(data["group"])
        if group is None:
            raise related_missing("group", f"No pipeline with id {data['group']} exists.")
    if data.get("stage") not in (None, ""):
        stage = stages.get(data["stage"])
        if stage is None:
            raise related_missing("stage", f"No stage with id {data['stage']} exists.")
    if group is None and stage is None:
        if current is None:
            raise field_missing("group", "Either a pipeline (group) or a stage is required.")
        return groups.rows[int(current["group"])], stages.rows[int(current["stage"])]
    if group is not None and stage is not None:
        if stage["group"] != group["id"]:
            raise field_invalid("stage", "The stage does not belong to the given pipeline.")
        return group, stage
    if stage is not None:
        if current is not None and stage["group"] != current["group"]:
            raise field_invalid(
                "stage",
                "The stage does not belong to the deal's pipeline; give the pipeline (group) with it to move the deal there.",
            )
        return groups.rows[int(stage["group"])], stage
    assert group is not None
    if current is not None:
        if current["group"] != group["id"]:
            raise field_invalid(
                "stage", "The deal's stage does not belong to the given pipeline; give a stage of that pipeline with it."
            )
        return group, stages.rows[int(current["stage"])]
    first = _first_stage(store, group["id"])
    if first is None:
        raise field_invalid("group", "The pipeline has no stages.")
    return group, first


def _first_stage(store: Store, group_id: str) -> dict | None:
    stages = store["dealStages"].where("group", group_id)
    return min(stages, key=lambda s: (int(s["order"]), int(s["id"]))) if stages else None


def _validate(sb: Sandbox, data: dict, current: dict | None) -> dict:
    store = sb.store
    changes: dict[str, Any] = {}
    creating = current is None
    if creating or "title" in data:
        title = data.get("title")
        if title is None or not str(title).strip():
            raise field_missing("title", "The deal title was not provided.")
        changes["title"] = str(title)
    if creating or "value" in data:
        if data.get("value") in (None, ""):
            raise field_missing("value", "The deal value was not provided.")
        changes["value"] = int_field(data, "value", minimum=0)
    if creating or "currency" in data:
        currency = data.get("currency")
        if currency in (None, ""):
            raise field_missing("currency", "The deal currency was not provided.")
        if not CURRENCY_RE.match(str(currency)):
            raise field_invalid("currency", "The currency must be a 3-letter ISO code.")
        changes["currency"] = str(currency).lower()
    for key, table, label in (("contact", "contacts", "contact"), ("account", "accounts", "account")):
        if data.get(key) not in (None, ""):
            if store[table].get(data[key]) is None:
                raise related_missing(key, f"No {label} with id {data[key]} exists.")
            changes[key] = str(data[key])
    if creating and "contact" not in changes and "account" not in changes:
        raise field_missing("contact", "A deal needs a contact or an account.")
    group, stage = _placement(store, data, current)
    changes["group"], changes["stage"] = group["id"], stage["id"]
    owner = data.get("owner")
    if owner not in (None, ""):
        if store["users"].get(owner) is None:
            raise related_missing("owner", f"No user with id {owner} exists.")
        changes["owner"] = str(owner)
    elif creating:
        if group.get("autoassign") == "0":
            raise field_missing("owner", "The pipeline does not auto-assign deals: an owner is required.")
        changes["owner"] = sb.user_id
    if "status" in data:
        status = int_field(data, "status")
        if status not in (0, 1, 2):
            raise field_invalid("status", "The status must be 0 (open), 1 (won) or 2 (lost).")
        changes["status"] = status
    for key in ("description", "percent"):
        if data.get(key) is not None:
            changes[key] = str(data[key])
    if "fields" in data:
        changes["fields"] = _custom_fields(store, data.get("fields"))
    return changes


def _sideloads(req: Request, store: Store, row: dict) -> dict[str, Any]:
    from . import contacts, pipelines

    contact = store["contacts"].get(row["contact"]) if row.get("contact") else None
    return {
        "contacts": contacts.sideload(req, [contact]) if contact else [],
        "dealGroups": [pipelines.render_group(req, store, store["dealGroups"].rows[int(row["group"])])],
        "dealStages": [pipelines.render_stage(req, store["dealStages"].rows[int(row["stage"])])],
    }


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _validate(sb, req.wrapper("deal"), None)
    row = new_row(
        changes.pop("title"),
        changes.pop("value"),
        changes.pop("currency"),
        changes.pop("contact", None),
        changes.pop("group"),
        changes.pop("stage"),
        changes.pop("owner"),
    )
    row.update(changes)
    sb.store["deals"].insert(row)
    sb.emit("deal_add", deal=row)
    return 201, {**_sideloads(req, sb.store, row), "deal": render_written(req, row)}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"deal": render(req, _require(sb.store, req.params["id"]), sb.store)}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _require(sb.store, req.params["id"])
    changes = _validate(sb, req.wrapper("deal"), row)
    stamp, ts = now()
    changes.update(mdate=stamp, _u=ts, _activity=row.get("_activity", 1) + 1)
    updated = [k for k, v in changes.items() if not k.startswith("_") and row.get(k) != v]
    sb.store["deals"].update(row, changes)
    sb.emit("deal_update", deal=row, updated=updated)
    loads = _sideloads(req, sb.store, row)
    return 200, {"contacts": loads["contacts"], "deal": render_written(req, row), "dealStages": loads["dealStages"]}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _require(sb.store, req.params["id"])
    remove(sb.store, row)
    return 200, {}


def remove(store: Store, row: dict) -> None:
    store["deals"].delete(row["id"])
    for table in ("notes", "dealTasks"):
        t = store[table]
        for item in t.where("relid", row["id"]):
            if item.get("reltype") == "Deal":
                t.delete(item["id"])


def _contact_name(store: Store, row: dict) -> str:
    contact = store["contacts"].get(row["contact"]) if row.get("contact") else None
    return f"{contact.get('firstName', '')} {contact.get('lastName', '')}".strip().lower() if contact else ""


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    rows = list(store["deals"])
    for key in ("stage", "group", "owner", "status"):
        wanted = flt(req, key)
        if wanted not in (None, ""):
            rows = [r for r in rows if str(r.get(key)) == wanted]
    for key in ("organization", "account"):
        wanted = flt(req, key)
        if wanted not in (None, ""):
            rows = [r for r in rows if str(r.get("account")) == wanted]
    title = flt(req, "title")
    if title:
        rows = [r for r in rows if contains(r["title"], title)]
    search = flt(req, "search")
    if search:
        field = (flt(req, "search_field") or "all").lower()
        rows = [r for r in rows if _search_hit(store, r, search, field)]
    tag = flt(req, "tag")
    if tag:
        tagged = {t["contact"] for t in store["contactTags"].where("tag", tag)}
        rows = [r for r in rows if r.get("contact") in tagged]
    for key, cmp in (("minimum_value", lambda v, b: v >= b), ("maximum_value", lambda v, b: v <= b)):
        raw = flt(req, key)
        if raw not in (None, ""):
            try:
                bound = float(raw) * 100
            except ValueError:
                continue
            rows = [r for r in rows if cmp(r["value"], bound)]
    rows = date_window(req, rows)
    rows = order(
        rows,
        req,
        {
            "id": lambda r: int(r["id"]),
            "title": lambda r: r["title"].lower(),
            "value": lambda r: r["value"],
            "cdate": lambda r: r["_c"],
            "mdate": lambda r: r["_u"],
            "contact_name": lambda r: _contact_name(store, r),
            "contact_orgname": lambda r: min((n.lower() for n in _org_names(store, r)), default=""),
            "next-action": lambda r: int(r["id"]),
        },
    )
    chosen, total = paginate(rows, req)
    currencies: dict[str, dict] = {}
    for r in rows:
        code = r["currency"].upper()
        entry = currencies.setdefault(code, {"currency": code, "total": 0, "value": 0})
        entry["total"] += 1
        entry["value"] += r["value"]
    meta = {
        "currencies": {k: {"currency": k, "total": str(v["total"]), "value": str(v["value"])} for k, v in currencies.items()},
        "total": total,
    }
    return 200, {"deals": [render(req, r, store) for r in chosen], "meta": meta}


def _org_names(store: Store, row: dict) -> list[str]:
    """The primary contact's organisation: its account (accountContacts), or the legacy orgname."""
    if not row.get("contact"):
        return []
    names = [
        a["name"]
        for link in store["accountContacts"].where("contact", row["contact"])
        if (a := store["accounts"].get(link["account"])) is not None
    ]
    contact = store["contacts"].get(row["contact"])
    if contact and contact.get("orgname"):
        names.append(contact["orgname"])
    return names


def _contact_hit(store: Store, row: dict, needle: str) -> bool:
    """search_field=contact: with several words the first matches the first name and the rest the
    last name; a single word matches either."""
    contact = store["contacts"].get(row["contact"]) if row.get("contact") else None
    if contact is None:
        return False
    first, _, rest = needle.strip().partition(" ")
    if rest.strip():
        return contains(contact.get("firstName"), first) and contains(contact.get("lastName"), rest.strip())
    return contains(contact.get("firstName"), first) or contains(contact.get("lastName"), first)


def _search_hit(store: Store, row: dict, needle: str, field: str) -> bool:
    """filters[search] in filters[search_field]: all (the default: title, contact and org), title,
    contact, org, as the deal reference page lists them."""
    if field in ("title", "all") and contains(row["title"], needle):
        return True
    if field in ("contact", "all") and _contact_hit(store, row, needle):
        return True
    return field in ("org", "all") and any(contains(name, needle) for name in _org_names(store, row))


# -- deal notes -----------------------------------------------------------------------------
def create_note(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import notes

    deal = _require(sb.store, req.params["id"])
    data = req.wrapper("note")
    text = data.get("note")
    if text is None or not str(text).strip():
        raise field_missing("note", "The note field was not provided.")
    stamp = now()[0]
    row = sb.store["notes"].insert(
        {"note": str(text), "relid": deal["id"], "reltype": "Deal", "userid": sb.user_id, "cdate": stamp, "mdate": stamp}
    )
    sb.emit("deal_note_add", deal=deal, note=row)
    return 201, {"deals": [render(req, deal)], "note": notes.render(req, row)}


def update_note(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import notes

    deal = _require(sb.store, req.params["id"])
    row = sb.store["notes"].get(req.params["noteId"])
    if row is None or row.get("reltype") != "Deal" or row.get("relid") != deal["id"]:
        raise not_found("Note", req.params["noteId"])
    data = req.wrapper("note")
    text = data.get("note")
    if text is None or not str(text).strip():
        raise field_missing("note", "The note field was not provided.")
    sb.store["notes"].update(row, {"note": str(text), "mdate": now()[0]})
    return 200, {"deals": [render(req, deal)], "note": notes.render(req, row)}


def list_notes(sb: Sandbox, req: Request) -> tuple[int, Any]:
    """GET deals/{id}/notes ("Retrieve a deal's notes", developers.activecampaign.com/reference/retrieve-deal-notes):
    every note at once, limit/offset/filters/orders ignored, no order guaranteed (newest id first here, so a
    client relying on an order shows it), 404 for a missing deal."""
    from . import notes

    deal = _require(sb.store, req.params["id"])
    held = [r for r in sb.store["notes"].where("relid", deal["id"]) if r.get("reltype") == "Deal"]
    return 200, {"notes": [notes.render(req, r) for r in sorted(held, key=lambda r: -int(r["id"]))]}


# -- deal custom field meta -----------------------------------------------------------------
def render_field_meta(req: Request, row: dict) -> dict:
    """One dealCustomFieldMeta as GET dealCustomFieldMeta lists it (SPEC retrieve-all-custom-deal-field-meta)."""
    return {
        "id": row["id"],
        "fieldLabel": row["fieldLabel"],
        "fieldType": row["fieldType"],
        "fieldOptions": row.get("fieldOptions"),
        "fieldDefault": row.get("fieldDefault"),
        "fieldDefaultCurrency": row.get("fieldDefaultCurrency"),
        "isFormVisible": row.get("isFormVisible", 0),
        "isRequired": row.get("isRequired", 0),
        "displayOrder": row.get("displayOrder", int(row["id"])),
        "personalization": row.get("personalization", ""),
        "knownFieldId": None,
        "hideFieldFlag": 0,
        "createdTimestamp": row.get("createdTimestamp", "2024-01-15 10:00:00"),
        "updatedTimestamp": row.get("updatedTimestamp", "2024-01-15 10:00:00"),
        "links": {"dealCustomFieldData": f"{req.base_url}/api/3/dealCustomFieldMeta/{row['id']}/dealCustomFieldData"},
    }


def list_field_meta(sb: Sandbox, req: Request) -> tuple[int, Any]:
    """The documented answer has no meta; limit and offset page as everywhere else."""
    chosen, _ = paginate(list(sb.store["dealCustomFieldMeta"]), req)
    return 200, {"dealCustomFieldMeta": [render_field_meta(req, r) for r in chosen]}


def register(router: Router) -> None:
    router.add("POST", "/deals", create)
    router.add("GET", "/deals", list_)
    router.add("GET", "/deals/{id}", get)
    router.add("PUT", "/deals/{id}", update)
    router.add("DELETE", "/deals/{id}", delete)
    router.add("POST", "/deals/{id}/notes", create_note)
    router.add("PUT", "/deals/{id}/notes/{noteId}", update_note)
    router.add("GET", "/deals/{id}/notes", list_notes)
    router.add("GET", "/dealCustomFieldMeta", list_field_meta)
