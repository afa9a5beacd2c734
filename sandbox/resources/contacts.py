"""Contacts: create, sync (upsert by e-mail), get with sideloads, update, delete with cascade,
list with the documented filters and keyset paging, and the per-contact sub-collections.

Deleting a contact removes its list memberships, automations, field values, tags, account
links, notes and contact tasks; its deals stay, with `contact` cleared (api-map §3.5 says
nothing about deals; keeping money records is the conservative reading).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from ..clock import utc_plain
from ..errors import duplicate, field_invalid, field_missing, not_found
from ..router import Router
from ..store import Store, as_id
from ..wire import ApiError, Request, dumps
from .common import contains, date_window, flt, now, order, page, valid_email

if TYPE_CHECKING:
    from ..account import Sandbox

LINK_NAMES = (
    "bounceLogs",
    "contactAutomations",
    "contactData",
    "contactGoals",
    "contactLists",
    "contactLogs",
    "contactTags",
    "contactDeals",
    "deals",
    "fieldValues",
    "geoIps",
    "notes",
    "organization",
    "plusAppend",
    "trackingLogs",
    "scoreValues",
    "accountContacts",
    "automationEntryCounts",
)


# -- rows and rendering ---------------------------------------------------------------------
def new_row(
    email: str, first: str = "", last: str = "", phone: str = "", ts: float | None = None, stamp: str | None = None
) -> dict:
    if stamp is None or ts is None:
        stamp, ts = now()
    return {
        "email": email,
        "firstName": first,
        "lastName": last,
        "phone": phone,
        "cdate": stamp,
        "udate": stamp,
        "_c": ts,
        "_u": ts,
        "hash": hashlib.md5(email.lower().encode()).hexdigest(),
    }


def add(store: Store, row: dict) -> dict:
    store["contacts"].insert(row)
    if row.get("email"):
        store.email_index[row["email"].lower()] = int(row["id"])
    return row


def by_email(store: Store, email: str) -> dict | None:
    key = store.email_index.get(email.strip().lower())
    return None if key is None else store["contacts"].rows.get(key)


def _times(row: dict) -> tuple[str, str, str, str]:
    """(created utc, updated utc, created local, updated local) plain stamps, cached on the row."""
    key = (row["_c"], row["_u"])
    cached = row.get("_t")
    if cached is None or cached[0] != key:
        created_utc = utc_plain(row["_c"])
        updated_utc = created_utc if row["_u"] == row["_c"] else utc_plain(row["_u"])
        cdate, udate = row["cdate"], row["udate"]
        cached = (key, (created_utc, updated_utc, f"{cdate[:10]} {cdate[11:19]}", f"{udate[:10]} {udate[11:19]}"))
        row["_t"] = cached
    return cached[1]


def render(req: Request, row: dict) -> dict:
    """The full contact object as GET contacts and GET contacts/{id} return it."""
    cid = row["id"]
    email = row.get("email") or ""
    link = f"{req.base_url}/api/3/contacts/{cid}/"
    created_utc, updated_utc, created_local, updated_local = _times(row)
    out = {
        "cdate": row["cdate"],
        "email": email,
        "phone": row.get("phone", ""),
        "firstName": row.get("firstName", ""),
        "lastName": row.get("lastName", ""),
        "orgid": "0",
        "orgname": "",
        "segmentio_id": "",
        "bounced_hard": "0",
        "bounced_soft": "0",
        "bounced_date": None,
        "ip": "0",
        "ua": None,
        "hash": row.get("hash", ""),
        "socialdata_lastcheck": None,
        "email_local": "",
        "email_domain": email.rpartition("@")[2],
        "sentcnt": "0",
        "rating_tstamp": None,
        "gravatar": "0",
        "deleted": "0",
        "anonymized": "0",
        "adate": None,
        "udate": row["udate"],
        "edate": None,
        "deleted_at": None,
        "created_utc_timestamp": created_utc,
        "updated_utc_timestamp": updated_utc,
        "created_timestamp": created_local,
        "updated_timestamp": updated_local,
        "created_by": None,
        "updated_by": None,
        "mpp_tracking": "0",
        **NEWER_FIELDS,
        "scoreValues": [],
        "links": {name: link + name + LINK_SUFFIX.get(name, "") for name in LINK_NAMES},
        "id": cid,
        "organization": None,
    }
    return out


LINK_SUFFIX = {"contactAutomations": "?limit=2500&orders%5Blastdate%5D=DESC"}
# Fields the live API returns after mpp_tracking (LIVE get-contact, NangoHQ/integration-templates
# integrations/active-campaign/tests/get-contact.test.json, recorded 2026-05-28); the API cannot set them.
NEWER_FIELDS: dict[str, Any] = {
    "last_click_date": None,
    "last_open_date": None,
    "last_mpp_open_date": None,
    "best_send_hour": "0",
    "sms_consent": "0",
    "sms_consent_updated_at": "0000-00-00 00:00:00",
    "whatsapp_id": None,
    "whatsapp_username": None,
}
_NEWER_JSON = dumps(NEWER_FIELDS).decode()[1:-1]
_LINK_TEMPLATES: dict[str, list[str]] = {}
_quote = encode_basestring


def _links_json(base: str, cid: str) -> str:
    pieces = _LINK_TEMPLATES.get(base)
    if pieces is None:
        safe = _quote(base)[1:-1]
        pieces = _LINK_TEMPLATES[base] = ",".join(
            f'"{name}":"{safe}/api/3/contacts/\ue000/{name}{LINK_SUFFIX.get(name, "")}"' for name in LINK_NAMES
        ).split("\ue000")
    return cid.join(pieces)


def render_json(req: Request, row: dict) -> bytes:
    """Exactly dumps(render(req, row)), built from a template (the list endpoint's hot path: a
    benchmark pages 100k contacts) and cached on the row; the store drops the cache on update."""
    cached = row.get("_json")
    if cached is not None and cached[0] == req.base_url:
        return cached[1]
    created_utc, updated_utc, created_local, updated_local = _times(row)
    email = row.get("email") or ""
    cid = row["id"]
    text = (
        f'{{"cdate":{_quote(row["cdate"])},"email":{_quote(email)},"phone":{_quote(row.get("phone", ""))},'
        f'"firstName":{_quote(row.get("firstName", ""))},"lastName":{_quote(row.get("lastName", ""))},'
        f'"orgid":"0","orgname":"","segmentio_id":"","bounced_hard":"0","bounced_soft":"0","bounced_date":null,'
        f'"ip":"0","ua":null,"hash":{_quote(row.get("hash", ""))},"socialdata_lastcheck":null,"email_local":"",'
        f'"email_domain":{_quote(email.rpartition("@")[2])},"sentcnt":"0","rating_tstamp":null,"gravatar":"0",'
        f'"deleted":"0","anonymized":"0","adate":null,"udate":{_quote(row["udate"])},"edate":null,'
        f'"deleted_at":null,"created_utc_timestamp":"{created_utc}","updated_utc_timestamp":"{updated_utc}",'
        f'"created_timestamp":"{created_local}","updated_timestamp":"{updated_local}","created_by":null,'
        f'"updated_by":null,"mpp_tracking":"0",{_NEWER_JSON},"scoreValues":[],'
        f'"links":{{{_links_json(req.base_url, cid)}}},'
        f'"id":"{cid}","organization":null}}'
    )
    data = text.encode()
    row["_json"] = (req.base_url, data)
    return data


def render_created(req: Request, row: dict) -> dict:
    """The shorter object POST/PUT contacts and contact/sync return (LIVE create-contact)."""
    full = render(req, row)
    keys = (
        "email",
        "firstName",
        "lastName",
        "cdate",
        "udate",
        "phone",
        "orgid",
        "orgname",
        "hash",
        "links",
        "id",
        "organization",
    )
    return {k: full[k] for k in keys}


def sideload(req: Request, rows: list[dict]) -> list[dict]:
    """`contacts: [...]` as other resources sideload them (no links/scoreValues)."""
    out = []
    for row in rows:
        full = render(req, row)
        full.pop("scoreValues")
        out.append(full)
    return out


def require(store: Store, id_: Any, entity: str = "Subscriber") -> dict:
    row = store["contacts"].get(id_)
    if row is None:
        raise not_found(entity, id_)
    return row


# -- writes ---------------------------------------------------------------------------------
def _phone_only(sb: Sandbox, data: dict) -> bool:
    """create-a-new-contact: no email is allowed with allowNullEmail and a phone, on accounts that opted in."""
    return bool(sb.phone_only_contacts and data.get("allowNullEmail") is True and data.get("phone"))


def _check_email(store: Store, data: dict, current: dict | None, required: bool, phone_only: bool = False) -> str | None:
    email = data.get("email")
    if email is None or (isinstance(email, str) and not email.strip()):
        if required and not phone_only:
            raise field_missing("email", "Email address is required.")
        return None
    if not valid_email(email):
        raise field_invalid("email", "Email address is not valid.")
    email = email.strip()
    other = by_email(store, email)
    if other is not None and other is not current:
        raise duplicate("email", "Email address already exists in the system")
    return email


def _apply(store: Store, row: dict, data: dict, email: str | None) -> None:
    changes: dict[str, Any] = {}
    for key in ("firstName", "lastName", "phone"):
        if key in data and data[key] is not None:
            changes[key] = str(data[key])
    if email is not None and email != row.get("email"):
        old = row.get("email")
        if old:
            store.email_index.pop(old.lower(), None)
        store.email_index[email.lower()] = int(row["id"])
        changes["email"] = email
        changes["hash"] = hashlib.md5(email.lower().encode()).hexdigest()
    stamp, ts = now()
    changes["udate"], changes["_u"] = stamp, ts
    store["contacts"].update(row, changes)


def _field_values(sb: Sandbox, req: Request, row: dict, data: dict) -> list[dict] | None:
    items = data.get("fieldValues")
    if items is None:
        return None
    if not isinstance(items, list):
        raise field_invalid("fieldValues", "fieldValues must be an array of {field, value} objects.")
    from . import fields

    rows = [fields.set_value(sb.store, row, item, index) for index, item in enumerate(items)]
    return [fields.render_value(req, fv) for fv in rows]


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("contact")
    email = _check_email(sb.store, data, None, required=True, phone_only=_phone_only(sb, data))
    row = add(
        sb.store,
        new_row(email or "", str(data.get("firstName") or ""), str(data.get("lastName") or ""), str(data.get("phone") or "")),
    )
    values = _field_values(sb, req, row, data)
    sb.emit("subscribe", contact=row)
    body: dict[str, Any] = {"contact": render_created(req, row)}
    if values:
        body = {"fieldValues": values, **body}
    return 201, body


def sync(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("contact")
    email = data.get("email")
    if email is None or (isinstance(email, str) and not email.strip()):
        if not _phone_only(sb, data):
            raise field_missing("email", "Email address is required.")
        # A phone-only contact: matched on its phone among contacts without an email (a guess, see README).
        email = ""
        row = next((r for r in sb.store["contacts"] if not r.get("email") and r.get("phone") == str(data["phone"])), None)
    elif not valid_email(email):
        raise field_invalid("email", "Email address is not valid.")
    else:
        row = by_email(sb.store, email)
    status = 200
    if row is None:
        status = 201
        row = add(
            sb.store,
            new_row(
                email.strip(), str(data.get("firstName") or ""), str(data.get("lastName") or ""), str(data.get("phone") or "")
            ),
        )
    else:
        _apply(sb.store, row, data, None)
    values = _field_values(sb, req, row, data)
    sb.emit("subscribe" if status == 201 else "update", contact=row)
    contact = render_created(req, row)
    contact["email_empty"] = not row.get("email")
    contact["fieldValues"] = [v["id"] for v in values or []]
    body: dict[str, Any] = {"contact": contact}
    if values:
        body = {"fieldValues": values, **body}
    return status, body


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import accounts, automations, deals, fields, lists

    store = sb.store
    row = require(store, req.params["id"])
    cid = row["id"]
    contact = render(req, row)
    contact.pop("scoreValues")
    c_autos = store["contactAutomations"].where("contact", cid)
    c_lists = store["contactLists"].where("contact", cid)
    c_deals = store["deals"].where("contact", cid)
    c_values = store["fieldValues"].where("contact", cid)
    c_accounts = store["accountContacts"].where("contact", cid)
    for name, rows in (
        ("contactAutomations", c_autos),
        ("contactLists", c_lists),
        ("fieldValues", c_values),
        ("geoIps", []),
        ("deals", c_deals),
        ("accountContacts", c_accounts),
    ):
        contact[name] = [r["id"] for r in rows]
    links_ = contact.pop("links")
    contact["links"] = links_
    contact["id"] = contact.pop("id")
    contact["organization"] = contact.pop("organization")
    return 200, {
        "contactAutomations": [automations.render_contact_automation(req, r) for r in c_autos],
        "contactLists": [lists.render_membership(req, r) for r in c_lists],
        "deals": [deals.render(req, r, store) for r in c_deals],
        "fieldValues": [fields.render_value(req, r) for r in c_values],
        "geoAddresses": [],
        "geoIps": [],
        "accountContacts": [accounts.render_link(req, r) for r in c_accounts],
        "contact": contact,
    }


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = require(sb.store, req.params["id"])
    data = req.wrapper("contact")
    email = _check_email(sb.store, data, row, required=False)
    _apply(sb.store, row, data, email)
    values = _field_values(sb, req, row, data)
    sb.emit("update", contact=row)
    full = render(req, row)
    full.pop("scoreValues")
    body: dict[str, Any] = {"contact": full}
    if values:
        body = {"fieldValues": values, **body}
    return 200, body


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = store["contacts"].get(req.params["id"])
    if row is None:
        raise ApiError(404, {"message": f"No result found for contact with id {req.params['id']}"})
    remove(store, row)
    return 200, {}


def remove(store: Store, row: dict) -> None:
    """Delete a contact and everything that only exists through it."""
    cid = row["id"]
    store["contacts"].delete(cid)
    if row.get("email"):
        store.email_index.pop(row["email"].lower(), None)
    for table in ("contactLists", "contactAutomations", "fieldValues", "contactTags", "accountContacts"):
        t = store[table]
        for link in t.where("contact", cid):
            t.delete(link["id"])
    for table in ("notes", "dealTasks"):
        t = store[table]
        for item in t.where("relid", cid):
            if item.get("reltype") == "Subscriber":
                t.delete(item["id"])
    deals = store["deals"]
    for deal in deals.where("contact", cid):
        deals.update(deal, {"contact": None})


# -- list -----------------------------------------------------------------------------------
ORDER_KEYS = {
    "id": lambda r: int(r["id"]),
    "cdate": lambda r: r["_c"],
    "email": lambda r: (r.get("email") or "").lower(),
    "first_name": lambda r: (r.get("firstName") or "").lower(),
    "last_name": lambda r: (r.get("lastName") or "").lower(),
    "name": lambda r: f"{r.get('firstName') or ''} {r.get('lastName') or ''}".lower(),
    "score": lambda r: 0,
}
FILTER_PARAMS = (
    "email",
    "email_like",
    "search",
    "listid",
    "tagid",
    "seriesid",
    "ids",
    "ids[]",
    "exclude",
    "phone",
    "status",
    "filters[created_before]",
    "filters[created_after]",
    "filters[updated_before]",
    "filters[updated_after]",
)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    table = store["contacts"]
    limit, offset = page(req)
    greater = _int_or_none(req.q("id_greater"))
    less = _int_or_none(req.q("id_less"))
    orders = [k for k in req.query if k.startswith("orders[")]
    descending = req.q("orders[id]", "").upper() == "DESC"
    simple = not any(p in req.query for p in FILTER_PARAMS) and all(k == "orders[id]" for k in orders)

    if simple:
        # O(page) keyset path: ids are kept sorted, so id_greater/id_less is a bisect.
        ids = table.ids
        lo = bisect_right(ids, greater) if greater is not None else 0
        hi = bisect_left(ids, less) if less is not None else len(ids)
        total = max(0, hi - lo)
        if descending:
            start, stop = max(lo, hi - offset - limit), max(lo, hi - offset)
            chosen = list(reversed(ids[start:stop]))
        else:
            chosen = ids[lo + offset : min(hi, lo + offset + limit)]
        rows = [table.rows[i] for i in chosen]
    else:
        matched = _filtered(store, req, greater, less)
        matched = order(matched, req, ORDER_KEYS)
        total = len(matched)
        rows = matched[offset : offset + limit]

    meta = {
        "total": str(total),
        "page_input": {
            "segmentid": 0,
            "formid": 0,
            "listid": _int_or_none(req.q("listid")) or 0,
            "tagid": _int_or_none(req.q("tagid")) or 0,
            "limit": limit,
            "offset": offset,
            "search": req.q("search"),
            "sort": None,
            "seriesid": _int_or_none(req.q("seriesid")) or 0,
            "waitid": 0,
            "status": _int_or_none(req.q("status")) if req.q("status") else -1,
            "forceQuery": 0,
            "cacheid": "",
        },
        "sortable": True,
    }
    body = b'{"scoreValues":[],"contacts":[' + b",".join(render_json(req, r) for r in rows) + b'],"meta":' + dumps(meta) + b"}"
    return 200, body


def _filtered(store: Store, req: Request, greater: int | None, less: int | None) -> list[dict]:
    table = store["contacts"]
    email = req.q("email")
    if email is not None:
        row = by_email(store, email)
        rows = [row] if row else []
    else:
        rows = [table.rows[i] for i in (table.ids_after(greater) if greater is not None else table.ids)]
    if less is not None:
        rows = [r for r in rows if int(r["id"]) < less]
    ids = [v for key in ("ids", "ids[]") for raw in req.query.get(key, []) for v in raw.split(",") if v.strip()]
    if ids:
        wanted = {as_id(v.strip()) for v in ids}
        rows = [r for r in rows if int(r["id"]) in wanted]
    exclude = _int_or_none(req.q("exclude"))
    if exclude is not None:
        rows = [r for r in rows if int(r["id"]) != exclude]
    like = req.q("email_like")
    if like:
        rows = [r for r in rows if contains(r.get("email"), like)]
    search = req.q("search")
    if search:
        rows = [
            r
            for r in rows
            if any(
                contains(v, search)
                for v in (
                    r.get("email"),
                    r.get("firstName"),
                    r.get("lastName"),
                    r.get("phone"),
                    f"{r.get('firstName', '')} {r.get('lastName', '')}",
                )
            )
        ]
    phone = req.q("phone")
    if phone:
        rows = [r for r in rows if (r.get("phone") or "").startswith(phone)]
    status = _int_or_none(req.q("status"))
    listid = req.q("listid")
    if listid or (status is not None and status != -1):
        memberships = store["contactLists"].where("list", listid) if listid else list(store["contactLists"])
        if status is not None and status != -1:
            memberships = [m for m in memberships if str(m.get("status")) == str(status)]
        members = {m["contact"] for m in memberships}
        rows = [r for r in rows if r["id"] in members]
    tagid = req.q("tagid")
    if tagid:
        tagged = {t["contact"] for t in store["contactTags"].where("tag", tagid)}
        rows = [r for r in rows if r["id"] in tagged]
    seriesid = req.q("seriesid")
    if seriesid:
        running = {a["contact"] for a in store["contactAutomations"] if a.get("automation") == str(seriesid)}
        rows = [r for r in rows if r["id"] in running]
    return date_window(req, rows)


# -- sub-collections ------------------------------------------------------------------------
def sub_field_values(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import fields

    row = require(sb.store, req.params["id"])
    return 200, {"fieldValues": [fields.render_value(req, r) for r in sb.store["fieldValues"].where("contact", row["id"])]}


def sub_contact_lists(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import lists

    row = require(sb.store, req.params["id"])
    return 200, {
        "contactLists": [lists.render_membership(req, r) for r in sb.store["contactLists"].where("contact", row["id"])]
    }


def sub_contact_automations(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import automations

    row = require(sb.store, req.params["id"])
    return 200, {
        "contactAutomations": [
            automations.render_contact_automation(req, r, numbers=True)
            for r in sb.store["contactAutomations"].where("contact", row["id"])
        ]
    }


def sub_contact_tags(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import tags

    row = require(sb.store, req.params["id"])
    return 200, {"contactTags": [tags.render_link(req, r) for r in sb.store["contactTags"].where("contact", row["id"])]}


def sub_notes(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import notes

    row = require(sb.store, req.params["id"])
    return 200, {
        "notes": [notes.render(req, r) for r in sb.store["notes"].where("relid", row["id"]) if r.get("reltype") == "Subscriber"]
    }


def sub_deals(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import deals

    row = require(sb.store, req.params["id"])
    return 200, {"deals": [deals.render(req, r, sb.store) for r in sb.store["deals"].where("contact", row["id"])]}


def sub_account_contacts(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import accounts

    row = require(sb.store, req.params["id"])
    return 200, {
        "accountContacts": [accounts.render_link(req, r) for r in sb.store["accountContacts"].where("contact", row["id"])]
    }


def register(router: Router) -> None:
    router.add("POST", "/contacts", create)
    router.add("GET", "/contacts", list_)
    router.add("POST", "/contact/sync", sync)
    router.add("GET", "/contacts/{id}", get)
    router.add("PUT", "/contacts/{id}", update)
    router.add("DELETE", "/contacts/{id}", delete)
    router.add("GET", "/contacts/{id}/fieldValues", sub_field_values)
    router.add("GET", "/contacts/{id}/contactLists", sub_contact_lists)
    router.add("GET", "/contacts/{id}/contactAutomations", sub_contact_automations)
    router.add("GET", "/contacts/{id}/contactTags", sub_contact_tags)
    router.add("GET", "/contacts/{id}/notes", sub_notes)
    router.add("GET", "/contacts/{id}/deals", sub_deals)
    router.add("GET", "/contacts/{id}/accountContacts", sub_account_contacts)


__all__ = ["register", "render", "sideload", "require", "remove", "by_email", "add", "new_row", "flt"]
