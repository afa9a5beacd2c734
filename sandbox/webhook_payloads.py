"""What ActiveCampaign POSTs for each event, as nested dicts (flattened to bracketed form keys on delivery).

Field names from real deliveries quoted in public code (type, date_time, initiated_by, initiated_from,
list, contact[id|email|first_name|last_name|phone|ip|tags|orgname], contact[fields][<field id>],
deal[id|title|stageid|stage_title|pipelineid|pipeline_title|value|value_raw|currency|status|owner...],
updated_fields[n]); see sandbox/README.md "Webhooks". The store knows nothing of this module.
"""

from __future__ import annotations

from typing import Any

from .clock import local_plain
from .store import Store


def contact_part(store: Store, row: dict) -> dict[str, Any]:
    tag_names = [store["tags"].get(link["tag"]) for link in store["contactTags"].where("contact", row["id"])]
    return {
        "id": row["id"],
        "email": row.get("email", ""),
        "first_name": row.get("firstName", ""),
        "last_name": row.get("lastName", ""),
        "phone": row.get("phone", ""),
        "ip": "0.0.0.0",
        "tags": ", ".join(t["tag"] for t in tag_names if t),
        "orgname": "",
        "fields": {fv["field"]: fv.get("value") or "" for fv in store["fieldValues"].where("contact", row["id"])},
    }


def deal_part(store: Store, row: dict) -> dict[str, Any]:
    stage = store["dealStages"].get(row["stage"]) or {}
    group = store["dealGroups"].get(row["group"]) or {}
    owner = store["users"].get(row["owner"]) or {}
    person = store["contacts"].get(row["contact"]) if row.get("contact") else None
    cents = int(row["value"])
    return {
        "id": row["id"],
        "title": row["title"],
        "create_date": local_plain(row["_c"]),
        "create_date_iso": row["cdate"],
        "orgid": "0",
        "orgname": "",
        "stageid": row["stage"],
        "stage_title": stage.get("title", ""),
        "pipelineid": row["group"],
        "pipeline_title": group.get("title", ""),
        "value": f"{cents / 100:.2f}",
        "value_raw": str(cents // 100),
        "currency": row["currency"],
        "currency_symbol": "$" if row["currency"] == "usd" else "",
        "status": str(row["status"]),
        "owner": row["owner"],
        "owner_firstname": owner.get("firstName", ""),
        "owner_lastname": owner.get("lastName", ""),
        "contactid": row.get("contact") or "0",
        "contact_email": (person or {}).get("email", ""),
        "contact_firstname": (person or {}).get("firstName", ""),
        "contact_lastname": (person or {}).get("lastName", ""),
    }


def deal_event(store: Store, row: dict, updated: list[str] | None = None) -> dict[str, Any]:
    """A deal event carries the deal and, when it has one, its contact."""
    body: dict[str, Any] = {"deal": deal_part(store, row)}
    person = store["contacts"].get(row["contact"]) if row.get("contact") else None
    if person is not None:
        body["contact"] = contact_part(store, person)
    if updated is not None:
        body["updated_fields"] = list(updated)
    return body


def event_payload(
    store: Store,
    *,
    contact: dict | None = None,
    deal: dict | None = None,
    tag: dict | None = None,
    note: dict | None = None,
    updated: list[str] | None = None,
) -> dict[str, Any]:
    """The nested payload of one event: the deal (and its contact), or the contact, plus tag/note/updated."""
    body: dict[str, Any] = deal_event(store, deal, updated) if deal is not None else {}
    if contact is not None:
        body["contact"] = contact_part(store, contact)
    if tag is not None:
        body["tag"] = tag["tag"]
    if note is not None:
        body["note"] = note["note"]
    return body


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """{'contact': {'fields': {'12': 'x'}}} -> [('contact[fields][12]', 'x')]; lists index as [0], [1]."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return [(prefix, "" if value is None else str(value))]
    pairs: list[tuple[str, str]] = []
    for key, sub in items:
        pairs.extend(flatten(sub, f"{prefix}[{key}]" if prefix else str(key)))
    return pairs
