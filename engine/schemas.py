"""JSON Schema helpers: validators with real format checks, file $ref inlining, keyword whitelist."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .fastcheck import certainly_valid_schema, compile_check

# jsonschema checks date-time and uri only when optional packages are present; check them always.
FORMATS = FormatChecker()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@FORMATS.checks("email", raises=())
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


@FORMATS.checks("date-time", raises=(ValueError,))
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@FORMATS.checks("date", raises=(ValueError,))
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return False
    dt.date.fromisoformat(value)
    return True


@FORMATS.checks("uri", raises=())
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(c.isspace() for c in value)


class CheckedValidator:
    """A Draft 2020-12 validator whose valid instances take a compiled fast path (see fastcheck).

    jsonschema still produces every error and its wording: the compiled check only ever
    answers "certainly valid", and is built on first use so loading stays quick.
    """

    def __init__(self, schema: dict[str, Any], format_checker: FormatChecker | None = FORMATS) -> None:
        self.jsonschema = Draft202012Validator(schema, format_checker=format_checker)
        self._format_checker = format_checker
        self._check: Callable[[Any], bool] | None = None
        self._uses = 0

    def _certainly_valid(self, instance: Any) -> bool:
        check = self._check
        if check is None:
            self._uses += 1
            if self._uses < 2:  # a validator used once (a CLI run, a spec example) is not worth compiling
                return False
            check = self._check = compile_check(self.jsonschema.schema, self._format_checker) or _never
        try:
            return check(instance)
        except Exception:  # unsure: jsonschema decides
            return False

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        if self._certainly_valid(instance):
            return iter(())
        return self.jsonschema.iter_errors(instance)

    def is_valid(self, instance: Any) -> bool:
        return self._certainly_valid(instance) or self.jsonschema.is_valid(instance)

    def validate(self, instance: Any) -> None:
        if not self._certainly_valid(instance):
            self.jsonschema.validate(instance)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jsonschema, name)


def _never(_: Any) -> bool:
    return False


def validator_for(schema: dict[str, Any]) -> CheckedValidator:
    return CheckedValidator(schema)


def check_schema(schema: Any) -> None:
    """``Draft202012Validator.check_schema``, skipping the meta-schema walk when the schema is plainly valid."""
    if not certainly_valid_schema(schema):
        Draft202012Validator.check_schema(schema)


# Keywords whose values are subschemas (or maps / lists of them): the only places the walker descends.
_SUBSCHEMA = {"not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames",
              "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
_SUBSCHEMA_MAP = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_SUBSCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
_VOCABULARY = _SUBSCHEMA | _SUBSCHEMA_MAP | _SUBSCHEMA_LIST | {
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$comment", "$vocabulary",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired", "format", "title", "description",
    "default", "deprecated", "readOnly", "writeOnly", "examples", "contentEncoding", "contentMediaType",
}


def walk_schema(schema: Any, pointer: str, visit: Callable[[dict[str, Any], str], None]) -> None:
    """Call ``visit(subschema, pointer)`` on a schema and every subschema in it."""
    if not isinstance(schema, dict):
        return
    visit(schema, pointer)
    for key, value in schema.items():
        if key in _SUBSCHEMA:
            walk_schema(value, f"{pointer}/{key}", visit)
        elif key in _SUBSCHEMA_MAP and isinstance(value, dict):
            for name, sub in value.items():
                walk_schema(sub, f"{pointer}/{key}/{name}", visit)
        elif key in _SUBSCHEMA_LIST and isinstance(value, list):
            for i, sub in enumerate(value):
                walk_schema(sub, f"{pointer}/{key}/{i}", visit)


def unknown_keywords(schema: dict[str, Any], allowed_extra: set[str]) -> list[tuple[str, str]]:
    """Keywords that are neither JSON Schema 2020-12 nor whitelisted: almost always typos."""
    found: list[tuple[str, str]] = []

    def visit(sub: dict[str, Any], pointer: str) -> None:
        for key in sub:
            if key not in _VOCABULARY and key not in allowed_extra:
                found.append((pointer, key))

    walk_schema(schema, "", visit)
    return found


class RefError(Exception):
    pass


def inline_file_refs(schema: Any, base: Path, load: Callable[[Path], Any], _stack: tuple[str, ...] = (),
                     cache: dict[Any, Any] | None = None) -> Any:
    """Replace ``$ref`` to other files with their content, so every schema stands alone.

    A builder, hypothesis-jsonschema and ``describe`` all want self-contained schemas. ``cache``
    (one per load) keeps each resolved target, handed out as a fresh copy every time.
    """
    if cache is None:
        cache = {}
    if isinstance(schema, list):
        return [inline_file_refs(v, base, load, _stack, cache) for v in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        file_part, _, fragment = ref.partition("#")
        target = cache.get((base.parent, file_part))
        if target is None:
            target = cache[(base.parent, file_part)] = (base.parent / file_part).resolve()
        key = f"{target}#{fragment}"
        if key in _stack:
            raise RefError(f"circular $ref {ref}")
        if key in cache:
            resolved = _fresh(cache[key])
        else:
            try:
                document = load(target)
            except FileNotFoundError:
                raise RefError(f"$ref {ref}: no such file") from None
            node = _follow_pointer(document, fragment, ref)
            node = _qualify_local_refs(node, file_part)  # builds new containers: the shared document is not touched
            resolved = inline_file_refs(node, target, load, (*_stack, key), cache)
            cache[key] = _fresh(resolved)
        siblings = {k: inline_file_refs(v, base, load, _stack, cache) for k, v in schema.items() if k != "$ref"}
        if siblings and isinstance(resolved, dict):
            return {**resolved, **siblings}
        return resolved
    return {k: inline_file_refs(v, base, load, _stack, cache) if k not in ("const", "enum", "default", "examples")
            else v for k, v in schema.items()}


def _fresh(node: Any) -> Any:
    """New dicts and lists all the way down (leaves are immutable YAML scalars)."""
    if isinstance(node, dict):
        return {k: _fresh(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_fresh(v) for v in node]
    return node


def _qualify_local_refs(node: Any, file_part: str) -> Any:
    """A ``#/...`` ref inside a shared file points into that file, not into the includer."""
    name = Path(file_part).name
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#"):
                out[k] = f"{name}{v}"
            else:
                out[k] = _qualify_local_refs(v, file_part)
        return out
    if isinstance(node, list):
        return [_qualify_local_refs(v, file_part) for v in node]
    return node


def _follow_pointer(document: Any, fragment: str, ref: str) -> Any:
    node = document
    for part in [p for p in fragment.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise RefError(f"$ref {ref}: pointer not found")
    return node
