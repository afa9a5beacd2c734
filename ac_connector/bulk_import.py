"""Import contacts from a JSON-lines file through bulk_import_contacts, a chunk at a time.

Why: a file of any size must import in flat memory. Lines are read lazily, checked one by one (a bad
line is reported, never sent), and sent in chunks; each contact's outcome is yielded as soon as its
chunk is done. Batching to ActiveCampaign's own size limit and polling happen in the operation's spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from engine.errors import ValidationError

OPERATION = "bulk_import_contacts"
CHECK_ONE = "start_bulk_import"  # validates a single contact with the same schema
DEFAULT_CHUNK = 1000


def import_lines(connector: Any, auth: Any, lines: Iterable[str], *, chunk: int = DEFAULT_CHUNK) -> Iterator[dict]:
    """Yield ``{"line", "email", "accepted"[, "reason"]}`` for every non-blank line, in file order."""
    pending: list[tuple[int, dict]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        contact, problem = _parse(connector, text)
        if problem is not None:
            yield from _flush(connector, auth, pending)
            pending = []
            yield {"line": number, "email": _email_of(contact), "accepted": False, "reason": problem}
            continue
        pending.append((number, contact))
        if len(pending) >= chunk:
            yield from _flush(connector, auth, pending)
            pending = []
    yield from _flush(connector, auth, pending)


def _parse(connector: Any, text: str) -> tuple[Any, str | None]:
    try:
        contact = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg}"
    try:
        connector.validate_input(CHECK_ONE, {"contacts": [contact]})
    except ValidationError as exc:
        first = exc.errors[0]
        pointer = first["pointer"].removeprefix("/contacts/0") or "/"
        return contact, f"{pointer}: {first['message']}"
    return contact, None


def _flush(connector: Any, auth: Any, pending: list[tuple[int, dict]]) -> Iterator[dict]:
    if not pending:
        return
    out = connector.run(OPERATION, {"contacts": [c for _, c in pending]}, auth)
    for (number, _), report in zip(pending, out["contacts"], strict=True):
        yield {"line": number, **report}


def _email_of(contact: Any) -> Any:
    return contact.get("email") if isinstance(contact, dict) else None
