"""Users (read-only here: users/me, by id, by e-mail, by username, list) and user groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import message, not_found
from ..router import Router
from ..wire import Request
from .common import contains, flt, paginate

if TYPE_CHECKING:
    from ..account import Sandbox

GROUP_PERMISSIONS = (
    "pgListAdd",
    "pgListEdit",
    "pgListDelete",
    "pgListHeaders",
    "pgListEmailaccount",
    "pgListBounce",
    "pgMessageAdd",
    "pgMessageEdit",
    "pgMessageDelete",
    "pgMessageSend",
    "pgContactAdd",
    "pgContactEdit",
    "pgContactDelete",
    "pgContactMerge",
    "pgContactImport",
    "pgContactApprove",
    "pgContactExport",
    "pgContactSync",
    "pgContactFilters",
    "pgContactActions",
    "pgContactFields",
    "pg_user_add",
    "pg_user_edit",
    "pg_user_delete",
    "pgGroupAdd",
    "pgGroupEdit",
    "pgGroupDelete",
    "pgTemplateAdd",
    "pgTemplateEdit",
    "pgTemplateDelete",
    "pgPersonalizationAdd",
    "pgPersonalizationEdit",
    "pgPersonalizationDelete",
    "pgAutomationManage",
    "pgFormEdit",
    "pgReportsCampaign",
    "pgReportsList",
    "pgReportsUser",
    "pgReportsTrend",
    "pgStartupReports",
    "pgStartupGettingstarted",
    "pgDeal",
    "pgDealDelete",
    "pgDealReassign",
    "pgDealGroupAdd",
    "pgDealGroupEdit",
    "pgDealGroupDelete",
    "pgSavedResponsesManage",
)


def render(req: Request, row: dict) -> dict:
    return {
        "username": row["username"],
        "firstName": row["firstName"],
        "lastName": row["lastName"],
        "email": row["email"],
        "phone": row.get("phone", ""),
        "signature": None,
        "links": {
            k: f"{req.base_url}/api/3/users/{row['id']}/{k}"
            for k in (
                "lists",
                "userGroup",
                "dealGroupTotals",
                "dealGroupUsers",
                "configs",
                "dealConnection",
                "userConversationsPermission",
                "seatUser",
            )
        },
        "id": row["id"],
    }


def render_group(req: Request, row: dict) -> dict:
    admin = row.get("admin", False)
    out: dict[str, Any] = {
        "title": row["title"],
        "descript": row.get("descript"),
        "unsubscribelink": "0",
        "optinconfirm": "0",
        "p_admin": "1" if admin else "0",
    }
    for key in GROUP_PERMISSIONS:
        out[key] = "1" if admin or key in row.get("allow", ()) else "0"
    out.update(
        {
            "sdate": row["sdate"],
            "reqApproval": "0",
            "reqApproval1st": "2",
            "reqApprovalNotify": "",
            "socialdata": "0",
            "links": {
                k: f"{req.base_url}/api/3/groups/{row['id']}/{k}"
                for k in ("userGroups", "groupLimit", "dealGroupGroups", "listGroups", "addressGroups", "automationGroups")
            },
            "id": row["id"],
        }
    )
    return out


def me(sb: Sandbox, req: Request) -> tuple[int, Any]:
    return 200, {"user": render(req, sb.user())}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["users"].get(req.params["id"])
    if row is None:
        raise not_found("User", req.params["id"])
    return 200, {"user": render(req, row)}


def by_email(sb: Sandbox, req: Request) -> tuple[int, Any]:
    email = req.params["email"].lower()
    row = next((u for u in sb.store["users"] if u["email"].lower() == email), None)
    if row is None:
        raise message(404, f"No Result found for User with email {req.params['email']}")
    return 200, {"user": render(req, row)}


def by_username(sb: Sandbox, req: Request) -> tuple[int, Any]:
    name = req.params["username"].lower()
    row = next((u for u in sb.store["users"] if u["username"].lower() == name), None)
    if row is None:
        raise message(404, f"No Result found for User with username {req.params['username']}")
    return 200, {"user": render(req, row)}


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["users"])
    for key in ("username", "email", "firstName", "lastName"):
        wanted = flt(req, key)
        if wanted is not None:
            rows = [r for r in rows if contains(r.get(key), wanted)]
    search = req.q("search")
    if search:
        rows = [r for r in rows if any(contains(r.get(k), search) for k in ("username", "email", "firstName", "lastName"))]
    chosen, total = paginate(rows, req)
    return 200, {"users": [render(req, r) for r in chosen], "meta": {"total": str(total)}}


def groups(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["groups"])
    title = flt(req, "title")
    if title is not None:
        rows = [r for r in rows if contains(r["title"], title)]
    chosen, total = paginate(rows, req)
    return 200, {"groups": [render_group(req, r) for r in chosen], "meta": {"total": str(total)}}


def group(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["groups"].get(req.params["id"])
    if row is None:
        raise not_found("Group", req.params["id"])
    return 200, {"group": render_group(req, row)}


def register(router: Router) -> None:
    router.add("GET", "/users", list_)
    router.add("GET", "/users/me", me)
    router.add("GET", "/users/{id}", get)
    router.add("GET", "/users/email/{email}", by_email)
    router.add("GET", "/users/username/{username}", by_username)
    router.add("GET", "/groups", groups)
    router.add("GET", "/groups/{id}", group)
