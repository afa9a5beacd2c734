"""Deal tasks (on a deal or a contact), task types (dealTasktypes, lowercase "t") and task outcomes
(taskOutcomes, tasktypeOutcomeRels).

Completing a task whose type has outcomes needs an outcome: "Task outcome's id is required at the time
of task being completed" (update-task, field outcomeId). The 422 body for a missing or foreign outcome
is a guess (listed in sandbox/README.md).

Status codes follow the docs where nothing live is known: create task 201, update task 200
(the doc's 201 looks like a copy-paste), create task type 201 (by analogy with the other creates
the docs label 200 and live answers 201). Deleting a task type still used by tasks is refused.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..clock import iso, parse_moment
from ..errors import duplicate, error, field_invalid, field_missing, related_missing, unprocessable
from ..router import Router
from ..store import Store
from ..wire import Request
from .common import contains, flt, int_field, need, now, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox

OWNER_TYPES = {"deal": ("Deal", "deals"), "contact": ("Subscriber", "contacts")}
RELTYPE_OWNER = {"Deal": "deal", "Subscriber": "contact"}


def _links(req: Request, id_: str) -> dict[str, str]:
    return {
        k: f"{req.base_url}/api/3/dealTasks/{id_}/{k}"
        for k in (
            "activities",
            "automation",
            "dealTasktype",
            "doneAutomation",
            "notes",
            "owner",
            "taskNotifications",
            "user",
            "assignee",
        )
    }


def render(req: Request, row: dict, status_type: type = str) -> dict:
    """GET dealTasks/{id} form (status a string); the list passes int as the docs show."""
    return {
        "relid": row["relid"],
        "reltype": row["reltype"],
        "dealTasktype": row["dealTasktype"],
        "user": row["user"],
        "assignee": row["assignee"],
        "automation": row["automation"],
        "cdate": row["cdate"],
        "duedate": row["duedate"],
        "edate": row["edate"],
        "duration": "0",
        "status": status_type(row["status"]),
        "title": row["title"],
        "note": row["note"],
        "donedate": row.get("donedate"),
        "doneAutomation": row["doneAutomation"],
        "udate": row["udate"],
        "owner": {"type": RELTYPE_OWNER[row["reltype"]], "id": row["relid"]},
        "links": _links(req, row["id"]),
        "id": row["id"],
        "outcomeId": row["outcomeId"],
        "outcomeInfo": row["outcomeInfo"],
    }


def render_written(req: Request, row: dict) -> dict:
    return {
        "id": row["id"],
        "duedate": row["duedate"],
        "edate": row["edate"],
        "status": int(row["status"]),
        "title": row["title"],
        "note": row["note"],
        "relid": row["relid"],
        "reltype": row["reltype"],
        "dealTasktype": row["dealTasktype"],
        "cdate": row["cdate"],
        "udate": row["udate"],
        "automation": row["automation"],
        "doneAutomation": row["doneAutomation"],
        "user": row["user"],
        "assignee": row["assignee"],
        "owner": {"type": RELTYPE_OWNER[row["reltype"]], "id": row["relid"]},
        "outcomeId": row["outcomeId"],
        "outcomeInfo": row["outcomeInfo"],
        "links": _links(req, row["id"]),
    }


def _moment(data: dict, key: str) -> tuple[str, float] | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    ts = parse_moment(str(raw))
    if ts is None:
        raise field_invalid(key, f"The {key} field must be an ISO 8601 date or datetime.")
    return iso(ts), ts


def _validate(sb: Sandbox, data: dict, current: dict | None) -> dict:
    store = sb.store
    changes: dict[str, Any] = {}
    creating = current is None
    owner_type = str(data.get("ownerType") or ("deal" if creating else RELTYPE_OWNER[current["reltype"]]))
    if owner_type not in OWNER_TYPES:
        raise field_invalid("ownerType", "ownerType must be 'deal' or 'contact'.")
    reltype, table = OWNER_TYPES[owner_type]
    if creating or "relid" in data or "ownerType" in data:
        relid = need(data, "relid", "The relid field was not provided.") if creating or "relid" in data else current["relid"]
        if store[table].get(relid) is None:
            raise related_missing("relid", f"No {owner_type} with id {relid} exists.")
        changes.update(relid=str(relid), reltype=reltype)
    if creating or "duedate" in data:
        if creating:
            need(data, "duedate", "The duedate field was not provided.")
        due = _moment(data, "duedate")
        if due is not None:
            changes.update(duedate=due[0], _due=due[1])
    if "edate" in data:
        end = _moment(data, "edate")
        changes["edate"] = end[0] if end else None
    if creating or "dealTasktype" in data:
        kind = need(data, "dealTasktype", "The dealTasktype field was not provided.")
        if store["dealTasktypes"].get(kind) is None:
            raise related_missing("dealTasktype", f"No deal task type with id {kind} exists.")
        changes["dealTasktype"] = str(kind)
    if data.get("assignee") not in (None, ""):
        if store["users"].get(data["assignee"]) is None:
            raise related_missing("assignee", f"No user with id {data['assignee']} exists.")
        changes["assignee"] = str(data["assignee"])
    if "status" in data:
        status = int_field(data, "status")
        if status not in (0, 1):
            raise field_invalid("status", "The status must be 0 (incomplete) or 1 (complete).")
        changes["status"] = status
        changes["donedate"] = now()[0] if status == 1 else None
    for key in ("title", "note", "outcomeInfo"):
        if key in data:
            changes[key] = None if data[key] is None else str(data[key])
    if data.get("outcomeId") not in (None, ""):
        changes["outcomeId"] = int_field(data, "outcomeId")
        if store["taskOutcomes"].get(changes["outcomeId"]) is None:
            raise related_missing("outcomeId", f"No task outcome with id {changes['outcomeId']} exists.")
    if current is not None:  # documented for update-task only; a task created complete is not checked
        _check_outcome(store, changes, current)
    for key in ("triggerAutomationOnCreate", "doneAutomation"):
        if data.get(key) not in (None, ""):
            if store["automations"].get(data[key]) is None:
                raise related_missing(key, f"No automation with id {data[key]} exists.")
            changes["automation" if key == "triggerAutomationOnCreate" else key] = str(data[key])
    return changes


def _check_outcome(store: Store, changes: dict, current: dict) -> None:
    """A task being completed needs one of its type's outcomes, when its type has any."""
    status = changes.get("status", current["status"])
    if int(status) != 1 or (int(current["status"]) == 1 and "outcomeId" not in changes):
        return
    kind = changes.get("dealTasktype") or current["dealTasktype"]
    allowed = {int(r["outcome"]) for r in store["tasktypeOutcomeRels"].where("tasktype", str(kind))}
    if not allowed:
        return
    outcome = changes.get("outcomeId", current.get("outcomeId"))
    if outcome in (None, ""):
        raise field_missing(
            "outcomeId", "The task outcome was not provided: this task type requires an outcome when a task is completed."
        )
    if int(outcome) not in allowed:
        raise field_invalid("outcomeId", f"Task outcome {outcome} is not an outcome of this task type.")


def create(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _validate(sb, req.wrapper("dealTask"), None)
    stamp = now()[0]
    row = {
        "title": None,
        "note": "",
        "edate": None,
        "status": 0,
        "user": sb.user_id,
        "assignee": sb.user_id,
        "cdate": stamp,
        "udate": stamp,
        "automation": None,
        "doneAutomation": None,
        "outcomeId": None,
        "outcomeInfo": None,
        **changes,
    }
    if row["edate"] is None:
        row["edate"] = row["duedate"]
    sb.store["dealTasks"].insert(row)
    return 201, {"dealTask": render_written(req, row)}


def _task(store: Store, id_: str) -> dict:
    return require(store["dealTasks"].get(id_), "DealTask", id_)


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"dealTask": render(req, _task(sb.store, req.params["id"]))}


def update(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _task(sb.store, req.params["id"])
    changes = _validate(sb, req.wrapper("dealTask"), row)
    changes["udate"] = now()[0]
    sb.store["dealTasks"].update(row, changes)
    return 200, {"dealTask": render_written(req, row)}


def delete(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _task(sb.store, req.params["id"])
    sb.store["dealTasks"].delete(row["id"])
    return 200, {}


def _due_range(rows: list[dict], spec: str) -> list[dict]:
    current = time.time()
    if spec == "overdue":
        return [r for r in rows if r.get("_due", 0) < current and int(r["status"]) == 0]
    if spec in ("upcoming", "scheduled"):
        return [r for r in rows if r.get("_due", 0) >= current]
    start, _, end = spec.replace(" ", "+").partition("+")
    lo, hi = parse_moment(start), parse_moment(end)
    if lo is None or hi is None:
        return rows
    return [r for r in rows if lo <= r.get("_due", 0) < hi + 86400]


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["dealTasks"])
    for key, field in (
        ("reltype", "reltype"),
        ("relid", "relid"),
        ("status", "status"),
        ("d_tasktypeid", "dealTasktype"),
        ("userid", "user"),
        ("assignee_userid", "assignee"),
        ("outcome_id", "outcomeId"),
    ):
        wanted = flt(req, key)
        if wanted not in (None, ""):
            rows = [r for r in rows if str(r.get(field)) == wanted]
    for key in ("title", "note"):
        wanted = flt(req, key)
        if wanted:
            rows = [r for r in rows if contains(r.get(key), wanted)]
    duedate = flt(req, "duedate")
    if duedate:
        rows = [r for r in rows if (r.get("duedate") or "").startswith(duedate)]
    for key, after in (("due_after", True), ("due_before", False)):
        raw = flt(req, key) or (req.q("Fitlers[due_before]") if key == "due_before" else None)
        moment = parse_moment(raw) if raw else None
        if moment is not None:
            rows = [r for r in rows if (r.get("_due", 0) >= moment) == after]
    spec = flt(req, "duedate_range")
    if spec:
        rows = _due_range(rows, spec)
    chosen, total = paginate(rows, req)
    return 200, {"dealTasks": [render(req, r, int) for r in chosen], "meta": {"total": str(total)}}


# -- task types -----------------------------------------------------------------------------
def render_type(req: Request, row: dict) -> dict:
    return {
        "cdate": row["cdate"],
        "defduration": row["defduration"],
        "id": row["id"],
        "status": row["status"],
        "title": row["title"],
        "udate": row["udate"],
        "links": [],
    }


def _type(store: Store, id_: str) -> dict:
    return require(store["dealTasktypes"].get(id_), "DealTasktype", id_)


def _type_fields(sb: Sandbox, data: dict, current: dict | None) -> dict:
    changes: dict[str, Any] = {}
    if current is None or "title" in data:
        title = str(need(data, "title", "The title field was not provided."))
        if any(t["title"].lower() == title.lower() and t is not current for t in sb.store["dealTasktypes"]):
            raise duplicate("title", "A task type with this title already exists")
        changes["title"] = title
    if "status" in data:
        status = int_field(data, "status")
        if status not in (0, 1):
            raise field_invalid("status", "The status must be 0 (active) or 1 (disabled).")
        changes["status"] = str(status)
    return changes


def create_type(sb: Sandbox, req: Request) -> tuple[int, Any]:
    changes = _type_fields(sb, req.wrapper("dealTasktype"), None)
    stamp = now()[0]
    row = sb.store["dealTasktypes"].insert({"status": "0", "defduration": "0", "cdate": stamp, "udate": stamp, **changes})
    return 201, {"dealTasktype": render_type(req, row)}


def list_types(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["dealTasktypes"])
    title = flt(req, "title")
    if title:
        rows = [r for r in rows if contains(r["title"], title)]
    chosen, total = paginate(rows, req)
    return 200, {"dealTasktypes": [render_type(req, r) for r in chosen], "meta": {"total": str(total)}}


def get_type(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"dealTasktype": render_type(req, _type(sb.store, req.params["id"]))}


def update_type(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _type(sb.store, req.params["id"])
    changes = _type_fields(sb, req.wrapper("dealTasktype"), row)
    changes["udate"] = now()[0]
    sb.store["dealTasktypes"].update(row, changes)
    return 200, {"dealTasktype": render_type(req, row)}


def delete_type(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = _type(store, req.params["id"])
    used = [t for t in store["dealTasks"] if t["dealTasktype"] == row["id"]]
    if used:
        raise unprocessable(
            error(
                "field_invalid",
                "The task type is still used by tasks",
                "dealTasktype",
                f"{len(used)} task(s) use this type. Move them with PUT /api/3/dealTasktypes/{row['id']}/dealTasks first.",
            )
        )
    store["dealTasktypes"].delete(row["id"])
    return 200, {}


def move_tasks(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    source = _type(store, req.params["id"])
    data = req.wrapper("dealTask")
    target = store["dealTasktypes"].get(need(data, "dealTasktype", "The dealTasktype field was not provided."))
    if target is None:
        raise related_missing("dealTasktype", f"No deal task type with id {data['dealTasktype']} exists.")
    moved = []
    for task in [t for t in store["dealTasks"] if t["dealTasktype"] == source["id"]]:
        store["dealTasks"].update(task, {"dealTasktype": target["id"]})
        moved.append(render(req, task))
    return 200, {"dealTasks": moved}


# -- task outcomes --------------------------------------------------------------------------
SENTIMENTS = {"positive": "POSITIVE", "neutral": "NEUTRAL", "negative": "NEGATIVE"}
SENTIMENT_FILTER = {"1": "NEGATIVE", "2": "NEUTRAL", "3": "POSITIVE"}  # list-all-task-outcomes


def render_outcome(req: Request, store: Store, row: dict) -> dict:
    types = [r["tasktype"] for r in store["tasktypeOutcomeRels"].where("outcome", row["id"])]
    return {
        "title": row["title"],
        "sentiment": row["sentiment"],
        "disabled": row["disabled"],
        "created_by": row["created_by"],
        "updated_by": row["updated_by"],
        "created_utc_timestamp": row["cdate"],
        "updated_utc_timestamp": row["udate"],
        "dealTasktype_ids": types,
        "links": {k: f"{req.base_url}/api/3/taskOutcomes/{row['id']}/{k}" for k in ("tasktypeOutcomeRels", "dealTasks")},
        "id": row["id"],
    }


def new_outcome(title: str, sentiment: str, stamp: str | None, user: str = "1") -> dict:
    return {
        "title": title,
        "sentiment": sentiment,
        "disabled": "0",
        "created_by": user,
        "updated_by": user,
        "cdate": stamp,
        "udate": stamp,
    }


def create_outcome(sb: Sandbox, req: Request) -> tuple[int, Any]:
    data = req.wrapper("taskOutcome")
    title = data.get("title")
    sentiment = SENTIMENTS.get(str(data.get("sentiment", "")).lower())
    problems = []  # both at once, each with its "error" key, as in the documented 422
    if title in (None, ""):
        problems.append(
            {
                **error("field_missing", "The taskOutcome title was not provided.", "title"),
                "error": "taskOutcome_title_was_not_provided",
            }
        )
    if sentiment is None:
        problems.append(
            {
                **error("field_invalid", "Sentiment value must be one of Positive, Neutral, or Negative.", "sentiment"),
                "error": "",
            }
        )
    if problems:
        raise unprocessable(*problems)
    assert sentiment is not None
    row = sb.store["taskOutcomes"].insert(new_outcome(str(title), sentiment, now()[0], sb.user_id))
    out = render_outcome(req, sb.store, row)
    return 200, {"taskOutcome": {k: out[k] for k in ("title", "sentiment", "created_by", "links", "id")} | {"disabled": ""}}


def list_outcomes(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["taskOutcomes"])
    sentiment = SENTIMENT_FILTER.get(flt(req, "sentiment") or "")
    if sentiment:
        rows = [r for r in rows if r["sentiment"] == sentiment]
    chosen, total = paginate(rows, req)
    return 200, {"taskOutcomes": [render_outcome(req, sb.store, r) for r in chosen], "meta": {"total": str(total)}}


def get_outcome(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = require(sb.store["taskOutcomes"].get(req.params["id"]), "TaskOutcome", req.params["id"])
    return 200, {"taskOutcome": render_outcome(req, sb.store, row)}


def render_rel(req: Request, row: dict) -> dict:
    return {
        "tasktype_id": row["tasktype"],
        "outcome_id": row["outcome"],
        "display_order": row["display_order"],
        "created_by": row["createdBy"],
        "created_utc_timestamp": row["cdate"],
        "updated_by": None,
        "updated_utc_timestamp": row["cdate"],
        "links": {k: f"{req.base_url}/api/3/tasktypeOutcomeRels/{row['id']}/{k}" for k in ("tasktype", "outcome", "createdBy")},
        "id": row["id"],
        "tasktype": row["tasktype"],
        "outcome": row["outcome"],
        "createdBy": row["createdBy"],
    }


def create_rel(sb: Sandbox, req: Request) -> tuple[int, Any]:
    """The doc's request example is a copy of create-a-task-outcome; the field names are the response's."""
    store = sb.store
    data = req.wrapper("tasktypeOutcomeRel")
    kind = need(data, "tasktype_id" if "tasktype_id" in data else "tasktype", "The tasktype was not provided.")
    outcome = need(data, "outcome_id" if "outcome_id" in data else "outcome", "The outcome was not provided.")
    if store["dealTasktypes"].get(kind) is None:
        raise related_missing("tasktype", f"No deal task type with id {kind} exists.")
    if store["taskOutcomes"].get(outcome) is None:
        raise related_missing("outcome", f"No task outcome with id {outcome} exists.")
    row = store["tasktypeOutcomeRels"].insert(new_rel(str(kind), str(outcome), now()[0], sb.user_id))
    return 200, {"tasktypeOutcomeRel": render_rel(req, row)}


def new_rel(kind: str, outcome: str, stamp: str | None, user: str = "1", order: int = 0) -> dict:
    return {"tasktype": kind, "outcome": outcome, "display_order": str(order), "createdBy": user, "cdate": stamp}


def list_rels(sb: Sandbox, req: Request) -> tuple[int, Any]:
    chosen, total = paginate(list(sb.store["tasktypeOutcomeRels"]), req)
    return 200, {"tasktypeOutcomeRels": [render_rel(req, r) for r in chosen], "meta": {"total": str(total)}}


def register(router: Router) -> None:
    router.add("POST", "/dealTasks", create)
    router.add("GET", "/dealTasks", list_)
    router.add("GET", "/dealTasks/{id}", get)
    router.add("PUT", "/dealTasks/{id}", update)
    router.add("DELETE", "/dealTasks/{id}", delete)
    router.add("POST", "/dealTasktypes", create_type)
    router.add("GET", "/dealTasktypes", list_types)
    router.add("GET", "/dealTasktypes/{id}", get_type)
    router.add("PUT", "/dealTasktypes/{id}", update_type)
    router.add("DELETE", "/dealTasktypes/{id}", delete_type)
    router.add("PUT", "/dealTasktypes/{id}/dealTasks", move_tasks)
    router.add("POST", "/taskOutcomes", create_outcome)
    router.add("GET", "/taskOutcomes", list_outcomes)
    router.add("GET", "/taskOutcomes/{id}", get_outcome)
    router.add("POST", "/tasktypeOutcomeRels", create_rel)
    router.add("GET", "/tasktypeOutcomeRels", list_rels)
