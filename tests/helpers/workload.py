"""A mixed workload for many accounts, and the audit that says whether anything was lost or sent twice.

Shared by the Celery integration test and the scale benchmark. The audit reads only what cannot lie
about our code: the run store's rows (PostgreSQL, read directly) and each sandbox account's request log.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

# The operations of the mix and their idempotency (from operations/*.yaml; the audit checks it there too).
UNSAFE_ROUTES = ("POST /api/3/contacts", "POST /api/3/deals", "POST /api/3/deals/*/notes")

LEAD_WORKFLOW: dict[str, Any] = {
    "version": 1,
    "name": "New lead",
    "trigger": {
        "type": "manual",
        "input_schema": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}},
    },
    "steps": [
        {
            "id": "contact",
            "name": "Create contact",
            "operation": "create_contact",
            "authentication": "ACCOUNT",
            "input": {"email": "$.trigger.email"},
        },
        {
            "id": "subscribe",
            "name": "Subscribe",
            "operation": "add_contact_to_list",
            "authentication": "ACCOUNT",
            "input": {"contact_id": "$.steps.contact.contact.id", "list_id": "1"},
        },
        {
            "id": "deal",
            "name": "Open a deal",
            "operation": "create_deal",
            "authentication": "ACCOUNT",
            "input": {
                "title": "Deal for {$.steps.contact.contact.email}",
                "value": 100,
                "currency": "usd",
                "contact_id": "$.steps.contact.contact.id",
                "pipeline_id": "1",
                "owner_id": "1",
            },
        },
        {
            "id": "note",
            "name": "Note",
            "operation": "create_deal_note",
            "authentication": "ACCOUNT",
            "input": {"deal_id": "$.steps.deal.deal.id", "note": "Lead {$.steps.contact.contact.email} arrived"},
        },
        {
            "id": "read",
            "name": "Read back",
            "operation": "get_contact",
            "authentication": "ACCOUNT",
            "input": {"contact_id": "$.steps.contact.contact.id"},
        },
    ],
}


def lead_workflow(account: str) -> dict[str, Any]:
    doc = json.loads(json.dumps(LEAD_WORKFLOW).replace('"ACCOUNT"', json.dumps(account)))
    doc["name"] = f"New lead ({account})"
    return doc


def mixed_steps(count: int, accounts: Sequence[str], tag: str | None = None) -> list[tuple[str, dict[str, Any], str]]:
    """``count`` (operation, input, authentication) over ``accounts``: reads, creates, updates and upserts.

    Per ten steps: 3 get_contact, 1 list_lists (safe), 3 create_contact (unsafe, each email new),
    2 update_contact (idempotent), 1 create_or_update_contact (upsert)."""
    tag = tag or uuid.uuid4().hex[:8]
    kinds = ["get", "create", "update", "get", "create", "upsert", "get", "create", "update", "lists"]
    steps = []
    for i in range(count):
        account = accounts[i % len(accounts)]
        contact_id = str(1 + (i // len(accounts)) % 2)  # the seeded contacts 1 and 2
        kind = kinds[i % len(kinds)]
        if kind == "get":
            steps.append(("get_contact", {"contact_id": contact_id}, account))
        elif kind == "lists":
            steps.append(("list_lists", {}, account))
        elif kind == "create":
            steps.append(("create_contact", {"email": f"c{i}-{tag}@example.com", "first_name": f"N{i}"}, account))
        elif kind == "update":
            steps.append(("update_contact", {"contact_id": contact_id, "first_name": f"U{i}"}, account))
        else:
            steps.append(("create_or_update_contact", {"email": f"u{i % 7}-{tag}@example.com", "last_name": f"L{i}"}, account))
    return steps


@dataclass
class Audit:
    """What happened to every submitted run, from the store and the accounts' logs."""

    runs: int = 0
    steps: int = 0
    statuses: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # submitted, but no run or not finished
    safe_not_succeeded: list[tuple[str, int, str]] = field(default_factory=list)
    unknown_not_unsafe: list[tuple[str, int, str]] = field(default_factory=list)
    unsafe_sent_twice: list[str] = field(default_factory=list)
    throttled: int = 0  # 429s the accounts answered
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "steps": self.steps,
            "statuses": dict(self.statuses),
            "lost": len(self.lost),
            "safe_not_succeeded": len(self.safe_not_succeeded),
            "unknown_not_unsafe": len(self.unknown_not_unsafe),
            "unsafe_sent_twice": len(self.unsafe_sent_twice),
            "throttled_429": self.throttled,
            "requests": self.requests,
        }


def store_rows(store_url: str, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{run id: {"status", "steps": [(index, operation, status)]}} straight from PostgreSQL."""
    import psycopg

    ids = list(run_ids)
    out: dict[str, dict[str, Any]] = {}
    with psycopg.connect(store_url) as conn:
        for run_id, status in conn.execute("SELECT id, status FROM runs WHERE id = ANY(%s)", (ids,)):
            out[run_id] = {"status": status, "steps": []}
        for run_id, idx, operation, status, error in conn.execute(
            "SELECT run_id, idx, operation, status, error FROM run_steps WHERE run_id = ANY(%s) ORDER BY run_id, idx", (ids,)
        ):
            if run_id not in out:
                continue  # created between the two reads: seen complete by the next poll
            out[run_id]["steps"].append((idx, operation, status))
            if error:
                out[run_id].setdefault("errors", {})[idx] = json.loads(error)
    return out


def wait_until_settled(store_url: str, run_ids: Sequence[str], timeout: float, poll: float = 0.5) -> float:
    """Seconds until every run has left ``running`` (or the timeout); the audit then says what is missing."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        rows = store_rows(store_url, run_ids)
        if len(rows) == len(run_ids) and all(r["status"] != "running" for r in rows.values()):
            break
        time.sleep(poll)
    return time.monotonic() - started


def audit(
    store_url: str, run_ids: Sequence[str], logs: Sequence[Sequence[Mapping[str, Any]]], idempotency: Mapping[str, str]
) -> Audit:
    """Check the run store and the request logs: nothing lost, safe steps succeeded once, no unsafe repeat."""
    result = Audit(runs=len(run_ids))
    rows = store_rows(store_url, run_ids)
    for run_id in run_ids:
        row = rows.get(run_id)
        if row is None or row["status"] == "running":
            result.lost.append(f"{run_id}: " + ("no run" if row is None else repr(row["steps"])))
            continue
        stopped = False
        for idx, operation, status in row["steps"]:
            result.steps += 1
            result.statuses[status] += 1
            unsafe = idempotency[operation] == "unsafe"
            if status == "outcome_unknown" and not unsafe:
                result.unknown_not_unsafe.append((run_id, idx, operation))
            if not unsafe and not stopped and status != "succeeded":
                error = row.get("errors", {}).get(idx) or {}
                result.safe_not_succeeded.append(
                    (run_id, idx, f"{operation}: {error.get('type')}: {str(error.get('message'))[:200]}")
                )
            if status in ("failed", "outcome_unknown"):
                stopped = True  # later steps stay pending: the run stopped there on purpose
    for account, log in enumerate(logs):
        seen: Counter = Counter()
        for entry in log:
            result.requests += 1
            if entry["status"] == 429:
                result.throttled += 1
                continue
            route = f"{entry['method']} {entry['path']}"
            if any(fnmatch(route, pattern) for pattern in UNSAFE_ROUTES):
                seen[(route, json.dumps(entry["body"], sort_keys=True))] += 1
        result.unsafe_sent_twice += [f"account {account}: {key[0]} {key[1][:80]}" for key, n in seen.items() if n > 1]
    return result
