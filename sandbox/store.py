"""In-memory tables with per-resource auto-increment ids and optional secondary indexes.

Rows are plain dicts in "wire" form (ids and foreign keys as strings), plus private keys that
start with "_" (epoch timestamps, cached JSON) which renderers never emit. Ids only grow, so a
table's dict order is id order and keyset paging is a bisect on `ids`.
The Store is not thread-safe by itself: the owning Sandbox holds its lock around every request.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any


def as_id(value: Any) -> int | None:
    """A positive integer id from an int or a digit string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
        return number if number > 0 else None
    return None


class Table:
    """One resource's rows, keyed by integer id."""

    def __init__(self, name: str, indexes: Iterable[str] = ()):
        self.name = name
        self.rows: dict[int, dict] = {}
        self.ids: list[int] = []
        self.next_id = 1
        self.indexes: dict[str, defaultdict[str, set[int]]] = {f: defaultdict(set) for f in indexes}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict]:
        return iter(list(self.rows.values()))

    def get(self, id_: Any) -> dict | None:
        key = as_id(id_)
        return None if key is None else self.rows.get(key)

    def insert(self, row: dict, id_: int | None = None) -> dict:
        key = self.next_id if id_ is None else id_
        self.next_id = max(self.next_id, key + 1)
        row["id"] = str(key)
        self.rows[key] = row
        if not self.ids or key > self.ids[-1]:
            self.ids.append(key)
        else:
            self.ids.insert(bisect_left(self.ids, key), key)
        for field, index in self.indexes.items():
            value = row.get(field)
            if value is not None:
                index[str(value)].add(key)
        return row

    def update(self, row: dict, changes: dict) -> dict:
        key = int(row["id"])
        for field, index in self.indexes.items():
            if field in changes:
                old = row.get(field)
                if old is not None:
                    index[str(old)].discard(key)
                new = changes[field]
                if new is not None:
                    index[str(new)].add(key)
        row.update(changes)
        row.pop("_json", None)
        return row

    def delete(self, id_: Any) -> dict | None:
        key = as_id(id_)
        row = self.rows.pop(key, None) if key is not None else None
        if row is None:
            return None
        self.ids.pop(bisect_left(self.ids, key))
        for field, index in self.indexes.items():
            value = row.get(field)
            if value is not None:
                index[str(value)].discard(key)
        return row

    def where(self, field: str, value: Any) -> list[dict]:
        """Rows whose field equals value (compared as strings), in id order."""
        wanted = str(value)
        index = self.indexes.get(field)
        if index is not None:
            return [self.rows[k] for k in sorted(index.get(wanted, ()))]
        return [r for r in self.rows.values() if str(r.get(field)) == wanted]

    def first(self, **match: Any) -> dict | None:
        for row in self.rows.values():
            if all(str(row.get(k)) == str(v) for k, v in match.items()):
                return row
        return None

    def ids_after(self, after: int) -> list[int]:
        """Ids strictly greater than `after`, ascending (keyset paging)."""
        return self.ids[bisect_right(self.ids, after) :]


class Store:
    """All tables of one account."""

    INDEXES: dict[str, tuple[str, ...]] = {
        "contactLists": ("contact", "list"),
        "contactAutomations": ("contact",),
        "fieldValues": ("contact", "field"),
        "contactTags": ("contact", "tag"),
        "accountContacts": ("contact", "account"),
        "deals": ("contact", "stage", "group"),
        "dealStages": ("group",),
        "notes": ("relid",),
        "dealTasks": ("relid",),
        "fieldOptions": ("field",),
        "fieldRels": ("field",),
    }

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.email_index: dict[str, int] = {}
        self.extra: dict[str, Any] = {}

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = Table(name, self.INDEXES.get(name, ()))
        return table

    __getitem__ = table
