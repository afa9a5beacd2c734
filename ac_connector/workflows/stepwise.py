"""One step of a recorded run, on its own: the seam a distributed driver (Celery) calls once per step.

The in-process runner loops over every step; a task queue instead delivers "run step *i* of run *r*",
maybe twice (a worker died, a message came back), maybe on another host. So each call reads the run
from the store and decides from what is recorded there:

- the run has stopped, or this step already has a final state: nothing is sent again;
- the step is recorded ``running`` (an earlier delivery died mid-step): a ``safe``, ``idempotent`` or
  ``upsert`` operation runs again; an ``unsafe`` one may have reached the API, so it ends
  ``outcome_unknown`` and the run stops there for a person (``workflow resume --retry-unknown``);
- otherwise the step is claimed (one conditional UPDATE, so two deliveries cannot both send it), its
  references resolved from the recorded outputs, run, and recorded before the call returns.

A rate-limited answer is not a failure: the claim is released and ``StepDeferred`` tells the driver
when to try again (Celery turns it into a retry at that time, not a busy loop).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import ConnectorError, RateLimited

from .document import build_workflow
from .runner import OnEvent, _safe_to_repeat, _step_error, _validate, resolve_step_input, step_started_event
from .runs import RunStore, iso

FINAL = ("succeeded", "failed", "outcome_unknown", "skipped")


class StepDeferred(Exception):
    """The step was not carried out (rate limited); run it again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, error: dict[str, Any]) -> None:
        super().__init__(f"rate limited: try again in {retry_after:g}s")
        self.retry_after = retry_after
        self.error = error


class StepBusy(StepDeferred):
    """Another delivery started this step recently and may still be running it: ask again later.

    Only a step recorded ``running`` for longer than ``abandoned_after`` (the call deadline and a margin:
    no live worker is still in it) is judged as left behind by a dead worker.
    """


@dataclass(frozen=True)
class StepResult:
    run_id: str
    index: int
    status: str  # the step's recorded status after this call
    run_status: str  # the run's: "running" means the next step may go
    output: Any = None
    error: dict[str, Any] | None = None
    sent: bool = False  # whether this call sent the step's request

    @property
    def proceed(self) -> bool:
        return self.run_status == "running" and self.status in ("succeeded", "skipped")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "index": self.index,
            "status": self.status,
            "run_status": self.run_status,
            "output": self.output,
            "error": self.error,
        }


Send = Callable[[str, dict[str, Any], Any], Any]


def run_step(
    connector: Any,
    store: RunStore,
    run_id: str,
    index: int,
    *,
    authentications: Callable[[str | None], Any],
    on_event: OnEvent | None = None,
    send: Send | None = None,
    abandoned_after: float | None = None,
) -> StepResult:
    """Run step ``index`` of the recorded run ``run_id`` at most once (see the module's rules).

    ``abandoned_after``: seconds after which a step recorded ``running`` is taken as left behind by a
    dead worker (before that, ``StepBusy``); None judges it at once (one process, nobody else runs it)."""
    send = send or connector.run
    emit = _emitter(on_event)
    run = store.get(run_id)
    flow = build_workflow(run.workflow)
    step, record = flow.steps[index], run.steps[index]
    earlier_open = any(s.status not in ("succeeded", "skipped") for s in run.steps[:index])
    if run.status != "running" or record.status in FINAL or earlier_open:
        return StepResult(run_id, index, record.status, run.status, record.output, record.error)
    if record.status == "running" and abandoned_after is not None:
        age = time.time() - (record.started_at or 0.0)
        if age < abandoned_after:
            raise StepBusy(
                round(abandoned_after - age + 0.5, 3),
                {"type": "busy", "message": "another delivery is running this step", "step": step.id},
            )
    if record.status == "running" and not _safe_to_repeat(connector, step.operation):
        error = {
            "type": "outcome_unknown",
            "retryable": False,
            "operation": step.operation,
            "message": f"{step.name}: the worker running this step stopped while its request may have been "
            "sent. It was not sent again, to avoid a duplicate; check the account, then resume "
            "the run with retry_unknown (--retry-unknown) to send it again.",
            "step": step.id,
            "step_index": index,
        }
        return _stop(store, emit, run_id, index, step.id, "outcome_unknown", record.input, error, record.started_at)

    emit(step_started_event(run_id, index, step))
    began = time.monotonic()
    absent: dict[str, str] = {}
    resolved, resolve_error = resolve_step_input(step, index, {"trigger": run.trigger, "steps": run.outputs()}, absent)
    if resolve_error is not None:
        return _stop(store, emit, run_id, index, step.id, "failed", None, resolve_error, None, began)
    started = _claim(store, run_id, index, resolved, repeatable=record.status == "running")
    if started is None:  # another delivery holds or finished it
        now = store.get(run_id)
        return StepResult(run_id, index, now.steps[index].status, now.status, now.steps[index].output, now.steps[index].error)

    def stop_on(exc: ConnectorError, status: str = "failed", *, sent: bool = False) -> StepResult:
        """The step ended with a typed error after it was claimed: record it and stop the run."""
        error = _step_error(exc, step.id, index, step.operation)
        return _stop(store, emit, run_id, index, step.id, status, resolved, error, started, began, sent=sent)

    try:
        _validate(connector, step.operation, resolved, absent)
        auth = authentications(step.authentication)
    except ConnectorError as exc:
        return stop_on(exc)
    try:
        output = send(step.operation, resolved, auth)
    except RateLimited as exc:
        _release(store, run_id, index)
        raise StepDeferred(max(float(exc.retry_after or 1.0), 0.05), _step_error(exc, step.id, index, step.operation)) from None
    except ConnectorError as exc:
        return stop_on(exc, "outcome_unknown" if exc.type == "outcome_unknown" else "failed", sent=True)
    except Exception as exc:  # a bug: recorded by class name only (messages may hold data)
        error = {
            "type": "internal",
            "message": f"internal error ({type(exc).__name__}); please report it",
            "retryable": False,
            "step": step.id,
            "step_index": index,
        }
        return _stop(store, emit, run_id, index, step.id, "failed", resolved, error, started, began, sent=True)
    duration = _ms(began)
    store.finish_step(run_id, index, "succeeded", input=resolved, output=output, started_at=started, duration_ms=duration)
    emit(
        {
            "event": "step_finished",
            "run_id": run_id,
            "step": step.id,
            "index": index,
            "status": "succeeded",
            "output": output,
            "error": None,
            "duration_ms": duration,
        }
    )
    run_status = "running"
    if index == len(flow.steps) - 1:
        store.finish_run(run_id, "succeeded")
        emit({"event": "run_finished", "run_id": run_id, "status": "succeeded", "stopped_at": None, "error": None})
        run_status = "succeeded"
    return StepResult(run_id, index, "succeeded", run_status, output, None, sent=True)


def stalled_steps(
    store: RunStore, *, older_than: float, abandoned_after: float, now: float | None = None
) -> list[tuple[str, int, float | None]]:
    """(run id, step index, marker) of running runs whose next step nobody seems to hold.

    A broker can lose a message (Redis: a worker killed between taking it and recording it unacknowledged),
    so the run store, not the queue, says what is left to do: the first open step of a running run is
    stalled when nothing happened to the run for ``older_than`` seconds (pending), or when it was claimed
    longer than ``abandoned_after + older_than`` ago (running). Sending it again is harmless: a step is
    claimed once, a finished one is never sent again, a busy one is deferred."""
    now = time.time() if now is None else now
    rows = store.backend.query(
        "SELECT s.run_id, s.idx, s.status, s.started_at, s.finished_at, r.started_at FROM run_steps s "
        "JOIN runs r ON r.id = s.run_id WHERE r.status = 'running' AND r.started_at < ? ORDER BY s.run_id, s.idx",
        (now - older_than,),
    )
    stalled: list[tuple[str, int, float | None]] = []
    last: dict[str, float] = {}
    done: set[str] = set()
    for run_id, idx, status, started, finished, run_started in rows:
        if run_id in done:
            continue
        if status in FINAL:
            last[run_id] = max(last.get(run_id, run_started), finished or 0.0, started or 0.0)
            continue
        done.add(run_id)
        if status == "pending":
            seen = max(last.get(run_id, run_started), started or 0.0)  # a pending step's started_at: last re-send
            if now - seen > older_than:
                stalled.append((run_id, idx, started))
        elif status == "running" and now - (started or 0.0) > abandoned_after + older_than:
            stalled.append((run_id, idx, started))
    return stalled


def mark_resent(store: RunStore, run_id: str, index: int, marker: float | None, now: float | None = None) -> bool:
    """Note a re-send on a pending step (one conditional UPDATE): of several sweepers, one sends it."""
    now = time.time() if now is None else now
    return (
        store.backend.execute(
            "UPDATE run_steps SET started_at = ? WHERE run_id = ? AND idx = ? AND status = 'pending' "
            "AND COALESCE(started_at, 0) = ?",
            (now, run_id, index, marker or 0),
        )
        == 1
    )


def _claim(store: RunStore, run_id: str, index: int, resolved: Any, *, repeatable: bool) -> float | None:
    """Mark the step running with its input, only from the state this delivery saw; None if it lost."""
    import json

    now = time.time()
    allowed = "('pending', 'running')" if repeatable else "('pending')"
    changed = store.backend.execute(
        f"UPDATE run_steps SET status = 'running', input = ?, started_at = ? WHERE run_id = ? AND idx = ? "
        f"AND status IN {allowed}",
        (json.dumps(resolved, ensure_ascii=False, default=str), now, run_id, index),
    )
    return now if changed == 1 else None


def _release(store: RunStore, run_id: str, index: int) -> None:
    """A throttled step was not carried out: back to pending, so its next delivery is not mistaken for a crash."""
    store.backend.execute(
        "UPDATE run_steps SET status = 'pending', started_at = NULL WHERE run_id = ? AND idx = ? AND status = 'running'",
        (run_id, index),
    )


def _stop(
    store: RunStore,
    emit: Callable[[dict[str, Any]], None],
    run_id: str,
    index: int,
    step_id: str,
    status: str,
    input: Any,
    error: dict[str, Any],
    started: float | None,
    began: float | None = None,
    *,
    sent: bool = False,
) -> StepResult:
    duration = _ms(began) if began is not None else None
    store.finish_step(run_id, index, status, input=input, error=error, started_at=started, duration_ms=duration)
    emit(
        {
            "event": "step_finished",
            "run_id": run_id,
            "step": step_id,
            "index": index,
            "status": status,
            "output": None,
            "error": error,
            "duration_ms": duration,
        }
    )
    store.finish_run(run_id, status, error=error, stopped_at=step_id)
    emit({"event": "run_finished", "run_id": run_id, "status": status, "stopped_at": step_id, "error": error})
    return StepResult(run_id, index, status, status, None, error, sent=sent)


def _ms(began: float) -> float:
    return round((time.monotonic() - began) * 1000, 3)


def _emitter(on_event: OnEvent | None) -> Callable[[dict[str, Any]], None]:
    def emit(event: dict[str, Any]) -> None:
        if on_event is None:
            return
        with contextlib.suppress(Exception):  # a broken listener must not leave a step half recorded
            on_event(event)

    return emit


def run_started_event(run_id: str, flow: Any, at: float | None = None) -> dict[str, Any]:
    """The ``run_started`` event for a run created by a distributed driver."""
    return {
        "event": "run_started",
        "run_id": run_id,
        "workflow": flow.name,
        "at": iso(at or time.time()),
        "steps": [{"id": s.id, "name": s.name, "operation": s.operation} for s in flow.steps],
    }
