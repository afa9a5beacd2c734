"""R7: templates come only from the specs; what a user types is data, sent verbatim, never rendered."""

from __future__ import annotations

import json
import time

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import meta
from reliability.support import spec

from engine import errors
from engine.jinja_sandbox import ENV
from engine.templating import Each, Template, compile_string, iter_templates

OPS = spec().operations
MARKERS = [
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "}}",
    "{{",
    "{%",
    "''.__class__.__mro__",
    "{{ ''.__class__ }}",
    "x|attr('__class__')",
    "{{ config }}",
    "${7*7}",
    "#{7*7}",
    "{# c #}",
]


def request_templates(op):
    r = op.request
    if r is None:  # a composite operation: its steps' templates are checked below
        return []
    return list(iter_templates([r.method, r.path, r.raw_path, r.query, r.headers, r.body]))


def test_every_request_template_is_compiled_in_the_sandbox_and_reads_only_declared_inputs():
    assert isinstance(ENV, jinja2.sandbox.ImmutableSandboxedEnvironment)
    assert ENV.autoescape is False and ENV.undefined is jinja2.StrictUndefined and "range" not in ENV.globals
    for name, op in OPS.items():
        inputs = set(op.input_schema.get("properties", {}))
        if op.request is None:
            continue
        loop_names = _each_names([op.request.query, op.request.headers, op.request.body])
        for template in request_templates(op):
            assert isinstance(template, Template), name
            undeclared = meta.find_undeclared_variables(ENV.parse(template.source))
            assert undeclared <= {"input", "page"} | loop_names, (name, template.source)
            assert {u.root for u in template.uses} <= {"input", "page"}, (name, template.source)
            used = {u.attr for u in template.uses if u.root == "input" and u.attr}
            assert used <= inputs, (name, template.source, used - inputs)


def test_every_step_template_is_compiled_in_the_sandbox_and_reads_only_what_its_step_sees():
    """Composite operations: a step reads the input, earlier steps, its for_each element and index, and
    (until) its own output; never anything else."""
    composites = {name: op for name, op in OPS.items() if op.steps}
    assert composites
    for name, op in composites.items():
        inputs = set(op.input_schema.get("properties", {}))
        for i, step in enumerate(op.steps):
            earlier = {s.name for s in op.steps[:i]}
            allowed = {"input", "steps", step.as_name, "index", "output"}
            loop_names = _each_names([step.input, step.value])
            for template in iter_templates([step.input, step.value, step.when, step.for_each, step.until]):
                assert isinstance(template, Template), (name, step.name)
                undeclared = meta.find_undeclared_variables(ENV.parse(template.source))
                assert undeclared <= allowed | loop_names, (name, step.name, template.source)
                used = {u.attr for u in template.uses if u.root == "input" and u.attr}
                assert used <= inputs, (name, step.name, used - inputs)
                read = {u.attr for u in template.uses if u.root == "steps" and u.attr}
                assert read <= earlier, (name, step.name, read - earlier)


def _each_names(value) -> set[str]:
    """Loop variables of ``$each`` blocks: the only names besides input and page a request template may read."""
    if isinstance(value, Each):
        return {value.name} | _each_names(value.item)
    if isinstance(value, dict):
        return {n for v in value.values() for n in _each_names(v)}
    if isinstance(value, list):
        return {n for v in value for n in _each_names(v)}
    return set()


def _string_fields(op) -> list[str]:
    """Free-text string inputs that the request sends (client-side filters are not sent)."""
    props = op.input_schema.get("properties", {})
    sent = {u.attr for t in request_templates(op) for u in t.uses if u.root == "input" and u.attr}
    return sorted(
        name
        for name, p in props.items()
        if p.get("type") == "string"
        and not {"format", "pattern", "enum", "const", "oneOf"} & set(p)
        and "lookup" not in p
        and name in sent
    )


def _leaves(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def _sent_values(request) -> list:
    values = [v for _, v in request.url.params.multi_items()]
    if request.content:
        values += _leaves(json.loads(request.content))
    return values


def test_template_syntax_in_every_free_text_field_is_sent_verbatim(sec_connector, cauth):
    """Every operation, every free-text string field, every marker: rendered request holds it as typed."""
    from reliability.support import candidate_inputs

    checked = 0
    for name, op in sorted(OPS.items()):
        fields = _string_fields(op)
        if not fields:
            continue
        base = next(candidate_inputs(sec_connector, cauth, name))
        for field in fields:
            for marker in MARKERS:
                value = f"a{marker}b"[: op.input_schema["properties"][field].get("maxLength", 1000)]
                data = {**base, field: value}
                try:
                    request = sec_connector.render_request(name, data, cauth)
                except errors.ValidationError:
                    continue  # another rule of that field (e.g. a dependency): not about templates
                assert value in _sent_values(request) or value in str(request.url), (name, field, marker)
                checked += 1
    assert checked > 100


TEMPLATEY = st.builds(lambda a, m, b: a + m + b, st.text(max_size=8), st.sampled_from(MARKERS), st.text(max_size=8))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=TEMPLATEY, last=TEMPLATEY, body_text=TEMPLATEY)
def test_what_the_sandbox_receives_equals_the_input(sec_connector, canary_account, canary, first, last, body_text):
    sb, server = canary_account
    sb.reset()
    auth = sec_connector.authentication({"api_url": server.url, "api_key": canary})
    sec_connector.run("create_contact", {"email": "tpl@example.com", "first_name": first, "last_name": last}, auth)
    sent = sb.log.matching("POST", "/api/3/contacts")[-1].body["contact"]
    assert (sent["firstName"], sent["lastName"]) == (first, last)
    stored = sb.store["contacts"].where("email", "tpl@example.com")[0]
    assert (stored["firstName"], stored["lastName"]) == (first, last)
    sec_connector.run(
        "raw_http_request", {"method": "POST", "path": "/tags", "body": {"tag": {"tag": body_text, "tagType": "contact"}}}, auth
    )
    assert sb.log.matching("POST", "/api/3/tags")[-1].body == {"tag": {"tag": body_text, "tagType": "contact"}}


def test_path_traversal_ids_are_refused_for_every_id_in_a_path(sec_connector, cauth, world):
    sb = world[0]
    checked = 0
    for name, op in sorted(OPS.items()):
        if op.request is None or not isinstance(op.request.path, Template):
            continue
        used = {u.attr for u in op.request.path.uses if u.root == "input" and u.attr}
        base = next(iter([e["input"] for e in op.examples]), None)
        if base is None:
            continue
        for field in sorted(used):
            for evil in ("1/../../users/me", "..", ".", "1%2f..%2fusers", "1?x=1", "1#x", ""):
                with pytest.raises(errors.ValidationError) as info:
                    sec_connector.run(name, {**base, field: evil}, cauth)
                assert info.value.errors[0]["pointer"] == f"/{field}", (name, field, evil)
                checked += 1
    assert checked >= 50
    assert len(sb.log) == 0


def test_rendering_is_bounded():
    """A spec template that loops a million times or builds a huge string stops with a SpecError."""
    loop = compile_string("{% for i in input.items %}{{ i }}-{% endfor %}")
    started = time.monotonic()
    with pytest.raises(errors.SpecError):
        loop.render({"input": {"items": list(range(10**6))}})
    assert time.monotonic() - started < 5
    with pytest.raises(errors.SpecError):
        compile_string("{{ input.s * 100000 }}x").render({"input": {"s": "0123456789" * 10}})
    with pytest.raises(errors.SpecError):
        compile_string("{{ range(10) | list }}x").render({"input": {}})


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}x",
        "{{ input.__class__ }}x",
        "{{ input.items.append(1) }}x",
        "{{ cycler.__init__.__globals__ }}x",
    ],
)
def test_the_sandbox_refuses_unsafe_template_code(source):
    with pytest.raises(errors.SpecError):
        compile_string(source).render({"input": {"items": []}})
