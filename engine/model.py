"""The loaded connector: frozen, compiled once, shared by every call."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth_schemes import AuthScheme, HeaderScheme
from .templating import Template

SAFE, IDEMPOTENT, UPSERT, UNSAFE, BY_METHOD = "safe", "idempotent", "upsert", "unsafe", "by_method"
_REPEATABLE_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


@dataclass(frozen=True)
class RequestSpec:
    method: Template | str
    path: Template | str | None
    raw_path: Template | None
    query: Any
    headers: Any
    body: Any
    timeout: dict[str, float] | None
    encoding: Template | str | None = None  # json (default), form or text
    max_bytes: int | None = None  # the API's own limit on a body, when below the connector's default


@dataclass(frozen=True)
class PaginationSpec:
    items: Template
    item_id: Template
    total: Template | None
    page_size: int
    limit: Template | None
    offset: Template | None
    return_all: Template | None
    max_items: Template | None
    keyset_when: Template | None
    keep: Template | None = None
    sideloads: dict[str, Template] = field(default_factory=dict)


@dataclass(frozen=True)
class StepSpec:
    """One step of a composite operation: run another operation (or compute a value) with the results so far.

    ``for_each`` runs it once per element (its output is then the list of outputs); ``until`` repeats it,
    ``every`` seconds apart and at most ``attempts`` times, until the template is true (polling)."""

    name: str
    operation: str | None
    input: Any = None
    value: Any = None
    when: Template | None = None
    for_each: Template | None = None
    as_name: str = "item"
    until: Template | None = None
    every: float = 1.0
    attempts: int = 1
    tolerate: frozenset[str] = frozenset()  # error types that make the step's output null instead of failing
    fail: dict[str, Any] | None = None  # {message (compiled template), pointer}: stop with PreconditionFailed


@dataclass(frozen=True)
class Lookup:
    """An input field whose choices come from a DDL operation."""

    pointer: str
    operation: str
    input: Any = None


@dataclass(frozen=True)
class OperationSpec:
    name: str
    title: str
    description: str
    group: str | None
    kind: str
    idempotency: str
    upsert_key: str | None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    request: RequestSpec | None
    output: Any
    success_when: Template | None
    failure: dict[str, str] | None
    pagination: PaginationSpec | None
    option: dict[str, Template] | None
    lookups: tuple[Lookup, ...]
    examples: tuple[dict[str, Any], ...]
    source: Path
    input_validator: Any = field(repr=False, compare=False)
    output_validator: Any = field(repr=False, compare=False)
    steps: tuple[StepSpec, ...] = ()

    def retries_ambiguous_failures(self, method: str) -> bool:
        """Whether a 5xx or a lost response may be retried without risking a duplicate."""
        if self.idempotency == BY_METHOD:
            return method.upper() in _REPEATABLE_METHODS
        return self.idempotency in (SAFE, IDEMPOTENT, UPSERT)


@dataclass(frozen=True)
class ErrorRule:
    type: str
    status: frozenset[int] | None = None
    code: str | None = None
    message: Any = None  # compiled regular expression
    header: str | None = None
    retry_after_default: float | None = None


@dataclass(frozen=True)
class AuthSpec:
    fields_schema: dict[str, Any]
    url_field: str
    secret_fields: frozenset[str]
    strip_suffixes: tuple[str, ...]
    schemes: tuple[AuthScheme, ...]
    test_operation: str
    types: tuple[dict[str, str], ...]
    help: str | None
    validator: Any = field(repr=False, compare=False)

    @property
    def apply_headers(self) -> dict[str, Any]:
        """The header schemes' templates by header name (what the credential gate may attach)."""
        return {s.values["name"]: s.values["value"] for s in self.schemes if isinstance(s, HeaderScheme)}


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 5.0


@dataclass(frozen=True)
class Defaults:
    timeout: Timeouts = Timeouts()
    deadline: float = 120.0
    max_attempts: int = 5
    max_redirects: int = 3
    rate_limit_requests: int = 4
    rate_limit_seconds: float = 1.0
    max_request_bytes: int = 10 * 1024 * 1024
    max_response_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class ConnectorSpec:
    name: str
    title: str
    version: str
    description: str
    documentation: str | None
    base_url: Template
    auth: AuthSpec
    error_rules: tuple[ErrorRule, ...]
    error_hints: dict[str, str]
    defaults: Defaults
    operations: dict[str, OperationSpec]
    root: Path
