"""Generated data for large-account tests: many contacts, lists and deals, inserted directly.

Fast by design (no HTTP, no validation): 10k contacts in well under a second. Each generated
contact is subscribed to one of the lists generated in the same call (round robin); generated
deals go round robin over the first pipeline's stages and the generated contacts.
"""

from __future__ import annotations

import hashlib
import time

from .clock import iso
from .store import Store

YEAR = 365 * 86400


def load_fixture(
    store: Store, contacts: int = 0, lists: int = 0, deals: int = 0, tags: int = 0, users: int = 0
) -> dict[str, int]:
    from .resources import deals as deals_mod
    from .resources import lists as lists_mod
    from .resources import pipelines

    seq = store.extra.get("fixture_seq", 0) + 1
    store.extra["fixture_seq"] = seq
    end = time.time()
    list_ids: list[str] = []
    table = store["lists"]
    for n in range(1, lists + 1):
        row = table.insert(
            lists_mod.new_row(
                f"Fixture list {seq}-{n}", f"fixture-list-{seq}-{n}", "https://www.example.com", "You are on a generated list."
            )
        )
        list_ids.append(row["id"])

    contact_ids: list[str] = []
    ctable = store["contacts"]
    memberships = store["contactLists"]
    email_index = store.email_index
    step = YEAR / max(contacts, 1)
    stamp_cache: dict[int, str] = {}
    for n in range(contacts):
        ts = end - YEAR + n * step
        second = int(ts)
        stamp = stamp_cache.get(second) or stamp_cache.setdefault(second, iso(second))
        email = f"fixture{seq}.contact{n + 1}@example.com"
        row = {
            "email": email,
            "firstName": f"First{n + 1}",
            "lastName": f"Last{n + 1}",
            "phone": "",
            "cdate": stamp,
            "udate": stamp,
            "_c": ts,
            "_u": ts,
            "hash": hashlib.md5(email.encode()).hexdigest(),
        }
        ctable.insert(row)
        email_index[email] = int(row["id"])
        contact_ids.append(row["id"])
        if list_ids:
            memberships.insert(
                {
                    "contact": row["id"],
                    "list": list_ids[n % len(list_ids)],
                    "status": "1",
                    "sdate": stamp,
                    "udate": None,
                    "sourceid": "0",
                    "_names": (row["firstName"], row["lastName"]),
                }
            )

    added_deals = 0
    if deals:
        groups = store["dealGroups"]
        group = next(iter(groups), None) or pipelines.create_pipeline(store, "Fixture Pipeline", "usd")
        stages = [s["id"] for s in store["dealStages"].where("group", group["id"])]
        owners = contact_ids or [c["id"] for c in store["contacts"]]
        for n in range(deals):
            ts = end - YEAR + n * (YEAR / deals)
            store["deals"].insert(
                deals_mod.new_row(
                    f"Fixture deal {seq}-{n + 1}",
                    (n % 50 + 1) * 10000,
                    "usd",
                    owners[n % len(owners)] if owners else None,
                    group["id"],
                    stages[n % len(stages)],
                    "1",
                    stamp=iso(ts),
                    ts=ts,
                    status=n % 3,
                )
            )
            added_deals += 1

    for n in range(1, tags + 1):
        store["tags"].insert({"tag": f"fixture-tag-{seq}-{n}", "tagType": "contact", "description": "", "cdate": iso(end)})
    for n in range(1, users + 1):
        store["users"].insert(
            {
                "username": f"fixture{seq}u{n}",
                "firstName": "Fixture",
                "lastName": f"User {n}",
                "email": f"fixture{seq}.user{n}@example.com",
                "phone": "",
            }
        )
    return {"contacts": contacts, "lists": lists, "deals": added_deals, "tags": tags, "users": users}
