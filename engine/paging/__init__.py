"""Paging through a collection: one driver (``paginate``) and one small class per paging style.

A style says where each page starts and how to resume; the driver does the rest (requests,
de-duplication, the user's cap, streaming, loop detection). Adding a style is one new module in
this package defining a :class:`~engine.paging.style.PagingStyle` subclass: it is found by name.
"""

from __future__ import annotations

from .driver import PagedResult, paginate
from .style import PagingStyle, style_for

__all__ = ["PagedResult", "PagingStyle", "paginate", "style_for"]
