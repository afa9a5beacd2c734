"""Render an operation's request from validated input; nothing user-supplied is ever rendered as a template."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from .auth import origin_of
from .errors import SpecError, ValidationError
from .model import OperationSpec
from .templating import ABSENT, RenderMemo, Template, render_structure
from .transport import Call

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
# Headers a user-supplied header map may never set: credentials, routing and framing.
FORBIDDEN_HEADERS = {
    "authorization",
    "host",
    "cookie",
    "transfer-encoding",
    "content-length",
    "connection",
    "te",
    "upgrade",
    "proxy-authorization",
    "proxy-connection",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")


def _pointer_of(template: Any) -> str:
    """The input field a template reads, to name it in an error."""
    if isinstance(template, Template):
        for use in sorted(template.uses, key=lambda u: (u.root, u.attr or "")):
            if use.root == "input" and use.attr:
                return f"/{use.attr}"
    return "/"


def _invalid(pointer: str, keyword: str, message: str) -> ValidationError:
    return ValidationError([{"pointer": pointer, "keyword": keyword, "message": message}])


def _decoded(segment: str) -> str:
    """Percent-decode until nothing changes (bounded): %252e%252e is '..' to some server in the chain."""
    for _ in range(5):
        decoded = urllib.parse.unquote(segment)
        if decoded == segment:
            break
        segment = decoded
    return segment


def check_raw_path(value: Any, call: Call, pointer: str) -> str:
    """A user path relative to the API root: the R6 attack list is refused, nothing is sent."""
    if not isinstance(value, str) or not value:
        raise _invalid(pointer, "type", "the path must be a non-empty string")
    if len(value) > 2048:
        raise _invalid(pointer, "maxLength", "the path is longer than 2048 characters")
    base = httpx.URL(call.auth.base_url)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        if _CONTROL.search(value) or "\\" in value:
            raise _invalid(pointer, "pattern", "the URL contains a control character or a backslash")
        try:
            url = httpx.URL(value)
            same = origin_of(url) == call.auth.origin
        except (httpx.InvalidURL, ValueError, UnicodeError):
            raise _invalid(pointer, "format", "the URL cannot be parsed") from None
        if not same or not url.raw_path.decode("ascii").startswith(base.path.rstrip("/") + "/"):
            raise _invalid(pointer, "origin", "a full URL must point into the authenticated account's API")
        if url.userinfo:
            raise _invalid(pointer, "format", "the URL must not contain user information")
        if url.query or url.fragment or "?" in value or "#" in value:
            raise _invalid(pointer, "pattern", "put query parameters in the query field, not in the URL")
        value = url.raw_path.decode("ascii")[len(base.path.rstrip("/")) :]
    if _CONTROL.search(value) or "\\" in value or "@" in value:
        raise _invalid(pointer, "pattern", "the path contains a control character, a backslash or '@'")
    if not value.startswith("/") or value.startswith("//"):
        raise _invalid(pointer, "pattern", "the path must start with a single '/', relative to the API root")
    if "?" in value or "#" in value:
        raise _invalid(pointer, "pattern", "put query parameters in the query field, not in the path")
    for segment in value.split("/")[1:]:
        decoded = _decoded(segment)
        if decoded.strip() in (".", "..") or "/" in decoded or "\\" in decoded or "@" in decoded or _CONTROL.search(decoded):
            raise _invalid(pointer, "pattern", "the path must not contain '.' or '..' segments or encoded slashes")
    return str(value)


def _query(value: Any) -> list[tuple[str, Any]]:  # Any: httpx's parameter type is invariant
    if value is ABSENT or value is None:
        return []
    if not isinstance(value, Mapping):
        raise SpecError("request query must render to a mapping")
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        for v in items:
            if v is None or v is ABSENT:
                continue
            out.append((str(key), "true" if v is True else "false" if v is False else str(v)))
    return out


def _headers(value: Any, call: Call, pointer: str) -> dict[str, str]:
    if value is ABSENT or value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(pointer, "type", "headers must be an object of names to values")
    out = {}
    reserved = call.auth.header_names
    for name, v in value.items():
        lowered = str(name).lower()
        if lowered in FORBIDDEN_HEADERS or lowered in reserved or lowered.startswith("proxy-"):
            raise _invalid(
                f"{pointer}/{name}",
                "not",
                f"the header {name!r} cannot be set here; the connector sets credentials and routing itself",
            )
        text = str(v)
        if not _TOKEN.match(str(name)) or not _HEADER_VALUE.match(text):
            raise _invalid(
                f"{pointer}/{name}",
                "pattern",
                "header names must be HTTP tokens, and values printable ASCII without control characters (no CR or LF)",
            )
        out[str(name)] = text
    return out


def encode_body(body: Any, encoding: Any, pointer: str) -> tuple[bytes, str]:
    """The bytes and content type of a body: JSON, URL-encoded form fields, or plain text."""
    if encoding == "json":
        try:
            return (json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(), "application/json")
        except ValueError:
            raise _invalid("/", "type", "the body contains a number JSON cannot carry (NaN or Infinity)") from None
    if encoding == "form":
        if not isinstance(body, Mapping):
            raise _invalid(pointer, "type", "a form body must be an object of field names to values")
        pairs = []
        for key, value in body.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, (Mapping, list)):
                    raise _invalid(
                        f"{pointer}/{key}", "type", "form values must be strings, numbers, booleans or lists of them"
                    )
                if item is not None:
                    pairs.append((str(key), "true" if item is True else "false" if item is False else str(item)))
        return urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    if encoding == "text":
        if not isinstance(body, str):
            raise _invalid(pointer, "type", "a text body must be a string")
        return body.encode(), "text/plain; charset=utf-8"
    raise _invalid("/", "enum", f"unknown body encoding {encoding!r}: json, form or text")


def build_request(
    call: Call, op: OperationSpec, input: Mapping[str, Any], page: dict[str, Any] | None, memo: RenderMemo | None = None
) -> httpx.Request:
    """The request for ``input`` (and ``page``); ``memo`` reuses what depends on the input alone across pages."""
    context = {"input": input, "page": page or {}}
    spec = op.request
    assert spec is not None, f"{op.name} has steps, not a request"
    method = str(render_structure(spec.method, context, memo)).upper()
    if method not in METHODS:
        raise _invalid(_pointer_of(spec.method), "enum", f"method must be one of {', '.join(sorted(METHODS))}")
    if spec.path is not None:
        path = render_structure(spec.path, context, memo)
    else:
        path = check_raw_path(render_structure(spec.raw_path, context, memo), call, _pointer_of(spec.raw_path))
    headers = {"Accept": "application/json"}
    headers.update(_headers(render_structure(spec.headers, context, memo), call, _pointer_of(spec.headers)))
    content = None
    if spec.body is not None:
        body = render_structure(spec.body, context, memo)
        if body is not ABSENT:
            encoding = "json" if spec.encoding is None else render_structure(spec.encoding, context, memo)
            content, content_type = encode_body(
                body, "json" if encoding in (ABSENT, None) else encoding, _pointer_of(spec.body)
            )
            limit = min(spec.max_bytes or call.spec.defaults.max_request_bytes, call.spec.defaults.max_request_bytes)
            if len(content) > limit:
                raise _invalid("/", "maxLength", f"the request body is larger than {limit} bytes")
            headers.setdefault("Content-Type", content_type)
    url = call.auth.base_url + path
    query = _query(render_structure(spec.query, context, memo))
    try:
        # Merging an empty parameter list only parses the URL a second time (and drops a "?..." already in it).
        request = httpx.Request(method, url, params=query if query or "?" in url else None, headers=headers, content=content)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise _invalid(
            _pointer_of(spec.raw_path or spec.query), "format", f"the request cannot be built: {type(exc).__name__}"
        ) from None
    if origin_of(request.url) != call.auth.origin:  # belt and braces: the gate would refuse the key anyway
        raise _invalid(_pointer_of(spec.raw_path or spec.path), "origin", "the request would leave the account's API")
    return request
