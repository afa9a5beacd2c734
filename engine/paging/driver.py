"""Page through a collection without losing or repeating anything (R8), and always stop.

Single page: what the user asked for, plus whether more remain. Return all: pages of
``page_size`` to the end or to the user's cap, in the style the spec allows (see style.py),
de-duplicated by id; a page that finally fails raises an error carrying the resume point and the
items so far. A page that brings nothing new again and again, or a cursor that does not move,
is an upstream loop: it ends with ``pagination_loop`` instead of requesting pages for ever.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..effects import Emit, Pipeline
from ..errors import ConnectorError, PaginationError, PaginationLoop, PaginationOverflow, SpecError
from ..idset import IdSet
from ..model import OperationSpec
from ..requests import build_request
from ..templating import ABSENT, RenderMemo, item_reader, iter_templates, render_structure
from ..transport import Call, exchange
from ..upstream import headers_dict, parse_body
from .style import as_int, style_for

# Full pages in a row that bring no record not seen before: a server ignoring the offset, or
# repeating itself. One or two can happen while records are added at the front; more cannot.
MAX_PAGES_WITHOUT_NEWS = 3


@dataclass
class PagedResult:
    items: list[Any]
    total: int | None
    has_more: bool
    next_offset: int | None
    pages: int
    count: int
    sideloads: dict[str, list[Any]] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "has_more": self.has_more,
            "next_offset": self.next_offset,
            "pages": self.pages,
            "sideloads": self.sideloads,
        }


def _value(template: Any, context: Mapping[str, Any], default: Any = None) -> Any:
    if template is None:
        return default
    value = render_structure(template, context)
    return default if value is ABSENT or value is None else value


def paginate(
    call: Call, op: OperationSpec, input: Mapping[str, Any], *, stream: bool = False, single_page_size: int | None = None
) -> Pipeline:
    p = op.pagination
    assert p is not None
    ctx = {"input": input}
    return_all = bool(_value(p.return_all, ctx, False))
    max_items = as_int(_value(p.max_items, ctx))
    offset = as_int(_value(p.offset, ctx, 0)) or 0
    page_limit = p.page_size if return_all else (single_page_size or as_int(_value(p.limit, ctx)) or p.page_size)
    read_id = item_reader(p.item_id, "item")
    style = style_for(p, lambda template: _value(template, ctx, False), return_all)(page_limit, offset, read_id)
    collected: list[Any] = []
    seen = IdSet()  # a set; ascending numeric ids take constant memory, so streaming stays flat
    memo = RenderMemo(frozenset({"input"}))  # the input is the same for every page
    count = pages = without_news = 0
    total: int | None = None
    capped = False
    page_items: list[Any] = []
    resume: int | None = None
    sideloads: dict[str, list[Any]] = {name: [] for name in p.sideloads}
    sideload_seen: set[tuple[str, str]] = set()
    while True:
        request = build_request(call, op, input, style.page(), memo)
        # The deadline bounds each page (R1 per page), not a listing of any length, nor the time a
        # streaming caller spends between pages.
        call.restart_deadline()
        try:
            result = yield from exchange(call, request)
        except ConnectorError as exc:
            if pages == 0:
                raise
            cursor = style.cursor()
            raise PaginationError(
                f"paging stopped after {count} items: {exc.message}",
                cause=exc,
                resume_cursor=cursor,
                items_so_far=collected,
                resume_input=_resume_input(op, cursor),
            ) from None
        response = {
            "status": result.response.status_code,
            "headers": headers_dict(result.response.headers),
            "body": parse_body(result.content),
        }
        rctx = {"input": input, "response": response}
        page_items = _value(p.items, rctx, [])
        if not isinstance(page_items, list):
            raise SpecError(f"{op.name}: pagination items did not give a list")
        if total is None and p.total is not None:
            total = as_int(_value(p.total, rctx))
        if not stream:
            _collect_sideloads(p.sideloads, rctx, sideloads, sideload_seen)
        pages += 1
        fresh = []
        where: list[int] = []  # each fresh item's index in the page, to resume right after a cut
        news = 0
        for index, item in enumerate(page_items):
            if not seen.add_new(read_id(item)):  # seen before
                continue
            news += 1
            if p.keep is not None and not _value(p.keep, {"item": item, "input": input}, True):
                continue
            fresh.append(item)
            where.append(index)
        resume = style.offset_after(len(page_items))
        if max_items is not None and count + len(fresh) >= max_items and return_all:
            if count + len(fresh) > max_items:
                resume = style.offset_after(where[max_items - count - 1] + 1)
            # Cut inside this page, or stopped on a full page: more remain unless the total says this was the end.
            position = style.position(page_items, len(seen))
            more_upstream = len(page_items) == page_limit and (total is None or position < total)
            capped = count + len(fresh) > max_items or more_upstream
            fresh = fresh[: max_items - count]
        count += len(fresh)
        if stream:
            if fresh:
                yield Emit(fresh)
        else:
            collected.extend(fresh)
        short = len(page_items) < page_limit
        if not return_all or short or (max_items is not None and count >= max_items):
            break
        try:
            style.advance(page_items)
        except PaginationLoop as exc:
            raise _loop(exc, op, count) from None
        without_news = without_news + 1 if news == 0 else 0
        if without_news >= MAX_PAGES_WITHOUT_NEWS:
            raise _loop(
                style.stuck(
                    f"{op.name}: the upstream sent {without_news} full pages in a row with no "
                    f"record not seen before; stopped after {pages} pages and {count} items"
                ),
                op,
                count,
            )
        if total is not None and pages >= math.ceil(total / page_limit) + 2:
            raise PaginationOverflow(f"{op.name}: more pages than the collection's total allows; stopped after {pages} pages")
    if return_all:
        has_more = capped
        next_offset = resume if has_more else None
    else:
        seen_to = offset + len(page_items)
        has_more = seen_to < total if total is not None else len(page_items) == page_limit
        next_offset = seen_to if has_more else None
    return PagedResult(collected, total, has_more, next_offset, pages, count, sideloads)


def _loop(exc: PaginationLoop, op: OperationSpec, count: int) -> PaginationLoop:
    """The loop error with what a caller needs to carry on by hand: the resume input and the count so far."""
    cursor = exc.details.get("resume_cursor") or {}
    return PaginationLoop(exc.message, resume_cursor=cursor, resume_input=_resume_input(op, cursor), items_so_far=count)


def _resume_input(op: OperationSpec, cursor: Mapping[str, Any]) -> dict[str, Any] | None:
    """The input that carries on from ``cursor``: merge it into the original input and run again.

    Offset: the input the spec's ``pagination.offset`` reads. Keyset: the input read by the
    same request template that reads ``page.after`` (e.g. ``page.after if ... else input.id_greater``).
    """
    p = op.pagination
    assert p is not None
    if "offset" in cursor:
        names = _input_names(p.offset)
        return {names[0]: cursor["offset"]} if len(names) == 1 else None
    query = op.request.query if op.request is not None else None
    for template in iter_templates(query) if query is not None else ():
        if any(u.root == "page" and u.attr == "after" for u in template.uses):
            names = _input_names(template)
            if len(names) == 1:
                return {names[0]: cursor["after"]}
    return None


def _input_names(template: Any) -> list[str]:
    if template is None:
        return []
    return sorted({u.attr for u in getattr(template, "uses", ()) if u.root == "input" and u.attr})


def _collect_sideloads(
    templates: Mapping[str, Any], rctx: Mapping[str, Any], into: dict[str, list[Any]], seen: set[tuple[str, str]]
) -> None:
    """Join each page's related records, once each (overlapping pages send some twice)."""
    for name, template in templates.items():
        records = _value(template, rctx, [])
        if not isinstance(records, list):
            raise SpecError(f"pagination sideload {name!r} did not give a list")
        for record in records:
            key = (name, json.dumps(record, sort_keys=True, default=str))
            if key not in seen:
                seen.add(key)
                into[name].append(record)
