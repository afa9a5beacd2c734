"""E-mail messages: create, get, list, update, delete.

The SPEC schema names the sender field `email`, but its example, the update schema, every
response and real clients use `fromemail` (api-map §6.3): both are accepted, `fromemail` is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import field_invalid, field_missing
from ..router import Router
from ..wire import Request
from .common import contains, flt, now, paginate, require, valid_email

if TYPE_CHECKING:
    from ..account import Sandbox

TEXT_FIELDS = ("fromname", "reply2", "subject", "preheader_text", "name", "text", "html")


def render(req: Request, row: dict) -> dict:
    return {
        "userid": row["userid"],
        "ed_instanceid": "0",
        "ed_version": "1",
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "name": row.get("name", ""),
        "fromname": row["fromname"],
        "fromemail": row["fromemail"],
        "reply2": row["reply2"],
        "priority": "3",
        "charset": "utf-8",
        "encoding": "quoted-printable",
        "format": "mime",
        "subject": row.get("subject", ""),
        "preheader_text": row.get("preheader_text", ""),
        "text": row.get("text", ""),
        "html": row.get("html", ""),
        "htmlfetch": "now",
        "textfetch": "now",
        "hidden": "0",
        "preview_mime": "",
        "preview_data": None,
        "has_predictive_content": "0",
        "links": {k: f"{req.base_url}/api/3/messages/{row['id']}/{k}" for k in ("user",)},
        "id": row["id"],
        "user": row["userid"],
    }


def _fields(data: dict, creating: bool) -> dict[str, Any]:
    if "fromemail" not in data and "email" in data:
        data = {**data, "fromemail": data["email"]}
    changes: dict[str, Any] = {}
    for key in ("fromname", "fromemail", "reply2"):
        if creating and (data.get(key) is None or not str(data[key]).strip()):
            raise field_missing(key, f"The {key} field was not provided.")
    for key in ("fromemail", "reply2"):
        if data.get(key) not in (None, "") and not valid_email(data[key]):
            raise field_invalid(key, f"The {key} field must be a valid e-mail address.")
    for key in (*TEXT_FIELDS, "fromemail"):
        if data.get(key) is not None:
            changes[key] = str(data[key])
    return changes


def _message(sb: Sandbox, id_: str) -> dict:
    return require(sb.store["messages"].get(id_), "Message", id_)


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _fields(req.wrapper("message"), True)
    stamp = now()[0]
    row = sb.store["messages"].insert(
        {
            "name": "",
            "subject": "",
            "preheader_text": "",
            "text": "",
            "html": "",
            "userid": sb.user_id,
            "cdate": stamp,
            "mdate": stamp,
            **changes,
        }
    )
    out = {k: row[k] for k in ("fromname", "fromemail", "reply2", "subject", "preheader_text", "text", "html")}
    out["links"] = render(req, row)["links"]
    out["id"] = row["id"]
    return 201, {"message": out}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["messages"])
    for key in ("subject", "name"):
        wanted = flt(req, key)
        if wanted:
            rows = [r for r in rows if contains(r.get(key), wanted)]
    chosen, total = paginate(rows, req)
    return 200, {"messages": [render(req, r) for r in chosen], "meta": {"total": str(total)}}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"message": render(req, _message(sb, req.params["id"]))}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _message(sb, req.params["id"])
    changes = _fields(req.wrapper("message"), False)
    changes["mdate"] = now()[0]
    sb.store["messages"].update(row, changes)
    return 200, {"message": render(req, row)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _message(sb, req.params["id"])
    sb.store["messages"].delete(row["id"])
    return 200, {}


def register(router: Router) -> None:
    router.add("POST", "/messages", create)
    router.add("GET", "/messages", list_)
    router.add("GET", "/messages/{id}", get)
    router.add("PUT", "/messages/{id}", update)
    router.add("DELETE", "/messages/{id}", delete)
