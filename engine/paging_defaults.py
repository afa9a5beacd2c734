"""Paging declared once: the connector's ``pagination`` defaults, applied to each listing spec.

A listing spec (one with ``pagination:``) names only what differs: its items, its filters, keyset
where it applies. What every listing repeats is declared once in ``connector.yaml`` and injected
here, before the spec is checked: the paging inputs (by kind), the matching ``pagination``
templates, the query parameters that carry the page, the total, the item id and, for actions, the
paging fields of the output. Anything a spec states itself wins, and a spec in the full form (its own
``limit``/``offset``/``return_all``/``max_items`` templates) gets only the page size, total and item id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Pagination templates filled from the input of the same name, when the spec has that input.
INPUT_ROLES = ("limit", "offset", "return_all", "max_items")
# Output fields (and the result field each reads) added to an action listing's output.
OUTPUT_FIELDS = ("total", "has_more", "next_offset")
_PAGE_READ = re.compile(r"\bpage\.([A-Za-z_]\w*)")


def apply_paging_defaults(
    doc: dict[str, Any], defaults: Mapping[str, Any] | None, spec_path: Path, root: Path
) -> dict[str, Any]:
    """``doc`` with the connector's paging defaults filled in (a new dict; ``doc`` is not changed)."""
    if not defaults or not isinstance(doc.get("pagination"), dict):
        return doc
    kind = doc.get("kind", "action")
    # The full form (a spec that wires its own paging inputs) is taken as written: only the page size, the
    # total and the item id are filled in. Some such listings send no paging parameters at all on purpose.
    explicit = any(role in doc["pagination"] for role in INPUT_ROLES)
    doc = {**doc, "pagination": dict(doc["pagination"])}
    pagination = doc["pagination"]
    for key in ("page_size", "total", "item_id"):
        if key in defaults and key not in pagination:
            pagination[key] = defaults[key]
    if explicit:
        return doc

    inputs = (defaults.get("inputs") or {}).get(kind) or {}
    schema = doc.get("input")
    if isinstance(schema, dict) and isinstance(schema.get("properties", {}), dict):
        properties = dict(schema.get("properties", {}))
        for name, sub in inputs.items():
            properties.setdefault(name, _rebase(sub, root, spec_path.parent))
        doc["input"] = {**schema, "properties": properties}
        for role in INPUT_ROLES:
            if role in properties and role not in pagination:
                pagination[role] = f"{{{{ input.{role} }}}}"

    request = doc.get("request")
    query = (request.get("query") if isinstance(request, dict) else None) or {}
    placed = _page_reads(query)
    missing = {k: v for k, v in (defaults.get("query") or {}).items() if k not in query and not _page_reads(v) & placed}
    if missing and isinstance(request, dict):
        doc["request"] = {**request, "query": {**query, **missing}}

    if kind == "action":
        _add_outputs(doc, defaults.get("outputs") or {}, root, spec_path.parent)
    return doc


def _add_outputs(doc: dict[str, Any], outputs: Mapping[str, Any], root: Path, here: Path) -> None:
    schema = doc.get("output")
    response = doc.get("response") or {}
    template = response.get("output")
    if not outputs or not isinstance(schema, dict) or not isinstance(template, dict):
        return
    properties = dict(schema.get("properties") or {})
    template = dict(template)
    for name in OUTPUT_FIELDS:
        if name in outputs and name not in properties:
            properties[name] = _rebase(outputs[name], root, here)
        if name in outputs:
            template.setdefault(name, f"{{{{ result.{name} }}}}")
    required = list(schema.get("required") or [])
    if "has_more" in outputs and "has_more" not in required:
        required.append("has_more")
    doc["output"] = {**schema, "properties": properties, **({"required": required} if required else {})}
    doc["response"] = {**response, "output": template}


def _page_reads(value: Any) -> set[str]:
    """The ``page.X`` a request section reads: where the spec already places the page itself."""
    if isinstance(value, str):
        return set(_PAGE_READ.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(_page_reads(k) | _page_reads(v) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(_page_reads(v) for v in value))
    return set()


def _rebase(value: Any, root: Path, here: Path) -> Any:
    """Rewrite file ``$ref``s written relative to the connector folder so they hold from ``here``."""
    if isinstance(value, list):
        return [_rebase(v, root, here) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _rebase(v, root, here) for k, v in value.items()}
    ref = value.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        file_part, hash_sign, fragment = ref.partition("#")
        out["$ref"] = Path(os.path.relpath(root / file_part, here)).as_posix() + hash_sign + fragment
    return out
