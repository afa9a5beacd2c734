"""Validation errors in plain words, made from the JSON Schema keyword that failed and the field's own
title, format, examples and description: "Enter an email address like jane@example.com", "Choose a
contact", "Use 3 lowercase letters, e.g. usd".

The one place these words are made: ``Connector.validate_input`` uses it, so the CLI, the HTTP service,
the workflow check and the builder page (which shows what the service says, as the user types) all say
the same. Programs keep the ``pointer`` and ``keyword`` beside the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FORMAT_WORDS = {
    "email": "an email address like jane@example.com",
    "date": "a date like 2026-01-31",
    "date-time": "a date and time like 2026-01-31T09:30:00+01:00",
    "time": "a time like 09:30:00",
    "uri": "a web address like https://example.com",
    "url": "a web address like https://example.com",
}
TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "yes or no",
    "array": "a list",
    "object": "a group of fields",
    "null": "nothing",
}
_EXAMPLE_IN_TEXT = re.compile(r"\be\.g\.,?\s+([^\s,;)]+)")


def _title(schema: Any, fallback: str = "") -> str:
    if isinstance(schema, Mapping) and isinstance(schema.get("title"), str) and schema["title"]:
        return str(schema["title"])
    return fallback.replace("_", " ").strip() or "this field"


def _lower(title: str) -> str:
    """'Contact' -> 'contact', but 'URL' and 'API key' keep their capitals."""
    return title if len(title) > 1 and title[:2].isupper() else title[:1].lower() + title[1:]


def _article(words: str) -> str:
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def _is_choice(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    labelled = schema.get("oneOf") or schema.get("anyOf") or []
    return bool(
        "lookup" in schema
        or "enum" in schema
        or "const" in schema
        or (labelled and all(isinstance(o, Mapping) and "const" in o for o in labelled))
    )


def _example(schema: Any) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], (str, int, float)):
        return str(examples[0])
    found = _EXAMPLE_IN_TEXT.search(str(schema.get("description", "")))
    return found.group(1).rstrip(".") if found else None


_CLASSES = {
    "a-z": "lowercase letters",
    "A-Z": "capital letters",
    "0-9": "digits",
    "a-zA-Z": "letters",
    "A-Za-z": "letters",
    "a-z0-9": "lowercase letters and digits",
    "0-9a-f": "hexadecimal digits",
}


def describe_pattern(pattern: str) -> str | None:
    """Plain words for the simple patterns forms use (^[a-z]{3}$, ^[0-9]+$ ...); None for others."""
    if pattern.endswith("(?!\\n)$"):  # a newline-proof end (no trailing "\n" let through) is still the end
        pattern = pattern[: -len("(?!\\n)$")] + "$"
    m = re.fullmatch(r"\^\[([^\]]+)\](\{(\d+)(,(\d*))?\}|\+|\*)\$", pattern)
    if not m or m.group(1) not in _CLASSES:
        return None
    what = _CLASSES[m.group(1)]
    if m.group(2) in ("+", "*"):
        return f"Use {what} only"
    low, comma, high = m.group(3), m.group(4), m.group(5)
    if not comma:
        return f"Use {low} {what}"
    return f"Use {low} to {high} {what}" if high else f"Use at least {low} {what}"


def _property_at(root: Any, path: list[Any], name: str) -> Any:
    """The schema of property ``name`` of the object at ``path`` in ``root``: a ``required`` that comes
    from an ``if``/``then`` names a field its own sub-schema does not describe."""
    schema = root
    for part in [*path, name]:
        if not isinstance(schema, Mapping):
            return {}
        schema = schema.get("items") if isinstance(part, int) else (schema.get("properties") or {}).get(part)
    return schema if isinstance(schema, Mapping) else {}


def plain_message(error: Any, root: Any = None) -> str:
    """The message for one ``jsonschema`` error, in words a person acts on."""
    keyword = str(error.validator)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value = error.validator_value
    path = list(error.absolute_path)
    name = str(path[-1]) if path and isinstance(path[-1], str) else ""
    title = _title(schema, name)
    if keyword == "required" and isinstance(error.instance, Mapping):
        quoted = re.match(r"^'(.+)' is a required property$", str(error.message))  # one error per missing field
        missing = quoted.group(1) if quoted else next((n for n in value or () if n not in error.instance), None)
        if missing is not None:
            sub = (schema.get("properties") or {}).get(missing) or _property_at(root, path, missing)
            words = _lower(_title(sub, missing))
            if _is_choice(sub):
                return f"Choose {_article(words)}"
            if isinstance(sub, Mapping) and sub.get("format") in FORMAT_WORDS:
                return f"Enter {FORMAT_WORDS[sub['format']]}"
            return f"Enter {_article(words)}" if not words.endswith("s") else f"Enter the {words}"
    if keyword == "format" and value in FORMAT_WORDS:
        return f"Enter {FORMAT_WORDS[value]}"
    if keyword == "pattern":
        said = describe_pattern(str(value))
        example = _example(schema)
        if said:
            return f"{said}, e.g. {example}" if example else said
        if example:
            return f"Use the form {_lower(title)} takes, e.g. {example}"
        return f"{title[:1].upper()}{title[1:]} is not in the expected form ({value})"
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(TYPE_WORDS.get(str(t), str(t)) for t in wanted if t != "null") or "nothing"
        return f"Choose {words}" if wanted == ["boolean"] else f"Enter {words}"
    if keyword == "minLength":
        return f"Enter {_article(_lower(title))}" if value == 1 else f"Use at least {value} characters"
    if keyword == "maxLength":
        return (
            f"Use at most {value} characters (now {len(error.instance)})"
            if isinstance(error.instance, str)
            else f"Use at most {value} characters"
        )
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"Enter a number {'of at least' if keyword == 'minimum' else 'above'} {value}"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"Enter a number {'of at most' if keyword == 'maximum' else 'below'} {value}"
    if keyword in ("enum", "const") or (keyword in ("oneOf", "anyOf") and _is_choice(schema)):
        options = (
            value if keyword == "enum" else [value] if keyword == "const" else [o.get("title", o.get("const")) for o in value]
        )
        shown = ", ".join(str(o) for o in options[:8]) + (", …" if len(options) > 8 else "")
        return f"Choose one of: {shown}"
    if keyword == "minItems":
        return "Add at least one item" if value == 1 else f"Add at least {value} items"
    if keyword == "maxItems":
        return f"Use at most {value} items"
    if keyword == "uniqueItems":
        return "Remove the repeated items"
    if keyword == "dependentRequired" and isinstance(value, Mapping):
        for field, needs in value.items():
            if field in error.instance:
                lacking = [n for n in needs if n not in error.instance]
                if lacking:
                    props = schema.get("properties") or {}
                    return f"{_title(props.get(field), field)} needs " + " and ".join(
                        _lower(_title(props.get(n), n)) for n in lacking
                    )
    if keyword == "minProperties":
        return "Fill in at least one field" if value == 1 else f"Fill in at least {value} fields"
    if keyword == "not":
        return f"{title} cannot take this value"
    return str(error.message)[:500]
