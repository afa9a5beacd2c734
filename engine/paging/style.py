"""The paging-style protocol, and how a listing's style is chosen."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import PaginationLoop
from ..model import PaginationSpec


class PagingStyle:
    """Where each page of a listing starts.

    ``page()`` is the ``page`` context of the next request; ``advance()`` moves past a page the
    driver has read; ``cursor()`` says where a resumed listing starts; ``position()`` how many
    records lie before the next page (compared with the collection's total); ``offset_after(i)`` the
    offset of the record after index ``i`` of the current page, when the style has offsets.
    """

    name: ClassVar[str]
    priority: ClassVar[int] = 0  # styles that apply are tried from the highest priority down

    def __init__(self, limit: int, offset: int, read_id: Callable[[Any], Any]) -> None:
        self.limit = limit
        self.offset = offset
        self.read_id = read_id

    @classmethod
    def applies(cls, spec: PaginationSpec, when: Callable[[Any], Any], return_all: bool) -> bool:
        """Whether this style may page ``spec`` (``when`` renders one of its templates over the input)."""
        raise NotImplementedError

    def page(self) -> dict[str, Any]:
        raise NotImplementedError

    def advance(self, page_items: list[Any]) -> None:
        raise NotImplementedError

    def cursor(self) -> dict[str, Any]:
        raise NotImplementedError

    def position(self, page_items: list[Any], seen: int) -> int:
        raise NotImplementedError

    def offset_after(self, index: int) -> int | None:
        return None

    def stuck(self, message: str) -> PaginationLoop:
        return PaginationLoop(message, resume_cursor=self.cursor())


_STYLES: list[type[PagingStyle]] | None = None


def styles() -> list[type[PagingStyle]]:
    """Every style defined in this package, highest priority first."""
    global _STYLES
    if _STYLES is None:
        package = __name__.rsplit(".", 1)[0]
        for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
            importlib.import_module(f"{package}.{module.name}")
        _STYLES = sorted(_subclasses(PagingStyle), key=lambda c: -c.priority)
    return _STYLES


def _subclasses(cls: type[PagingStyle]) -> list[type[PagingStyle]]:
    found: list[type[PagingStyle]] = []
    for sub in cls.__subclasses__():
        found.extend([sub, *_subclasses(sub)] if "name" in sub.__dict__ else _subclasses(sub))
    return found


def style_for(spec: PaginationSpec, when: Callable[[Any], Any], return_all: bool) -> type[PagingStyle]:
    for style in styles():
        if style.applies(spec, when, return_all):
            return style
    raise LookupError("no paging style applies")  # offset always does


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
