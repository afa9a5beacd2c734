"""Keep secrets out of reprs, logs and messages.

A secret is wrapped in :class:`Secret` as soon as it is read, so an accidental
``print`` or ``repr`` shows ``***``. The logging filter is the second net: it
replaces a secret's raw, URL-encoded and base64 forms in any log record.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import logging
import re
import threading
import urllib.parse
import weakref
from typing import Any


class Secret:
    """A string that will not show itself."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("secret", self._value))

    def __reduce__(self) -> Any:  # never pickle the value into a cache or a queue by accident
        raise TypeError("Secret values cannot be pickled")


@functools.lru_cache(maxsize=64)  # called for every response and header; the key's forms never change
def censored(value: str) -> str:
    """Zapier-style stand-in: length and a short hash, enough to tell two keys apart."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:10]
    return f":censored:{len(value)}:{digest}:"


def secret_forms(value: str) -> list[str]:
    """The forms in which a key could leak: raw, URL-encoded, base64."""
    return list(_secret_forms(value))


@functools.lru_cache(maxsize=64)
def _secret_forms(value: str) -> tuple[str, ...]:
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        base64.b64encode(value.encode()).decode(),
        base64.urlsafe_b64encode(value.encode()).decode(),
    }
    return tuple(sorted((f for f in forms if len(f) >= 4), key=len, reverse=True))


def _either_case(hex_digits: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in hex_digits)


@functools.lru_cache(maxsize=64)
def _escaped_pattern(value: str) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
    """The key with each character in any of its escaped spellings, mixed at will: itself, percent-encoded
    (either case), JSON ``\\uXXXX`` (either case), and ``\\/`` for a slash."""
    parts = []
    for ch in value:
        spellings = [re.escape(ch), "".join("%" + _either_case(f"{b:02x}") for b in ch.encode())]
        if ord(ch) < 0x10000:
            spellings.append(r"\\u" + _either_case(f"{ord(ch):04x}"))
        if ch == "/":
            spellings.append(r"\\/")
        parts.append("(?:" + "|".join(spellings) + ")")
    source = "".join(parts)
    return re.compile(source), re.compile(source.encode())


def scrub(text: str, secrets: list[str]) -> str:
    for value in secrets:
        for form in secret_forms(value):
            if form in text:
                text = text.replace(form, censored(value))
        if "%" in text or "\\" in text:  # an escaped spelling needs one of these: only then the slower search
            text = _escaped_pattern(value)[0].sub(censored(value), text)
    return text


def scrub_bytes(content: bytes, secrets: list[str]) -> bytes:
    """The same, on a raw body: an upstream that echoes the key must not hand it back to the user."""
    for value in secrets:
        stand_in = censored(value).encode()
        for form in secret_forms(value):
            encoded = form.encode()
            if encoded in content:
                content = content.replace(encoded, stand_in)
        if b"%" in content or b"\\" in content:
            content = _escaped_pattern(value)[1].sub(stand_in, content)
    return content


def scrub_any_case(text: str, secrets: list[str]) -> str:
    """For header names, which HTTP lower-cases: every form of the key, whatever its case."""
    text = scrub(text, secrets)
    lowered = text.lower()
    for value in secrets:
        for form in secret_forms(value):
            if form.lower() in lowered:
                text = re.sub(re.escape(form), censored(value), text, flags=re.IGNORECASE)
                lowered = text.lower()
    return text


def scrub_data(value: Any, secrets: list[str]) -> Any:
    """Scrub every string in a JSON-like structure (keys included)."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub_data(k, secrets): scrub_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_data(v, secrets) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in log records; installed once on the root logger."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: weakref.WeakSet[Secret] = weakref.WeakSet()
        self._lock = threading.Lock()

    def register(self, secret: Secret) -> None:
        with self._lock:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            values = [s.reveal() for s in self._secrets]
        if values and not getattr(record, "_scrubbed", False):
            message = record.getMessage()
            cleaned = scrub(message, values)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and not record.exc_text:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), values)
            elif record.exc_text:
                record.exc_text = scrub(record.exc_text, values)
            record._scrubbed = True
        return True


_filter = RedactingFilter()
_installed = False
_install_lock = threading.Lock()


def _install() -> None:
    """Filter every record when it is made.

    A filter on the root logger alone misses records from child loggers (logging
    runs a logger's filters only for its own records), and handlers added later
    (an application's, pytest's) would miss a handler filter; the record factory
    sees every record of every logger.
    """
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        with contextlib.suppress(Exception):  # a malformed format string: the handler reports it as usual
            _filter.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    root = logging.getLogger()
    root.addFilter(_filter)
    for handler in root.handlers:
        handler.addFilter(_filter)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def protect(secret: Secret) -> Secret:
    """Register a secret with the redacting filter (installed on first use)."""
    global _installed
    with _install_lock:
        if not _installed:
            _install()
            _installed = True
    _filter.register(secret)
    return secret


def redacting_filter() -> RedactingFilter:
    """The shared filter, for handlers added after start-up."""
    return _filter
