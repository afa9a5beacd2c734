"""The Celery app: operations and workflow steps as tasks, on any number of worker hosts.

    pip install 'ac-connector[celery]'
    AC_CONNECTOR_BROKER_URL=redis://redis:6379/0 AC_CONNECTOR_STORE=postgresql://ac@db/ac \\
    AC_CONNECTOR_SECRET_KEY=... celery -A ac_connector.celery worker --pool threads --concurrency 16

Celery only decides *where* a step runs; what a step means is the workflow runner's (``workflows/
stepwise.py``), and what may run twice is decided by the run store and each operation's idempotency:

- every task is acknowledged late, so a worker killed mid-step gives the message back to the broker
  and another worker takes it (after the broker's visibility timeout);
- that second delivery finds the step recorded ``running``: a safe, idempotent or upsert step runs
  again; an unsafe one (a create) is never re-sent: it ends ``outcome_unknown`` and the run stops;
- a workflow is a chain of one task per step, so a retry or a redelivery never repeats earlier steps;
- a throttled call (429) releases the step and becomes a Celery retry at the time the API named;
- the run store, not the broker, is the record of what is left to do: a broker can lose a message
  (Redis: a worker killed between taking a message and recording it unacknowledged), so each worker
  sweeps for runs whose next step nobody holds and sends it again (``AC_CONNECTOR_RECOVER_AFTER``).
  Producers that reach the store use ``submit_workflow`` / ``submit_operation``, which record the run
  before sending anything, so even a first message lost is recovered.

Settings come from the environment (``distributed/settings.py``); with a Redis broker the rate
limit lives in the same Redis, so every host shares one budget per account.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from typing import Any

try:
    from celery import Celery, chain, signals
    from celery.exceptions import Ignore
except ImportError:  # pragma: no cover - depends on the install
    raise ImportError("the Celery app needs the optional extra: pip install 'ac-connector[celery]'") from None

from engine.errors import ConnectorError

from .distributed.context import worker_context
from .distributed.settings import WorkerSettings
from .workflows.stepwise import StepDeferred, mark_resent, run_started_event, run_step, stalled_steps

log = logging.getLogger("ac_connector.celery")
settings = WorkerSettings.from_env()
app = Celery("ac_connector")
app.conf.update(settings.celery_config())

STORE_RETRY_SECONDS = 2.0


def _log_event(event: dict[str, Any]) -> None:
    """Workflow events as JSON lines in the worker's log (the same events as the CLI and the service)."""
    log.info("%s", json.dumps(event, ensure_ascii=False, default=str))


def _one_step_document(operation: str, input: dict[str, Any], authentication: str) -> dict[str, Any]:
    """An operation as a one-step workflow: its input comes from the trigger data, so it is never read as
    references (a value such as ``"$.steps.x"`` stays a plain string)."""
    return {
        "version": 1,
        "name": f"operation {operation}",
        "trigger": {"type": "manual"},
        "steps": [
            {
                "id": "operation",
                "name": operation,
                "operation": operation,
                "authentication": authentication,
                "input": {key: f"$.trigger.{key}" for key in input},
            }
        ],
    }


def _create_run(task: Any, document: Any, trigger: Any) -> tuple[str, Any]:
    """The run for this task, recorded once: its id is the task's, so a redelivered task finds it."""
    from .workflows.document import build_workflow
    from .workflows.runner import prepare_run
    from .workflows.runs import RunNotFound

    ctx = worker_context()
    run_id = task.request.id
    try:
        run = ctx.run_store.get(run_id)
    except RunNotFound:
        flow, data = prepare_run(ctx.connector, document, trigger)
        ctx.run_store.create_run(flow, data, run_id=run_id)
        _log_event(run_started_event(run_id, flow))
        return run_id, flow
    return run_id, build_workflow(run.workflow)


def _step(task: Any, run_id: str, index: int) -> dict[str, Any]:
    ctx = worker_context()
    try:
        result = run_step(
            ctx.connector,
            ctx.run_store,
            run_id,
            index,
            authentications=ctx.authentication,
            on_event=_log_event,
            abandoned_after=ctx.abandoned_after,
        )
    except StepDeferred as deferred:
        raise task.retry(countdown=deferred.retry_after, max_retries=None) from None
    except ConnectorError as exc:
        if exc.type == "store_unavailable":  # the store is down: nothing was recorded, try again shortly
            raise task.retry(countdown=STORE_RETRY_SECONDS, max_retries=None) from None
        raise
    return result.to_dict()


@app.task(name="ac_connector.run_step", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_workflow_step(self: Any, run_id: str, index: int) -> dict[str, Any]:
    """Step ``index`` of run ``run_id``; a step that stops the run also stops the chain (no later step runs)."""
    result = _step(self, run_id, index)
    if not (result["run_status"] == "running" or result["status"] == "succeeded"):
        raise Ignore()
    return result


@app.task(name="ac_connector.run_workflow", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_workflow(self: Any, workflow: dict[str, Any], trigger: Any = None) -> str:
    """Record a run of ``workflow`` (a document) and send its steps as a chain; returns the run id."""
    run_id, flow = _create_run(self, workflow, trigger)
    _send_steps(app, run_id, 0, len(flow.steps))
    return run_id


@app.task(name="ac_connector.run_operation", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_operation(self: Any, operation: str, input: dict[str, Any], authentication: str) -> dict[str, Any]:
    """One operation with a stored authentication (by name), recorded as a one-step run; returns
    ``{"run_id", "status", "output", "error"}``."""
    run_id, _ = _create_run(self, _one_step_document(operation, input, authentication), input)
    result = _step(self, run_id, 0)
    return {"run_id": run_id, "status": result["status"], "output": result["output"], "error": result["error"]}


def start_workflow(workflow: dict[str, Any], trigger: Any = None, **options: Any) -> Any:
    """Send a workflow run to the workers (for a producer without the store); the AsyncResult's value is
    the run id. A producer that reaches the store should prefer ``submit_workflow``."""
    return run_workflow.apply_async((workflow, trigger), **options)


def _send_steps(sender: Any, run_id: str, start: int, count: int, producer: Any = None) -> None:
    """Steps ``start``.. of a run as one chain of ``ac_connector.run_step`` tasks (sent by name)."""
    steps = [sender.signature("ac_connector.run_step", args=(run_id, i), immutable=True) for i in range(start, count)]
    if producer is not None:
        chain(*steps).apply_async(producer=producer)
    else:
        chain(*steps).apply_async()


def submit_workflow(
    workflow: Any, trigger: Any = None, *, store: Any, connector: Any, sender: Any = None, producer: Any = None
) -> str:
    """Record a run of ``workflow`` in ``store`` first, then send its steps; returns the run id.

    Checked before anything is recorded (document, references, trigger data: raises WorkflowInvalid or
    ValidationError). Because the run exists before any message does, a message the broker loses is
    found again by the workers' recovery sweep. ``sender`` is any Celery app on the same broker."""
    from .workflows.runner import prepare_run

    flow, data = prepare_run(connector, workflow, trigger)
    run_id = store.create_run(flow, data)
    _send_steps(sender or app, run_id, 0, len(flow.steps), producer)
    return run_id


def submit_operation(
    operation: str,
    input: dict[str, Any],
    authentication: str,
    *,
    store: Any,
    connector: Any,
    sender: Any = None,
    producer: Any = None,
) -> str:
    """One operation as a recorded one-step run (see ``submit_workflow``); returns the run id."""
    return submit_workflow(
        _one_step_document(operation, input, authentication),
        input,
        store=store,
        connector=connector,
        sender=sender,
        producer=producer,
    )


def queued_messages() -> int:
    """Messages waiting in the broker's queue (not those a worker holds); a queue never declared holds none."""
    from kombu.exceptions import ChannelError

    with app.connection_for_read() as conn:
        try:
            return conn.default_channel.queue_declare(queue=app.conf.task_default_queue, passive=True).message_count
        except ChannelError:
            return 0


def recover(ctx: Any = None, *, older_than: float | None = None) -> int:
    """Send again the next step of every run nobody seems to be moving; returns how many were sent.

    Only when the broker's queue is empty: a step waiting behind a backlog is not lost, and sending it
    again would only make the backlog longer. A lost message is found once the queue has drained."""
    ctx = ctx or worker_context()
    older_than = older_than if older_than is not None else ctx.settings.recover_after
    if queued_messages():
        return 0
    sent = 0
    for run_id, index, marker in stalled_steps(ctx.run_store, older_than=older_than, abandoned_after=ctx.abandoned_after):
        run = ctx.run_store.get(run_id)
        if run.steps[index].status == "pending" and not mark_resent(ctx.run_store, run_id, index, marker):
            continue  # another worker's sweep sent it
        _send_steps(app, run_id, index, len(run.steps))
        log.warning("recovery: run %s made no progress for %ss; step %s sent again", run_id, int(older_than), index)
        sent += 1
    return sent


def _sweep_forever(interval: float) -> None:
    while True:
        time.sleep(interval * random.uniform(0.8, 1.2))  # jitter: the workers do not sweep in step
        try:
            recover()
        except Exception as exc:  # the store may be down for a while: say so, sweep again later
            log.warning("recovery sweep failed: %s", type(exc).__name__)


@signals.worker_ready.connect
def _start_recovery(**_: Any) -> None:
    if settings.recover_after > 0:
        interval = max(1.0, min(settings.recover_after / 2, 60.0))
        threading.Thread(target=_sweep_forever, args=(interval,), name="ac-connector-recovery", daemon=True).start()
