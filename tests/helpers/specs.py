"""Small connectors written into a temporary folder, and a mutation strategy for JSON-like values."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

PING = """\
name: ping
title: Ping
description: The auth test.
idempotency: safe
input: {type: object, additionalProperties: false, properties: {}}
output: {type: object}
request: {method: GET, path: /users/me}
"""


def minimal_connector(folder: Path, **operations: str) -> Path:
    """The real connector.yaml (its auth test renamed to ``ping``) and schemas, the ``ping`` operation and
    the given ones (name -> YAML text) in ``folder``."""
    (folder / "connector.yaml").write_text(
        (ROOT / "connector.yaml").read_text().replace("test_operation: get_current_user", "test_operation: ping")
    )
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    (folder / "operations").mkdir()
    for name, text in {"ping": PING, **operations}.items():
        (folder / "operations" / f"{name}.yaml").write_text(text)
    return folder


def mutate(draw: st.DrawFn, value: Any, replacements: st.SearchStrategy[Any]) -> Any:
    """Replace one nested value of ``value`` (a random path through dicts and lists) with a drawn one."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: mutate(draw, value[key], replacements)}
    if isinstance(value, list) and value and draw(st.booleans()):
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], mutate(draw, value[i], replacements), *value[i + 1 :]]
    return draw(replacements)
