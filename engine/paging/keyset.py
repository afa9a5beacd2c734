"""Keyset paging: each page asks for the records after the last id seen (nothing lost or repeated
while records are added), where the spec's ``keyset.when`` allows it for a "return all"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import PaginationSpec
from .style import PagingStyle


class KeysetPaging(PagingStyle):
    name = "keyset"
    priority = 10

    def __init__(self, limit: int, offset: int, read_id: Callable[[Any], Any]) -> None:
        super().__init__(limit, offset, read_id)
        self.after: Any = None

    @classmethod
    def applies(cls, spec: PaginationSpec, when: Callable[[Any], Any], return_all: bool) -> bool:
        return return_all and spec.keyset_when is not None and bool(when(spec.keyset_when))

    def page(self) -> dict[str, Any]:
        page: dict[str, Any] = {"limit": self.limit, "keyset": True}
        if self.after is not None:
            page["after"] = self.after
        return page

    def advance(self, page_items: list[Any]) -> None:
        after = self.read_id(page_items[-1])
        if after == self.after:
            raise self.stuck(f"the upstream answered the page after id {after!r} with the same page again")
        self.after = after

    def cursor(self) -> dict[str, Any]:
        return {"after": self.after}

    def position(self, page_items: list[Any], seen: int) -> int:
        return seen
