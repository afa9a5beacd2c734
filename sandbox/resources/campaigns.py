"""Campaigns (seeded, read-only here): list with filters[seriesid] and orders[sdate|ldate], get one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import not_found
from ..router import Router
from ..wire import Request
from .common import contains, flt, order, paginate

if TYPE_CHECKING:
    from ..account import Sandbox

STATIC = {
    "segmentid": "0",
    "bounceid": "-1",
    "realcid": "0",
    "sendid": "0",
    "threadid": "0",
    "formid": "0",
    "basetemplateid": "",
    "basemessageid": "0",
    "addressid": "0",
    "source": "web",
}
FLAGS = {
    "uniqueforwards": "0",
    "unsubreasons": "0",
    "updates": "0",
    "socialshares": "0",
    "replies": "0",
    "uniquereplies": "0",
    "public": "1",
    "mail_transfer": "0",
    "mail_send": "0",
    "mail_cleanup": "0",
    "mailer_log_file": "0",
    "tracklinks": "all",
    "tracklinksanalytics": "0",
    "trackreads": "1",
    "trackreadsanalytics": "1",
    "analytics_campaign_name": "",
    "tweet": "0",
    "facebook": "0",
    "survey": "",
    "embed_images": "0",
    "htmlunsub": "0",
    "textunsub": "0",
    "htmlunsubdata": None,
    "textunsubdata": None,
    "recurring": "day1",
    "willrecur": "0",
    "split_type": "even",
    "split_content": "0",
    "split_offset": "2",
    "split_offset_type": "day",
    "split_winner_messageid": "0",
    "split_winner_awaiting": "0",
    "responder_offset": "0",
    "responder_type": "subscribe",
    "responder_existing": "0",
    "reminder_field": "sdate",
    "reminder_format": None,
    "reminder_type": "month_day",
    "reminder_offset": "0",
    "reminder_offset_type": "day",
    "reminder_offset_sign": "+",
    "reminder_last_cron_run": None,
    "activerss_interval": "day1",
    "activerss_url": None,
    "activerss_items": "10",
    "ip4": "0",
    "laststep": "designer",
    "managetext": "0",
    "schedule": "0",
    "scheduleddate": None,
    "waitpreview": "0",
    "deletestamp": None,
    "replysys": "0",
}
COUNTS = (
    "send_amt",
    "total_amt",
    "opens",
    "uniqueopens",
    "linkclicks",
    "uniquelinkclicks",
    "subscriberclicks",
    "forwards",
    "hardbounces",
    "softbounces",
    "unsubscribes",
)


def render(req: Request, row: dict) -> dict:
    out: dict[str, Any] = {
        "type": row["type"],
        "userid": "1",
        **STATIC,
        "seriesid": row["automation"] or "0",
        "name": row["name"],
        "cdate": row["cdate"],
        "mdate": row["mdate"],
        "sdate": row["sdate"],
        "ldate": row["ldate"],
    }
    for key in COUNTS:
        out[key] = str(row[key])
    out.update(FLAGS)
    out["status"] = row["status"]
    out["links"] = {
        k: f"{req.base_url}/api/3/campaigns/{row['id']}/{k}"
        for k in (
            "user",
            "automation",
            "campaignMessage",
            "campaignMessages",
            "links",
            "aggregateRevenues",
            "segment",
            "campaignLists",
        )
    }
    out.update({"id": row["id"], "user": "1", "automation": row["automation"]})
    return out


def list_(sb: Sandbox, req: Request) -> tuple[int, Any]:
    rows = list(sb.store["campaigns"])
    series = flt(req, "seriesid")
    if series not in (None, ""):
        rows = [r for r in rows if (r["automation"] or "0") == series]
    name = flt(req, "name")
    if name:
        rows = [r for r in rows if contains(r["name"], name)]
    rows = order(
        rows, req, {"sdate": lambda r: r["sdate"] or "", "ldate": lambda r: r["ldate"] or "", "id": lambda r: int(r["id"])}
    )
    chosen, total = paginate(rows, req)
    return 200, {"campaigns": [render(req, r) for r in chosen], "meta": {"total": str(total)}}


def get(sb: Sandbox, req: Request) -> tuple[int, Any]:
    row = sb.store["campaigns"].get(req.params["id"])
    if row is None:
        raise not_found("Campaign", req.params["id"])
    return 200, {"campaign": render(req, row)}


def register(router: Router) -> None:
    router.add("GET", "/campaigns", list_)
    router.add("GET", "/campaigns/{id}", get)
