"""Sandboxed, typed templating of the strings written in specs.

Rules (see the design notes): only spec strings are templates; input values are
context data and never rendered. A string that is exactly ``"{{ expr }}"`` keeps
the expression's type; an absent optional value drops its key; any other missing
variable is an error. Everything is compiled once, at load.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SpecError

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

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


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@dataclass(frozen=True)
class VariableUse:
    """A ``root.attr`` reference found in a template, for load-time checks."""

    root: str
    attr: str | None


def _uses(ast: nodes.Node) -> set[VariableUse]:
    from jinja2 import nodes

    found: set[VariableUse] = set()
    attached: set[int] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
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


_MISS = object()
_NO_ROOT = object()
# Values whose equality means identical rendering (not float: 0.0 == -0.0 but they print differently).
_KEY_TYPES = frozenset({str, int, bool, type(None)})
_KEPT_RESULTS = _KEY_TYPES | {float}
_RESULTS_KEPT = 256


def _lookup(path: tuple[str, ...], context: Mapping[str, Any]) -> Any:
    """``a.b.c`` through plain dicts, as the environment's getattr would; _MISS whenever it is not that simple."""
    value = context.get(path[0], _MISS)
    for attr in path[1:]:
        if type(value) is not dict:
            return _MISS
        value = value.get(attr, _MISS)
    return value


def _lookup_value(path: tuple[str, ...], context: Mapping[str, Any]) -> Any:
    """The value of a whole ``{{ a.b.c }}``: like _lookup, and ABSENT when only the last name is missing.

    That is Jinja's answer too: the environment's getattr gives Undefined for a key a mapping lacks, and a
    whole expression that is Undefined is ABSENT. A gap earlier in the path is an error, left to Jinja.
    """
    value = context.get(path[0], _MISS)
    last = len(path) - 1
    for i in range(1, last + 1):
        if type(value) is not dict:
            return _MISS
        value = value.get(path[i], _MISS)
        if value is _MISS:
            return ABSENT if i == last else _MISS
    return value


def _dotted(node: nodes.Node) -> tuple[str, ...] | None:
    """``("a", "b", "c")`` for the expression ``a.b.c``; None for any other expression."""
    from jinja2 import nodes

    attrs: list[str] = []
    while isinstance(node, nodes.Getattr) and node.ctx == "load":
        attrs.append(node.attr)
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return (node.name, *reversed(attrs))
    return None


def _fast_plan(ast: nodes.Template) -> tuple[Any, ...] | None:
    """The parts of a template made only of text and ``{{ a.b }}`` outputs; None otherwise."""
    from jinja2 import nodes

    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts: list[Any] = []
    for node in ast.body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            parts.append(node.data)
        elif (path := _dotted(node)) is not None:
            parts.append(path)
        else:
            return None
    return tuple(parts)


@dataclass
class Template:
    """One compiled spec string.

    Rendering takes a direct route where the result is certain to be the same as Jinja's: an
    expression or output that is only ``a.b.c`` over plain dicts is looked up without Jinja, and
    otherwise Jinja's compiled code runs in a context built from a plain dict (the environment's
    globals are fixed when it is made). Anything unusual (a missing key, another type) goes through
    Jinja itself, so its values and errors are Jinja's.
    """

    source: str
    whole_expression: bool
    _compiled: Any = field(repr=False)  # Jinja's TemplateExpression or Template; None until first needed
    uses: frozenset[VariableUse] = frozenset()
    _plan: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)
    _segment: bool = field(default=False, repr=False, compare=False)
    _globals: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _pure: bool = field(default=False, repr=False, compare=False)  # no calls, no random: a function of its inputs
    _results: dict[tuple[Any, ...], Any] | None = field(default=None, repr=False, compare=False)

    def _key(self, context: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What the result depends on: each ``root.attr`` read, as (type, value) or absent; None if not that simple."""
        parts: list[Any] = []
        for use in self.uses:
            obj = context.get(use.root, _NO_ROOT)
            if obj is _NO_ROOT:
                parts.append(_NO_ROOT)
                continue
            if type(obj) is not dict:
                return None
            value = obj.get(use.attr, _MISS)
            if value is _MISS:
                parts.append(_MISS)
            elif type(value) in _KEY_TYPES:
                parts.append((type(value), value))
            else:
                return None
        return tuple(parts)

    @property
    def compiled(self) -> Any:
        """Jinja's compiled form, generated on first use when the load-time parse showed it cannot fail."""
        if self._compiled is None:
            self._compiled = _jinja_compile(self.source, self.whole_expression, self._segment)
        return self._compiled

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without Jinja's compiled code (regenerated from the source on first use) or kept results."""
        state = dict(self.__dict__)
        state["_compiled"] = None
        state["_globals"] = None
        if state["_results"] is not None:
            state["_results"] = {}
        return state

    def _shortcut(self, context: Mapping[str, Any]) -> Any:
        """The rendered value by direct lookup, or _MISS when Jinja must decide."""
        plan = self._plan
        if plan is None:
            return _MISS
        if self.whole_expression:
            return _lookup_value(plan[0], context)
        out = []
        for part in plan:
            if type(part) is str:
                out.append(part)
                continue
            value = _lookup(part, context)
            if value is _MISS:
                return _MISS
            try:
                out.append(path_segment(value) if self._segment else str(value))
            except Exception:  # let Jinja raise its own error
                return _MISS
        return "".join(out)

    def _jinja(self, context: Mapping[str, Any], direct: bool) -> Any:
        """What ``compile_expression(...)(**context)`` or ``Template.render(**context)`` gives.

        ``direct`` runs the same compiled code in a context made from one plain dict, skipping
        the per-call merge of the environment's globals (a ChainMap walk).
        """
        compiled = self.compiled
        if not direct:
            return compiled(**context) if self.whole_expression else compiled.render(**context)
        template = compiled._template if self.whole_expression else compiled
        if self._globals is None:
            self._globals = dict(template.globals)
        env = template.environment
        ctx = env.context_class(env, {**self._globals, **context}, template.name, template.blocks)
        if self.whole_expression:
            for _ in template.root_render_func(ctx):
                pass
            return ctx.vars["result"]
        return env.concat(template.root_render_func(ctx))

    def render(self, context: Mapping[str, Any]) -> Any:
        return self._render(context, fast=True)

    def render_or_absent(self, context: Mapping[str, Any]) -> Any:
        """``render``, or ABSENT when a variable it reads is missing (for text that exists only with its inputs)."""
        from jinja2.exceptions import UndefinedError

        value = self._shortcut(context)
        if value is not _MISS:
            return value
        try:
            return self._jinja(context, direct=True)
        except UndefinedError:
            return ABSENT

    def _render(self, context: Mapping[str, Any], fast: bool) -> Any:
        if fast:
            value = self._shortcut(context)
            if value is not _MISS and (self.whole_expression or len(value) <= MAX_RENDERED_CHARS):
                return value
            results = self._results
            if results is not None and (key := self._key(context)) is not None:
                value = results.get(key, _MISS)
                if value is _MISS:
                    value = self._render_jinja(context, direct=True)
                    if type(value) in _KEPT_RESULTS or value is ABSENT:  # never hand out a shared list or dict
                        if len(results) >= _RESULTS_KEPT:
                            results.clear()
                        results[key] = value
                return value
        return self._render_jinja(context, direct=fast)

    def _render_jinja(self, context: Mapping[str, Any], direct: bool) -> Any:
        from jinja2 import Undefined
        from jinja2.exceptions import SecurityError, UndefinedError

        try:
            if self.whole_expression:
                value = self._jinja(context, direct)
                if isinstance(value, Undefined):
                    return ABSENT
                return value
            text = self._jinja(context, direct)
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


_COMPILED: dict[tuple[str, bool], Template] = {}


def compile_string(source: str, finalize_segment: bool = False) -> Template:
    """Compile one spec string; raise jinja2.TemplateSyntaxError on bad syntax.

    Templates are immutable, so a string that appears in many specs is compiled once per process.
    """
    key = (source, finalize_segment)
    cached = _COMPILED.get(key)
    if cached is None:
        cached = _COMPILED[key] = _compile_string(source, finalize_segment)
    return cached


def _codegen_cannot_fail(ast: nodes.Template, env: ImmutableSandboxedEnvironment) -> bool:
    """Whether Jinja's code generation is certain to accept this parsed template.

    Once parsed, a template made only of output expressions can be refused by code generation for
    one reason alone: a filter or test the environment does not have. Statements ({% ... %}) bring
    other checks, so templates with them are compiled at load as before.
    """
    from jinja2 import nodes

    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return False
    return all(f.name in env.filters for f in ast.find_all(nodes.Filter)) and all(
        t.name in env.tests for t in ast.find_all(nodes.Test)
    )


def _compile_string(source: str, finalize_segment: bool) -> Template:
    """Parse at once (syntax errors are load errors); generate Jinja's code when first needed if it cannot fail."""
    match = _WHOLE_EXPRESSION.match(source.strip()) if not finalize_segment else None
    from jinja2 import TemplateSyntaxError, nodes

    from .jinja_sandbox import ENV, PATH_ENV

    if match:
        expr = match.group("expr").strip()
        try:
            ast = ENV.parse("{{ " + expr + " }}")
        except TemplateSyntaxError:
            ENV.compile_expression(expr, undefined_to_none=False)  # its own error first, as always
            raise
        plan = _fast_plan(ast)
        if plan is not None and (len(plan) != 1 or not isinstance(plan[0], tuple)):
            plan = None

        # A top-level tuple ("a, b") parses in a template but not as an expression: compile now to fail now.
        output = ast.body[0]
        lazy = (
            _codegen_cannot_fail(ast, ENV)
            and isinstance(output, nodes.Output)
            and len(output.nodes) == 1
            and not isinstance(output.nodes[0], nodes.Tuple)
        )
        uses = frozenset(_uses(ast))
        return Template(
            source,
            True,
            None if lazy else _jinja_compile(source, True, False),
            uses,
            _plan=plan,
            _pure=_is_pure(ast),
            _results={} if plan is None and _keyable(ast, uses) else None,
        )
    env = PATH_ENV if finalize_segment else ENV
    ast = env.parse(source)
    lazy = _codegen_cannot_fail(ast, env)
    uses = frozenset(_uses(ast))
    plan = _fast_plan(ast)
    return Template(
        source,
        False,
        None if lazy else _jinja_compile(source, False, finalize_segment),
        uses,
        _plan=plan,
        _segment=finalize_segment,
        _pure=_is_pure(ast),
        _results={} if plan is None and _keyable(ast, uses) else None,
    )


def _jinja_compile(source: str, whole_expression: bool, segment: bool) -> Any:
    """Jinja's compiled expression or template for a spec string (``source`` as written in the spec)."""
    from .jinja_sandbox import ENV, PATH_ENV

    if whole_expression:
        match = _WHOLE_EXPRESSION.match(source.strip())
        assert match is not None
        return ENV.compile_expression(match.group("expr").strip(), undefined_to_none=False)
    return (PATH_ENV if segment else ENV).from_string(source)


def _keyable(ast: nodes.Template, uses: frozenset[VariableUse]) -> bool:
    """Whether a template's result is fixed by the values of the ``root.attr`` it reads (so it can be kept).

    Pure, and every variable read as ``root.attr`` with a constant name: then equal values (same type,
    same value, same absent names) give the same result. Kept results are reused across calls.
    """
    return _is_pure(ast) and bool(uses) and all(u.attr is not None for u in uses)


def _is_pure(ast: nodes.Template) -> bool:
    """No calls (globals such as lipsum or cycler, methods) and no ``random`` filter: same context, same result.

    The sandbox forbids changing data, so rendering such a template twice over the same values gives
    the same value twice.
    """
    from jinja2 import nodes

    return ast.find(nodes.Call) is None and not any(f.name == "random" for f in ast.find_all(nodes.Filter))


@dataclass
class RenderMemo:
    """Results of pure templates that only read ``constant`` roots, kept while those roots do not change.

    Paging renders the same request for every page; everything in it that depends on the input alone
    (most query parameters) is rendered on the first page and reused after.
    """

    constant: frozenset[str]
    values: dict[int, Any] = field(default_factory=dict)

    def applies_to(self, template: Template) -> bool:
        return template._pure and all(u.root in self.constant for u in template.uses)


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
        from jinja2 import TemplateSyntaxError

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
        return {
            _compile_key(k, where, problems): compile_structure(v, f"{where}/{k}", problems, path=path)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [compile_structure(v, f"{where}/{i}", problems, path=path) for i, v in enumerate(value)]
    return value


@dataclass(frozen=True)
class ComputedKey:
    """A mapping key written as a template (``orders[{{ input.order_by }}]``), rendered with its value.

    The rendered key is text, whatever the input holds; an absent variable in it drops the entry,
    as an absent value does.
    """

    source: str
    template: Template = field(compare=False, hash=False)

    def render(self, context: Mapping[str, Any]) -> Any:
        return self.template.render_or_absent(context)


def _compile_key(key: Any, where: str, problems: list[dict[str, str]]) -> Any:
    if not isinstance(key, str) or not is_template(key):
        return key
    compiled = compile_structure(key, f"{where}/{key}", problems)
    if not isinstance(compiled, Template):
        return key
    if compiled.whole_expression:  # "{{ x }}" alone would keep its type: a key is always text
        compiled = dataclasses.replace(compiled, whole_expression=False, _compiled=None, _plan=None, _results=None)
    return ComputedKey(key, compiled)


def render_structure(value: Any, context: Mapping[str, Any], memo: RenderMemo | None = None) -> Any:
    """Render a compiled structure: absent leaves drop their key or list slot."""
    if isinstance(value, Template):
        if memo is not None and memo.applies_to(value):
            key = id(value)
            if key not in memo.values:
                memo.values[key] = value.render(context)
            return memo.values[key]
        return value.render(context)
    if isinstance(value, Each):
        items = render_structure(value.source, context, memo)
        if items is ABSENT or items is None:
            return ABSENT
        if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
            raise SpecError(f"$each {value.source.source!r} did not give a list")
        out = []
        inner = memo if memo is None or value.name not in memo.constant else None  # the loop name hides a root
        for item in items:
            rendered = render_structure(value.item, {**context, value.name: item}, inner)
            if rendered is not ABSENT:
                out.append(rendered)
        return out
    if isinstance(value, dict):
        out_map = {}
        for key, sub in value.items():
            rendered = render_structure(sub, context, memo)
            if rendered is ABSENT:
                continue
            if isinstance(key, ComputedKey):
                key = key.render(context)
                if key is ABSENT:
                    continue
            out_map[key] = rendered
        return out_map
    if isinstance(value, list):
        return [r for r in (render_structure(v, context, memo) for v in value) if r is not ABSENT]
    return value


def item_reader(value: Any, name: str) -> Callable[[Any], Any]:
    """``lambda x: render_structure(value, {name: x})``, direct for the usual ``{{ item.id }}`` on a dict."""
    if isinstance(value, Template) and value.whole_expression and value._plan is not None:
        path = value._plan[0]
        if len(path) == 2 and path[0] == name:
            attr = path[1]

            def read(item: Any) -> Any:
                if type(item) is dict:
                    found = item.get(attr, _MISS)
                    if found is not _MISS:
                        return found
                return value.render({name: item})

            return read
    return lambda item: render_structure(value, {name: item})


def iter_templates(value: Any) -> Iterator[Template]:
    """Every compiled template in a structure, for load-time checks."""
    if isinstance(value, Template):
        yield value
    elif isinstance(value, Each):
        yield value.source
        for t in iter_templates(value.item):
            yield t if not isinstance(t, Template) else _scoped(t, value.name)
    elif isinstance(value, dict):
        for key, sub in value.items():
            if isinstance(key, ComputedKey):
                yield key.template
            yield from iter_templates(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from iter_templates(sub)


def _scoped(template: Template, local: str) -> Template:
    """Hide the loop variable of an $each from the undeclared-variable check."""
    return dataclasses.replace(template, uses=frozenset(u for u in template.uses if u.root != local))
