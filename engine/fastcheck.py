"""A compiled yes/no check for JSON Schemas, so that valid data skips jsonschema's interpreter.

``compile_check(schema)`` turns a self-contained Draft 2020-12 schema (the loader inlines every
file ``$ref``) into one generated Python function that answers True only when the instance is
certainly valid. It is deliberately one-sided: whenever it is unsure (a type it does not know,
a keyword it does not implement, a check that raised) it answers False, and the caller then asks
jsonschema, which stays the single source of truth for what is an error and how it is worded.
So a True here means "jsonschema would report nothing", and nothing else changes.

Keywords compiled to code: type, enum, const, properties, required, additionalProperties,
patternProperties, items (without prefixItems), minItems, maxItems, minLength, maxLength,
pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum, format, allOf, anyOf, oneOf,
not, if/then/else, minProperties, maxProperties, dependentRequired; keywords jsonschema ignores
(annotations, extras such as ``lookup``) are ignored here too.
A subschema using any other keyword is checked by jsonschema itself (still only as yes/no);
a schema using references or identifiers ($ref, $id, $anchor, ...) is not compiled at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from jsonschema import Draft202012Validator

_NOT_COMPILED = {"$ref", "$dynamicRef", "$id", "$anchor", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor",
                 "$vocabulary", "$schema"}
# The keywords jsonschema acts on; any other key (annotations, $defs, extras like ``lookup``) it ignores, and so do we.
_VALIDATING = frozenset(Draft202012Validator.VALIDATORS)
_COMPILED = {"type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
             "items", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum",
             "exclusiveMinimum", "exclusiveMaximum", "format", "allOf", "anyOf", "oneOf", "not", "if", "then",
             "else", "minProperties", "maxProperties", "dependentRequired"}
# Only these exact types are ever judged; anything else (subclasses included) answers False.
_JSON_TYPES = frozenset({dict, list, str, int, float, bool, type(None)})
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
    "boolean": (bool,), "null": (type(None),),
}
_NUMBER = (int, float)


class Unsupported(Exception):
    """The schema uses something this compiler does not model; use jsonschema alone."""


def json_equal(a: Any, b: Any) -> bool:
    """jsonschema's equality, on exact JSON types: True never equals 1, 1 equals 1.0."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is str or tb is str:
        return a == b
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta is list and tb is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict and tb is dict:
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if ta in (list, dict) or tb in (list, dict):
        return False
    if ta not in _JSON_TYPES or tb not in _JSON_TYPES:
        return False  # unsure: let jsonschema decide
    return a == b


class _Gen:
    """Writes the generated module: one function per non-trivial subschema."""

    def __init__(self, format_checker: Any) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.count = 0
        self.format_checker = format_checker

    def const(self, value: Any) -> str:
        """A name bound to ``value`` in the generated closure (a fast local lookup, never a repr)."""
        self.consts.append(value)
        return f"_k{len(self.consts) - 1}"

    # An expression that is True when ``var`` satisfies ``schema``; inlined when the schema is a bare type.
    def expr(self, schema: Any, var: str) -> str:
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict):
            raise Unsupported("a subschema is not an object")
        keys = _relevant(schema)
        if keys == {"type"}:
            return self.type_expr(schema["type"], f"type({var})")
        if not keys:
            return "True"
        inline = self.inline(schema, var)
        if inline is not None:
            return inline
        return f"{self.function(schema)}({var})"

    def inline(self, schema: dict[str, Any], var: str) -> str | None:
        """One expression for a typed schema with only string or bare-typed array keywords (no call needed)."""
        keys = _relevant(schema)
        if "type" not in keys or keys - {"type", "pattern", "minLength", "maxLength", "items", "minItems", "maxItems"}:
            return None
        items = schema.get("items")
        item_types = None if items is None else self.bare_types(items)
        if items is not None and item_types is None:
            return None
        types = _type_set(schema["type"])
        conds = [f"(_t := type({var})) in {self.const(types)}"]
        text = []
        if "minLength" in schema:
            text.append(f"len({var}) >= {self.const(schema['minLength'])}")
        if "maxLength" in schema:
            text.append(f"len({var}) <= {self.const(schema['maxLength'])}")
        if "pattern" in schema:
            text.append(f"{self.const(re.compile(schema['pattern']).search)}({var})")
        if text:
            joined = " and ".join(text)
            conds.append(f"({joined})" if types == {str} else f"(_t is not str or ({joined}))")
        arr = []
        if "minItems" in schema:
            arr.append(f"len({var}) >= {self.const(schema['minItems'])}")
        if "maxItems" in schema:
            arr.append(f"len({var}) <= {self.const(schema['maxItems'])}")
        if item_types is not None:
            arr.append(f"{self.const(item_types)}.issuperset(map(type, {var}))")
        if arr:
            joined = " and ".join(arr)
            conds.append(f"({joined})" if types == {list} else f"(_t is not list or ({joined}))")
        return "(" + " and ".join(conds) + ")"

    def type_expr(self, names: Any, t: str) -> str:
        return f"{t} in {self.const(_type_set(names))}"

    @staticmethod
    def bare_types(schema: Any) -> frozenset[type] | None:
        """The exact types a schema of only ``type`` (and annotations) allows; None for any other schema."""
        if isinstance(schema, dict) and _relevant(schema) == {"type"}:
            return _type_set(schema["type"])
        return None

    def function(self, schema: dict[str, Any]) -> str:
        name = f"_f{self.count}"
        self.count += 1
        body: list[str] = []
        if _relevant(schema) - _COMPILED:
            slow = Draft202012Validator(schema, format_checker=self.format_checker)
            body.append(f"return {self.const(slow.is_valid)}(x)")
        else:
            body.append("t = type(x)")
            if "type" in schema:  # its set holds JSON types only, so it is the gate as well
                body.append(f"if t not in {self.const(_type_set(schema['type']))}: return False")
                body.extend(self.checks({k: v for k, v in schema.items() if k != "type"}))
            else:
                body.append("if t not in _JSON: return False")
                body.extend(self.checks(schema))
            body.append("return True")
        self.lines.append(f"def {name}(x):")
        self.lines.extend("    " + line for line in body)
        return name

    def checks(self, s: dict[str, Any]) -> list[str]:
        out: list[str] = []
        if "type" in s:
            out.append(f"if not ({self.type_expr(s['type'], 't')}): return False")
        if "enum" in s:
            if not isinstance(s["enum"], list):
                raise Unsupported("enum is not a list")
            out.append(f"if not any(_eq(x, e) for e in {self.const(list(s['enum']))}): return False")
        if "const" in s:
            out.append(f"if not _eq(x, {self.const(s['const'])}): return False")
        obj = self.object_checks(s)
        if obj:
            out.append("if t is dict:")
            out.extend("    " + line for line in obj)
        arr = self.array_checks(s)
        if arr:
            out.append("if t is list:")
            out.extend("    " + line for line in arr)
        text = self.string_checks(s)
        if text:
            out.append("if t is str:")
            out.extend("    " + line for line in text)
        num = self.number_checks(s)
        if num:
            out.append("if t is int or t is float:")
            out.extend("    " + line for line in num)
        if "format" in s and self.format_checker is not None:
            out.append(f"if not _conforms(x, {self.const(s['format'])}): return False")
        for sub in _list(s, "allOf"):
            out.append(f"if not ({self.expr(sub, 'x')}): return False")
        if "anyOf" in s:
            parts = " or ".join(f"({self.expr(sub, 'x')})" for sub in _list(s, "anyOf"))
            out.append(f"if not ({parts}): return False")
        if "oneOf" in s:
            parts = ", ".join(f"({self.expr(sub, 'x')})" for sub in _list(s, "oneOf"))
            out.append(f"if [{parts}].count(True) != 1: return False")
        if "not" in s:
            out.append(f"if {self.expr(s['not'], 'x')}: return False")
        if "if" in s:
            cond = self.expr(s["if"], "x")
            then = self.expr(s.get("then", True), "x")
            other = self.expr(s.get("else", True), "x")
            out.append(f"if not (({then}) if ({cond}) else ({other})): return False")
        return out

    def object_checks(self, s: dict[str, Any]) -> list[str]:
        out: list[str] = []
        required = s.get("required")
        if required:
            if not isinstance(required, list):
                raise Unsupported("required is not a list")
            out.append(f"if not {self.const(frozenset(required))} <= x.keys(): return False")
        if "minProperties" in s:
            out.append(f"if len(x) < {self.const(s['minProperties'])}: return False")
        if "maxProperties" in s:
            out.append(f"if len(x) > {self.const(s['maxProperties'])}: return False")
        for prop, deps in _dict(s, "dependentRequired").items():
            out.append(f"if {self.const(prop)} in x and not {self.const(frozenset(deps))} <= x.keys(): return False")
        props = _dict(s, "properties")
        # Bare-type properties that allow null are checked in one C-level pass: an absent key reads as None.
        groups: dict[frozenset[type], list[str]] = {}
        for prop, sub in props.items():
            types = self.bare_types(sub)
            if types is not None and type(None) in types:
                groups.setdefault(types, []).append(prop)
        for types, names in groups.items():
            if len(names) == 1:
                continue
            # itemgetter fetches every value in C; an absent key (rare) takes the slower x.get route.
            out += ["try:", f"    _g = {self.const(itemgetter(*names))}(x)", "except KeyError:",
                    f"    _g = map(x.get, {self.const(tuple(names))})",
                    f"if not {self.const(types)}.issuperset(map(type, _g)): return False"]
        groups = {types: names for types, names in groups.items() if len(names) > 1}
        grouped = {name for names in groups.values() for name in names}
        for prop, sub in props.items():
            if prop in grouped:
                continue
            check = self.expr(sub, "v")
            if check == "True":
                continue
            out.append(f"v = x.get({self.const(prop)}, _M)")
            out.append(f"if v is not _M and not ({check}): return False")
        patterns = {p: re.compile(p) for p in _dict(s, "patternProperties")}
        for pattern, sub in _dict(s, "patternProperties").items():
            check = self.expr(sub, "v")
            if check != "True":
                out.append("for k, v in x.items():")
                out.append(f"    if {self.const(patterns[pattern].search)}(k) and not ({check}): return False")
        if "additionalProperties" in s:
            extra = s["additionalProperties"]
            check = self.expr(extra, "v")
            if check != "True":
                known = self.const(frozenset(props))
                searches = self.const([p.search for p in patterns.values()])
                if check == "False" and not patterns:
                    out.append(f"if not x.keys() <= {known}: return False")
                else:
                    out.append("for k, v in x.items():")
                    out.append(f"    if k in {known} or any(f(k) for f in {searches}): continue")
                    out.append(f"    if not ({check}): return False")
        return out

    def array_checks(self, s: dict[str, Any]) -> list[str]:
        out: list[str] = []
        if "minItems" in s:
            out.append(f"if len(x) < {self.const(s['minItems'])}: return False")
        if "maxItems" in s:
            out.append(f"if len(x) > {self.const(s['maxItems'])}: return False")
        if "items" in s:
            items = s["items"]
            if items is False:
                out.append("if x: return False")
            elif isinstance(items, dict) and _relevant(items) - {"type"}:
                out.append(f"if not all(map({self.function(items)}, x)): return False")
            elif (item_types := self.bare_types(items)) is not None:
                out.append(f"if not {self.const(item_types)}.issuperset(map(type, x)): return False")
            else:
                check = self.expr(items, "v")
                if check != "True":
                    out.append("for v in x:")
                    out.append(f"    if not ({check}): return False")
        return out

    def string_checks(self, s: dict[str, Any]) -> list[str]:
        out: list[str] = []
        if "minLength" in s:
            out.append(f"if len(x) < {self.const(s['minLength'])}: return False")
        if "maxLength" in s:
            out.append(f"if len(x) > {self.const(s['maxLength'])}: return False")
        if "pattern" in s:
            out.append(f"if not {self.const(re.compile(s['pattern']).search)}(x): return False")
        return out

    def number_checks(self, s: dict[str, Any]) -> list[str]:
        out: list[str] = []
        for key, op in (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<="), ("exclusiveMaximum", ">=")):
            if key in s:
                if type(s[key]) not in _NUMBER:
                    raise Unsupported(f"{key} is not a number")
                out.append(f"if x {op} {self.const(s[key])}: return False")
        return out


def _relevant(schema: dict[str, Any]) -> set[str]:
    return {k for k in schema if k in _VALIDATING}


def _type_set(names: Any) -> frozenset[type]:
    wanted: set[type] = set()
    for name in names if isinstance(names, list) else [names]:
        if not isinstance(name, str) or name not in _TYPES:
            raise Unsupported(f"unknown type {name!r}")
        wanted.update(_TYPES[name])
    return frozenset(wanted)


def _list(schema: dict[str, Any], key: str) -> list[Any]:
    value = schema.get(key, [])
    if not isinstance(value, list):
        raise Unsupported(f"{key} is not a list")
    return value


def _dict(schema: dict[str, Any], key: str) -> dict[str, Any]:
    value = schema.get(key, {})
    if not isinstance(value, dict):
        raise Unsupported(f"{key} is not an object")
    return value


def _uses_references(schema: Any) -> bool:
    if isinstance(schema, dict):
        return any(k in _NOT_COMPILED for k in schema) or any(_uses_references(v) for k, v in schema.items()
                                                              if k not in ("const", "enum", "default", "examples"))
    if isinstance(schema, list):
        return any(_uses_references(v) for v in schema)
    return False


_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def compile_check(schema: Any, format_checker: Any = None) -> Callable[[Any], bool] | None:
    """A function answering True only for instances ``schema`` certainly accepts; None if not compilable."""
    if schema is True or schema is False:
        return (lambda _: True) if schema else (lambda _: False)
    if isinstance(schema, dict) and schema.get("$schema") == _DIALECT:  # the validator's own dialect: a no-op
        schema = {k: v for k, v in schema.items() if k != "$schema"}
    if not isinstance(schema, dict) or _uses_references(schema):
        return None
    gen = _Gen(format_checker)
    try:
        root = gen.function(schema)
    except (Unsupported, re.error, TypeError):
        return None
    # Everything the functions read is a local of one factory, so lookups are closure cells, not globals.
    source = ["def _factory(_c, _M, _JSON, _eq, _conforms):"]
    source += [f"    _k{i} = _c[{i}]" for i in range(len(gen.consts))]
    source += ["    " + line for line in gen.lines]
    source.append(f"    return {root}")
    namespace: dict[str, Any] = {}
    try:
        code = compile("\n".join(source), "<engine.fastcheck>", "exec")
    except (SyntaxError, RecursionError):  # a bug here must never break validation: jsonschema alone
        return None
    exec(code, namespace)  # noqa: S102 - generated here
    conforms = format_checker.conforms if format_checker is not None else None
    return namespace["_factory"](gen.consts, object(), _JSON_TYPES, json_equal, conforms)


# -- "is this a valid Draft 2020-12 schema?", for the loader's check of every schema ------------------------------
_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_SCHEMA_VALUED = frozenset({"items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not",
                            "unevaluatedItems", "unevaluatedProperties", "contentSchema"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})
_SCHEMA_LISTS = frozenset({"prefixItems", "allOf", "anyOf", "oneOf"})
_STRING_VALUED = frozenset({"title", "description", "format", "contentEncoding", "contentMediaType", "$comment"})
_BOOL_VALUED = frozenset({"deprecated", "readOnly", "writeOnly", "uniqueItems"})
_NUMBER_VALUED = frozenset({"maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"})
_COUNT_VALUED = frozenset({"maxLength", "minLength", "maxItems", "minItems", "maxContains", "minContains",
                           "maxProperties", "minProperties"})
# Identifiers, references and legacy keywords: checked by jsonschema (URI formats, anchors, "dependencies").
_META_UNSURE = frozenset({"$id", "$schema", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary",
                          "$recursiveAnchor", "$recursiveRef", "dependencies"})


def _is_regex(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _string_array(value: Any) -> bool:
    return type(value) is list and all(type(v) is str for v in value) and len(set(value)) == len(value)


def certainly_valid_schema(schema: Any) -> bool:
    """True only when the Draft 2020-12 meta-schema (with its format checks) certainly accepts ``schema``.

    The loader asks jsonschema's ``check_schema`` whenever this says False, so errors keep their
    wording; this only spares the meta-schema walk for schemas that are plainly fine.
    """
    if schema is True or schema is False:
        return True
    if type(schema) is not dict:
        return False
    for key, value in schema.items():
        if type(key) is not str or key in _META_UNSURE:
            return False
        if key in _SCHEMA_VALUED:
            ok = certainly_valid_schema(value)
        elif key in _SCHEMA_MAPS:
            ok = (type(value) is dict and all(type(k) is str for k in value)
                  and all(certainly_valid_schema(v) for v in value.values())
                  and (key != "patternProperties" or all(_is_regex(k) for k in value)))
        elif key in _SCHEMA_LISTS:
            ok = type(value) is list and len(value) >= 1 and all(certainly_valid_schema(v) for v in value)
        elif key in _STRING_VALUED:
            ok = type(value) is str
        elif key in _BOOL_VALUED:
            ok = type(value) is bool
        elif key in _NUMBER_VALUED:
            ok = type(value) in _NUMBER
        elif key in _COUNT_VALUED:
            ok = type(value) is int and value >= 0
        elif key == "multipleOf":
            ok = type(value) in _NUMBER and value > 0
        elif key == "pattern":
            ok = _is_regex(value)
        elif key == "type":
            ok = ((type(value) is str and value in _SIMPLE_TYPES)
                  or (type(value) is list and len(value) >= 1 and _string_array(value)
                      and all(v in _SIMPLE_TYPES for v in value)))
        elif key in ("enum", "examples"):
            ok = type(value) is list
        elif key == "required":
            ok = _string_array(value)
        elif key == "dependentRequired":
            ok = type(value) is dict and all(_string_array(v) for v in value.values())
        else:  # const, default, and keywords the meta-schema does not know: anything goes
            ok = True
        if not ok:
            return False
    return True
