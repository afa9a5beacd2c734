"""Load a connector folder and check everything, reporting every problem at once.

A spec mistake must fail here, with its file and JSON path, not in a user's
workflow at three in the morning.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import SchemaError

from .auth_schemes import build_scheme, scheme_entries
from .errors import UPSTREAM_TYPES, SpecError, Timeout, UpstreamError
from .model import (
    AuthSpec,
    ConnectorSpec,
    Defaults,
    ErrorRule,
    Lookup,
    OperationSpec,
    PaginationSpec,
    RequestSpec,
    StepSpec,
    Timeouts,
)
from .paging_defaults import apply_paging_defaults
from .templating import Template, compile_structure, iter_templates
from .validation import (
    RefError,
    SchemaValidator,
    check_schema,
    inline_file_refs,
    unknown_keywords,
    validator_for,
    walk_schema,
)
from .yamlfile import load_yaml_file

_META_DIR = Path(__file__).parent / "metaschemas"
INPUT_EXTRA_KEYWORDS = {"lookup", "advanced"}


@cache
def _meta(name: str) -> SchemaValidator:
    return validator_for(load_yaml_file(_META_DIR / f"{name}.yaml"), formats=False)


class _Problems:
    """Collects problems as {file, path, message}."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[dict[str, str]] = []

    def add(self, file: Path, path: str, message: str) -> None:
        try:
            shown = str(file.relative_to(self.root))
        except ValueError:
            shown = str(file)
        self.items.append({"file": shown, "path": path or "/", "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            lines = [f"{p['file']} {p['path']}: {p['message']}" for p in self.items]
            raise SpecError(f"{len(self.items)} problem(s) in the connector specs:\n" + "\n".join(lines), problems=self.items)


def _load_data(path: Path) -> Any:
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return load_yaml_file(path)


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems = _Problems(root)
        self._cache: dict[Path, Any] = {}
        self._refs: dict[Any, Any] = {}  # resolved $ref targets, see inline_file_refs
        self.validators: dict[int, SchemaValidator] = {}  # by id() of a schema returned by schema()

    def data(self, path: Path) -> Any:
        if path not in self._cache:
            self._cache[path] = _load_data(path)
        return self._cache[path]

    def read(self, path: Path) -> Any:
        try:
            return self.data(path)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            self.problems.add(path, "", f"cannot parse: {exc}")
        except OSError as exc:
            self.problems.add(path, "", f"cannot read: {exc.strerror}")
        return None

    def meta_check(self, path: Path, document: Any, meta: str) -> bool:
        errors = sorted(_meta(meta).iter_errors(document), key=lambda e: list(e.absolute_path))
        for err in errors:
            self.problems.add(path, _pointer(err.absolute_path), _meta_message(err))
        return not errors

    def schema(self, path: Path, where: str, schema: Any, extra_keywords: set[str]) -> dict[str, Any] | None:
        try:
            inlined = inline_file_refs(schema, path, self.data, cache=self._refs)
        except RefError as exc:
            self.problems.add(path, where, str(exc))
            return None
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            self.problems.add(path, where, f"$ref target cannot be parsed: {exc}")
            return None
        try:
            check_schema(inlined)
        except SchemaError as exc:
            self.problems.add(path, where + _pointer(exc.absolute_path), f"invalid JSON Schema: {exc.message}")
            return None
        validator = validator_for(inlined)
        try:
            validator.fast  # noqa: B018 - built now, so a spec that loads always validates
        except ValueError as exc:
            self.problems.add(path, where, f"the schema cannot be compiled: {str(exc).splitlines()[0]}")
            return None
        for pointer, key in unknown_keywords(inlined, extra_keywords):
            self.problems.add(path, f"{where}{pointer}", f"unknown schema keyword {key!r}")
        self.validators[id(inlined)] = validator
        return inlined if isinstance(inlined, dict) else None

    def validator(self, schema: dict[str, Any]) -> SchemaValidator:
        """The validator built when ``schema`` was checked."""
        return self.validators.get(id(schema)) or validator_for(schema)

    def compile(
        self, path: Path, where: str, value: Any, allowed: dict[str, set[str] | None], *, path_mode: bool = False
    ) -> Any:
        """Compile templates and check that they only use the context this section sees."""
        local: list[dict[str, str]] = []
        compiled = compile_structure(value, where, local, path=path_mode)
        for p in local:
            self.problems.add(path, p["where"], p["message"])
        for template in iter_templates(compiled):
            self._check_uses(path, where, template, allowed)
        return compiled

    def _check_uses(self, path: Path, where: str, template: Template, allowed: dict[str, set[str] | None]) -> None:
        for use in template.uses:
            if use.root not in allowed:
                self.problems.add(
                    path,
                    where,
                    f"template {template.source!r} uses {use.root!r}, "
                    f"which this section cannot see (it sees: {', '.join(sorted(allowed))})",
                )
                continue
            names = allowed[use.root]
            if names is not None and use.attr is not None and use.attr not in names:
                self.problems.add(path, where, f"template {template.source!r} uses undeclared {use.root}.{use.attr}")


def _unknown_type(name: str, *, upstream_only: bool = False) -> str:
    known = [k for k, cls in UPSTREAM_TYPES.items() if not upstream_only or issubclass(cls, UpstreamError)]
    return f"unknown error type {name!r} (known: {', '.join(sorted(known))})"


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _meta_message(err: Any) -> str:
    if err.validator == "additionalProperties":
        return f"unknown key: {err.message}"
    return str(err.message)


def load_connector(root: str | Path) -> ConnectorSpec:
    """Load ``connector.yaml``, ``operations/`` and ``schemas/`` from a folder; raise SpecError listing every problem."""
    root = Path(root).resolve()
    loader = _Loader(root)
    manifest_path = root / "connector.yaml"
    manifest = loader.read(manifest_path)
    manifest_ok = manifest is not None and loader.meta_check(manifest_path, manifest, "connector")
    paging = manifest.get("pagination") if manifest_ok else None

    operations: dict[str, OperationSpec] = {}
    op_files = sorted((root / "operations").glob("*.yaml"))
    if not op_files:
        loader.problems.add(root / "operations", "", "no operation specs found")
    for path in op_files:
        op = _load_operation(loader, path, paging)
        if op is not None:
            operations[op.name] = op
    _check_lookups(loader, operations)
    _check_steps(loader, operations)

    connector = None
    if manifest_ok:
        connector = _build_connector(loader, manifest_path, manifest, operations)
    loader.problems.raise_if_any()
    assert connector is not None
    return connector


def _load_operation(loader: _Loader, path: Path, paging: dict[str, Any] | None) -> OperationSpec | None:
    doc = loader.read(path)
    if doc is None:
        return None
    if not loader.meta_check(path, doc, "operation"):
        return None
    doc = apply_paging_defaults(doc, paging, path, loader.root)
    if doc["name"] != path.stem:
        loader.problems.add(path, "/name", f"name {doc['name']!r} differs from the file stem {path.stem!r}")
    kind = doc.get("kind", "action")
    input_schema = loader.schema(path, "/input", doc["input"], INPUT_EXTRA_KEYWORDS)
    output_schema = loader.schema(path, "/output", doc["output"], set())
    if input_schema is None or output_schema is None:
        return None
    inputs = set(input_schema.get("properties", {}))
    paginated = "pagination" in doc
    if kind == "ddl" and (not paginated or "option" not in doc):
        loader.problems.add(path, "", "a ddl operation needs pagination and option")
    if kind != "ddl" and "option" in doc:
        loader.problems.add(path, "/option", "only ddl operations have option")

    c = loader.compile
    request = _request(loader, path, doc["request"], inputs, paginated) if "request" in doc else None
    steps = _steps(loader, path, doc["steps"], inputs) if "steps" in doc else ()
    if steps and (paginated or kind == "ddl"):
        loader.problems.add(path, "/steps", "a composite operation cannot be a listing or a ddl")

    response = doc.get("response", {})
    response_ctx: dict[str, set[str] | None] = {"input": inputs, "response": None}
    if steps:
        response_ctx = {"input": inputs, "steps": {s.name for s in steps}}
    if paginated:
        response_ctx = {"input": inputs, "result": {"items", "total", "has_more", "next_offset", "pages", "sideloads"}}
    output = c(path, "/response/output", response.get("output"), response_ctx)
    success_when = None
    if "success_when" in response:
        success_when = c(path, "/response/success_when", response["success_when"], {"input": inputs, "response": None})

    pagination = None
    if paginated:
        pagination = _pagination(loader, path, doc["pagination"], inputs)
    option = None
    if "option" in doc:
        option = {k: c(path, f"/option/{k}", v, {"item": None, "input": inputs}) for k, v in doc["option"].items()}

    failure = response.get("failure")
    if failure is not None and not issubclass(UPSTREAM_TYPES.get(failure["type"], Timeout), UpstreamError):
        loader.problems.add(path, "/response/failure/type", _unknown_type(failure["type"], upstream_only=True))
    idem = doc["idempotency"]
    upsert_key = None
    if idem.startswith("upsert("):
        upsert_key = idem[len("upsert(") : -1]
        idem = "upsert"
    lookups = _collect_lookups(loader, path, input_schema, inputs)
    for i, example in enumerate(doc.get("examples", [])):
        for err in loader.validator(input_schema).iter_errors(example["input"]):
            loader.problems.add(
                path,
                f"/examples/{i}/input{_pointer(err.absolute_path)}",
                f"example does not fit the input schema: {err.message}",
            )
    return OperationSpec(
        name=doc["name"],
        title=doc["title"],
        description=doc["description"],
        group=doc.get("group"),
        kind=kind,
        idempotency=idem,
        upsert_key=upsert_key,
        input_schema=input_schema,
        output_schema=output_schema,
        request=request,
        output=output,
        success_when=success_when,
        failure=response.get("failure"),
        pagination=pagination,
        option=option,
        lookups=tuple(lookups),
        examples=tuple(doc.get("examples", [])),
        source=path,
        input_validator=loader.validator(input_schema),
        output_validator=loader.validator(output_schema),
        steps=steps,
    )


def _request(loader: _Loader, path: Path, req: dict[str, Any], inputs: set[str], paginated: bool) -> RequestSpec:
    request_ctx: dict[str, set[str] | None] = {"input": inputs}
    if paginated:
        request_ctx["page"] = {"limit", "offset", "after", "keyset"}
    c = loader.compile
    request = RequestSpec(
        method=c(path, "/request/method", req["method"], request_ctx),
        path=c(path, "/request/path", req["path"], request_ctx, path_mode=True) if "path" in req else None,
        raw_path=c(path, "/request/raw_path", req["raw_path"], request_ctx) if "raw_path" in req else None,
        query=c(path, "/request/query", req.get("query"), request_ctx),
        headers=c(path, "/request/headers", req.get("headers"), request_ctx),
        body=c(path, "/request/body", req["body"], request_ctx) if "body" in req else None,
        timeout=req.get("timeout"),
        encoding=c(path, "/request/encoding", req["encoding"], request_ctx) if "encoding" in req else None,
        max_bytes=req.get("max_bytes"),
    )
    if request.raw_path is not None and not isinstance(request.raw_path, Template):
        loader.problems.add(path, "/request/raw_path", "raw_path must be a template")
    return request


def _steps(loader: _Loader, path: Path, docs: list[dict[str, Any]], inputs: set[str]) -> tuple[StepSpec, ...]:
    """Compile each step's templates; a step sees the input and the steps before it only."""
    c = loader.compile
    steps: list[StepSpec] = []
    for i, doc in enumerate(docs):
        where = f"/steps/{i}"
        earlier = {s.name for s in steps}
        if doc["name"] in earlier:
            loader.problems.add(path, f"{where}/name", f"step name {doc['name']!r} is used twice")
        ctx: dict[str, set[str] | None] = {"input": inputs, "steps": earlier}
        as_name = doc.get("as", "item")
        each_ctx = {**ctx, as_name: None, "index": None} if "for_each" in doc else ctx
        steps.append(
            StepSpec(
                name=doc["name"],
                operation=doc.get("operation"),
                input=c(path, f"{where}/input", doc.get("input"), each_ctx),
                value=c(path, f"{where}/value", doc.get("value"), each_ctx),
                when=c(path, f"{where}/when", doc["when"], ctx) if "when" in doc else None,
                for_each=c(path, f"{where}/for_each", doc["for_each"], ctx) if "for_each" in doc else None,
                as_name=as_name,
                until=c(path, f"{where}/until", doc["until"], {**each_ctx, "output": None}) if "until" in doc else None,
                every=float(doc.get("every", 1.0)),
                attempts=int(doc.get("attempts", 1 if "until" not in doc else 60)),
                tolerate=frozenset(doc.get("tolerate", ())),
                fail={**doc["fail"], "message": c(path, f"{where}/fail/message", doc["fail"]["message"], ctx)}
                if "fail" in doc
                else None,
            )
        )
    return tuple(steps)


def _pagination(loader: _Loader, path: Path, spec: dict[str, Any], inputs: set[str]) -> PaginationSpec:
    c = loader.compile
    on_input: dict[str, set[str] | None] = {"input": inputs}
    on_response: dict[str, set[str] | None] = {"input": inputs, "response": None}

    def opt(key: str, ctx: dict[str, set[str] | None]) -> Any:
        return c(path, f"/pagination/{key}", spec[key], ctx) if key in spec else None

    keyset = spec.get("keyset")
    return PaginationSpec(
        items=c(path, "/pagination/items", spec["items"], on_response),
        item_id=c(path, "/pagination/item_id", spec.get("item_id", "{{ item.id }}"), {"item": None}),
        total=opt("total", on_response),
        page_size=spec.get("page_size", 100),
        limit=opt("limit", on_input),
        offset=opt("offset", on_input),
        return_all=opt("return_all", on_input),
        max_items=opt("max_items", on_input),
        keyset_when=c(path, "/pagination/keyset/when", keyset["when"], on_input) if keyset else None,
        keep=c(path, "/pagination/keep", spec["keep"], {"item": None, "input": inputs}) if "keep" in spec else None,
        sideloads={
            name: c(path, f"/pagination/sideloads/{name}", template, on_response)
            for name, template in spec.get("sideloads", {}).items()
        },
    )


def _collect_lookups(loader: _Loader, path: Path, schema: dict[str, Any], inputs: set[str]) -> list[Lookup]:
    found: list[Lookup] = []

    def visit(sub: dict[str, Any], pointer: str) -> None:
        spec = sub.get("lookup")
        if spec is None:
            return
        where = f"/input{pointer}/lookup"
        if not isinstance(spec, dict) or not isinstance(spec.get("operation"), str) or set(spec) - {"operation", "input"}:
            loader.problems.add(path, where, "lookup takes {operation: <ddl name>, input: {...}}")
            return
        field_pointer = _field_pointer(pointer)
        compiled = loader.compile(path, f"{where}/input", spec.get("input"), {"input": inputs})
        found.append(Lookup(field_pointer or "/", spec["operation"], compiled))

    walk_schema(schema, "", visit)
    return found


def _field_pointer(schema_pointer: str) -> str:
    """``/properties/a/items/properties/b`` (in the schema) -> ``/a/-/b`` (in the input)."""
    parts = schema_pointer.split("/")[1:]
    out: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i] in ("properties", "patternProperties") and i + 1 < len(parts):
            out.append(parts[i + 1])
            i += 2
            continue
        if parts[i] == "items":
            out.append("-")
        i += 1
    return "/" + "/".join(out) if out else "/"


def _check_lookups(loader: _Loader, operations: dict[str, OperationSpec]) -> None:
    for op in operations.values():
        for lookup in op.lookups:
            target = operations.get(lookup.operation)
            if target is None:
                loader.problems.add(
                    op.source, f"/input{lookup.pointer}", f"lookup names unknown operation {lookup.operation!r}"
                )
            elif target.kind != "ddl":
                loader.problems.add(
                    op.source, f"/input{lookup.pointer}", f"lookup names {lookup.operation!r}, which is not a ddl operation"
                )


def _check_steps(loader: _Loader, operations: dict[str, OperationSpec]) -> None:
    """Every step names a known operation, and no composite reaches itself (it would never end)."""
    for op in operations.values():
        for i, step in enumerate(op.steps):
            if step.operation is not None and step.operation not in operations:
                loader.problems.add(op.source, f"/steps/{i}/operation", f"unknown operation {step.operation!r}")
        seen: set[str] = set()
        todo = [s.operation for s in op.steps if s.operation]
        while todo:
            name = todo.pop()
            if name == op.name:
                loader.problems.add(op.source, "/steps", "the steps run this operation again (a cycle)")
                break
            if name in seen or name not in operations:
                continue
            seen.add(name)
            todo.extend(s.operation for s in operations[name].steps if s.operation)


def _build_connector(
    loader: _Loader, path: Path, doc: dict[str, Any], operations: dict[str, OperationSpec]
) -> ConnectorSpec | None:
    auth_doc = doc["authentication"]
    fields = loader.schema(path, "/authentication/fields", auth_doc["fields"], set())
    auth_ctx: dict[str, set[str] | None] = {"auth": set((fields or {}).get("properties", {}))}
    base_url = loader.compile(path, "/base_url", doc["base_url"], auth_ctx)
    schemes = []
    entries = scheme_entries(auth_doc.get("apply"), auth_doc.get("scheme"))
    if not entries:
        loader.problems.add(path, "/authentication", "no authentication scheme: add authentication.scheme")
    for i, entry in enumerate(entries):
        where = "/authentication/scheme" if isinstance(auth_doc.get("scheme"), dict) else f"/authentication/scheme/{i}"
        built = build_scheme(entry, lambda w, v: loader.compile(path, w, v, auth_ctx), where)
        if isinstance(built, str):
            loader.problems.add(path, where, built)
        else:
            schemes.append(built)
    if fields is not None and auth_doc["url_field"] not in fields.get("properties", {}):
        loader.problems.add(path, "/authentication/url_field", f"{auth_doc['url_field']!r} is not an auth field")
    test_op = auth_doc["test_operation"]
    if test_op not in operations:
        loader.problems.add(path, "/authentication/test_operation", f"unknown operation {test_op!r}")
    rules = []
    for i, rule in enumerate(doc.get("errors", {}).get("rules", [])):
        if rule["type"] not in UPSTREAM_TYPES:
            loader.problems.add(path, f"/errors/rules/{i}/type", _unknown_type(rule["type"]))
            continue
        try:
            message = re.compile(rule["message"]) if "message" in rule else None
        except re.error as exc:
            loader.problems.add(path, f"/errors/rules/{i}/message", f"bad regular expression: {exc}")
            continue
        rules.append(
            ErrorRule(
                type=rule["type"],
                status=frozenset(rule["status"]) if "status" in rule else None,
                code=rule.get("code"),
                message=message,
                header=rule.get("header"),
                retry_after_default=rule.get("retry_after_default"),
            )
        )
    if fields is None or not isinstance(base_url, Template):
        if isinstance(base_url, str):
            loader.problems.add(path, "/base_url", "base_url must be a template over auth")
        return None
    secret = frozenset(k for k, v in fields.get("properties", {}).items() if v.get("writeOnly"))
    auth = AuthSpec(
        fields_schema=fields,
        url_field=auth_doc["url_field"],
        secret_fields=secret,
        strip_suffixes=tuple(auth_doc.get("url_strip_suffixes", [])),
        schemes=tuple(schemes),
        test_operation=test_op,
        types=tuple(auth_doc.get("types", [])),
        help=auth_doc.get("help"),
        validator=loader.validator(fields),
    )
    d = doc.get("defaults", {})
    rl = d.get("rate_limit", {})
    base = Defaults()
    defaults = Defaults(
        timeout=Timeouts(**d.get("timeout", {})),
        deadline=d.get("deadline", base.deadline),
        max_attempts=d.get("max_attempts", base.max_attempts),
        max_redirects=d.get("max_redirects", base.max_redirects),
        rate_limit_requests=rl.get("requests", base.rate_limit_requests),
        rate_limit_seconds=rl.get("per_seconds", base.rate_limit_seconds),
        max_request_bytes=d.get("max_request_bytes", base.max_request_bytes),
        max_response_bytes=d.get("max_response_bytes", base.max_response_bytes),
    )
    return ConnectorSpec(
        name=doc["name"],
        title=doc["title"],
        version=doc["version"],
        description=doc["description"],
        documentation=doc.get("documentation"),
        base_url=base_url,
        auth=auth,
        error_rules=tuple(rules),
        error_hints=doc.get("errors", {}).get("hints", {}),
        defaults=defaults,
        operations=operations,
        root=loader.root,
    )
