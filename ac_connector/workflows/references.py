"""References between steps: ``$.steps.<id>.<path>`` and ``$.trigger.<path>``, as data look-ups only.

A string that is exactly one reference is replaced by the value found, keeping its JSON type; a
``{$.steps...}`` inside a longer string is interpolated as text. Nothing is ever evaluated: there is
no expression language and no template engine here, so ``{{ 7*7 }}`` or ``{% if %}`` in a document or
in user data stays the literal string it is. Escapes: a string starting ``$$.`` stands for ``$.``
(not a reference); ``{{$.`` stands for a literal ``{$.``. A resolved value is never scanned again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_STEP_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_INDEX = re.compile(r"\[(\d{1,9})\]")
_QUOTED = re.compile(r'\["((?:[^"\\]|\\.)*)"\]')

Path = tuple[str | int, ...]


class ReferenceSyntaxError(ValueError):
    """A string that starts a reference but is not one."""


class ReferenceNotFound(LookupError):
    """A reference whose value is not there at run time."""


@dataclass(frozen=True)
class Reference:
    """Where a value comes from: ``root`` is "trigger" or "steps"; ``step`` the step id for "steps"."""

    root: str
    step: str | None
    path: Path
    text: str

    def describe_path(self) -> str:
        return format_path(self.path) or "(the whole value)"


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part) + "]"
    return out.lstrip(".")


def _parse_at(text: str, start: int) -> tuple[Reference, int]:
    """Parse a reference beginning at ``text[start]`` (which is ``$``); return it and the index after it."""
    if not text.startswith("$.", start):
        raise ReferenceSyntaxError("a reference starts with $.")
    pos = start + 2
    if text.startswith("trigger", pos) and not _continues_name(text, pos + 7):
        root, step, pos = "trigger", None, pos + 7
    elif text.startswith("steps.", pos):
        m = _STEP_ID.match(text, pos + 6)
        if not m or _continues_name(text, m.end()):
            raise ReferenceSyntaxError(
                f"{text[start : start + 80]!r}: after $.steps. comes a step id (lower case letters, digits, _)"
            )
        root, step, pos = "steps", m.group(), m.end()
    else:
        raise ReferenceSyntaxError(
            f"{text[start : start + 80]!r}: a reference is $.steps.<step id>... or $.trigger...; "
            "write $$. for a literal text starting with $."
        )
    path: list[str | int] = []
    while pos < len(text):
        if text[pos] == ".":
            m = _NAME.match(text, pos + 1)
            if not m:
                raise ReferenceSyntaxError(
                    f"{text[start : start + 80]!r}: a field name is expected after '.' (use [\"...\"] for other names)"
                )
            path.append(m.group())
            pos = m.end()
        elif text[pos] == "[":
            m = _INDEX.match(text, pos) or _QUOTED.match(text, pos)
            if not m:
                raise ReferenceSyntaxError(f"{text[start : start + 80]!r}: [N] or [\"name\"] is expected after '['")
            path.append(int(m.group(1)) if m.re is _INDEX else json.loads('"' + m.group(1) + '"'))
            pos = m.end()
        else:
            break
    return Reference(root, step, tuple(path), text[start:pos]), pos


def _continues_name(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalnum() or text[pos] == "_")


@dataclass(frozen=True)
class Template:
    """A string with references: ``whole`` when it is exactly one reference, else literal and reference parts."""

    parts: tuple[str | Reference, ...]
    whole: bool

    @property
    def references(self) -> list[Reference]:
        return [p for p in self.parts if isinstance(p, Reference)]


def parse_string(text: str) -> Template | str:
    """A Template when ``text`` holds references; else the literal string (escapes undone)."""
    if text.startswith("$."):
        ref, end = _parse_at(text, 0)
        if end != len(text):
            raise ReferenceSyntaxError(
                f"{text[:80]!r}: unexpected {text[end : end + 20]!r} after the reference "
                "(inside a longer text write {$.steps...})"
            )
        return Template((ref,), whole=True)
    body, prefix = text, ""
    if text.startswith("$$."):
        body, prefix = text[3:], "$."
    if "{$." not in body:
        return prefix + body if prefix else text
    parts: list[str | Reference] = []
    literal, pos = prefix, 0
    while True:
        found = body.find("{$.", pos)
        if found < 0:
            literal += body[pos:]
            break
        if found > 0 and body[found - 1] == "{":  # "{{$." stands for a literal "{$."
            literal += body[pos : found - 1] + "{$."
            pos = found + 3
            continue
        literal += body[pos:found]
        ref, end = _parse_at(body, found + 1)
        if end >= len(body) or body[end] != "}":
            raise ReferenceSyntaxError(f"{ref.text!r}: a reference inside a text ends with '}}'")
        if literal:
            parts.append(literal)
            literal = ""
        parts.append(ref)
        pos = end + 1
    if literal:
        parts.append(literal)
    if not any(isinstance(p, Reference) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    return Template(tuple(parts), whole=False)


def _escape(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def scan(value: Any, pointer: str = "") -> Iterator[tuple[str, Template | ReferenceSyntaxError]]:
    """Every string holding a reference (or a broken one) inside ``value``, with its JSON pointer."""
    if isinstance(value, str):
        try:
            parsed = parse_string(value)
        except ReferenceSyntaxError as exc:
            yield pointer, exc
            return
        if isinstance(parsed, Template):
            yield pointer, parsed
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from scan(item, f"{pointer}/{_escape(key)}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from scan(item, f"{pointer}/{i}")


def lookup(ref: Reference, context: Mapping[str, Any]) -> Any:
    """The value ``ref`` points to in ``{"trigger": ..., "steps": {id: output}}``; ReferenceNotFound if absent."""
    if ref.root == "trigger":
        current = context.get("trigger")
    else:
        steps = context.get("steps") or {}
        if ref.step not in steps:
            raise ReferenceNotFound(f"{ref.text}: step {ref.step!r} has no output (it has not run)")
        current = steps[ref.step]
    for i, part in enumerate(ref.path):
        if _has(current, part):
            current = current[part]
        else:
            where = format_path(ref.path[:i]) or ("the trigger's data" if ref.root == "trigger" else "the output")
            raise ReferenceNotFound(f"{ref.text}: nothing at {format_path(ref.path[: i + 1])} ({where} is {_kind(current)})")
    return current


def _has(container: Any, part: str | int) -> bool:
    if isinstance(part, int):
        return isinstance(container, list) and part < len(container)
    return isinstance(container, Mapping) and part in container


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(map(str, value))[:12])
        return f"an object with {keys}" if keys else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "null" if value is None else f"a {type(value).__name__}"


def as_text(value: Any) -> str:
    """How a value reads inside a text: strings as they are, null as nothing, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ResolveError(ValueError):
    """A reference could not be resolved; carries the pointer of the value in the step's input."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


def resolve(value: Any, context: Mapping[str, Any], pointer: str = "", absent: dict[str, str] | None = None) -> Any:
    """A copy of ``value`` with every reference replaced by its data (never evaluated, never re-scanned).

    A field of an object whose whole value is a reference that finds nothing is left out, as if it
    had not been mapped (an optional trigger field, an optional output field); ``absent`` collects
    ``{pointer: why}`` for those, so a "required" error can say which reference came back empty.
    Anywhere else (inside a text, as an array item) a reference that finds nothing is an error.
    """
    resolved = _resolve(value, context, pointer, absent if absent is not None else {})
    if resolved is _ABSENT:
        raise ResolveError(pointer, (absent or {}).get(pointer, "the reference found nothing"))
    return resolved


_ABSENT = object()


def _resolve(value: Any, context: Mapping[str, Any], pointer: str, absent: dict[str, str]) -> Any:
    if isinstance(value, str):
        try:
            parsed = parse_string(value)
        except ReferenceSyntaxError as exc:
            raise ResolveError(pointer, str(exc)) from None
        if not isinstance(parsed, Template):
            return parsed
        try:
            if parsed.whole:
                return _copy(lookup(parsed.parts[0], context))  # type: ignore[arg-type]
            return "".join(p if isinstance(p, str) else as_text(lookup(p, context)) for p in parsed.parts)
        except ReferenceNotFound as exc:
            if parsed.whole:
                absent[pointer] = str(exc)
                return _ABSENT
            raise ResolveError(pointer, str(exc)) from None
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            item = _resolve(v, context, f"{pointer}/{_escape(k)}", absent)
            if item is not _ABSENT:
                out[k] = item
        return out
    if isinstance(value, list):
        items = []
        for i, v in enumerate(value):
            item = _resolve(v, context, f"{pointer}/{i}", absent)
            if item is _ABSENT:
                raise ResolveError(f"{pointer}/{i}", absent[f"{pointer}/{i}"])
            items.append(item)
        return items
    return value


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value
