"""Rendering's direct routes give exactly what Jinja gives: the same values and the same errors."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import SpecError
from engine.loader import load_connector
from engine.runtime import copy_json
from engine.templating import ABSENT, Template, compile_string, iter_templates

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_connector(ROOT)


def _spec_templates() -> list[Template]:
    found: dict[tuple[str, bool], Template] = {}
    for op in SPEC.operations.values():
        r = op.request
        parts = [op.output, op.success_when, op.option]
        if r is not None:
            parts += [r.method, r.path, r.raw_path, r.query, r.headers, r.body]
        for step in op.steps:
            parts += [step.input, step.value, step.when, step.for_each, step.until]
        if op.pagination:
            parts += [getattr(op.pagination, f.name) for f in dataclasses.fields(op.pagination)]
        for t in iter_templates(parts):
            found[(t.source, t._segment)] = t
    return list(found.values())


TEMPLATES = _spec_templates()


def _outcome(template: Template, context: dict[str, Any], fast: bool = True) -> tuple[str, Any]:
    """The result or error of a render; ``fast=False`` is the original way: compile_expression / Template.render."""
    try:
        value = template._render(context, fast)
    except SpecError as exc:
        return "error", exc.message
    return "value", "ABSENT" if value is ABSENT else (type(value).__name__, value)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 200)
    | st.text(max_size=8)
    | st.sampled_from(["", ".", "..", "a/b", "1", "ASC", "id"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "items", "values", "keys", "body", "meta", "total", "contacts", "x"]), inner, max_size=4
        )
    ),
    max_leaves=10,
)
names = st.sampled_from(sorted({u.attr for t in TEMPLATES for u in t.uses if u.attr} | {"items", "get", "zz"}))
contexts = st.fixed_dictionaries(
    {},
    optional={
        "input": st.dictionaries(names, values, max_size=6),
        "page": st.dictionaries(st.sampled_from(["limit", "offset", "after", "keyset"]), values, max_size=3),
        "response": st.dictionaries(st.sampled_from(["status", "headers", "body"]), values, max_size=3),
        "result": st.dictionaries(st.sampled_from(["items", "total", "has_more", "next_offset", "pages"]), values),
        "item": values,
    },
)


@pytest.mark.parametrize("template", TEMPLATES, ids=[f"{t.source[:40]}{'/seg' if t._segment else ''}" for t in TEMPLATES])
@settings(max_examples=max(5, settings.default.max_examples // 4), deadline=None)  # ci 12
@given(context=contexts)
def test_every_spec_template_renders_as_jinja_does(template: Template, context: dict[str, Any]) -> None:
    assert _outcome(template, context) == _outcome(template, context, fast=False)


@pytest.mark.parametrize(
    ("source", "segment", "context"),
    [
        ("{{ input.a }}", False, {"input": {"a": [1, "2"]}}),
        ("{{ input.a }}", False, {"input": {}}),
        ("{{ input.a.b }}", False, {"input": {"a": {}}}),
        ("{{ input.a.b }}", False, {"input": {"a": "text"}}),
        ("{{ input.items }}", False, {"input": {"items": 3}}),
        ("{{ input.items }}", False, {"input": OrderedDict(items=3)}),
        ("{{ input }}", False, {"input": {"a": 1}}),
        ("{{ lipsum }}", False, {}),
        ("/contacts/{{ input.id }}", True, {"input": {"id": "12/../users"}}),
        ("/contacts/{{ input.id }}", True, {"input": {"id": ".."}}),
        ("/contacts/{{ input.id }}", True, {"input": {}}),
        ("/contacts/{{ input.id }}/x", True, {"input": {"id": 7}}),
        ("n={{ input.n }} b={{ input.b }} z={{ input.z }}", False, {"input": {"n": None, "b": True, "z": 1.5}}),
        ("{{ input.n }}\n", False, {"input": {"n": "x"}}),
    ],
)
def test_edge_cases_render_as_jinja_does(source: str, segment: bool, context: dict[str, Any]) -> None:
    template = compile_string(source, finalize_segment=segment)
    assert _outcome(template, context) == _outcome(template, context, fast=False)


def test_code_is_generated_only_when_needed() -> None:
    lazy = compile_string("{{ input.lazy_one }}")
    assert lazy._compiled is None and lazy.render({"input": {"lazy_one": 1}}) == 1 and lazy._compiled is None
    assert lazy.render({"input": {}}) is ABSENT and lazy._compiled is None  # a missing last name is ABSENT
    assert lazy.render({"input": "text"}) is ABSENT and lazy._compiled is not None  # not a dict: Jinja decides
    assert compile_string("{{ input.x | upper }}")._compiled is None  # a known filter: nothing can fail
    assert compile_string("{% if input.x %}y{% endif %}")._compiled is not None  # statements: compiled at load
    assert compile_string("{{ input.x if input.x is no_such_test else 1 }}")._compiled is not None


def test_unknown_filters_still_fail_at_load() -> None:
    from jinja2 import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="No filter named"):
        compile_string("{{ input.x | no_such_filter }}")
    with pytest.raises(TemplateSyntaxError, match="No filter named"):
        compile_string("/a/{{ input.x | no_such_filter }}", finalize_segment=True)
    with pytest.raises(TemplateSyntaxError, match="No test named"):
        compile_string("{{ input.x is no_such_test }}")
    with pytest.raises(TemplateSyntaxError):
        compile_string("{{ input.a, input.b }}")  # a tuple is not an expression


def test_whole_expressions_keep_the_object() -> None:
    items = [{"id": "1"}]
    assert compile_string("{{ response.body.contacts }}").render({"response": {"body": {"contacts": items}}}) is items


def test_copy_json_is_a_deep_copy() -> None:
    data = {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True, "g": (1, 2)}
    copied = copy_json(data)
    assert copied == data and copied["a"] is not data["a"] and copied["a"][1] is not data["a"][1]
    assert copied["g"] == (1, 2)


def test_headers_dict_is_dict_of_httpx_headers() -> None:
    import httpx

    from engine.upstream import headers_dict

    headers = httpx.Headers(
        [
            ("Content-Type", "application/json"),
            ("Set-Cookie", "a=1"),
            ("X-Thing", "é".encode()),
            ("set-cookie", "b=2"),
            ("Retry-After", "3"),
        ]
    )
    assert headers_dict(headers) == dict(headers)
    assert list(headers_dict(headers)) == list(dict(headers))


PAGED = sorted(op.name for op in SPEC.operations.values() if op.pagination is not None)


@pytest.mark.parametrize("name", PAGED)
@settings(max_examples=max(5, settings.default.max_examples // 6), deadline=None)  # ci 8
@given(data=st.data())
def test_requests_reusing_input_renders_are_the_same(name: str, data: st.DataObject) -> None:
    """Paging renders the input-only parts of a request once; every page's request is still the same."""
    from hypothesis import assume
    from hypothesis_jsonschema import from_schema

    from engine.errors import ConnectorError
    from engine.requests import build_request
    from engine.templating import RenderMemo

    connector = _connector()
    op = SPEC.operations[name]
    raw = data.draw(from_schema(op.input_schema), label="input")
    try:
        call, prepared = connector._prepare(name, raw, _auth(connector), None)
    except ConnectorError:
        assume(False)
    memo = RenderMemo(frozenset({"input"}))
    pages = [
        {"limit": 100, "offset": 0},
        {"limit": 100, "offset": 100},
        {"limit": 100, "keyset": True},
        {"limit": 100, "keyset": True, "after": "17"},
        {"limit": 100, "keyset": True, "after": "18"},
    ]

    def built(page: dict[str, Any], with_memo: bool) -> Any:
        try:
            r = build_request(call, op, prepared, page, memo if with_memo else None)
        except ConnectorError as exc:
            return type(exc).__name__, exc.message
        return r.method, str(r.url), sorted(r.headers.items()), r.content

    for page in pages:
        assert built(page, True) == built(page, False)


_CONNECTOR: list[Any] = []


def _connector() -> Any:
    import httpx

    from engine.ratelimit import NoLimit
    from engine.runtime import Connector

    if not _CONNECTOR:
        _CONNECTOR.append(
            Connector(
                SPEC, transport=httpx.MockTransport(lambda r: httpx.Response(500)), limiter=NoLimit(), allow_loopback=True
            )
        )
    return _CONNECTOR[0]


def _auth(connector: Any) -> Any:
    return connector.authentication({"api_url": "http://127.0.0.1:9", "api_key": "test-not-a-key"})


def test_memo_skips_impure_and_page_templates() -> None:
    from engine.templating import RenderMemo

    memo = RenderMemo(frozenset({"input"}))
    assert memo.applies_to(compile_string("{{ input.a if input.b is defined else none }}"))
    assert not memo.applies_to(compile_string("{{ page.limit }}"))
    assert not memo.applies_to(compile_string("{{ input.a | random }}"))
    assert not memo.applies_to(compile_string("{{ lipsum() }}"))
    assert not memo.applies_to(compile_string("{{ input.a.upper() }}"))


@pytest.mark.parametrize(
    "source",
    [
        "{{ input.x if input.x is defined else none }}",
        "v={{ input.x }} w={{ input.y | default('d') }}",
        "{{ input.x is sameas true }}",
        "{{ 'a' if page.keyset is defined else input.x }}",
    ],
)
def test_kept_results_match_jinja_for_lookalike_values(source: str) -> None:
    template = compile_string(source)
    contexts = [{"input": {"x": v}, "page": {}} for v in (True, 1, "1", None, 1.0, 0.0, -0.0, [1], {"a": 1})]
    contexts += [{"input": {}, "page": {}}, {"input": {"y": 2}}, {"page": {"keyset": True}, "input": {"x": 1}}, {}]
    for _ in range(2):  # the second pass reads kept results
        for context in contexts:
            assert _outcome(template, context) == _outcome(template, context, fast=False), context
    listed = compile_string("{{ [input.x] }}").render({"input": {"x": 1}})
    listed.append(2)
    assert compile_string("{{ [input.x] }}").render({"input": {"x": 1}}) == [1]


@pytest.mark.parametrize("item", [{"id": "7"}, {"id": 7}, {}, {"id": None}, {"x": 1}, "text", None, [1]])
def test_item_reader_is_render_structure(item: Any) -> None:
    from engine.templating import item_reader, render_structure

    for source in ("{{ item.id }}", "{{ item.id ~ '-' ~ item.x }}", "{{ item }}"):
        template = compile_string(source)

        def outcome(fn: Any) -> tuple[str, Any]:
            try:
                return "value", repr(fn())
            except SpecError as exc:
                return "error", exc.message

        fast = outcome(lambda: item_reader(template, "item")(item))  # noqa: B023
        slow = outcome(lambda: render_structure(template, {"item": item}))  # noqa: B023
        assert fast == slow
