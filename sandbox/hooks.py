"""Webhook delivery: after a change, POST the event to every matching registration, like ActiveCampaign.

ActiveCampaign's delivery (developers.activecampaign.com/page/webhooks): a POST of
`application/x-www-form-urlencoded` data with bracketed keys, "at least once" (an event may arrive more
than once), never retried, not signed; a 410 answer deactivates the hook. Here each matching hook
gets one POST from a background thread (the API answer never waits for it). Test switches:
`duplicate` sends every delivery twice, `drop` loses the next N deliveries (never sent).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from .clock import iso
from .webhook_payloads import flatten

# Events whose hooks ignore the webhook's listid (create-webhook's listid description).
LIST_BLIND = frozenset(
    {
        "subscriber_note",
        "contact_tag_added",
        "contact_tag_removed",
        "contact_task_add",
        "list_add",
        "sms_sent",
        "sms_reply",
        "sms_unsub",
        "deal_add",
        "deal_update",
        "deal_note_add",
        "deal_pipeline_add",
        "deal_stage_add",
        "deal_task_add",
        "deal_tasktype_add",
        "deal_task_complete",
        "account_add",
        "account_update",
        "account_contact_add",
        "account_contact_update",
    }
)


@dataclass
class Delivery:
    """One POST attempt, kept for tests: what was sent where, and what came back (None: dropped or failed)."""

    time: float
    hook_id: str
    url: str
    event: str
    body: str
    status: int | None
    dropped: bool = False
    error: str | None = None


class HookFirer:
    """Sends events to registered webhooks on worker threads; thread-safe."""

    def __init__(self, timeout: float = 10.0, workers: int = 4):
        self.timeout = timeout
        self.duplicate = False
        self.drop = 0
        self.deliveries: list[Delivery] = []
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    def configure(self, duplicate: bool | None = None, drop: int | None = None) -> dict[str, Any]:
        with self._lock:
            if duplicate is not None:
                self.duplicate = bool(duplicate)
            if drop is not None:
                if int(drop) < 0:
                    raise ValueError("drop must be >= 0")
                self.drop = int(drop)
            return {"duplicate": self.duplicate, "drop": self.drop}

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self.duplicate = False
            self.drop = 0

    def emit(self, hooks: list[dict], event: str, payload: dict[str, Any], *, list_id: str = "0", source: str = "api") -> int:
        """Queue `event` for every hook listening to it from `source` (and on `list_id`); how many matched."""
        fired = 0
        when = iso()
        for hook in hooks:
            if event not in hook["events"] or source not in hook["sources"] or hook.get("_inactive"):
                continue
            if event not in LIST_BLIND and hook.get("listid", "0") not in ("0", "", None, list_id):
                continue
            body = {
                "type": event,
                "date_time": when,
                "initiated_by": source,
                "initiated_from": source,
                "list": list_id,
                **payload,
            }
            form = urlencode(flatten(body))
            for _ in range(2 if self.duplicate else 1):
                self._submit(lambda h=hook, f=form: self._deliver(h, event, f))
            fired += 1
        return fired

    def _submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sandbox-webhook")
            self._pending += 1
        self._pool.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        finally:
            with self._lock:
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, hook: dict, event: str, form: str) -> None:
        with self._lock:
            dropped = self.drop > 0
            if dropped:
                self.drop -= 1
        record = Delivery(time.time(), hook["id"], hook["url"], event, form, None, dropped=dropped)
        if not dropped:
            request = urllib.request.Request(
                hook["url"],
                data=form.encode(),
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "ActiveCampaign-Sandbox/1.0"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (the hook's URL)
                    record.status = answer.status
            except urllib.error.HTTPError as exc:
                record.status = exc.code
            except (OSError, ValueError) as exc:
                record.error = type(exc).__name__
            if record.status == 410:
                hook["_inactive"] = True  # "set to a state of inactive"; still listed, never sent again
        with self._lock:
            self.deliveries.append(record)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has been attempted (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(d) for d in self.deliveries]
