"""Start the run of a recorded event, exactly once: the run is created under the event's derived run id,
so a second dispatch of the same event (another process, a restart) cannot create a second run."""

from __future__ import annotations

import logging
from typing import Any

from engine.errors import ConnectorError

from .store import EventRecord, TriggerStore

log = logging.getLogger("ac_connector.triggers")


class _FixedIdStore:
    """The run store, but the next run it creates gets the id chosen for the event."""

    def __init__(self, store: Any, run_id: str) -> None:
        self._store = store
        self._run_id = run_id

    def create_run(self, workflow: Any, trigger: Any, **options: Any) -> str:
        options["run_id"] = self._run_id
        return self._store.create_run(workflow, trigger, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def run_exists(store: Any, run_id: str) -> bool:
    rows = store.backend.query("SELECT 1 FROM runs WHERE id = ?", (run_id,))
    return bool(rows)


def dispatch(
    connector: Any,
    triggers: TriggerStore,
    run_store: Any,
    event: EventRecord,
    workflow: Any,
    *,
    authentications: Any,
    on_event: Any = None,
) -> str | None:
    """Run `workflow` for `event` unless its run already exists; the run id, or None when it did.

    The event stays `pending` until its run exists, so a process dying at any point leaves it for
    ``dispatch_pending``; dispatching it twice is harmless (the derived run id can be created once).
    """
    from ..workflows import run_workflow

    if run_exists(run_store, event.run_id):
        triggers.mark_event(event.trigger_id, event.key, "done")
        return None
    try:
        run_workflow(
            connector,
            workflow,
            authentications=authentications,
            store=_FixedIdStore(run_store, event.run_id),
            trigger=event.payload,
            on_event=on_event,
        )
    except ConnectorError as exc:  # the document or the trigger data was refused before the run existed
        log.warning("trigger %s: event %s started no run: %s", event.trigger_id, event.key, exc.type)
        triggers.mark_event(event.trigger_id, event.key, "refused")
        return None
    except Exception as exc:  # the run id exists already (a concurrent dispatcher won): one run, not two
        if not run_exists(run_store, event.run_id):
            log.error("trigger %s: event %s failed to start: %s", event.trigger_id, event.key, type(exc).__name__)
            return None
        triggers.mark_event(event.trigger_id, event.key, "done")
        return None
    triggers.mark_event(event.trigger_id, event.key, "done")
    return event.run_id


def dispatch_pending(
    connector: Any, triggers: TriggerStore, run_store: Any, *, authentications: Any, trigger_id: str | None = None
) -> list[str]:
    """Start the runs of events recorded but never started (a process died after answering); run ids."""
    started: list[str] = []
    for event in triggers.events(trigger_id, state="pending"):
        record = triggers.trigger(event.trigger_id)
        if record is None:
            continue
        run_id = dispatch(connector, triggers, run_store, event, record.workflow, authentications=authentications)
        if run_id:
            started.append(run_id)
    return started
