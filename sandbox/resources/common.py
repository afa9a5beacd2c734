"""Helpers every resource family uses: paging, filters, orders, links, id checks."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..clock import iso, parse_moment
from ..errors import field_invalid, field_missing, not_found, related_missing
from ..store import Table, as_id
from ..wire import Request

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def plain_time(stamp: str | None) -> str | None:
    """'2026-05-28T03:05:55-05:00' -> '2026-05-28 03:05:55': the *_timestamp form (account time, no zone)."""
    return stamp[:19].replace("T", " ") if stamp else None


def audit(created: str | None, updated: str | None = None, by: str | None = None) -> dict[str, Any]:
    """created_timestamp, updated_timestamp, created_by, updated_by: on lists, tags, fields and contact tags
    today (LIVE list-lists, list-tags, get-custom-field, tag-contact, recorded 2026-05-28)."""
    return {
        "created_timestamp": plain_time(created),
        "updated_timestamp": plain_time(updated or created),
        "created_by": by,
        "updated_by": by,
    }


def now() -> tuple[str, float]:
    ts = time.time()
    return iso(ts), ts


def page(req: Request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> tuple[int, int]:
    """(limit, offset): limit defaults to 20 and is clamped to 100; junk falls back to defaults."""
    limit = _int(req.q("limit"), default)
    offset = _int(req.q("offset"), 0)
    if limit <= 0:
        limit = default
    return min(limit, maximum), max(offset, 0)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def paginate(rows: list[dict], req: Request, default: int = DEFAULT_LIMIT) -> tuple[list[dict], int]:
    limit, offset = page(req, default)
    return rows[offset : offset + limit], len(rows)


def flt(req: Request, name: str) -> str | None:
    """`filters[name]` (or the `filters[name][eq]` operator form)."""
    value = req.q(f"filters[{name}]")
    if value is None:
        value = req.q(f"filters[{name}][eq]")
    return value


def op_filter(req: Request, name: str) -> list[tuple[str, str]]:
    """All `filters[name][op]=value` pairs, e.g. [("contains", "news")]."""
    prefix = f"filters[{name}]["
    return [
        (key[len(prefix) : -1], vals[0])
        for key, vals in req.query.items()
        if key.startswith(prefix) and key.endswith("]") and vals
    ]


def apply_ops(value: str, ops: Iterable[tuple[str, str]]) -> bool:
    """The documented operators: eq, neq, lt, lte, gt, gte, contains, starts_with (case-insensitive)."""
    low = (value or "").lower()
    for op, arg in ops:
        arg = arg.lower()
        ok = {
            "eq": low == arg,
            "neq": low != arg,
            "lt": low < arg,
            "lte": low <= arg,
            "gt": low > arg,
            "gte": low >= arg,
            "contains": arg in low,
            "starts_with": low.startswith(arg),
        }.get(op, True)
        if not ok:
            return False
    return True


def contains(hay: Any, needle: str) -> bool:
    return needle.lower() in str(hay or "").lower()


def order(rows: list[dict], req: Request, keys: dict[str, Callable[[dict], Any]]) -> list[dict]:
    """Apply `orders[field]=ASC|DESC` in query-string order (first one is the primary key)."""
    orders = [
        (k[7:-1], v[0].upper())
        for k, v in req.query.items()
        if k.startswith("orders[") and k.endswith("]") and v and k[7:-1] in keys
    ]
    for field, direction in reversed(orders):
        rows = sorted(rows, key=keys[field], reverse=direction == "DESC")
    return rows


def date_window(req: Request, rows: list[dict], created: str = "_c", updated: str = "_u") -> list[dict]:
    """filters[created_before|created_after|updated_before|updated_after]: after is inclusive."""
    checks: list[Callable[[dict], bool]] = []
    for name, key, before in (
        ("created_before", created, True),
        ("created_after", created, False),
        ("updated_before", updated, True),
        ("updated_after", updated, False),
    ):
        raw = flt(req, name)
        if raw is None:
            continue
        moment = parse_moment(raw)
        if moment is None:
            continue
        if before:
            checks.append(lambda r, k=key, m=moment: r.get(k, 0) < m)
        else:
            checks.append(lambda r, k=key, m=moment: r.get(k, 0) >= m)
    if not checks:
        return rows
    return [r for r in rows if all(check(r) for check in checks)]


def links(req: Request, kind: str, id_: str, names: Iterable[str]) -> dict[str, str]:
    base = f"{req.base_url}/api/3/{kind}/{id_}/"
    return {name: base + name for name in names}


def require(row: dict | None, entity: str, id_: Any, status: int = 404) -> dict:
    if row is None:
        raise not_found(entity, id_, status)
    return row


def need(data: dict, attribute: str, title: str | None = None) -> Any:
    """A required attribute: absent, null or blank -> 422 field_missing."""
    value = data.get(attribute)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise field_missing(attribute, title)
    return value


def ref(table: Table, data: dict, attribute: str, label: str, required: bool = True) -> dict | None:
    """A reference to another row: missing -> field_missing, unknown id -> related_missing."""
    value = data.get(attribute)
    if value in (None, ""):
        if required:
            raise field_missing(attribute, f"The {attribute} field was not provided.")
        return None
    row = table.get(value)
    if row is None:
        raise related_missing(attribute, f"No {label} with id {value} exists.")
    return row


def int_field(data: dict, attribute: str, default: int | None = None, minimum: int | None = None) -> int | None:
    value = data.get(attribute, default)
    if value is None or value == "":
        return default
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        raise field_invalid(attribute, f"The {attribute} field must be an integer.") from None
    if minimum is not None and number < minimum:
        raise field_invalid(attribute, f"The {attribute} field must be at least {minimum}.")
    return number


def s(value: Any) -> str | None:
    """Wire form of a number/id: a string, None stays None."""
    return None if value is None else str(value)


def valid_email(text: Any) -> bool:
    return isinstance(text, str) and bool(EMAIL_RE.match(text.strip()))


def ident(value: Any) -> int | None:
    return as_id(value)
