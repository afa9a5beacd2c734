"""The one runner loop, driven synchronously or asynchronously, and resume.

The loop is a generator that yields each operation call to a thin driver (``Connector.run`` or
``await Connector.arun``), so both drivers share every rule: references resolved just before a step,
the resolved input validated (errors name the step and the field), each step recorded in the run store
before the next starts, the first failure stops the run. It knows connectors only through ``run``/
``arun``, ``validate_input`` and ``describe``: nothing here is specific to one API.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import AuthenticationMissing, ConnectorError, ValidationError

from .check import check_references
from .document import Workflow, WorkflowInvalid, load_workflow, parse_workflow, trigger_data_schema
from .references import ResolveError, resolve
from .runs import RunRecord, RunStore, iso

log = logging.getLogger("ac_connector.workflows")

Event = dict[str, Any]
OnEvent = Callable[[Event], Any]
Authentications = Callable[[str | None], Any] | Mapping[str, Any]


class RunNotResumable(ConnectorError):
    """A run cannot be resumed as asked (it succeeded, is still running, was resumed, or needs a decision)."""

    type = "not_resumable"


@dataclass
class _Call:
    operation: str
    input: dict[str, Any]
    auth: Any
    index: int = 0
    started: float = 0.0


@dataclass
class _Outcome:
    output: Any = None
    error: ConnectorError | None = None
    internal: str | None = None


@dataclass
class _Plan:
    """What one run does: which steps are reused (resume) and where their outputs come from."""

    workflow: Workflow
    trigger: Any
    store: RunStore
    run_id: str
    authentications: Callable[[str | None], Any]
    on_event: OnEvent | None
    connector: Any
    reused: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # index -> (input, output)
    resumed_from: str | None = None


def _resolver(authentications: Authentications | None) -> Callable[[str | None], Any]:
    if authentications is None:

        def missing(name: str | None) -> Any:
            raise AuthenticationMissing("no authentications were given to the runner")

        return missing
    if isinstance(authentications, Mapping):
        table = authentications

        def from_table(name: str | None) -> Any:
            if name in table:
                return table[name]
            if name is None and len(table) == 1:
                return next(iter(table.values()))
            raise AuthenticationMissing(f"no authentication named {name!r}" if name else "this step names no authentication")

        return from_table
    return authentications


def _emit(plan: _Plan, event: Event) -> None:
    if plan.on_event is None:
        return
    try:
        plan.on_event(event)
    except Exception as exc:  # a broken listener must not leave a run half recorded
        log.warning("workflow event listener failed: %s", type(exc).__name__)


def _step_error(exc: ConnectorError, step_id: str, index: int, operation: str) -> dict[str, Any]:
    data = exc.to_dict()
    if isinstance(exc, ValidationError):
        data["message"] = f"step {step_id!r} ({operation}): {exc.message}"
    return {**data, "step": step_id, "step_index": index}


def _validate(connector: Any, operation: str, data: dict[str, Any], absent: Mapping[str, str]) -> None:
    """The operation's own input check; a field left out by an empty reference says so."""
    try:
        connector.validate_input(operation, data)
    except ValidationError as exc:
        if not any(e.get("pointer") in absent for e in exc.errors):
            raise
        errors = [
            {**e, "message": f"{e['message']}: {absent[e['pointer']]}"} if e.get("pointer") in absent else e for e in exc.errors
        ]
        raise ValidationError(errors) from None


def _steps(plan: _Plan) -> Generator[_Call, _Outcome, RunRecord]:
    """The run: each step recorded before the next begins; the first that does not succeed ends it."""
    workflow, store, run_id = plan.workflow, plan.store, plan.run_id
    _emit(
        plan,
        {
            "event": "run_started",
            "run_id": run_id,
            "workflow": workflow.name,
            "at": iso(time.time()),
            "steps": [{"id": s.id, "name": s.name, "operation": s.operation} for s in workflow.steps],
            "resumed_from": plan.resumed_from,
        },
    )
    outputs: dict[str, Any] = {}
    for i, step in enumerate(workflow.steps):
        if i in plan.reused:
            outputs[step.id] = _reuse(plan, i)
            continue
        status, output, error = yield from _step(plan, i, outputs)
        if status != "succeeded":
            store.finish_run(run_id, status, error=error, stopped_at=step.id)
            _emit(plan, {"event": "run_finished", "run_id": run_id, "status": status, "stopped_at": step.id, "error": error})
            return store.get(run_id)
        outputs[step.id] = output
    store.finish_run(run_id, "succeeded")
    _emit(plan, {"event": "run_finished", "run_id": run_id, "status": "succeeded", "stopped_at": None, "error": None})
    return store.get(run_id)


def _reuse(plan: _Plan, index: int) -> Any:
    """A step that succeeded in the resumed run: its recorded input and output, nothing sent."""
    step = plan.workflow.steps[index]
    used_input, output = plan.reused[index]
    plan.store.finish_step(plan.run_id, index, "skipped", input=used_input, output=output, duration_ms=0.0)
    _emit(
        plan,
        {
            "event": "step_finished",
            "run_id": plan.run_id,
            "step": step.id,
            "index": index,
            "status": "skipped",
            "output": output,
            "error": None,
            "duration_ms": 0.0,
        },
    )
    return output


def step_started_event(run_id: str, index: int, step: Any) -> dict[str, Any]:
    """The ``step_started`` event: the same whether a run goes in one process or step by step."""
    return {
        "event": "step_started",
        "run_id": run_id,
        "step": step.id,
        "index": index,
        "name": step.name,
        "operation": step.operation,
    }


def resolve_step_input(
    step: Any, index: int, context: Mapping[str, Any], absent: dict[str, str]
) -> tuple[Any, dict[str, Any] | None]:
    """The step's input with its references resolved, or ``(None, error)``: the typed error naming the
    reference that cannot be resolved, as the run records it."""
    try:
        return resolve(step.input, context, absent=absent), None
    except ResolveError as exc:
        error = ValidationError([{"pointer": exc.pointer or "/", "keyword": "reference", "message": exc.message}])
        return None, _step_error(error, step.id, index, step.operation)


def _step(plan: _Plan, index: int, outputs: Mapping[str, Any]) -> Generator[_Call, _Outcome, tuple[str, Any, Any]]:
    """One step: resolve its references, record it as running, validate, call, record how it ended."""
    step, store, run_id = plan.workflow.steps[index], plan.store, plan.run_id
    _emit(plan, step_started_event(run_id, index, step))
    began = time.monotonic()
    started: float | None = None
    status, output = "failed", None
    absent: dict[str, str] = {}
    resolved, error = resolve_step_input(step, index, {"trigger": plan.trigger, "steps": outputs}, absent)
    if error is None:
        started = store.start_step(run_id, index, resolved)
        try:
            _validate(plan.connector, step.operation, resolved, absent)
            auth = plan.authentications(step.authentication)
        except ConnectorError as exc:
            error = _step_error(exc, step.id, index, step.operation)
        else:
            outcome = yield _Call(step.operation, resolved, auth, index, began)
            if outcome.error is not None:
                error = _step_error(outcome.error, step.id, index, step.operation)
                status = "outcome_unknown" if outcome.error.type == "outcome_unknown" else "failed"
            elif outcome.internal is not None:
                error = {
                    "type": "internal",
                    "message": f"internal error ({outcome.internal}); please report it",
                    "retryable": False,
                    "step": step.id,
                    "step_index": index,
                }
            else:
                status, output = "succeeded", outcome.output
    duration = round((time.monotonic() - began) * 1000, 3)
    store.finish_step(
        run_id, index, status, input=resolved, output=output, error=error, started_at=started, duration_ms=duration
    )
    _emit(
        plan,
        {
            "event": "step_finished",
            "run_id": run_id,
            "step": step.id,
            "index": index,
            "status": status,
            "output": output,
            "error": error,
            "duration_ms": duration,
        },
    )
    return status, output, error


def _record_interruption(plan: _Plan, call: _Call) -> None:
    """Ctrl+C or a cancelled task mid-step: say so in the run, as resume will judge it, then let it propagate.

    Whether the request went out is unknown; for an operation that may not be repeated that is an unknown
    outcome (resume needs retry_unknown), for the others a plain failure (resume sends it again).
    """
    step = plan.workflow.steps[call.index]
    unknown = not _safe_to_repeat(plan.connector, step.operation)
    status = "outcome_unknown" if unknown else "failed"
    error = {
        "type": "interrupted",
        "retryable": not unknown,
        "step": step.id,
        "step_index": call.index,
        "message": "the run was interrupted while this step was in progress"
        + ("; it may or may not have been carried out" if unknown else ""),
    }
    try:
        plan.store.finish_step(
            plan.run_id, call.index, status, error=error, duration_ms=round((time.monotonic() - call.started) * 1000, 3)
        )
        plan.store.finish_run(plan.run_id, status, error=error, stopped_at=step.id)
    except Exception as exc:  # the store may be what failed; the original interruption matters more
        log.warning("could not record the interruption of run %s: %s", plan.run_id, type(exc).__name__)


def _drive(plan: _Plan) -> RunRecord:
    steps = _steps(plan)
    try:
        call = next(steps)
        while True:
            try:
                outcome = _Outcome(output=plan.connector.run(call.operation, call.input, call.auth))
            except ConnectorError as exc:
                outcome = _Outcome(error=exc)
            except Exception as exc:  # a bug: recorded by class name only (messages may hold data)
                outcome = _Outcome(internal=type(exc).__name__)
            except BaseException:
                _record_interruption(plan, call)
                raise
            call = steps.send(outcome)
    except StopIteration as done:
        return done.value


async def _adrive(plan: _Plan) -> RunRecord:
    steps = _steps(plan)
    try:
        call = next(steps)
        while True:
            try:
                outcome = _Outcome(output=await plan.connector.arun(call.operation, call.input, call.auth))
            except ConnectorError as exc:
                outcome = _Outcome(error=exc)
            except Exception as exc:
                outcome = _Outcome(internal=type(exc).__name__)
            except BaseException:  # asyncio.CancelledError, KeyboardInterrupt
                _record_interruption(plan, call)
                raise
            call = steps.send(outcome)
    except StopIteration as done:
        return done.value


# -- starting a run ----------------------------------------------------------------------------
def prepare_run(connector: Any, workflow: Any, trigger: Any = None) -> tuple[Workflow, Any]:
    """Everything checked before a run exists: the document, its references, the trigger's data.

    Raises WorkflowInvalid / ValidationError; nothing is recorded and nothing is sent.
    """
    flow = load_workflow(workflow)
    checked = check_references(connector, flow)
    if checked.errors:
        raise WorkflowInvalid(checked.errors, checked.warnings)
    data = {} if trigger is None else trigger
    schema = trigger_data_schema(connector, flow.trigger)
    if isinstance(schema, Mapping):
        problems = sorted(
            Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(data),
            key=lambda e: list(map(str, e.absolute_path)),
        )
        if problems:
            raise ValidationError(
                [
                    {
                        "pointer": "".join(f"/{p}" for p in e.absolute_path) or "/",
                        "keyword": str(e.validator),
                        "message": e.message[:300],
                    }
                    for e in problems
                ],
                message="Invalid trigger input: "
                + "; ".join(("".join(f"/{p}" for p in e.absolute_path) or "/") + ": " + e.message[:200] for e in problems),
            )
    return flow, data


def _new_plan(
    connector: Any,
    workflow: Any,
    authentications: Authentications | None,
    store: RunStore | None,
    trigger: Any,
    on_event: OnEvent | None,
) -> _Plan:
    flow, data = prepare_run(connector, workflow, trigger)
    store = store or RunStore.memory()
    run_id = store.create_run(flow, data)
    return _Plan(flow, data, store, run_id, _resolver(authentications), on_event, connector)


def run_workflow(
    connector: Any,
    workflow: Any,
    *,
    authentications: Authentications | None = None,
    store: RunStore | None = None,
    trigger: Any = None,
    on_event: OnEvent | None = None,
) -> RunRecord:
    """Run ``workflow`` (a Workflow, a document or a file path) step by step; returns the recorded run.

    ``authentications`` maps a step's authentication name to an engine Authentication (a mapping or a
    function). Without ``store`` the run is kept in memory only. Problems found before the run (document,
    references, trigger data) raise; failures during the run are recorded in the returned RunRecord.
    """
    return _drive(_new_plan(connector, workflow, authentications, store, trigger, on_event))


async def arun_workflow(
    connector: Any,
    workflow: Any,
    *,
    authentications: Authentications | None = None,
    store: RunStore | None = None,
    trigger: Any = None,
    on_event: OnEvent | None = None,
) -> RunRecord:
    """The async twin of ``run_workflow`` (``Connector.arun`` for each step)."""
    return await _adrive(_new_plan(connector, workflow, authentications, store, trigger, on_event))


# -- resume ------------------------------------------------------------------------------------
def _resume_plan(
    connector: Any,
    run_id: str,
    store: RunStore,
    authentications: Authentications | None,
    retry_unknown: bool,
    on_event: OnEvent | None,
) -> _Plan:
    old = store.get(run_id)
    if old.status == "succeeded":
        raise RunNotResumable(f"run {old.id} succeeded: there is nothing to resume")
    if old.status == "running" and not old.interrupted:
        raise RunNotResumable(f"run {old.id} is still running")
    if old.resumed_by:
        raise RunNotResumable(f"run {old.id} was already resumed as {old.resumed_by}; resume that run instead")
    flow = parse_workflow(old.workflow)
    at = next((s.index for s in old.steps if s.status not in ("succeeded", "skipped")), None)
    if at is None:
        raise RunNotResumable(f"run {old.id} has no step left to run")
    stuck = old.steps[at]
    unknown = stuck.status == "outcome_unknown" or (
        stuck.status == "running" and not _safe_to_repeat(connector, stuck.operation)
    )
    if unknown and not retry_unknown:
        why = (
            "ended with an unknown outcome"
            if stuck.status == "outcome_unknown"
            else "was interrupted while its request may have been sent"
        )
        raise RunNotResumable(
            f"step {stuck.id!r} ({stuck.operation}) {why}: it may or may not have been carried out. Check the "
            "account; resume with retry_unknown (--retry-unknown) to send it again",
            step=stuck.id,
        )
    new_id = uuid.uuid4().hex
    if not store.claim_resume(old.id, new_id):
        raise RunNotResumable(f"run {old.id} was already resumed")
    reused = {s.index: (s.input, s.output) for s in old.steps[:at]}
    store.create_run(flow, old.trigger, resumed_from=old.id, run_id=new_id)
    return _Plan(
        flow, old.trigger, store, new_id, _resolver(authentications), on_event, connector, reused=reused, resumed_from=old.id
    )


def _safe_to_repeat(connector: Any, operation: str) -> bool:
    """Whether sending this operation twice does no harm (safe, idempotent, upsert); unknown means no."""
    try:
        idempotency = str(connector.describe(operation).get("idempotency", ""))
    except ConnectorError:
        return False
    return idempotency.split("(")[0] in ("safe", "idempotent", "upsert")


def resume_run(
    connector: Any,
    run_id: str,
    *,
    store: RunStore,
    authentications: Authentications | None = None,
    retry_unknown: bool = False,
    on_event: OnEvent | None = None,
) -> RunRecord:
    """Run a failed or interrupted run again from the step that stopped it, as a new run.

    Steps that succeeded are not sent again: their recorded inputs and outputs are reused (status
    ``skipped``). A step whose outcome is unknown (or an unsafe step interrupted mid-request) is only
    sent again with ``retry_unknown=True``. The old run records ``resumed_by``, the new ``resumed_from``.
    """
    return _drive(_resume_plan(connector, run_id, store, authentications, retry_unknown, on_event))


async def aresume_run(
    connector: Any,
    run_id: str,
    *,
    store: RunStore,
    authentications: Authentications | None = None,
    retry_unknown: bool = False,
    on_event: OnEvent | None = None,
) -> RunRecord:
    return await _adrive(_resume_plan(connector, run_id, store, authentications, retry_unknown, on_event))
