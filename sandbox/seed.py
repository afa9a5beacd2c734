"""The seeded account: small, fixed, and enough for every operation to have something to act on.

Documented in sandbox/README.md ("Seeded account"); tests rely on these ids, so change both together.
"""

from __future__ import annotations

from datetime import datetime

from .clock import ACCOUNT_TZ, iso
from .store import Store

T0 = datetime(2024, 1, 15, 10, 0, 0, tzinfo=ACCOUNT_TZ).timestamp()


def _at(hours: float) -> tuple[str, float]:
    ts = T0 + hours * 3600
    return iso(ts), ts


def seed_user(store: Store) -> None:
    """The user the API key belongs to: even an empty account has it (users/me)."""
    store["users"].insert(
        {"username": "admin", "firstName": "Alex", "lastName": "Admin", "email": "admin@example.com", "phone": "", "group": "1"}
    )


def seed_account(store: Store) -> None:
    from .resources import contacts, deals, fields, lists, pipelines, tasks

    s0, _ = _at(0)
    seed_user(store)
    users = store["users"]
    users.insert(
        {
            "username": "sam",
            "firstName": "Sam",
            "lastName": "Seller",
            "email": "sam.seller@example.com",
            "phone": "",
            "group": "2",
        }
    )

    groups = store["groups"]
    groups.insert(
        {
            "title": "Admin",
            "descript": "This is a group for admin users (people that can manage content)",
            "admin": True,
            "sdate": s0,
        }
    )
    groups.insert(
        {
            "title": "Sales",
            "descript": "Sales team: contacts and deals",
            "sdate": s0,
            "allow": ("pgContactAdd", "pgContactEdit", "pgDeal", "pgDealReassign", "pgReportsTrend"),
        }
    )

    autos = store["automations"]
    # Status 1 active, 2 inactive (stopped), 0 inactive and never started (a draft).
    for hours, name, status, entered in (
        (1, "Welcome Series", "1", 12),
        (2, "Abandoned Cart Follow-up", "1", 4),
        (3, "Old Newsletter Drip", "2", 40),
        (3.5, "Draft Onboarding", "0", 0),
    ):
        stamp, _ = _at(hours)
        autos.insert(
            {"name": name, "cdate": stamp, "mdate": stamp, "status": status, "entered": entered, "exited": entered // 2}
        )

    lst = store["lists"]
    lst.insert(
        lists.new_row(
            "Newsletter",
            "newsletter",
            "https://www.example.com",
            "You signed up for our newsletter on example.com.",
            stamp=_at(4)[0],
        )
    )
    lst.insert(
        lists.new_row(
            "Customers", "customers", "https://www.example.com", "You are a customer of Example Inc.", stamp=_at(5)[0]
        )
    )

    flds = store["fields"]
    flds.insert(fields.new_row("Company Size", "dropdown", stamp=_at(6)[0], ordernum="1"))
    flds.insert(fields.new_row("Birthday", "date", stamp=_at(6)[0], ordernum="2"))
    stamp = _at(6)[0]
    for order, value in enumerate(("1-10", "11-50", "51-200"), start=1):
        store["fieldOptions"].insert(
            {"field": "1", "orderid": order, "value": value, "label": value, "isdefault": 0, "cdate": stamp, "udate": stamp}
        )
    for fid in ("1", "2"):
        store["fieldRels"].insert({"field": fid, "relid": "0", "cdate": stamp})

    messages = store["messages"]
    for hours, name, subject in (
        (7, "Spring Newsletter", "Spring is here at Example Inc"),
        (8, "Product Launch", "Meet the new Example Widget"),
        (9, "Welcome Email", "Welcome to Example Inc, %FIRSTNAME%"),
    ):
        stamp, _ = _at(hours)
        messages.insert(
            {
                "name": name,
                "fromname": "Example Inc",
                "fromemail": "news@example.com",
                "reply2": "hello@example.com",
                "subject": subject,
                "preheader_text": "",
                "text": f"{subject}\n\nHello %FIRSTNAME%,",
                "html": f"<p>{subject}</p>",
                "cdate": stamp,
                "mdate": stamp,
                "userid": "1",
            }
        )

    campaigns = store["campaigns"]
    for hours, name, status, sent, opens, clicks, message, automation in (
        (10, "Spring Newsletter", "5", 1200, 480, 96, "1", None),
        (11, "Product Launch", "5", 800, 360, 120, "2", None),
        (12, "Welcome Email", "1", 37, 25, 9, "3", "1"),
    ):
        stamp, _ = _at(hours)
        campaigns.insert(
            {
                "name": name,
                "status": status,
                "send_amt": sent,
                "total_amt": sent,
                "opens": opens * 2,
                "uniqueopens": opens,
                "linkclicks": clicks * 2,
                "uniquelinkclicks": clicks,
                "subscriberclicks": clicks,
                "forwards": 3,
                "hardbounces": 4,
                "softbounces": 6,
                "unsubscribes": 5,
                "cdate": stamp,
                "mdate": stamp,
                "sdate": stamp if status != "0" else None,
                "ldate": stamp if status == "5" else None,
                "message": message,
                "automation": automation,
                "type": "single" if automation is None else "responder",
            }
        )

    for title in ("Call", "Email"):
        store["dealTasktypes"].insert({"title": title, "status": "0", "defduration": "0", "cdate": None, "udate": None})
    stamp = _at(12.5)[0]
    for title, sentiment in (("Interested", "POSITIVE"), ("Not interested", "NEGATIVE")):
        store["taskOutcomes"].insert(tasks.new_outcome(title, sentiment, stamp))
    for order, outcome in enumerate(("1", "2")):  # Email tasks need an outcome when completed; Call tasks do not
        store["tasktypeOutcomeRels"].insert(tasks.new_rel("2", outcome, stamp, order=order))

    pipelines.create_pipeline(store, "Sales Pipeline", "usd", stamp=_at(13)[0])
    store["dealCustomFieldMeta"].insert({"fieldLabel": "Close reason", "fieldType": "text"})
    store["dealCustomFieldMeta"].insert({"fieldLabel": "Expected close date", "fieldType": "date"})
    store["accounts"].insert(
        {
            "name": "Globex Corporation",
            "accountUrl": "https://www.globex.example",
            "created": _at(13)[0],
            "updated": _at(13)[0],
            "fields": [],
            "owner": "1",
        }
    )

    for hours, email, first, last in (
        (14, "jane.doe@example.com", "Jane", "Doe"),
        (15, "john.smith@example.com", "John", "Smith"),
    ):
        stamp, ts = _at(hours)
        contacts.add(store, contacts.new_row(email, first, last, "", ts=ts, stamp=stamp))
    stamp, _ = _at(16)
    store["contactLists"].insert(
        {"contact": "1", "list": "1", "status": "1", "sdate": stamp, "udate": None, "sourceid": "0", "_names": ("Jane", "Doe")}
    )
    store["fieldValues"].insert({"contact": "1", "field": "1", "value": "11-50", "cdate": stamp, "udate": stamp})
    store["tags"].insert({"tag": "customer", "tagType": "contact", "description": "Paying customers", "cdate": stamp})
    store["contactTags"].insert({"contact": "1", "tag": "1", "cdate": stamp})
    # A bulk import done earlier (Jane and John), so import/info has a batch to report.
    store.extra.setdefault("imports", {})["0c6a6fd1-4a1d-4be8-9c27-33f3d7ebfc55"] = {
        "ready_at": 0.0,
        "success": ["1", "2"],
        "failure": [],
        "status": "completed",
    }

    stamp, ts = _at(17)
    store["deals"].insert(
        deals.new_row(
            title="Example Widget renewal",
            value=120000,
            currency="usd",
            contact="1",
            group="1",
            stage="1",
            owner="1",
            stamp=stamp,
            ts=ts,
        )
    )
    store["deals"].update(store["deals"].get("1"), {"fields": [{"customFieldId": 1, "fieldValue": "Renewal"}]})
    store["notes"].insert(
        {
            "note": "Asked for a quote for 20 seats.",
            "relid": "1",
            "reltype": "Deal",
            "userid": "1",
            "cdate": stamp,
            "mdate": stamp,
        }
    )
    store["dealTasks"].insert(
        {
            "title": "Call Jane about the renewal",
            "note": "Follow up on the quote",
            "relid": "1",
            "reltype": "Deal",
            "dealTasktype": "1",
            "duedate": _at(48)[0],
            "edate": _at(48.25)[0],
            "status": 0,
            "user": "1",
            "assignee": "1",
            "cdate": stamp,
            "udate": stamp,
            "automation": None,
            "doneAutomation": None,
            "outcomeId": None,
            "outcomeInfo": None,
        }
    )
    # A registration for the webhook operations' examples; the sandbox never emits sms_reply, so it never fires.
    store["webhooks"].insert(
        {
            "name": "Example hook",
            "url": "https://hooks.example.com/ac",
            "events": ["sms_reply"],
            "sources": ["public"],
            "listid": "0",
            "cdate": stamp,
        }
    )
