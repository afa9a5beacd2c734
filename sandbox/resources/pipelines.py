"""Deal pipelines (dealGroups) and stages (dealStages), and moving deals between stages.

Deletes cascade as the official reference says:
- DELETE dealGroups/{id} succeeds (200 {}) and removes the pipeline's stages and deals (with their
  notes and tasks): "the DELETE request will remove all stages and deals associated with it"
  (developers.activecampaign.com/reference/delete-a-pipeline).
- DELETE dealStages/{id} succeeds (200 {}) and deletes the deals still in the stage (with their
  notes and tasks): "If the deal stage has existing deals, the request will delete all associated
  deals" (developers.activecampaign.com/reference/delete-a-deal-stage).

A new pipeline gets three stages: To Contact, In Contact, Follow Up ("A newly created pipeline comes with
3 default stages", reference "Pipelines"; names LIVE). Without `autoassign` it is 0 (LIVE), so deals
created in it need an explicit owner. That the deleted deals take their notes and tasks with them is a
guess (sandbox/README.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import field_invalid, related_missing, status_error
from ..router import Router
from ..store import Store
from ..wire import Request
from .common import contains, flt, int_field, need, now, order, paginate, require

if TYPE_CHECKING:
    from ..account import Sandbox

DEFAULT_STAGES = (("To Contact", "19CCA3"), ("In Contact", "5487FF"), ("Follow Up", "FBD965"))
CARD_DEFAULTS = {
    "cardRegion1": "title",
    "cardRegion2": "next-action",
    "cardRegion3": "show-avatar",
    "cardRegion4": "contact-fullname-acctname",
    "cardRegion5": "value",
}


def _flag(value: Any, default: str) -> str:
    return default if value in (None, "") else str(int(value)) if str(value).isdigit() else default


def create_pipeline(
    store: Store,
    title: str,
    currency: str,
    stamp: str | None = None,
    allgroups: str = "1",
    allusers: str = "1",
    autoassign: str = "1",
    users: list[str] | None = None,
    groups: list[str] | None = None,
) -> dict:
    stamp = stamp or now()[0]
    row = store["dealGroups"].insert(
        {
            "title": title,
            "currency": currency.lower(),
            "allgroups": allgroups,
            "allusers": allusers,
            "autoassign": autoassign,
            "cdate": stamp,
            "udate": stamp,
        }
    )
    for position, (name, color) in enumerate(DEFAULT_STAGES, start=1):
        store["dealStages"].insert(new_stage(name, row["id"], position, color=color))
    _set_members(store, row, users or [], groups or [])
    return row


def _set_members(store: Store, row: dict, users: list, groups: list) -> None:
    for table, key, ids in (("dealGroupUsers", "user", users), ("dealGroupGroups", "group", groups)):
        t = store[table]
        for old in [m for m in t if m["dealGroup"] == row["id"]]:
            t.delete(old["id"])
        for member in ids:
            t.insert({"dealGroup": row["id"], key: str(member), "cdate": None})


def new_stage(
    title: str,
    group: str,
    position: int,
    color: str = "3f3f3f",
    width: int = 280,
    deal_order: str = "next-action DESC",
    stamp: str | None = None,
    **cards: str,
) -> dict:
    return {
        "title": title,
        "group": group,
        "order": position,
        "color": color,
        "width": width,
        "dealOrder": deal_order,
        **CARD_DEFAULTS,
        **cards,
        "cdate": stamp,
        "udate": stamp,
    }


# -- rendering ------------------------------------------------------------------------------
def render_stage(req: Request, row: dict, numbers: bool = False) -> dict:
    out = {key: row[key] for key in CARD_DEFAULTS}
    out.update(
        {
            "cdate": row["cdate"],
            "color": row["color"],
            "dealOrder": row["dealOrder"],
            "group": row["group"],
            "id": row["id"],
            "order": row["order"] if numbers else str(row["order"]),
            "title": row["title"],
            "udate": row["udate"],
            "width": row["width"] if numbers else str(row["width"]),
            "links": {"group": f"{req.base_url}/api/3/dealStages/{row['id']}/group"},
        }
    )
    return out


def _stages_of(store: Store, group_id: str) -> list[dict]:
    return sorted(store["dealStages"].where("group", group_id), key=lambda s: (int(s["order"]), int(s["id"])))


def render_group(req: Request, store: Store, row: dict) -> dict:
    return {
        "allgroups": row["allgroups"],
        "allusers": row["allusers"],
        "autoassign": row["autoassign"],
        "win_probability_initialize_date": None,
        "source": "",  # LIVE get-deal-group (2026-05-28)
        "cdate": row["cdate"],
        "currency": row["currency"],
        "id": row["id"],
        "stages": [s["id"] for s in _stages_of(store, row["id"])],
        "title": row["title"],
        "udate": row["udate"],
        "links": {
            k: f"{req.base_url}/api/3/dealGroups/{row['id']}/{k}"
            for k in ("stages", "dealGroupUsers", "dealGroupGroups", "winProbabilityFeatures")
        },
    }


def _members(req: Request, store: Store, row: dict) -> tuple[list[dict], list[dict]]:
    users = [
        {
            "cdate": m["cdate"],
            "dealGroup": m["dealGroup"],
            "id": m["id"],
            "user": m["user"],
            "links": {k: f"{req.base_url}/api/3/dealGroupUsers/{m['id']}/{k}" for k in ("dealGroup", "user")},
        }
        for m in store["dealGroupUsers"]
        if m["dealGroup"] == row["id"]
    ]
    groups = [
        {
            "cdate": m["cdate"],
            "dealGroup": m["dealGroup"],
            "id": m["id"],
            "group": m["group"],
            "links": {k: f"{req.base_url}/api/3/dealGroupGroups/{m['id']}/{k}" for k in ("dealGroup", "group")},
        }
        for m in store["dealGroupGroups"]
        if m["dealGroup"] == row["id"]
    ]
    return users, groups


def _written_group(req: Request, store: Store, row: dict) -> dict:
    users, groups = _members(req, store, row)
    out = render_group(req, store, row)
    out.update({"dealGroupGroups": [g["id"] for g in groups], "dealGroupUsers": [u["id"] for u in users], "source": ""})
    return out


# -- pipelines ------------------------------------------------------------------------------
def _pipeline(store: Store, id_: str) -> dict:
    return require(store["dealGroups"].get(id_), "DealGroup", id_)


def _id_list(data: dict, key: str, table: Any, label: str) -> list[str] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list):
        raise field_invalid(key, f"{key} must be an array of ids.")
    for item in value:
        if table.get(item) is None:
            raise related_missing(key, f"No {label} with id {item} exists.")
    return [str(v) for v in value]


def create_group(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    data = req.wrapper("dealGroup")
    title = str(need(data, "title", "The pipeline title was not provided."))
    currency = str(need(data, "currency", "The pipeline currency was not provided."))
    if len(currency) != 3 or not currency.isalpha():
        raise field_invalid("currency", "The currency must be a 3-letter ISO code.")
    users = _id_list(data, "users", store["users"], "user") or []
    groups = _id_list(data, "groups", store["groups"], "group") or []
    autoassign = _flag(data.get("autoassign"), "0")
    if autoassign not in ("0", "1", "2"):
        raise field_invalid("autoassign", "autoassign must be 0, 1 or 2.")
    row = create_pipeline(
        store,
        title,
        currency,
        allgroups=_flag(data.get("allgroups"), "1"),
        allusers=_flag(data.get("allusers"), "0"),
        autoassign=autoassign,
        users=users,
        groups=groups,
    )
    users_out, groups_out = _members(req, store, row)
    return 201, {
        "dealStages": [render_stage(req, s) for s in _stages_of(store, row["id"])],
        "dealGroupUsers": users_out,
        "dealGroupGroups": groups_out,
        "dealGroup": _written_group(req, store, row),
    }


def list_groups(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    rows = list(store["dealGroups"])
    title = flt(req, "title")
    if title:
        rows = [r for r in rows if contains(r["title"], title)]
    have = flt(req, "have_stages")
    if have in ("0", "1"):
        rows = [r for r in rows if bool(_stages_of(store, r["id"])) == (have == "1")]
    rows = order(
        rows,
        req,
        {
            "title": lambda r: r["title"].lower(),
            "id": lambda r: int(r["id"]),
            "popular": lambda r: -len(store["deals"].where("group", r["id"])),
        },
    )
    chosen, total = paginate(rows, req)
    stages = [render_stage(req, s) for r in chosen for s in _stages_of(store, r["id"])]
    return 200, {"dealGroups": [render_group(req, store, r) for r in chosen], "dealStages": stages, "meta": {"total": total}}


def get_group(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = _pipeline(sb.store, req.params["id"])
    return 200, {
        "dealGroup": render_group(req, sb.store, row),
        "dealStages": [render_stage(req, s) for s in _stages_of(sb.store, row["id"])],
    }


def update_group(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = _pipeline(store, req.params["id"])
    data = req.wrapper("dealGroup")
    changes: dict[str, Any] = {}
    if data.get("title") not in (None, ""):
        changes["title"] = str(data["title"])
    if data.get("currency") not in (None, ""):
        if len(str(data["currency"])) != 3:
            raise field_invalid("currency", "The currency must be a 3-letter ISO code.")
        changes["currency"] = str(data["currency"]).lower()
    for key in ("allgroups", "allusers", "autoassign"):
        if data.get(key) not in (None, ""):
            changes[key] = _flag(data[key], row[key])
    users = _id_list(data, "users", store["users"], "user")
    groups = _id_list(data, "groups", store["groups"], "group")
    changes["udate"] = now()[0]
    store["dealGroups"].update(row, changes)
    if users is not None or groups is not None:
        old_users, old_groups = _members(req, store, row)
        _set_members(
            store,
            row,
            users if users is not None else [u["user"] for u in old_users],
            groups if groups is not None else [g["group"] for g in old_groups],
        )
    users_out, groups_out = _members(req, store, row)
    return 200, {"dealGroup": _written_group(req, store, row), "dealGroupGroups": groups_out, "dealGroupUsers": users_out}


def delete_group(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import deals

    store = sb.store
    row = _pipeline(store, req.params["id"])
    for deal in store["deals"].where("group", row["id"]):
        deals.remove(store, deal)
    for stage in store["dealStages"].where("group", row["id"]):
        store["dealStages"].delete(stage["id"])
    _set_members(store, row, [], [])
    store["dealGroups"].delete(row["id"])
    return 200, {}


# -- stages ---------------------------------------------------------------------------------
def _stage(store: Store, id_: str) -> dict:
    return require(store["dealStages"].get(id_), "DealStage", id_)


def _stage_fields(data: dict) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("color", "dealOrder", *CARD_DEFAULTS):
        if data.get(key) not in (None, ""):
            changes[key] = str(data[key]).lstrip("#") if key == "color" else str(data[key])
    if data.get("width") not in (None, ""):
        changes["width"] = int_field(data, "width", minimum=1)
    return changes


def _reorder(store: Store, group: str, position: int, moving: dict | None) -> None:
    for stage in store["dealStages"].where("group", group):
        if stage is not moving and int(stage["order"]) >= position:
            stage["order"] = int(stage["order"]) + 1


def create_stage(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    data = req.wrapper("dealStage")
    title = str(need(data, "title", "The stage title was not provided."))
    if data.get("group") in (None, ""):
        need(data, "group", "The stage group (pipeline) was not provided.")
    group = store["dealGroups"].get(data["group"])
    if group is None:
        raise related_missing("group", f"No pipeline with id {data['group']} exists.")
    siblings = store["dealStages"].where("group", group["id"])
    position = int_field(data, "order", default=max((int(s["order"]) for s in siblings), default=0) + 1, minimum=1)
    assert position is not None
    if req.q("reorder") == "1":
        _reorder(store, group["id"], position, None)
    stamp = now()[0]
    row = new_stage(title, group["id"], position, stamp=stamp)
    row.update(_stage_fields(data))
    store["dealStages"].insert(row)
    return 201, {"dealStage": render_stage(req, row, numbers=True), "dealGroups": [render_group(req, store, group)]}


def list_stages(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    rows = list(store["dealStages"])
    group = flt(req, "d_groupid") or flt(req, "group")
    if group:
        rows = [r for r in rows if r["group"] == group]
    title = flt(req, "title")
    if title:
        rows = [r for r in rows if contains(r["title"], title)]
    rows = order(
        rows, req, {"title": lambda r: r["title"].lower(), "id": lambda r: int(r["id"]), "order": lambda r: int(r["order"])}
    )
    chosen, total = paginate(rows, req)
    return 200, {"dealStages": [render_stage(req, r) for r in chosen], "meta": {"total": total}}


def get_stage(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"dealStage": render_stage(req, _stage(sb.store, req.params["id"]))}


def update_stage(sb: Sandbox, req: Request) -> tuple[int, Any]:
    store = sb.store
    row = _stage(store, req.params["id"])
    data = req.wrapper("dealStage")
    changes = _stage_fields(data)
    if data.get("title") not in (None, ""):
        changes["title"] = str(data["title"])
    if data.get("group") not in (None, "") and str(data["group"]) != row["group"]:
        target = store["dealGroups"].get(data["group"])
        if target is None:
            raise related_missing("group", f"No pipeline with id {data['group']} exists.")
        changes["group"] = target["id"]
        for deal in store["deals"].where("stage", row["id"]):
            store["deals"].update(deal, {"group": target["id"]})
    if data.get("order") not in (None, ""):
        position = int_field(data, "order", minimum=1)
        if req.q("reorder") == "1":
            _reorder(store, changes.get("group", row["group"]), position, row)  # type: ignore[arg-type]
        changes["order"] = position
    changes["udate"] = now()[0]
    store["dealStages"].update(row, changes)
    group = store["dealGroups"].rows[int(row["group"])]
    return 200, {"dealStage": render_stage(req, row, numbers=True), "dealGroups": [render_group(req, store, group)]}


def delete_stage(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import deals

    store = sb.store
    row = _stage(store, req.params["id"])
    for deal in store["deals"].where("stage", row["id"]):
        deals.remove(store, deal)
    store["dealStages"].delete(row["id"])
    return 200, {}


def move_deals(sb: Sandbox, req: Request) -> tuple[int, Any]:
    from . import deals

    store = sb.store
    source = _stage(store, req.params["id"])
    data = req.wrapper("deal")
    if data.get("stage") in (None, ""):
        raise status_error(422, "Missing attribute", attribute="stage")
    target = store["dealStages"].get(data["stage"])
    if target is None:
        raise status_error(422, "Invalid attribute", f"Stage {data['stage']} does not exist", "stage")
    if target["group"] != source["group"]:
        raise status_error(422, "Invalid attribute", "Target stage does not belong to same pipeline", "stage")
    stamp, ts = now()
    moved = []
    for deal in store["deals"].where("stage", source["id"]):
        store["deals"].update(deal, {"stage": target["id"], "mdate": stamp, "_u": ts})
        moved.append(deals.render(req, deal))
    return 200, {"deals": moved}


def register(router: Router) -> None:
    router.add("POST", "/dealGroups", create_group)
    router.add("GET", "/dealGroups", list_groups)
    router.add("GET", "/dealGroups/{id}", get_group)
    router.add("PUT", "/dealGroups/{id}", update_group)
    router.add("DELETE", "/dealGroups/{id}", delete_group)
    router.add("POST", "/dealStages", create_stage)
    router.add("GET", "/dealStages", list_stages)
    router.add("GET", "/dealStages/{id}", get_stage)
    router.add("PUT", "/dealStages/{id}", update_stage)
    router.add("DELETE", "/dealStages/{id}", delete_stage)
    router.add("PUT", "/dealStages/{id}/deals", move_deals)
