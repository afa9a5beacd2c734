"""ActiveCampaign's deliveries are flat form data with bracketed keys (`contact[fields][12]=x`).
`unflatten` nests them; `typed` then shapes the result by the event's output schema: index-keyed
objects become arrays where the schema says array, documented numbers become numbers, zero dates
become null. Everything is data: nothing is evaluated, and a key never reaches a template."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qsl

MAX_DEPTH = 8
_PART = re.compile(r"\[([^\[\]]*)\]")


class PayloadError(ValueError):
    """A delivery that cannot be read as ActiveCampaign form data."""


def parse_form(body: bytes, max_fields: int = 2000) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("the body is not UTF-8 text") from exc
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=max_fields)
    except ValueError as exc:
        raise PayloadError(f"the body is not form data: {exc}") from exc
    return pairs


def split_key(key: str) -> list[str]:
    """`contact[fields][12]` -> ['contact', 'fields', '12']; a malformed key stays one flat name."""
    head, bracket, rest = key.partition("[")
    if not bracket or not head:
        return [key]
    parts = _PART.findall("[" + rest)
    if "".join(f"[{p}]" for p in parts) != "[" + rest or len(parts) >= MAX_DEPTH:
        return [key]
    return [head, *parts]


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed keys; on a clash (a value where an object is, or a repeated key) the last one wins."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        path = split_key(key)
        node = out
        for i, part in enumerate(path[:-1]):
            if part == "":
                part = str(_next_index(node))
                path[i] = part
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = path[-1] if path[-1] != "" else str(_next_index(node))
        node[last] = value
    return out


def _next_index(node: dict[str, Any]) -> int:
    return sum(1 for k in node if k.isdigit())


def typed(value: Any, schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """Shape `value` (strings and dicts from unflatten) by `schema`; what the schema does not know stays as is."""
    defs = defs if defs is not None else schema.get("$defs", {})
    schema = _resolve(schema, defs)
    if "oneOf" in schema and isinstance(value, dict):
        wanted = value.get("type")
        for option in schema["oneOf"]:
            const = option.get("properties", {}).get("type", {}).get("const")
            if const == wanted:
                return typed(value, option, defs)
        return value
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds} if kinds else set()
    if isinstance(value, dict):
        if "array" in kinds:
            items = schema.get("items", {})
            order = sorted((k for k in value if k.isdigit()), key=int)
            return [typed(value[k], items, defs) for k in order]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {
            k: typed(v, props[k], defs) if k in props else typed(v, extra, defs) if isinstance(extra, dict) else v
            for k, v in value.items()
        }
        for key, sub in props.items():  # documented defaults (contact.fields: {}), so references always resolve
            if key not in out and "default" in _resolve(sub, defs):
                out[key] = copy.deepcopy(_resolve(sub, defs)["default"])
        return out
    if isinstance(value, str):
        if "null" in kinds and (value == "" or value.startswith("0000-00-00")):
            return None
        if "number" in kinds or "integer" in kinds:
            try:
                number = float(value.replace(",", ""))
            except ValueError:
                return value
            if "integer" in kinds and number.is_integer():
                return int(number)
            return number
    return value


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        merged = {**defs.get(ref[len("#/$defs/") :], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
        return _resolve(merged, defs)
    return schema


def read_delivery(body: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    """A delivery's body -> the typed, nested `$.trigger` data."""
    return typed(unflatten(parse_form(body)), schema)
