"""Polling triggers: read what happened since the last poll, in order, and record it exactly once.

For every page: its events and the cursor after them are written in ONE transaction
(``TriggerStore.advance``). A poller killed between receiving a page and recording it leaves nothing
behind and reads the page again when restarted; a page recorded twice (two pollers) adds nothing, since
event keys are unique. Runs are then started from the recorded events (dispatch.py), once each.
Listings go through the engine's Connector, so a poller spends the same rate-limit budget as every
other call for the account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import yaml

from .catalog import HERE
from .store import TriggerStore, event_key

PAGE = 100
OnPage = Callable[[str, int], None]


@dataclass(frozen=True)
class PollSpec:
    name: str
    title: str
    description: str
    operation: str
    items: str
    object: str
    strategy: str
    input: dict[str, Any]
    after: str | None = None
    since: str | None = None
    time: str | None = None
    field: str | None = None
    parameter: str | None = None

    def public(self, connector: Any) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameter": self.parameter,
            "output_schema": poll_output_schema(self.name, connector),
        }


@cache
def poll_specs() -> dict[str, PollSpec]:
    data = yaml.safe_load((HERE / "polls.yaml").read_text(encoding="utf-8"))["polls"]
    return {
        name: PollSpec(
            name=name,
            title=p["title"],
            description=p["description"],
            operation=p["operation"],
            items=p["items"],
            object=p["object"],
            strategy=p["strategy"],
            input=dict(p.get("input", {})),
            after=p.get("after"),
            since=p.get("since"),
            time=p.get("time"),
            field=p.get("field"),
            parameter=p.get("parameter"),
        )
        for name, p in data.items()
    }


def poll_output_schema(name: str, connector: Any) -> dict[str, Any]:
    """`$.trigger` of a poll event: the event name and the object as its listing operation returns it."""
    spec = poll_specs()[name]
    listing = connector.describe(spec.operation)["output"]
    item = listing.get("properties", {}).get(spec.items, {}).get("items", {"type": "object"})
    properties: dict[str, Any] = {"event": {"const": name}, spec.object: item}
    if spec.strategy == "change":
        properties["previous"] = {"type": ["string", "null"], "title": f"Previous {spec.field}"}
    return {"type": "object", "title": spec.title, "required": ["event", spec.object], "properties": properties}


def _day_before(moment: str) -> str:
    return (datetime.fromisoformat(moment.replace("Z", "+00:00")) - timedelta(days=1)).date().isoformat()


def _moment(text: Any) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class Poller:
    """Polls one enabled poll trigger. ``poll_once`` is one pass; ``run`` loops every ``interval`` seconds."""

    def __init__(
        self,
        connector: Any,
        triggers: TriggerStore,
        trigger_id: str,
        auth: Any,
        *,
        on_page: OnPage | None = None,
        page_size: int = PAGE,
    ) -> None:
        record = triggers.trigger(trigger_id)
        if record is None or record.kind != "poll":
            raise LookupError(f"no enabled poll trigger {trigger_id!r}")
        self.connector, self.triggers, self.trigger_id, self.auth = connector, triggers, trigger_id, auth
        trigger = record.workflow["trigger"]
        self.spec = poll_specs()[trigger["event"]]
        self.interval = float(trigger.get("interval_seconds", 60))
        self.parameter = trigger.get(self.spec.parameter) if self.spec.parameter else None
        self.on_page = on_page
        self.page_size = page_size

    # -- one pass ----------------------------------------------------------------------------------
    def poll_once(self) -> int:
        """Record every event since the cursor; how many new events were recorded."""
        strategy = self.spec.strategy
        if strategy == "keyset":
            return self._keyset()
        if strategy == "membership":
            return self._membership()
        return self._watermark()

    def _list(self, extra: dict[str, Any]) -> list[dict[str, Any]]:
        data = {**self.spec.input, **extra}
        if self.spec.parameter:
            data[self.spec.parameter] = str(self.parameter)
        return self.connector.run(self.spec.operation, data, self.auth)[self.spec.items]

    def _all(self, extra: dict[str, Any]) -> list[dict[str, Any]]:
        rows, offset = [], 0
        while True:
            page = self._list({**extra, "limit": self.page_size, "offset": offset})
            rows.extend(page)
            if len(page) < self.page_size:
                return rows
            offset += len(page)

    def _event(
        self, item: dict[str, Any], extra: dict[str, Any] | None = None, stamp: str = ""
    ) -> tuple[str, str, dict[str, Any]]:
        payload = {"event": self.spec.name, self.spec.object: item, **(extra or {})}
        return event_key(self.spec.name, f"{self.spec.object}:{item['id']}", stamp, payload), self.spec.name, payload

    def _keyset(self) -> int:
        cursor = self.triggers.cursor(self.trigger_id)
        recorded = 0
        if cursor is None:  # the starting point: the newest id now
            newest = self.connector.run(
                self.spec.operation, {**self.spec.input, "order_direction": "DESC", "limit": 1}, self.auth
            )[self.spec.items]
            self.triggers.advance(self.trigger_id, {"after": newest[0]["id"] if newest else "0"}, [])
            return 0
        page_no = 0
        while True:
            page = self._list({self.spec.after: cursor["after"], "limit": self.page_size})
            page = sorted(page, key=lambda r: int(r["id"]))
            page_no += 1
            if self.on_page:
                self.on_page(self.trigger_id, page_no)
            if not page:
                return recorded
            cursor = {"after": page[-1]["id"]}
            recorded += len(self.triggers.advance(self.trigger_id, cursor, [self._event(r) for r in page]))
            if len(page) < self.page_size:
                return recorded

    def _watermark(self) -> int:
        spec = self.spec
        cursor = self.triggers.cursor(self.trigger_id)
        # ActiveCampaign filters by date (YYYY-MM-DD): ask from the day before (zones differ), sort out here.
        since = {spec.since: _day_before(cursor["since"])} if cursor else {}
        rows = self._all(since)
        rows.sort(key=lambda r: (_moment(r.get(spec.time)), int(r["id"])))
        if cursor is None:
            last = rows[-1] if rows else None
            state = {
                "since": last.get(spec.time) if last else None,
                "ids": [r["id"] for r in rows if last and r.get(spec.time) == last.get(spec.time)],
            }
            if spec.field:
                state["seen"] = {r["id"]: r.get(spec.field) for r in rows}
            if state["since"] is None:
                state.pop("since")
                state["since"] = datetime.now().astimezone().isoformat(timespec="seconds")
            self.triggers.advance(self.trigger_id, state, [])
            return 0
        at, ids = _moment(cursor["since"]), set(cursor.get("ids", []))
        fresh = [r for r in rows if _moment(r.get(spec.time)) > at or (_moment(r.get(spec.time)) == at and r["id"] not in ids)]
        seen = dict(cursor.get("seen", {}))
        recorded = 0
        for page_no, start in enumerate(range(0, len(fresh), self.page_size), 1):
            chunk = fresh[start : start + self.page_size]
            if self.on_page:
                self.on_page(self.trigger_id, page_no)
            events = []
            for r in chunk:
                if spec.field:
                    before = seen.get(r["id"])
                    seen[r["id"]] = r.get(spec.field)
                    if before is None or before == r.get(spec.field):
                        continue
                    events.append(self._event(r, {"previous": before}, str(r.get(spec.time))))
                else:
                    events.append(self._event(r, stamp=str(r.get(spec.time))))
            last = chunk[-1].get(spec.time)
            ids = (ids if _moment(last) == at else set()) | {r["id"] for r in chunk if r.get(spec.time) == last}
            at = _moment(last)
            state = {"since": last, "ids": sorted(ids)}
            if spec.field:
                state["seen"] = seen
            recorded += len(self.triggers.advance(self.trigger_id, state, events))
        return recorded

    def _membership(self) -> int:
        cursor = self.triggers.cursor(self.trigger_id)
        rows = sorted(self._all({}), key=lambda r: int(r["id"]))
        members = {r["id"] for r in rows}
        if cursor is None:
            self.triggers.advance(self.trigger_id, {"members": sorted(members, key=int), "generation": 0}, [])
            return 0
        known, generation = set(cursor["members"]) & members, int(cursor.get("generation", 0))
        fresh = [r for r in rows if r["id"] not in known]  # who left and came back is a new event
        recorded = 0
        for page_no, start in enumerate(range(0, len(fresh), self.page_size), 1):
            chunk = fresh[start : start + self.page_size]
            if self.on_page:
                self.on_page(self.trigger_id, page_no)
            known |= {r["id"] for r in chunk}
            generation += 1
            events = [self._event(r, stamp=f"generation:{generation}") for r in chunk]
            recorded += len(
                self.triggers.advance(self.trigger_id, {"members": sorted(known, key=int), "generation": generation}, events)
            )
        if not fresh and known != set(cursor["members"]):
            self.triggers.advance(self.trigger_id, {"members": sorted(known, key=int), "generation": generation}, [])
        return recorded

    # -- the loop ----------------------------------------------------------------------------------
    def run(self, stop: threading.Event, after_poll: Callable[[int], None] | None = None) -> None:
        """Poll until ``stop`` is set; ``after_poll(new_events)`` runs after each pass (to start the runs)."""
        while not stop.is_set():
            count = self.poll_once()
            if after_poll:
                after_poll(count)
            stop.wait(self.interval)
