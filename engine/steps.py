"""Composite operations: steps that run other operations in order, each seeing the outputs before it.

Why: some tasks need several requests with a decision in between (find a record, create it when it is
missing, then use it), a batch loop, or polling until a job is done. The steps stay declarative; each
sub-call is a normal operation call (validation, retries, rate limit, output check) with its own
deadline window, like each page of a listing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .effects import Pipeline, Sleep
from .errors import ConnectorError, PreconditionFailed, SpecError, Timeout
from .model import OperationSpec, StepSpec
from .templating import ABSENT, render_structure
from .transport import Call

SubCall = Callable[[Call, dict[str, Any]], Pipeline]


def run_steps(
    call: Call,
    op: OperationSpec,
    input: dict[str, Any],
    operation: Callable[[str], OperationSpec],
    validate: Callable[[str, Any], dict[str, Any]],
    sub_pipeline: SubCall,
) -> Pipeline:
    """Run ``op``'s steps; return its output rendered over ``input`` and ``steps``."""
    done: dict[str, Any] = {}
    for step in op.steps:
        context = {"input": input, "steps": done}
        if step.when is not None and not _value(render_structure(step.when, context)):
            done[step.name] = None
            continue
        if step.for_each is None:
            done[step.name] = yield from _run_once(call, step, context, operation, validate, sub_pipeline)
            continue
        elements = render_structure(step.for_each, context)
        if elements is ABSENT or elements is None:
            elements = []
        if not isinstance(elements, Iterable) or isinstance(elements, (str, bytes, Mapping)):
            raise SpecError(f"{op.name}: for_each of step {step.name!r} did not give a list")
        outputs = []
        for index, element in enumerate(elements):
            scoped = {**context, step.as_name: element, "index": index}
            outputs.append((yield from _run_once(call, step, scoped, operation, validate, sub_pipeline)))
        done[step.name] = outputs
    output = render_structure(op.output, {"input": input, "steps": done}) if op.output is not None else done
    return output


def _value(rendered: Any) -> Any:
    return None if rendered is ABSENT else rendered


def _run_once(
    call: Call,
    step: StepSpec,
    context: dict[str, Any],
    operation: Callable[[str], OperationSpec],
    validate: Callable[[str, Any], dict[str, Any]],
    sub_pipeline: SubCall,
) -> Pipeline:
    if step.fail is not None:
        # A check that failed: nothing after it runs (e.g. going on would delete records the input did not name).
        raise PreconditionFailed(
            str(render_structure(step.fail["message"], context)).strip(), pointer=step.fail.get("pointer"), step=step.name
        )
    if step.operation is None:
        return _value(render_structure(step.value, context))
    rendered = render_structure(step.input, context) if step.input is not None else {}
    prepared = validate(step.operation, {} if rendered is ABSENT else rendered)
    for attempt in range(1, step.attempts + 1):
        sub = dataclasses.replace(call, op=operation(step.operation), attempts=0, log=call.log, started=call.clock.monotonic())
        try:
            output = yield from sub_pipeline(sub, prepared)
        except ConnectorError as exc:
            if exc.type in step.tolerate:  # an outcome the spec expects and handles in a later step
                return None
            raise
        if step.until is None or _value(render_structure(step.until, {**context, "output": output})):
            return output
        if attempt < step.attempts:
            yield Sleep(step.every)
    raise Timeout(
        f"{call.op.title}: step {step.name!r} was not done after {step.attempts} checks {step.every:g} s apart", phase="polling"
    )
