"""Sandboxed, typed templating of the strings written in specs.

Rules (see the design notes): only spec strings are templates; input values are
context data and never rendered. A string that is exactly ``"{{ expr }}"`` keeps
the expression's type; an absent optional value drops its key; any other missing
variable is an error. Everything is compiled once, at load.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import SpecError

MAX_RENDERED_CHARS = 1_000_000
_WHOLE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\}\}|\{\{).)*)\}\}$", re.S)
EACH_KEY = "$each"


class Absent:
    """Marks a value whose source was not given: its key is dropped."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def path_segment(value: Any) -> str:
    """Percent-encode a value as exactly one URL path segment."""
    text = str(value)
    if text in ("", ".", ".."):
        raise SpecError(f"value {text!r} cannot be a path segment")
    return urllib.parse.quote(text, safe="")


class _Environment(ImmutableSandboxedEnvironment):
    """On mappings, ``a.b`` means the key only: an input named ``items`` or ``values`` must mean
    the input (or be undefined when absent), never the dict method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _make_environment() -> ImmutableSandboxedEnvironment:
    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.pop("range", None)
    env.filters["path_segment"] = path_segment
    return env


ENV = _make_environment()


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@dataclass(frozen=True)
class VariableUse:
    """A ``root.attr`` reference found in a template, for load-time checks."""

    root: str
    attr: str | None


def _uses(ast: nodes.Node) -> set[VariableUse]:
    found: set[VariableUse] = set()
    attached: set[int] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name):
            if isinstance(node, nodes.Getattr):
                found.add(VariableUse(target.name, node.attr))
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.add(VariableUse(target.name, node.arg.value))
            else:
                found.add(VariableUse(target.name, None))
            attached.add(id(target))
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and id(name) not in attached and name.name not in assigned:
            found.add(VariableUse(name.name, None))
    return {u for u in found if u.root not in assigned}


@dataclass
class Template:
    """One compiled spec string."""

    source: str
    whole_expression: bool
    _compiled: Any = field(repr=False)
    uses: frozenset[VariableUse] = frozenset()

    def render(self, context: Mapping[str, Any]) -> Any:
        try:
            if self.whole_expression:
                value = self._compiled(**context)
                if isinstance(value, Undefined):
                    return ABSENT
                return value
            text = self._compiled.render(**context)
        except UndefinedError as exc:
            raise SpecError(f"template {self.source!r}: {exc.message}") from None
        except SecurityError as exc:
            raise SpecError(f"template {self.source!r} is not allowed: {exc}") from None
        except SpecError:
            raise
        except Exception as exc:  # a filter or an operator failed on real data
            raise SpecError(f"template {self.source!r} failed: {type(exc).__name__}: {exc}") from None
        if len(text) > MAX_RENDERED_CHARS:
            raise SpecError(f"template {self.source!r} rendered more than {MAX_RENDERED_CHARS} characters")
        return text


def compile_string(source: str, finalize_segment: bool = False) -> Template:
    """Compile one spec string; raise jinja2.TemplateSyntaxError on bad syntax."""
    match = _WHOLE_EXPRESSION.match(source.strip()) if not finalize_segment else None
    if match:
        expr = match.group("expr").strip()
        compiled = ENV.compile_expression(expr, undefined_to_none=False)
        ast = ENV.parse("{{ " + expr + " }}")
        return Template(source, True, compiled, frozenset(_uses(ast)))
    env = _PATH_ENV if finalize_segment else ENV
    ast = env.parse(source)
    return Template(source, False, env.from_string(source), frozenset(_uses(ast)))


def _finalize_segment(value: Any) -> Any:
    if isinstance(value, Undefined):
        return value
    return path_segment(value)


_PATH_ENV = _make_environment()
_PATH_ENV.finalize = _finalize_segment


@dataclass
class Each:
    """``{$each: expr, as: name, item: structure}``: map a list through a structure."""

    source: Template
    name: str
    item: Any


def compile_structure(value: Any, where: str, problems: list[dict[str, str]], *, path: bool = False) -> Any:
    """Compile every template string in a YAML structure; collect syntax problems."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        try:
            return compile_string(value, finalize_segment=path)
        except TemplateSyntaxError as exc:
            problems.append({"where": where, "message": f"template syntax: {exc.message}"})
            return value
    if isinstance(value, Mapping):
        if EACH_KEY in value:
            extra = set(value) - {EACH_KEY, "as", "item"}
            if extra or not isinstance(value.get(EACH_KEY), str):
                problems.append({"where": where, "message": "$each takes exactly: $each (template), as, item"})
                return value
            source = compile_structure(value[EACH_KEY], f"{where}/$each", problems)
            if not isinstance(source, Template):
                problems.append({"where": where, "message": "$each must be a template"})
                return value
            return Each(source, str(value.get("as", "item")), compile_structure(value.get("item"), f"{where}/item", problems))
        return {k: compile_structure(v, f"{where}/{k}", problems, path=path) for k, v in value.items()}
    if isinstance(value, list):
        return [compile_structure(v, f"{where}/{i}", problems, path=path) for i, v in enumerate(value)]
    return value


def render_structure(value: Any, context: Mapping[str, Any]) -> Any:
    """Render a compiled structure: absent leaves drop their key or list slot."""
    if isinstance(value, Template):
        return value.render(context)
    if isinstance(value, Each):
        items = value.source.render(context)
        if items is ABSENT or items is None:
            return ABSENT
        if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
            raise SpecError(f"$each {value.source.source!r} did not give a list")
        out = []
        for item in items:
            rendered = render_structure(value.item, {**context, value.name: item})
            if rendered is not ABSENT:
                out.append(rendered)
        return out
    if isinstance(value, dict):
        out_map = {}
        for key, sub in value.items():
            rendered = render_structure(sub, context)
            if rendered is not ABSENT:
                out_map[key] = rendered
        return out_map
    if isinstance(value, list):
        return [r for r in (render_structure(v, context) for v in value) if r is not ABSENT]
    return value


def iter_templates(value: Any):
    """Every compiled template in a structure, for load-time checks."""
    if isinstance(value, Template):
        yield value
    elif isinstance(value, Each):
        yield value.source
        for t in iter_templates(value.item):
            yield t if not isinstance(t, Template) else _scoped(t, value.name)
    elif isinstance(value, dict):
        for sub in value.values():
            yield from iter_templates(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from iter_templates(sub)


def _scoped(template: Template, local: str) -> Template:
    """Hide the loop variable of an $each from the undeclared-variable check."""
    return Template(template.source, template.whole_expression, template._compiled,
                    frozenset(u for u in template.uses if u.root != local))
