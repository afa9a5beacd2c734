"""``ac-connector workflow ...``: check, run, list, show, resume and prune workflow runs.

Progress goes to stdout as each step finishes: readable lines on a terminal, one JSON event per line
with ``--json``. The exit code says how the run ended: 0 succeeded, 1 failed or stopped for a person,
2 refused before anything ran (the document, its references or the trigger data).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from engine.errors import ValidationError

from .workflows import RunRecord, RunStore, check_workflow, read_document, resume_run, run_workflow, workflow_schema
from .workflows.document import WorkflowInvalid, parse_workflow
from .workflows.runs import iso

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
MARKS = {"succeeded": "ok", "failed": "FAILED", "outcome_unknown": "UNKNOWN", "skipped": "reused"}


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _json_line(data: Any) -> None:
    _out(json.dumps(data, ensure_ascii=False, default=str))


def _runs() -> RunStore:
    return RunStore.open()


def _resolver(connector: Any) -> Any:
    """Authentication names to engine authentications, from the local store (or the environment)."""
    from .cli import _authentication

    cache: dict[str | None, Any] = {}

    def resolve(name: str | None) -> Any:
        if name not in cache:
            cache[name] = _authentication(connector, name)
        return cache[name]

    return resolve


def _authentication_problems(connector: Any, workflow: Any) -> list[dict[str, str]]:
    """Authentication names the local store does not hold: found before the run, not at step 3."""
    import os

    from .cli import _store

    stored = {a.name for a in _store(connector).list()}
    env = bool(os.environ.get("AC_API_URL") and os.environ.get("AC_API_KEY"))
    problems = []
    for i, step in enumerate(workflow.steps):
        if step.authentication is not None and step.authentication not in stored:
            problems.append(
                {
                    "pointer": f"/steps/{i}/authentication",
                    "keyword": "authentication",
                    "message": f"no stored authentication named {step.authentication!r} "
                    "(see `ac-connector auth list`, `ac-connector auth add`)",
                }
            )
        elif step.authentication is None and not env and len(stored) != 1:
            problems.append(
                {
                    "pointer": f"/steps/{i}",
                    "keyword": "authentication",
                    "message": "this step names no authentication and there is not exactly one stored "
                    '(add "authentication": NAME, or set AC_API_URL and AC_API_KEY)',
                }
            )
    return problems


class Progress:
    """Prints each event as it comes: human lines or JSON lines."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.steps: list[dict[str, Any]] = []
        self.run_id: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        if event["event"] == "run_started":
            self.run_id = event["run_id"]
        if self.as_json:
            _json_line(event)
            return
        kind = event["event"]
        if kind == "run_started":
            self.steps = list(event.get("steps") or [])
            resumed = f", resuming run {event['resumed_from']}" if event.get("resumed_from") else ""
            _out(f"Run {event['run_id']} of {event['workflow']!r} ({len(self.steps)} steps{resumed})")
        elif kind == "step_finished":
            mark = MARKS.get(event["status"], event["status"])
            step = self.steps[event["index"]] if event["index"] < len(self.steps) else {}
            line = (
                f"  {mark:<7} {event['index'] + 1}/{len(self.steps)}  {event['step']}  "
                f"{step.get('name', '')} ({step.get('operation', '')})"
            )
            if event["status"] != "skipped":
                line += f"  {event['duration_ms']:.0f} ms"
            if event.get("error"):
                line += f"\n          {event['error'].get('type')}: {event['error'].get('message')}"
            _out(line)


def _finish(record: RunRecord, as_json: bool) -> int:
    if record.status == "succeeded":
        if not as_json:
            _out(f"Run {record.id} succeeded. Details: ac-connector workflow show {record.id}")
        return EXIT_OK
    if not as_json:
        if record.status == "outcome_unknown":
            _out(
                f"Run {record.id} stopped at step {record.stopped_at!r}: its outcome is unknown. Check the account, "
                f"then: ac-connector workflow resume {record.id} --retry-unknown (to send it again)"
            )
        else:
            _out(
                f"Run {record.id} failed at step {record.stopped_at!r}. After fixing the cause: "
                f"ac-connector workflow resume {record.id}"
            )
    sys.stderr.write(
        json.dumps({"error": {**(record.error or {}), "run_id": record.id}}, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    return EXIT_FAILURE


# -- commands ----------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    from .cli import _connector, _print

    connector = _connector(args)
    document = read_document(args.file)
    result = check_workflow(connector, document)
    if result.ok:
        result.warnings.extend(
            {**p, "message": p["message"] + " (on this machine)"}
            for p in _authentication_problems(connector, parse_workflow(document))
        )
    _print(result.to_dict())
    return EXIT_OK if result.ok else EXIT_INVALID


def cmd_run(args: argparse.Namespace) -> int:
    from .cli import _connector, _read_input

    connector = _connector(args)
    document = read_document(args.file)
    trigger = _read_input(args.input)
    checked = check_workflow(connector, document)
    if not checked.ok:
        raise WorkflowInvalid(checked.errors, checked.warnings)
    problems = _authentication_problems(connector, parse_workflow(document))
    if problems:
        raise WorkflowInvalid(problems)
    progress = Progress(args.json)
    with _runs() as store, _interruptible(progress):
        record = run_workflow(
            connector, document, authentications=_resolver(connector), store=store, trigger=trigger, on_event=progress
        )
    return _finish(record, args.json)


def cmd_resume(args: argparse.Namespace) -> int:
    from .cli import _connector

    connector = _connector(args)
    progress = Progress(args.json)
    with _runs() as store, _interruptible(progress):
        record = resume_run(
            connector,
            store.get(args.run).id,
            authentications=_resolver(connector),
            store=store,
            retry_unknown=args.retry_unknown,
            on_event=progress,
        )
    return _finish(record, args.json)


@contextlib.contextmanager
def _interruptible(progress: Progress) -> Iterator[None]:
    """Ctrl+C: the runner has recorded where it stopped; say how to go on (the exit code stays 130)."""
    try:
        yield
    except KeyboardInterrupt:
        if progress.run_id:
            sys.stderr.write(
                json.dumps(
                    {
                        "error": {
                            "type": "interrupted",
                            "retryable": True,
                            "run_id": progress.run_id,
                            "message": f"run {progress.run_id} was interrupted; see `ac-connector workflow show "
                            f"{progress.run_id}`, go on with `ac-connector workflow resume {progress.run_id}`",
                        }
                    },
                    indent=2,
                )
                + "\n"
            )
        raise


def cmd_runs(args: argparse.Namespace) -> int:
    from .cli import _print

    with _runs() as store:
        runs = store.list(workflow=args.workflow, limit=args.limit, status=args.status)
    if args.json:
        _print([r.summary() for r in runs])
        return EXIT_OK
    if not runs:
        _out("no runs yet")
    for r in runs:
        status = "interrupted" if r.interrupted else r.status
        where = f" at {r.stopped_at}" if r.stopped_at else ""
        _out(f"{r.id}  {iso(r.started_at)}  {status + where:<28} {r.workflow_name}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from .cli import _print

    with _runs() as store:
        _print(store.get(args.run).to_dict())
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    from .cli import _print

    if args.keep is None and args.older_than is None:
        raise ValidationError(
            [{"pointer": "/keep", "keyword": "required", "message": "say what to keep: --keep N and/or --older-than DAYS"}]
        )
    with _runs() as store:
        pruned = store.prune(keep=args.keep, older_than=None if args.older_than is None else args.older_than * 86400)
    _print({"pruned": pruned})
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .cli import _print

    _print(workflow_schema())
    return EXIT_OK


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("a whole number from 1 to 1000")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError("a whole number, 0 or more")
    return int(text)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 365_000:  # NaN and infinities fail too
        raise argparse.ArgumentTypeError("a number of days, 0 or more")
    return value


def add_commands(sub: Any) -> None:
    """Add ``workflow`` and its subcommands to the main parser's subparsers."""
    workflow = sub.add_parser(
        "workflow",
        help="check, run and resume workflows; list and show runs",
        description="Workflows: steps whose inputs reference the trigger's data "
        "($.trigger...) and earlier steps' outputs ($.steps.<id>...).",
    )
    commands = workflow.add_subparsers(dest="workflow_command", required=True)

    check = commands.add_parser("check", help="check a workflow file: every problem with its JSON pointer")
    check.add_argument("file", help="a workflow document (.json, .yaml)")
    check.set_defaults(func=cmd_check)

    run = commands.add_parser("run", help="run a workflow file, printing each step as it finishes")
    run.add_argument("file")
    run.add_argument("--input", help="the trigger's data: JSON, @file or - for standard input")
    run.add_argument("--json", action="store_true", help="one JSON event per line")
    run.set_defaults(func=cmd_run)

    runs = commands.add_parser("runs", help="list past runs, newest first")
    runs.add_argument("--workflow", help="only runs of the workflow with this name")
    runs.add_argument("--status", choices=["running", "succeeded", "failed", "outcome_unknown"])
    runs.add_argument("--limit", type=_limit, default=50, help="at most this many (1 to 1000)")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(func=cmd_runs)

    show = commands.add_parser("show", help="one run as JSON: the workflow as run, each step's input and output")
    show.add_argument("run", help="a run id (or its first 6+ characters)")
    show.set_defaults(func=cmd_show)

    resume = commands.add_parser("resume", help="run a failed run again from the step that stopped it")
    resume.add_argument("run")
    resume.add_argument(
        "--retry-unknown", action="store_true", help="send again a step whose outcome is unknown (check the account first)"
    )
    resume.add_argument("--json", action="store_true")
    resume.set_defaults(func=cmd_resume)

    prune = commands.add_parser("prune", help="forget old finished runs")
    prune.add_argument("--keep", type=_count, help="keep the N newest runs")
    prune.add_argument("--older-than", type=_non_negative, metavar="DAYS", help="forget runs started DAYS ago or more")
    prune.set_defaults(func=cmd_prune)

    schema = commands.add_parser("schema", help="print the workflow document's JSON Schema")
    schema.set_defaults(func=cmd_schema)

    from .triggers.cli import add_trigger_commands

    add_trigger_commands(commands)
