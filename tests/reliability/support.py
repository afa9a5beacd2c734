"""Helpers shared by the reliability, security and contract suites (no fixtures: plain functions)."""

from __future__ import annotations

import copy
import functools
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.clock import Clock
from engine.loader import load_connector
from engine.model import ConnectorSpec, OperationSpec
from engine.ratelimit import NoLimit
from engine.runtime import Connector

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def spec() -> ConnectorSpec:
    """The specs, loaded and checked once per session (frozen, so shared safely)."""
    return load_connector(ROOT)


def connector(**options: Any) -> Connector:
    """The real connector, loopback allowed (the sandbox), no client-side limit unless asked for."""
    options.setdefault("allow_loopback", True)
    options.setdefault("limiter", NoLimit())
    options.setdefault("seed", 7)
    return Connector(spec(), **options)


@contextmanager
def connected(**options: Any) -> Iterator[Connector]:
    c = connector(**options)
    try:
        yield c
    finally:
        c.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def table_sizes(sandbox: Any) -> dict[str, int]:
    with sandbox.lock:
        return {name: len(table) for name, table in sandbox.store.tables.items()}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    names = set(before) | set(after)
    return {n: after.get(n, 0) - before.get(n, 0) for n in sorted(names) if after.get(n, 0) != before.get(n, 0)}


def route_of(c: Connector, op: str, data: dict[str, Any], auth: Any) -> str:
    """The sandbox fault route ("METHOD /api/3/path") of the first request an input renders."""
    request = c.render_request(op, data, auth)
    return f"{request.method} {request.url.path}"


def _options(c: Connector, auth: Any, op: OperationSpec, field: str, form: dict[str, Any]) -> list[str]:
    result = c.options(op.name, field, form, auth)
    return [o["value"] for o in result.get("result") or []]


def simple_value(schema: dict[str, Any]) -> Any:
    """A plain valid value for a field without an example (hypothesis' simplest only for odd schemas)."""
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("oneOf") and "const" in schema["oneOf"][0]:
        return schema["oneOf"][0]["const"]
    kind = schema.get("type")
    if kind == "string" and not schema.get("pattern"):
        fmt = schema.get("format")
        special = {
            "email": "reliability@example.com",
            "date": "2025-01-02",
            "date-time": "2025-01-02T03:04:05-05:00",
            "uri": "https://www.example.com/",
        }
        if fmt in special:
            return special[fmt]
        if fmt is None:
            return "Reliability test"[: schema.get("maxLength", 64)].ljust(schema.get("minLength", 1), "x")
    if kind == "string" and schema.get("pattern") == "^[0-9]+(?!\\n)$":
        return "1"
    if kind == "integer" and "minimum" not in schema and "maximum" not in schema:
        return 1
    if kind == "boolean":
        return True
    from hypothesis import HealthCheck, find, settings
    from hypothesis_jsonschema import from_schema

    return find(
        from_schema(schema),
        lambda _: True,
        settings=settings(database=None, suppress_health_check=list(HealthCheck), max_examples=200),
    )


def candidate_inputs(c: Connector, auth: Any, name: str) -> Iterator[dict[str, Any]]:
    """Valid inputs for any operation, built from its spec: its examples, then ones built from the schema."""
    op = c.operation(name)
    for example in op.examples:
        yield copy.deepcopy(example["input"])
    yield from built_inputs(c, auth, name)


def working_input(c: Connector, auth: Any, sandbox: Any, name: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The first candidate input that succeeds on the freshly seeded sandbox and changes something there
    (else the first that succeeds), with what it changed. The sandbox is left freshly reset."""
    problems: list[str] = []
    fallback: tuple[dict[str, Any], dict[str, int]] | None = None
    for data in candidate_inputs(c, auth, name):
        sandbox.reset()
        before = table_sizes(sandbox)
        try:
            c.run(name, data, auth)
        except Exception as exc:  # noqa: BLE001 - try the next candidate, report all if none works
            problems.append(f"{data!r}: {exc!r}")
            continue
        change = delta(before, table_sizes(sandbox))
        if change:
            sandbox.reset()
            return data, change
        fallback = fallback or (data, change)
    sandbox.reset()
    if fallback is not None:
        return fallback
    raise AssertionError(f"{name}: no example or generated input runs on the seeded sandbox: {problems}")


def built_inputs(c: Connector, auth: Any, name: str) -> Iterator[dict[str, Any]]:
    """Every required field: ids from the field's own dropdown (its DDL, run against the sandbox; the
    first choices, then the last ones), other values from the schema."""
    op = c.operation(name)
    schema = op.input_schema
    lookups = {lk.pointer.lstrip("/"): lk for lk in op.lookups}
    for pick in (0, -1):
        data: dict[str, Any] = {}
        for field in schema.get("required", []):
            prop = schema.get("properties", {}).get(field, {})
            choices = _options(c, auth, op, field, data) if field in lookups else []
            data[field] = choices[pick] if choices else simple_value(prop)
        yield data


class ServerStartingClock(Clock):
    """A fake clock whose first sleep starts a server: 'connection refused, then the server comes up'."""

    def __init__(self, start_server: Any) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._start = start_server

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        if self._start is not None:
            start, self._start = self._start, None
            start()
