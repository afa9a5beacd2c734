"""The connector at run time: run, stream, options, test_auth, describe (sync and async).

Load once, then call many times; every call is a pipeline (see effects.py)
driven by a thin sync or async driver, so both behave identically.
"""

from __future__ import annotations

import copy
import logging
import random
import re
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .auth import Authentication, UrlPolicy, make_authentication
from .clock import Clock
from .drivers import adrive, aiterate, drive, iterate
from .effects import Pipeline
from .errors import UPSTREAM_TYPES, SpecError, UnknownOperation, UpstreamError, ValidationError
from .inflight import DEFAULT_PER_ORIGIN, InFlightLimit
from .messages import plain_message
from .model import ConnectorSpec, OperationSpec, Timeouts
from .netguard import AsyncGuardedTransport, GuardedTransport
from .paging import paginate
from .ratelimit import RateLimiter, make_limiter
from .requests import build_request
from .retry import RetryPolicy, TimeoutsLike, as_timeouts
from .steps import run_steps
from .templating import ABSENT, render_structure
from .transport import Call, exchange
from .upstream import headers_dict, parse_body

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("engine")


def _client_settings(timeouts: Timeouts) -> dict[str, Any]:
    # trust_env=False: proxy variables and .netrc never see our requests; redirects are followed by hand.
    return {
        "trust_env": False,
        "follow_redirects": False,
        "verify": True,
        "timeout": httpx.Timeout(connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool),
    }


class _TlsOnFirstUse(httpx.BaseTransport):
    """httpx's own transport, made when the first https request leaves.

    Building it loads the system's CA certificates (tens of milliseconds), which a one-off CLI run
    against a plain-http sandbox, or a process that never calls out, need not pay.
    """

    def __init__(self) -> None:
        self._transport: GuardedTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:  # our own transport: deadlines on every socket operation, DNS pinned
            self._transport = GuardedTransport()
        return self._transport.handle_request(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _plain_http_context() -> Any:
    """A TLS context that trusts nothing: the plain-http transport never starts TLS, and if it did it would fail."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _sync_client(timeouts: Timeouts, transport: httpx.BaseTransport | None) -> httpx.Client:
    settings = _client_settings(timeouts)
    if transport is not None:
        return httpx.Client(transport=transport, **settings)
    # The default transport serves https (and anything else); plain http has its own, without certificates.
    return httpx.Client(
        transport=_TlsOnFirstUse(), mounts={"http://": GuardedTransport(ssl_context=_plain_http_context())}, **settings
    )


class Connector:
    """A loaded connector. Thread-safe; share one per process."""

    def __init__(
        self,
        spec: ConnectorSpec,
        *,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        timeouts: TimeoutsLike = None,
        strict_output: bool = False,
        allow_loopback: bool = False,
        seed: int | None = None,
        rate_limit_backend: str | None = None,
        url_policy: UrlPolicy | None = None,
        max_in_flight: int = DEFAULT_PER_ORIGIN,
    ) -> None:
        """``limiter`` or ``rate_limit_backend`` (memory://, file:///dir, redis://host/db) share one budget per
        account; ``timeouts`` (per attempt) and ``retry`` default to connector.yaml; ``url_policy`` says where an
        authentication may point (``UrlPolicy.service()`` for a shared service); ``max_in_flight`` bounds the
        requests at once to one account (more calls wait their turn, within their deadline)."""
        self.spec = spec
        d = spec.defaults
        self.timeouts = as_timeouts(timeouts, d.timeout)
        self.clock = clock or Clock()
        self.retry = retry or RetryPolicy(max_attempts=d.max_attempts, deadline=d.deadline)
        self.limiter = limiter or make_limiter(
            rate_limit_backend, d.rate_limit_requests, d.rate_limit_seconds, clock=self.clock
        )
        self.strict_output = strict_output
        self.allow_loopback = allow_loopback
        self.url_policy = url_policy
        self._rng = random.Random(seed)
        self._slots = InFlightLimit(max_in_flight)
        self._transport = transport
        self._lock = threading.Lock()
        self._sync: httpx.Client | None = client
        self._async_client = async_client
        self._loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._async_transport = async_transport

    @classmethod
    def load(cls, root: str | Path, *, cache_dir: str | Path | None = None, **options: Any) -> Connector:
        """Load the specs in ``root`` (through a cache of checked specs in ``cache_dir``, when given)."""
        from .spec_cache import load_cached

        return cls(load_cached(root, cache_dir), **options)

    @property
    def _client(self) -> httpx.Client:
        """The sync client, made on first use (an async-only or describe-only process never needs it)."""
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = _sync_client(self.timeouts, self._transport)
        return self._sync

    # -- authentication ------------------------------------------------------------------------
    def authentication(
        self, fields: Mapping[str, Any], *, name: str = "", url_policy: UrlPolicy | None = None
    ) -> Authentication:
        """Check and prepare an authentication's fields (URL normalised, secrets wrapped); ``url_policy``
        overrides the connector's own for this call (a service sharing a connector applies its own rule)."""
        return make_authentication(
            self.spec, fields, name=name, allow_loopback=self.allow_loopback, policy=url_policy or self.url_policy
        )

    def test_auth(self, auth: Authentication, *, deadline: float = 10.0) -> Any:
        """Run the manifest's auth test operation; a short deadline, since a person is waiting."""
        return self.run(self.spec.auth.test_operation, {}, auth, deadline=deadline)

    # -- running -------------------------------------------------------------------------------
    def operation(self, name: str) -> OperationSpec:
        try:
            return self.spec.operations[name]
        except KeyError:
            raise UnknownOperation(f"unknown operation {name!r}") from None

    def run(
        self,
        operation: str,
        input: Mapping[str, Any] | None,
        auth: Authentication,
        *,
        deadline: float | None = None,
        timeouts: TimeoutsLike = None,
    ) -> Any:
        """Run one operation. ``deadline`` (seconds) bounds the whole call, retries and waits included;
        ``timeouts`` bounds each attempt (connect, read, write, pool)."""
        call, prepared = self._prepare(operation, input, auth, deadline, timeouts=timeouts)
        return drive(self._pipeline(call, prepared), self._client, self.clock, self._slots)

    async def arun(
        self,
        operation: str,
        input: Mapping[str, Any] | None,
        auth: Authentication,
        *,
        deadline: float | None = None,
        timeouts: TimeoutsLike = None,
    ) -> Any:
        call, prepared = self._prepare(operation, input, auth, deadline, timeouts=timeouts)
        return await adrive(self._pipeline(call, prepared), self._aclient(), self.clock, self._slots)

    def stream(self, operation: str, input: Mapping[str, Any] | None, auth: Authentication) -> Iterator[Any]:
        """Yield the items of a listing one page at a time: memory stays flat however many there are."""
        call, prepared = self._prepare(operation, input, auth, None, stream=True)
        for emitted in iterate(self._stream_pipeline(call, prepared), self._client, self.clock, self._slots):
            yield from emitted.items

    def run_streamed(self, operation: str, input: Mapping[str, Any] | None, auth: Authentication) -> StreamedRun:
        """A listing's ``run``, its items handed out page by page as they arrive (flat memory).

        Iterate it for the pages' items, then ``output(items)`` renders the operation's output around
        whatever stands for the items (a CLI writes them out as they come and passes a placeholder).
        """
        op = self.operation(operation)
        if op.pagination is None or op.kind == "ddl" or op.pagination.sideloads:
            raise UnknownOperation(f"{operation} cannot be streamed: it is not a listing of plain records")
        call, prepared = self._prepare(operation, input, auth, None, stream=True)
        return StreamedRun(iterate(self._stream_pipeline(call, prepared), self._client, self.clock, self._slots), op, prepared)

    async def astream(self, operation: str, input: Mapping[str, Any] | None, auth: Authentication) -> AsyncIterator[Any]:
        call, prepared = self._prepare(operation, input, auth, None, stream=True)
        async for emitted in aiterate(self._stream_pipeline(call, prepared), self._aclient(), self.clock, [], self._slots):
            for item in emitted.items:
                yield item

    def options(
        self,
        operation: str,
        field: str,
        form: Mapping[str, Any] | None,
        auth: Authentication,
        *,
        search: str | None = None,
        offset: int | None = None,
    ) -> Any:
        """Choices for one field of an operation's form, from the DDL its schema names."""
        ddl, ddl_input = self._options_input(operation, field, form, search, offset)
        return self.run(ddl, ddl_input, auth)

    async def aoptions(
        self,
        operation: str,
        field: str,
        form: Mapping[str, Any] | None,
        auth: Authentication,
        *,
        search: str | None = None,
        offset: int | None = None,
    ) -> Any:
        ddl, ddl_input = self._options_input(operation, field, form, search, offset)
        return await self.arun(ddl, ddl_input, auth)

    def validate_input(self, operation: str, input: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return the input with defaults filled, or raise ValidationError listing every problem."""
        op = self.operation(operation)
        data = {} if input is None else input
        if not isinstance(data, Mapping):
            raise ValidationError([{"pointer": "/", "keyword": "type", "message": "the input must be an object"}])
        errors = [item for e in op.input_validator.iter_errors(data) for item in _describe_error(e, op.input_schema)]
        if errors:
            errors.sort(key=lambda e: (e["pointer"], e["keyword"]))
            raise ValidationError(errors)
        filled = dict(copy_json(data))
        for name, prop in op.input_schema.get("properties", {}).items():
            if name not in filled and isinstance(prop, dict) and "default" in prop:
                filled[name] = copy_json(prop["default"])
        return filled

    def render_request(self, operation: str, input: Mapping[str, Any] | None, auth: Authentication) -> httpx.Request:
        """The first request a call would send, without sending it (contract tests, dry runs)."""
        call, prepared = self._prepare(operation, input, auth, None)
        op = call.op
        if op.request is None:
            raise UnknownOperation(f"{operation} runs steps, not one request")
        page = None
        if op.pagination:
            page = {"limit": op.pagination.page_size, "offset": 0}
        request = build_request(call, op, prepared, page)
        return request

    # -- description ---------------------------------------------------------------------------
    def describe(self, operation: str) -> dict[str, Any]:
        op = self.operation(operation)
        return {
            "name": op.name,
            "title": op.title,
            "description": op.description,
            "group": op.group,
            "kind": op.kind,
            "idempotency": op.idempotency + (f"({op.upsert_key})" if op.upsert_key else ""),
            "input": op.input_schema,
            "output": op.output_schema,
            "lookups": [
                {
                    "field": lk.pointer,
                    "operation": lk.operation,
                    "depends_on": sorted(
                        {u.attr for t in _templates(lk.input) for u in t.uses if u.root == "input" and u.attr}
                    ),
                }
                for lk in op.lookups
            ],
            "examples": list(op.examples),
        }

    def manifest(self) -> dict[str, Any]:
        s = self.spec
        return {
            "name": s.name,
            "title": s.title,
            "version": s.version,
            "description": s.description,
            "documentation": s.documentation,
            "authentication": {"fields": s.auth.fields_schema, "types": list(s.auth.types), "help": s.auth.help},
            "operations": [
                {"name": o.name, "title": o.title, "description": o.description, "kind": o.kind, "group": o.group}
                for o in sorted(s.operations.values(), key=lambda o: o.name)
            ],
        }

    # -- internals -----------------------------------------------------------------------------
    def _aclient(self) -> httpx.AsyncClient:
        """An injected client, or one per event loop: an httpx.AsyncClient cannot outlive its loop."""
        if self._async_client is not None:
            return self._async_client
        import asyncio

        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                transport=self._async_transport or AsyncGuardedTransport(), **_client_settings(self.timeouts)
            )
            self._loop_clients[loop] = client
        return client

    def _prepare(
        self,
        operation: str,
        input: Mapping[str, Any] | None,
        auth: Authentication,
        deadline: float | None,
        stream: bool = False,
        timeouts: TimeoutsLike = None,
    ) -> tuple[Call, dict[str, Any]]:
        op = self.operation(operation)
        if stream and op.pagination is None:
            raise UnknownOperation(f"{operation} is not a listing and cannot be streamed")
        if not isinstance(auth, Authentication):
            raise TypeError("auth must come from Connector.authentication()")
        prepared = self.validate_input(operation, input)
        policy = (
            self.retry
            if deadline is None
            else RetryPolicy(
                max_attempts=self.retry.max_attempts,
                deadline=deadline,
                backoff_base=self.retry.backoff_base,
                backoff_cap=self.retry.backoff_cap,
                max_retry_after=self.retry.max_retry_after,
            )
        )
        per_attempt = self.timeouts
        if op.request is not None and op.request.timeout:
            per_attempt = Timeouts(**{**per_attempt.__dict__, **op.request.timeout})
        timeouts = as_timeouts(timeouts, per_attempt)
        call = Call(
            spec=self.spec,
            op=op,
            auth=auth,
            limiter=self.limiter,
            clock=self.clock,
            policy=policy,
            timeouts=timeouts,
            rng=self._rng,
            started=self.clock.monotonic(),
        )
        return call, prepared

    def _pipeline(self, call: Call, input: dict[str, Any]) -> Pipeline:
        op = call.op
        if op.steps:
            output: Any = yield from run_steps(call, op, input, self.operation, self.validate_input, self._pipeline)
        elif op.pagination is not None:
            result = yield from paginate(call, op, input)
            if op.kind == "ddl":
                output = {"result": [self._option(op, item, input) for item in result.items], "next_offset": result.next_offset}
            else:
                output = render_structure(op.output, {"input": input, "result": result.context()})
        else:
            exchanged = yield from exchange(call, build_request(call, op, input, None))
            response = {
                "status": exchanged.response.status_code,
                "headers": headers_dict(exchanged.response.headers),
                "body": parse_body(exchanged.content),
            }
            context = {"input": input, "response": response}
            if op.success_when is not None and not render_structure(op.success_when, context):
                failure = op.failure or {"type": "upstream", "message": f"{op.title} did not succeed"}
                error_class = UPSTREAM_TYPES.get(failure["type"], UpstreamError)
                assert issubclass(error_class, UpstreamError)  # checked at load
                raise error_class(failure["message"], status=response["status"])
            output = response["body"] if op.output is None else render_structure(op.output, context)
        if output is ABSENT:
            output = None
        self._check_output(op, output)
        return output

    def _stream_pipeline(self, call: Call, input: dict[str, Any]) -> Pipeline:
        result = yield from paginate(call, call.op, input, stream=True)
        return result

    def _option(self, op: OperationSpec, item: Any, input: Mapping[str, Any]) -> dict[str, str]:
        assert op.option is not None
        context = {"item": item, "input": input}
        text = render_structure(op.option["text"], context)
        value = render_structure(op.option["value"], context)
        return {"text": "" if text is ABSENT else str(text).strip(), "value": "" if value is ABSENT else str(value)}

    def _check_output(self, op: OperationSpec, output: Any) -> None:
        errors = list(op.output_validator.iter_errors(output))
        if not errors:
            return
        first = errors[0]
        where = "".join(f"/{p}" for p in first.absolute_path) or "/"
        message = f"{op.name}: output does not match its schema at {where}: {first.message[:300]}"
        if self.strict_output:
            raise SpecError(message)
        log.warning(message)

    def _options_input(
        self, operation: str, field: str, form: Mapping[str, Any] | None, search: str | None, offset: int | None
    ) -> tuple[str, dict[str, Any]]:
        op = self.operation(operation)
        pointer = field if field.startswith("/") else f"/{field}"
        lookup = next((lk for lk in op.lookups if lk.pointer == pointer), None)
        if lookup is None:
            raise ValidationError(
                [{"pointer": pointer, "keyword": "lookup", "message": f"{operation} has no dropdown at {pointer}"}]
            )
        ddl_input: dict[str, Any] = {}
        if lookup.input is not None:
            rendered = render_structure(lookup.input, {"input": dict(form or {})})
            ddl_input = {k: v for k, v in rendered.items() if v not in (None, "", ABSENT)}
        if search:
            ddl_input["search"] = search
        if offset:
            ddl_input["offset"] = offset
        return lookup.operation, ddl_input

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop (and an injected one)."""
        if self._async_client is not None:
            await self._async_client.aclose()
        import asyncio

        client = self._loop_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


class StreamedRun:
    """See :meth:`Connector.run_streamed`: iterate for lists of items, then ask for the output."""

    def __init__(self, steps: Iterator[Any], op: OperationSpec, input: dict[str, Any]) -> None:
        self._steps = steps
        self._op = op
        self._input = input
        self.result: Any = None  # the PagedResult, once every page was read

    def __iter__(self) -> Iterator[list[Any]]:
        while True:
            try:
                emitted = next(self._steps)
            except StopIteration as stop:
                self.result = stop.value
                return
            yield emitted.items

    def output(self, items: Any) -> Any:
        """The operation's output, with ``items`` where the listing's records go."""
        if self.result is None:
            raise RuntimeError("read every page before asking for the output")
        context = {**self.result.context(), "items": items}
        output = render_structure(self._op.output, {"input": self._input, "result": context})
        return None if output is ABSENT else output


def _describe_error(error: Any, root: Any = None) -> list[dict[str, str]]:
    """One entry per field at fault: each unexpected property is named at its own pointer."""
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [k for k in error.instance if k not in known and not any(p.search(k) for p in patterns)]
        if extra and schema.get("additionalProperties") is False:
            base = "".join(f"/{p}" for p in error.absolute_path)
            return [
                {
                    "pointer": f"{base}/{name}",
                    "keyword": "additionalProperties",
                    "message": f"{name!r} is not a field of this operation",
                }
                for name in sorted(extra)
            ]
    return [{"pointer": _error_pointer(error), "keyword": str(error.validator), "message": plain_message(error, root)}]


def _error_pointer(error: Any) -> str:
    """The JSON pointer of the value an error is about; a missing required property points at itself."""
    pointer = "".join(f"/{p}" for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        for name in error.validator_value or ():
            if name not in error.instance and error.message == f"{name!r} is a required property":
                return f"{pointer}/{name}"
    if (
        error.validator == "dependentRequired"
        and isinstance(error.instance, Mapping)
        and isinstance(error.validator_value, Mapping)
    ):
        for field, needs in error.validator_value.items():
            lacking = [n for n in needs if n not in error.instance] if field in error.instance else []
            if lacking:
                return f"{pointer}/{lacking[0]}"
    return pointer


_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """``copy.deepcopy`` for JSON-shaped data, several times faster; anything else is deep-copied as before."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k if type(k) is str else copy.deepcopy(k): copy_json(v) for k, v in value.items()}
    if kind is list:
        return [copy_json(v) for v in value]
    return copy.deepcopy(value)


def _templates(value: Any) -> list[Any]:
    from .templating import iter_templates

    return list(iter_templates(value))
