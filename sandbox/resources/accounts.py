"""Accounts (companies) and account-contact links (accountContacts).

A contact can belong to one account only (422 "We currently do not support contacts on multiple
accounts"). Deleting an account removes its contact links and clears `account` on its deals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import duplicate, field_invalid, field_missing, related_missing
from ..router import Router
from ..wire import Request
from .common import contains, flt, now, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox


def render(req: Request, row: dict, counts: tuple[int, int] | None = None) -> dict:
    out: dict[str, Any] = {
        "name": row["name"],
        "accountUrl": row["accountUrl"],
        "createdTimestamp": row["created"],
        "updatedTimestamp": row["updated"],
    }
    if counts is not None:
        out["contactCount"], out["dealCount"] = str(counts[0]), str(counts[1])
    out["owner"] = row["owner"]
    out["links"] = {
        k: f"{req.base_url}/api/3/accounts/{row['id']}/{k}"
        for k in ("notes", "accountCustomFieldData", "accountContacts", "emailActivities", "contactEmails", "owner")
    }
    out["fields"] = [{**f, "accountId": row["id"]} for f in row.get("fields", [])]
    out["id"] = row["id"]
    return out


def render_written(req: Request, row: dict) -> dict:
    """POST/PUT accounts (LIVE create-account): adds customFieldSaveStatus."""
    out = render(req, row)
    out["customFieldSaveStatus"] = {"status": "success"}
    out["id"] = out.pop("id")
    return out


def render_link(req: Request, row: dict) -> dict:
    return {
        "account": row["account"],
        "contact": row["contact"],
        "jobTitle": row["jobTitle"],
        "createdTimestamp": row["created"],
        "updatedTimestamp": row["updated"],
        "links": {k: f"{req.base_url}/api/3/accountContacts/{row['id']}/{k}" for k in ("account", "contact")},
        "id": row["id"],
    }


def _fields(sb: Sandbox, data: dict, current: dict | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if current is None or "name" in data:
        name = data.get("name")
        if name is None or not str(name).strip():
            raise field_missing("name", "The account name was not provided.")
        if any(a["name"].lower() == str(name).lower() and a is not current for a in sb.store["accounts"]):
            raise duplicate("name", f'An account named "{name}" already exists. Please choose a new name.')
        changes["name"] = str(name)
    if "accountUrl" in data:
        changes["accountUrl"] = data["accountUrl"]
    if data.get("owner") not in (None, ""):
        if sb.store["users"].get(data["owner"]) is None:
            raise related_missing("owner", f"No user with id {data['owner']} exists.")
        changes["owner"] = str(data["owner"])
    if "fields" in data:
        items = data["fields"]
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and "customFieldId" in i and "fieldValue" in i for i in items
        ):
            raise field_invalid("fields", "fields must be an array of {customFieldId, fieldValue} objects.")
        changes["fields"] = [{k: i[k] for k in ("customFieldId", "fieldValue", "fieldCurrency") if k in i} for i in items]
    return changes


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _fields(sb, req.wrapper("account"), None)
    stamp = now()[0]
    row = sb.store["accounts"].insert(
        {"accountUrl": None, "created": stamp, "updated": stamp, "fields": [], "owner": sb.user_id, **changes}
    )
    return 201, {"account": render_written(req, row)}


def _account(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["accounts"].get(id_), "Account", id_)


def _counts(sb: Sandbox, row: dict) -> tuple[int, int]:
    return (
        len(sb.store["accountContacts"].where("account", row["id"])),
        sum(1 for d in sb.store["deals"] if d.get("account") == row["id"]),
    )


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["accounts"])
    search = req.q("search")
    if search:
        rows = [r for r in rows if contains(r["name"], search)]
    chosen, total = paginate(rows, req)
    with_counts = req.q("count_deals") in ("true", "1")
    return 200, {
        "accounts": [render(req, r, _counts(sb, r) if with_counts else (0, 0)) for r in chosen],
        "meta": {"total": str(total)},
    }


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"account": render(req, _account(sb, req.params["id"]))}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _account(sb, req.params["id"])
    changes = _fields(sb, req.wrapper("account"), row)
    changes["updated"] = now()[0]
    sb.store["accounts"].update(row, changes)
    return 200, {"account": render_written(req, row)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = _account(sb, req.params["id"])
    store["accounts"].delete(row["id"])
    for link in store["accountContacts"].where("account", row["id"]):
        store["accountContacts"].delete(link["id"])
    for deal in [d for d in store["deals"] if d.get("account") == row["id"]]:
        store["deals"].update(deal, {"account": None})
    return 200, {}


def link(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    data = req.wrapper("accountContact")
    for key in ("account", "contact"):
        if data.get(key) in (None, ""):
            raise field_missing(key, f"The {key} attribute was not provided")
    if store["accounts"].get(data["account"]) is None:
        raise related_missing("account", f"No account with id {data['account']} exists.")
    if store["contacts"].get(data["contact"]) is None:
        raise related_missing("contact", f"No contact with id {data['contact']} exists.")
    if store["accountContacts"].where("contact", str(data["contact"])):
        raise field_invalid(
            "account,contact",
            "This contact is already associated with an account. We currently do not support contacts on multiple accounts.",
        )
    stamp = now()[0]
    row = store["accountContacts"].insert(
        {
            "account": str(data["account"]),
            "contact": str(data["contact"]),
            "jobTitle": str(data.get("jobTitle") or ""),
            "created": stamp,
            "updated": stamp,
        }
    )
    out = render_link(req, row)
    out["account"], out["contact"] = int(row["account"]), int(row["contact"])
    return 201, {"accountContact": out}


def list_links(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["accountContacts"])
    for key in ("contact", "account"):
        wanted = flt(req, key)
        if wanted not in (None, ""):
            rows = [r for r in rows if r[key] == wanted]
    chosen, total = paginate(rows, req)
    return 200, {"accountContacts": [render_link(req, r) for r in chosen], "meta": {"total": str(total)}}


def _link(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["accountContacts"].get(id_), "CustomerAccountContact", id_)


def get_link(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"accountContact": render_link(req, _link(sb, req.params["id"]))}


def unlink(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _link(sb, req.params["id"])
    sb.store["accountContacts"].delete(row["id"])
    return 200, {}


def register(router: Router) -> None:
    router.add("POST", "/accounts", create)
    router.add("GET", "/accounts", list_)
    router.add("GET", "/accounts/{id}", get)
    router.add("PUT", "/accounts/{id}", update)
    router.add("DELETE", "/accounts/{id}", delete)
    router.add("POST", "/accountContacts", link)
    router.add("GET", "/accountContacts", list_links)
    router.add("GET", "/accountContacts/{id}", get_link)
    router.add("DELETE", "/accountContacts/{id}", unlink)
