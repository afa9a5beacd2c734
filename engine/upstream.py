"""Turn an upstream error response into a typed error, keeping the API's own words.

The body shapes handled here are the common REST ones (JSON:API ``errors``
lists, string ``errors``, ``message``, ``error``); which status and code means
what is declared per connector as rules.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from . import jsonlimits
from .errors import UPSTREAM_TYPES, InvalidResponse, UpstreamError, type_for_status
from .model import ErrorRule


def headers_dict(headers: Any) -> dict[str, str]:
    """``dict(response.headers)`` in one pass (httpx looks each name up again through the whole list).

    Same result: lower-case names in first-seen order, a repeated header's values joined with ", ".
    """
    out: dict[str, str] = {}
    for name, value in headers.multi_items():
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def parse_body(content: bytes) -> Any:
    """The body as JSON (within the limits of jsonlimits), or as text when it is not JSON at all."""
    if not content:
        return None
    try:
        return jsonlimits.loads(content)
    except jsonlimits.JsonLimitError as exc:
        raise InvalidResponse(f"the response cannot be used: {exc}", rule=exc.rule) from None
    except (ValueError, UnicodeDecodeError):
        return content.decode("utf-8", "replace")


def parse_error_body(content: bytes) -> Any:
    """An error answer's body: as parse_body, but one beyond the limits is kept as (shortened) text."""
    try:
        return parse_body(content)
    except InvalidResponse:
        return content[:MAX_MESSAGE].decode("utf-8", "replace")


def error_details(body: Any) -> list[dict[str, Any]]:
    """Each error the body reports, as {title, detail, code, pointer}."""
    out: list[dict[str, Any]] = []
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, str):
            out.append({"title": errors})
        elif isinstance(errors, list):
            for item in errors:
                if isinstance(item, Mapping):
                    source = item.get("source")
                    pointer = source.get("pointer") if isinstance(source, Mapping) else None
                    out.append(
                        {
                            k: v
                            for k, v in {
                                "title": item.get("title"),
                                "detail": item.get("detail") or None,
                                "code": item.get("code"),
                                "pointer": pointer,
                            }.items()
                            if v not in (None, "")
                        }
                    )
                elif isinstance(item, str):
                    out.append({"title": item})
        elif isinstance(errors, Mapping):
            for key, value in errors.items():
                out.append({"title": f"{key}: {value}"})
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                out.append({"title": body[key]})
    elif isinstance(body, str) and body.strip() and len(body) < 500:
        out.append({"title": body.strip()})
    return out


def summary(details: list[dict[str, Any]], reason: str) -> str:
    parts = []
    for d in details:
        text = " - ".join(str(d[k]) for k in ("title", "detail") if d.get(k))
        if d.get("pointer"):
            text += f" ({d['pointer']})"
        if text:
            parts.append(text)
    return "; ".join(parts) or reason


MAX_RETRY_AFTER = 86400.0
"""A Retry-After longer than a day (or too long to read: 400 digits) is read as a day."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """delta-seconds or an HTTP-date (RFC 9110 10.2.3), at most MAX_RETRY_AFTER; None when absent or
    unreadable (NaN, 1e999, a date past the calendar's end)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.replace(".", "", 1).isdigit():  # fractions: not in the RFC, but seen
        whole = value.split(".", 1)[0].lstrip("0")
        return MAX_RETRY_AFTER if len(whole) > 9 else min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when is None:
        return None
    return min(MAX_RETRY_AFTER, max(0.0, when.timestamp() - (time.time() if now is None else now)))


MAX_MESSAGE = 1000


def classify(
    status: int,
    reason: str,
    headers: Mapping[str, str],
    body: Any,
    rules: tuple[ErrorRule, ...],
    hints: Mapping[str, str],
    *,
    now: float | None = None,
) -> UpstreamError:
    details = error_details(body)
    codes = {d.get("code") for d in details}
    text = " ".join(f"{d.get('title', '')} {d.get('detail', '')}" for d in details)
    kind, retry_default = type_for_status(status), None
    for rule in rules:
        if rule.status is not None and status not in rule.status:
            continue
        if rule.code is not None and rule.code not in codes:
            continue
        if rule.message is not None and not rule.message.search(text):
            continue
        if rule.header is not None and rule.header.lower() not in {h.lower() for h in headers}:
            continue
        kind, retry_default = rule.type, rule.retry_after_default
        break
    message = summary(details, f"HTTP {status} {reason}".strip())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "\u2026"
    if kind in hints:
        message = f"{message}. {hints[kind]}"
    cls = UPSTREAM_TYPES.get(kind, UpstreamError)
    extra: dict[str, Any] = {"status": status, "upstream": details or None}
    if kind == "rate_limited":
        assert issubclass(cls, UpstreamError)
        retry_after = parse_retry_after(headers.get("retry-after"), now)
        return cls(message, retry_after=retry_after if retry_after is not None else retry_default, **extra)
    if kind == "timeout":
        from .errors import (
            Timeout,  # timeout is not an UpstreamError subclass: a 408 is the server's read timeout
        )

        err = Timeout(message, phase="server")
        err.details["status"] = status
        return err  # type: ignore[return-value]
    assert issubclass(cls, UpstreamError)
    return cls(message, **extra)
