"""Everything one process needs to serve triggers: the connector, the run store, the trigger tables and
a way to turn an authentication NAME into an engine Authentication. The service and the CLI build one.

On start, ``recover()`` starts the runs of events recorded but never started (the process that answered
them died); pollers run in threads, one per enabled poll trigger, and start their events' runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .dispatch import dispatch_pending
from .polling import Poller
from .registration import disable, enable
from .store import TriggerStore

log = logging.getLogger("ac_connector.triggers")


@dataclass
class TriggerContext:
    connector: Any
    run_store: Any
    authentications: Callable[[str | None], Any]
    triggers: TriggerStore = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _threads: dict[str, threading.Thread] = field(default_factory=dict, init=False)
    _polling: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.triggers = TriggerStore.beside(self.run_store)

    def enable(self, workflow: Any, public_url: str | None = None) -> dict[str, Any]:
        result = enable(self.connector, self.triggers, workflow, authentications=self.authentications, public_url=public_url)
        if result["kind"] == "poll" and self._polling:  # a running service polls it from now on
            self._ensure_poller(result["trigger_id"], workflow.name)
        return result

    def disable(self, workflow_name: str) -> dict[str, Any]:
        return disable(self.connector, self.triggers, workflow_name, authentications=self.authentications)

    def recover(self) -> list[str]:
        """Forget event records past the dedupe window, then start the runs of events never started."""
        self.triggers.prune_events()
        return dispatch_pending(self.connector, self.triggers, self.run_store, authentications=self.authentications)

    def poll_once(self, trigger_id: str, **options: Any) -> list[str]:
        """One pass of a poll trigger, then its runs; the run ids started."""
        record = self.triggers.trigger(trigger_id)
        if record is None:
            raise LookupError(f"no trigger {trigger_id!r}")
        auth = self.authentications(record.workflow["trigger"].get("authentication"))
        Poller(self.connector, self.triggers, trigger_id, auth, **options).poll_once()
        return dispatch_pending(
            self.connector, self.triggers, self.run_store, authentications=self.authentications, trigger_id=trigger_id
        )

    def start_pollers(self) -> int:
        """A thread per enabled poll trigger, polling at its interval until ``stop()``; also for those enabled later."""
        self._polling = True
        for record in self.triggers.triggers("poll"):
            self._ensure_poller(record.id, record.workflow_name)
        return len(self._threads)

    def _ensure_poller(self, trigger_id: str, name: str) -> None:
        with self._lock:
            running = self._threads.get(trigger_id)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._poll_loop, args=(trigger_id,), daemon=True, name=f"poll-{name}")
            self._threads[trigger_id] = thread
            thread.start()

    def _poll_loop(self, trigger_id: str) -> None:
        while not self._stop.is_set():
            record = self.triggers.trigger(trigger_id)
            if record is None:
                return
            try:
                self.poll_once(trigger_id)
            except Exception as exc:  # a failed pass is retried at the next interval; never a traceback out
                log.warning("poll trigger %s failed: %s", record.workflow_name, getattr(exc, "type", type(exc).__name__))
            self._stop.wait(float(record.workflow["trigger"].get("interval_seconds", 60)))

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads.values()):
            thread.join(timeout=5)
