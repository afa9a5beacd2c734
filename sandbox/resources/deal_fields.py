"""Deal custom field values (dealCustomFieldData) and one deal custom field (dealCustomFieldMeta/{id}).

Shapes and errors as the SPEC documents them (create/list/retrieve/update/delete a custom field value):
the datum carries dealId, customFieldId and dealCustomFieldMetumId as integers and timestamps as
"YYYY-MM-DD HH:MM:SS"; a missing record is 404 {"errors":[{"status":404,"title":"Not Found"}]}; POST
refuses with 422 "The deal id field is required.", "A related deal was not found.", "A custom field value
must be provided." and "The custom field value `abc` could not be saved to the custom field of type
`date`." (the same for `number`). DELETE answers {"message": "DealCustomFieldData deleted."}.

The values live on the deal (its `fields`, as POST/PUT deals write them), so values set either way are
one set; a value gets its datum id the first time it is seen. POSTing a second value for a field a deal
already has replaces it (UNCONFIRMED: the lenient reading, like contactTags).
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Any

from ..router import Router
from ..wire import ApiError, Request
from .common import paginate

if TYPE_CHECKING:
    from ..account import Sandbox
    from ..store import Store

NOT_FOUND = ApiError(404, {"errors": [{"status": 404, "title": "Not Found"}]})


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _records(store: Store) -> list[tuple[dict, dict, dict]]:
    """(datum, deal, value) for every value saved on a deal; a datum row is made on first sight."""
    table = store["dealCustomFieldData"]
    known = {(r["dealId"], r["customFieldId"]): r for r in table}
    out = []
    for deal in store["deals"]:
        for value in deal.get("fields") or []:
            key = (deal["id"], str(value["customFieldId"]))
            datum = known.get(key)
            if datum is None:
                stamp = _stamp()
                datum = known[key] = table.insert(
                    {"dealId": key[0], "customFieldId": key[1], "created": stamp, "updated": stamp}
                )
            out.append((datum, deal, value))
    return out


def _find(store: Store, id_: str) -> tuple[dict, dict, dict]:
    found = next((r for r in _records(store) if r[0]["id"] == str(id_)), None)
    if found is None:
        raise NOT_FOUND
    return found


def render(req: Request, datum: dict, value: dict) -> dict:
    did = datum["id"]
    out = {
        "id": did,
        "dealCustomFieldMetumId": int(datum["customFieldId"]),
        "dealId": int(datum["dealId"]),
        "customFieldId": int(datum["customFieldId"]),
        "createdTimestamp": datum["created"],
        "updatedTimestamp": datum["updated"],
        "fieldValue": value["fieldValue"],
        "links": {k: f"{req.base_url}/api/3/dealCustomFieldData/{did}/{k}" for k in ("deal", "dealCustomFieldMetum")},
    }
    if value.get("fieldCurrency"):
        out["fieldCurrency"] = value["fieldCurrency"]
    return out


def _invalid(detail: str) -> ApiError:
    return ApiError(422, {"errors": [{"detail": detail}]})


def _checked(meta: dict, value: Any) -> Any:
    """The value as the field's type accepts it, or the documented 422."""
    kind = meta["fieldType"]
    try:
        if kind == "date":
            date.fromisoformat(str(value))
        elif kind in ("number", "currency"):
            float(value)
        elif isinstance(value, dict) or (isinstance(value, list) and kind not in ("multiselect", "checkbox")):
            raise ValueError
    except (TypeError, ValueError):
        raise _invalid(f"The custom field value `{value}` could not be saved to the custom field of type `{kind}`.") from None
    return value


def _without(deal: dict, field_id: str) -> list[dict]:
    return [f for f in deal.get("fields") or [] if str(f["customFieldId"]) != str(field_id)]


def _save(store: Store, deal: dict, field_id: str, value: Any, currency: Any) -> dict:
    entry: dict[str, Any] = {"customFieldId": int(field_id), "fieldValue": value}
    if currency:
        entry["fieldCurrency"] = str(currency)
    store["deals"].update(deal, {"fields": _without(deal, field_id) + [entry]})
    return entry


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    body = req.json()
    data = body.get("dealCustomFieldDatum") if isinstance(body, dict) else None
    data = data if isinstance(data, dict) else {}
    if data.get("dealId") in (None, ""):
        raise ApiError(
            422,
            {"errors": [{"status": "422", "title": "The given data was invalid.", "detail": "The deal id field is required."}]},
        )
    deal = store["deals"].get(data["dealId"])
    if deal is None:
        raise _invalid("A related deal was not found.")
    meta = store["dealCustomFieldMeta"].get(data.get("customFieldId"))
    if meta is None:
        raise _invalid(f"No custom field with id `{data.get('customFieldId')}` exists.")
    if data.get("fieldValue") in (None, ""):
        raise _invalid("A custom field value must be provided.")
    value = _save(store, deal, str(meta["id"]), _checked(meta, data["fieldValue"]), data.get("fieldCurrency"))
    datum = next(r for r, d, _ in _records(store) if d is deal and r["customFieldId"] == str(meta["id"]))
    store["dealCustomFieldData"].update(datum, {"updated": _stamp()})
    return 200, {"dealCustomFieldDatum": render(req, datum, value)}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = _records(sb.store)
    deal_id = req.q("filters[dealId]")
    if deal_id not in (None, ""):
        rows = [r for r in rows if r[0]["dealId"] == str(deal_id)]
    rows.sort(key=lambda r: int(r[0]["id"]))
    chosen, total = paginate(rows, req)
    return 200, {"dealCustomFieldData": [render(req, d, v) for d, _, v in chosen], "meta": {"total": str(total)}}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    datum, _, value = _find(sb.store, req.params["id"])
    return 200, {"dealCustomFieldDatum": render(req, datum, value)}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    datum, deal, value = _find(store, req.params["id"])
    body = req.json()
    data = body.get("dealCustomFieldDatum") if isinstance(body, dict) else None
    data = data if isinstance(data, dict) else {}
    meta = store["dealCustomFieldMeta"].get(datum["customFieldId"])
    new = value["fieldValue"]
    if "fieldValue" in data:
        new = _checked(meta, data["fieldValue"]) if meta is not None else data["fieldValue"]
    value = _save(store, deal, datum["customFieldId"], new, data.get("fieldCurrency", value.get("fieldCurrency")))
    store["dealCustomFieldData"].update(datum, {"updated": _stamp()})
    return 200, {"dealCustomFieldDatum": render(req, datum, value)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    datum, deal, _ = _find(store, req.params["id"])
    store["deals"].update(deal, {"fields": _without(deal, datum["customFieldId"])})
    store["dealCustomFieldData"].delete(datum["id"])
    return 200, {"message": "DealCustomFieldData deleted."}


def get_meta(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from .deals import render_field_meta

    row = sb.store["dealCustomFieldMeta"].get(req.params["id"])
    if row is None:
        raise NOT_FOUND
    return 200, {"dealCustomFieldMetum": render_field_meta(req, row)}


def register(router: Router) -> None:
    router.add("POST", "/dealCustomFieldData", create)
    router.add("GET", "/dealCustomFieldData", list_)
    router.add("GET", "/dealCustomFieldData/{id}", get)
    router.add("PUT", "/dealCustomFieldData/{id}", update)
    router.add("DELETE", "/dealCustomFieldData/{id}", delete)
    router.add("GET", "/dealCustomFieldMeta/{id}", get_meta)
