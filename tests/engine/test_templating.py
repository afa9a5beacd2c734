"""The templating rules: types kept, absent optionals dropped, paths encoded, user data never rendered."""

from __future__ import annotations

import pytest

from engine.errors import SpecError
from engine.templating import ABSENT, compile_string, compile_structure, render_structure


def render(structure, **context):
    problems: list = []
    compiled = compile_structure(structure, "", problems)
    assert problems == []
    return render_structure(compiled, context)


def test_a_whole_expression_keeps_its_type():
    out = render(
        {"s": "{{ input.s }}", "n": "{{ input.n }}", "l": "{{ input.l }}", "b": "{{ input.b }}"},
        input={"s": "0123", "n": 478, "l": [1, "2"], "b": False},
    )
    assert out == {"s": "0123", "n": 478, "l": [1, "2"], "b": False}


def test_a_string_that_looks_like_a_number_stays_a_string():
    assert render("{{ input.id }}", input={"id": "478"}) == "478"


def test_an_absent_optional_drops_its_key():
    assert render(
        {"contact": {"email": "{{ input.email }}", "phone": "{{ input.phone }}"}}, input={"email": "a@example.com"}
    ) == {"contact": {"email": "a@example.com"}}


def test_a_missing_variable_inside_a_larger_string_is_an_error():
    with pytest.raises(SpecError, match="missing"):
        render("id-{{ input.missing }}", input={})


def test_user_values_are_data_never_templates():
    nasty = "{{ 7*7 }} {% for x in y %} ''.__class__"
    assert render({"a": "{{ input.a }}", "b": "x {{ input.a }}"}, input={"a": nasty}) == {"a": nasty, "b": f"x {nasty}"}


def test_path_values_are_one_encoded_segment():
    template = compile_string("/contacts/{{ input.id }}/notes", finalize_segment=True)
    assert template.render({"input": {"id": "12/../users"}}) == "/contacts/12%2F..%2Fusers/notes"


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_path_segments_that_would_move_in_the_path_are_refused(bad):
    template = compile_string("/contacts/{{ input.id }}", finalize_segment=True)
    with pytest.raises(SpecError):
        template.render({"input": {"id": bad}})


def test_each_maps_a_list_and_drops_when_absent():
    structure = {"items": {"$each": "{{ input.values }}", "as": "v", "item": {"field": "{{ v.f }}", "value": "{{ v.x }}"}}}
    assert render(structure, input={"values": [{"f": "1", "x": "A"}, {"f": "2"}]}) == {
        "items": [{"field": "1", "value": "A"}, {"field": "2"}]
    }
    assert render(structure, input={}) == {}


def test_the_sandbox_blocks_unsafe_attribute_access():
    with pytest.raises(SpecError):
        render("{{ input.s.__class__.__mro__ }}", input={"s": "x"})


def test_range_is_not_available():
    with pytest.raises(SpecError):
        render("{% for i in range(10) %}x{% endfor %}", input={})


def test_huge_renders_are_refused():
    with pytest.raises(SpecError, match="more than"):
        render("{% for i in input.l %}{{ input.s }}{% endfor %}", input={"l": list(range(2000)), "s": "x" * 1000})


def test_absent_marker_is_a_singleton():
    assert render("{{ input.nothing }}", input={}) is ABSENT


def test_computed_keys_render_as_text_and_drop_with_an_absent_input() -> None:
    problems: list[dict[str, str]] = []
    query = compile_structure({"orders[{{ input.order_by }}]": "{{ input.direction }}", "{{ input.n }}": 1}, "/q", problems)
    assert problems == []
    assert render_structure(query, {"input": {"order_by": "email", "direction": "DESC", "n": 2}}) == {
        "orders[email]": "DESC",
        "2": 1,
    }  # a key is text, whatever type the input has
    assert render_structure(query, {"input": {"direction": "DESC"}}) == {}  # absent inputs drop their entries
    assert render_structure(query, {"input": {"order_by": "{{ 7 * 7 }}", "direction": "ASC"}}) == {
        "orders[{{ 7 * 7 }}]": "ASC"
    }  # input is data, never a template
