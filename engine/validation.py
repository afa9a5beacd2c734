"""JSON Schema validation: jsonschema-rs decides, jsonschema explains.

jsonschema-rs (a maintained Rust validator) answers "valid?" for every instance; only an
invalid one is handed to jsonschema, whose messages, pointers and keywords are the ones users
and tests have always seen. The project's format rules are registered with both. Also here: file
``$ref`` inlining and the keyword whitelist used by the loader.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.protocols import Validator

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATETIME_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def is_datetime(value: str) -> bool:
    if not _DATETIME_START.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_uri(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(c.isspace() for c in value)


# The project's format rules, checked the same way by both validators (formats apply to strings only).
FORMAT_RULES: dict[str, Callable[[str], bool]] = {
    "email": is_email,
    "date-time": is_datetime,
    "date": is_date,
    "uri": is_uri,
}


def format_checker() -> FormatChecker:
    """jsonschema's checker with the project's rules replacing its own (which depend on optional packages)."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    for name, rule in FORMAT_RULES.items():
        checker.checks(name)(_on_strings(rule))
    return checker


def _on_strings(rule: Callable[[str], bool]) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return not isinstance(value, str) or rule(value)

    return check


@dataclass
class SchemaValidator:
    """A Draft 2020-12 validator: jsonschema-rs says whether an instance is valid, jsonschema says why not.

    Both are built on first use (a loaded spec holds many, most never used in a process), and
    neither is pickled with the spec: only the schema is.
    """

    schema: dict[str, Any]
    formats: bool = True
    _fast: Any = field(default=None, repr=False, compare=False)
    _explainer: Validator | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"schema": self.schema, "formats": self.formats, "_fast": None, "_explainer": None}

    @property
    def fast(self) -> Any:
        if self._fast is None:
            options: dict[str, Any] = {"formats": FORMAT_RULES, "validate_formats": True} if self.formats else {}
            self._fast = jsonschema_rs.Draft202012Validator(self.schema, **options)
        return self._fast

    @property
    def explainer(self) -> Validator:
        if self._explainer is None:
            from jsonschema import Draft202012Validator

            self._explainer = Draft202012Validator(self.schema, format_checker=_FORMATS() if self.formats else None)
        return self._explainer

    def is_valid(self, instance: Any) -> bool:
        return bool(self.fast.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        """jsonschema's errors for an instance jsonschema-rs refused; jsonschema-rs's own where the two differ.

        They differ on a regular expression's ``$``: Python's also matches before a final newline, the
        Rust engine's does not, so ``"2\\n"`` fails ``^[0-9]+$`` here. The stricter answer wins.
        """
        if self.fast.is_valid(instance):
            return iter(())
        errors = list(self.explainer.iter_errors(instance))
        if errors:
            return iter(errors)
        return iter([RustError.of(e, self.schema) for e in self.fast.iter_errors(instance)])

    def validate(self, instance: Any) -> None:
        for error in self.iter_errors(instance):
            raise error if isinstance(error, Exception) else ValueError(error.message)


@dataclass
class RustError:
    """A jsonschema-rs error in the shape of a jsonschema one (the attributes the engine reads)."""

    message: str
    validator: str
    absolute_path: deque[str | int]
    instance: Any
    schema: Any
    validator_value: Any

    @classmethod
    def of(cls, error: Any, root: dict[str, Any]) -> RustError:
        schema: Any = root
        for part in list(error.schema_path)[:-1]:
            schema = schema[part] if isinstance(schema, (dict, list)) else None
        keyword = str(error.schema_path[-1]) if error.schema_path else "schema"
        value = schema.get(keyword) if isinstance(schema, dict) else None
        return cls(error.message, keyword, deque(error.instance_path), error.instance, schema, value)


_checker: FormatChecker | None = None


def _FORMATS() -> FormatChecker:  # noqa: N802 - a lazily built constant
    global _checker
    if _checker is None:
        _checker = format_checker()
    return _checker


def validator_for(schema: dict[str, Any], *, formats: bool = True) -> SchemaValidator:
    return SchemaValidator(schema, formats)


def check_schema(schema: Any) -> None:
    """Raise jsonschema's SchemaError for a schema that is not valid Draft 2020-12 (jsonschema-rs looks first)."""
    if not jsonschema_rs.meta.is_valid(schema):
        from jsonschema import Draft202012Validator

        Draft202012Validator.check_schema(schema)


# Keywords whose values are subschemas (or maps / lists of them): the only places the walker descends.
_SUBSCHEMA = {
    "not",
    "if",
    "then",
    "else",
    "items",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
}
_SUBSCHEMA_MAP = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_SUBSCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
_VOCABULARY = (
    _SUBSCHEMA
    | _SUBSCHEMA_MAP
    | _SUBSCHEMA_LIST
    | {
        "$schema",
        "$id",
        "$ref",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$comment",
        "$vocabulary",
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "format",
        "title",
        "description",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "examples",
        "contentEncoding",
        "contentMediaType",
    }
)


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


def inline_file_refs(
    schema: Any, base: Path, load: Callable[[Path], Any], _stack: tuple[str, ...] = (), cache: dict[Any, Any] | None = None
) -> Any:
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
    return {
        k: inline_file_refs(v, base, load, _stack, cache) if k not in ("const", "enum", "default", "examples") else v
        for k, v in schema.items()
    }


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
