"""Parse JSON that came from outside (an API, a command line, a request) within fixed limits.

``json.loads`` alone accepts things that break later, far from their cause: nesting so deep that
validating or printing it raises ``RecursionError``, ``NaN`` and ``Infinity`` (and ``1e999``, read as
infinity) that no strict JSON printer can write back, and lone surrogates (``"\\ud800"``) that no
UTF-8 encoder can write. Here they are refused (depth, non-finite numbers) or replaced (a lone
surrogate becomes U+FFFD) before the value reaches the rest of the program.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""Arrays and objects nested deeper than this are refused (real API answers nest a handful of levels)."""

_STRING_BYTES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonLimitError(ValueError):
    """The text is JSON, but beyond what this program accepts; ``rule`` says which limit."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def too_deep(data: bytes | str, max_depth: int = MAX_DEPTH) -> bool:
    """True when arrays/objects nest deeper than ``max_depth`` (strings are ignored).

    Cheap on ordinary documents: nothing is scanned unless there are more brackets than the limit,
    and then strings are cut out and matching pairs removed in C, one level per round.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    brackets = _STRING_BYTES.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if not shorter or shorter == brackets:
            return False  # all matched within the limit, or not JSON (json.loads will say so)
        brackets = shorter
    return True


def _reject_constant(name: str) -> Any:
    raise JsonLimitError(f"the JSON holds {name}, which is not a JSON number", "finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitError(f"the JSON holds a number too large to represent ({text[:20]})", "finite")
    return value


def replace_surrogates(value: Any) -> Any:
    """Every lone surrogate in strings (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {replace_surrogates(k): replace_surrogates(v) for k, v in value.items()}
    return value


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` within the limits: raises JsonLimitError (a ValueError) for a deep or non-finite
    document, ValueError for text that is not JSON; lone surrogates come back as U+FFFD."""
    if too_deep(data, max_depth):
        raise JsonLimitError(f"the JSON is nested more than {max_depth} levels deep", "depth")
    value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if _ESCAPED_SURROGATE.search(raw) or (isinstance(data, str) and _SURROGATE.search(data)):
        value = replace_surrogates(value)
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that never writes NaN or Infinity (ValueError instead) nor a lone surrogate."""
    text = json.dumps(value, allow_nan=False, **options)
    return _SURROGATE.sub("\ufffd", text)
