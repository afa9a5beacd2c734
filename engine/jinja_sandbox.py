"""The sandboxed Jinja environments spec templates run in (imported only when Jinja is needed).

A loaded spec renders most templates by direct lookup (see templating.py), so a process that
only runs such operations, such as a one-off CLI call, never imports Jinja at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .filters import chunks
from .templating import path_segment


class _Environment(ImmutableSandboxedEnvironment):
    """On mappings, ``a.b`` means the key only: an input named ``items`` or ``values`` must mean
    the input (or be undefined when absent), never the dict method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _make_environment() -> ImmutableSandboxedEnvironment:
    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.pop("range", None)
    env.filters["path_segment"] = path_segment
    env.filters["chunks"] = chunks
    return env


def _finalize_segment(value: Any) -> Any:
    if isinstance(value, Undefined):
        return value
    return path_segment(value)


ENV = _make_environment()
# Path templates: every ``{{ }}`` output is encoded as exactly one path segment.
PATH_ENV = _make_environment()
PATH_ENV.finalize = _finalize_segment
