"""Offset paging: each page starts where the previous one ended (the default style)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import PaginationSpec
from .style import PagingStyle


class OffsetPaging(PagingStyle):
    name = "offset"
    priority = 0

    @classmethod
    def applies(cls, spec: PaginationSpec, when: Callable[[Any], Any], return_all: bool) -> bool:
        return True

    def page(self) -> dict[str, Any]:
        return {"limit": self.limit, "offset": self.offset}

    def advance(self, page_items: list[Any]) -> None:
        self.offset += len(page_items)

    def cursor(self) -> dict[str, Any]:
        return {"offset": self.offset}

    def position(self, page_items: list[Any], seen: int) -> int:
        return self.offset + len(page_items)

    def offset_after(self, index: int) -> int | None:
        return self.offset + index
