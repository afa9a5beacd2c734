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


def _first_option(c: Connector, auth: Any, op: OperationSpec, field: str, form: dict[str, Any]) -> str | None:
    result = c.options(op.name, field, form, auth)
    options = result.get("result") or []
    return options[0]["value"] if options else None


def minimal_value(schema: dict[str, Any]) -> Any:
    """The simplest value hypothesis finds for a schema: deterministic, for fields without an example."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis_jsonschema import from_schema

    return find(from_schema(schema), lambda _: True,
                settings=settings(database=None, suppress_health_check=list(HealthCheck), max_examples=200))


def valid_input(c: Connector, auth: Any, name: str) -> dict[str, Any]:
    """A valid input for any operation, built from its spec against the seeded sandbox.

    The spec's first example when it has one; otherwise every required field, with
    ids taken from the field's own dropdown (its DDL, run against the sandbox) and
    other values from the schema (default, const, enum, then hypothesis' simplest).
    """
    op = c.operation(name)
    if op.examples:
        return copy.deepcopy(op.examples[0]["input"])
    schema = op.input_schema
    data: dict[str, Any] = {}
    lookups = {lk.pointer.lstrip("/"): lk for lk in op.lookups}
    for field in schema.get("required", []):
        prop = schema.get("properties", {}).get(field, {})
        if field in lookups:
            value = _first_option(c, auth, op, field, data)
            if value is not None:
                data[field] = value
                continue
        if "default" in prop:
            data[field] = prop["default"]
        elif "const" in prop:
            data[field] = prop["const"]
        elif prop.get("enum"):
            data[field] = prop["enum"][0]
        else:
            data[field] = minimal_value(prop)
    return data


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
